// kernels/gemm_check.h — the host-side precondition checks of kernels/gemm.h, shared by the CPU
// reference (gemm_ref.cpp) and the CUDA launchers (gemm.cu), so that both reject the same
// arguments with the same messages. Plain C++ (no CUDA headers): included by g++ and nvcc alike.
// What only the CUDA side checks stays in gemm.cu: the cuBLAS handle and cuBLAS's int range.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/gemm.h"

namespace lethe::detail {

// Sizes, leading dimensions (≥ the stored row length) and the pointers a non-degenerate
// product reads: C when m, n > 0; A and B only when k > 0 too.
inline void check_gemm_args(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void* A, int64_t lda,
                            const void* B, int64_t ldb, const void* C, int64_t ldc) {
  LETHE_CHECK(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m=" + std::to_string(m) + " n=" + std::to_string(n) +
                                              " k=" + std::to_string(k));
  const int64_t a_cols = ta ? m : k, b_cols = tb ? k : n;
  LETHE_CHECK(lda >= a_cols, "gemm: lda=" + std::to_string(lda) + " is smaller than the stored A's " +
                                 std::to_string(a_cols) + " columns" + (ta ? " (A is k×m with trans_a)" : ""));
  LETHE_CHECK(ldb >= b_cols, "gemm: ldb=" + std::to_string(ldb) + " is smaller than the stored B's " +
                                 std::to_string(b_cols) + " columns" + (tb ? " (B is n×k with trans_b)" : ""));
  LETHE_CHECK(ldc >= n, "gemm: ldc=" + std::to_string(ldc) + " is smaller than n=" + std::to_string(n));
  if (m > 0 && n > 0) LETHE_CHECK(C != nullptr, "gemm: C is null");
  if (m > 0 && n > 0 && k > 0) LETHE_CHECK(A != nullptr && B != nullptr, "gemm: A or B is null");
}

inline void check_vec_len(int64_t got, int64_t want, const char* what) {
  if (got != want)
    LETHE_FAIL(std::string(what) + " has length " + std::to_string(got) + ", expected " + std::to_string(want));
}

template <class T>
inline void check_linear_forward(Mat<const T> X, Mat<const T> W, Vec<const T> b, Mat<T> Y) {
  LETHE_CHECK(X.cols == W.rows, "linear_forward: X " + shape_str(X.rows, X.cols) + " · W " + shape_str(W.rows, W.cols) +
                                    ": inner sizes differ");
  LETHE_CHECK(Y.rows == X.rows && Y.cols == W.cols, "linear_forward: Y is " + shape_str(Y.rows, Y.cols) +
                                                        ", expected " + shape_str(X.rows, W.cols));
  if (!b.empty()) check_vec_len(b.n, W.cols, "linear_forward: b");
}

template <class T>
inline void check_linear_backward(Mat<const T> X, Mat<const T> W, Mat<const T> dY, Mat<T> dX, Mat<T> dW, Vec<T> db) {
  LETHE_CHECK(X.cols == W.rows, "linear_backward: X " + shape_str(X.rows, X.cols) + " · W " + shape_str(W.rows, W.cols) +
                                    ": inner sizes differ");
  LETHE_CHECK(dY.rows == X.rows && dY.cols == W.cols, "linear_backward: dY is " + shape_str(dY.rows, dY.cols) +
                                                          ", expected " + shape_str(X.rows, W.cols));
  if (!dX.empty()) check_same_shape(dX, X, "linear_backward: dX vs X");
  if (!dW.empty()) check_same_shape(dW, W, "linear_backward: dW vs W");
  if (!db.empty()) check_vec_len(db.n, W.cols, "linear_backward: db");
}

}  // namespace lethe::detail
