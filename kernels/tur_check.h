// kernels/tur_check.h — the host-side precondition checks of kernels/tur.h, shared by the CPU
// reference (tur_ref.cpp) and the CUDA launchers (tur.cu), so that both reject the same
// arguments with the same messages. Plain C++ (no CUDA headers): included by g++ and nvcc alike.
// What only one side can check stays there: the CUDA side's GpuExec.scratch.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/tur.h"

namespace lethe::detail {

template <class A, class B>
inline void check_tur_shapes(const A& U, const B& Ob, int64_t L, const char* op) {
  LETHE_CHECK(L >= 1, std::string(op) + ": L must be >= 1 (got " + std::to_string(L) + ")");
  LETHE_CHECK(Ob.rows == U.rows * L && Ob.cols == U.cols,
              std::string(op) + ": Ob must be " + shape_str(U.rows * L, U.cols) + " for U " + shape_str(U.rows, U.cols) +
                  " and L = " + std::to_string(L) + ", got " + shape_str(Ob.rows, Ob.cols));
}
template <class A, class P>
inline void check_tur_probs(const A& U, const P& Pm, int64_t L, const char* op) {
  LETHE_CHECK(Pm.rows == U.rows && Pm.cols == L,
              std::string(op) + ": P must be " + shape_str(U.rows, L) + ", got " + shape_str(Pm.rows, Pm.cols));
}

template <class T>
inline void check_tur_forward(Mat<const T> U, Mat<const T> Ob, int64_t L, Mat<T> P, Vec<T> ce, const T* loss) {
  const char* op = "tur_forward";
  check_tur_shapes(U, Ob, L, op);
  check_tur_probs(U, P, L, op);
  LETHE_CHECK(ce.n == U.rows, "tur_forward: ce must have one entry per row");
  LETHE_CHECK(loss != nullptr, "tur_forward: loss output is required");
}

template <class T>
inline void check_tur_backward(Mat<const T> U, Mat<const T> Ob, int64_t L, Mat<const T> P, const T* dloss, Mat<T> dU,
                               Mat<T> dOb) {
  const char* op = "tur_backward";
  check_tur_shapes(U, Ob, L, op);
  check_tur_probs(U, P, L, op);
  LETHE_CHECK(dloss != nullptr, "tur_backward: dloss is required");
  if (!dU.empty()) check_same_shape(U, dU, op);
  if (!dOb.empty()) check_same_shape(Ob, dOb, op);
}

}  // namespace lethe::detail
