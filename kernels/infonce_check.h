// kernels/infonce_check.h — the host-side precondition checks of kernels/infonce.h, shared by the
// CPU reference (infonce_ref.cpp) and the CUDA launchers (infonce.cu), so that both reject the
// same arguments with the same messages. Plain C++ (no CUDA headers): included by g++ and nvcc
// alike. What only the CUDA side checks stays in infonce.cu: cuBLAS's int range for B and d, and
// the cuBLAS handle and scratch of GpuExec.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/infonce.h"

namespace lethe::detail {

// The saved tensors of one InfoNCE call: Xn, Yn (B×d), nx, ny (B), P (B×B).
template <class T>
inline void check_infonce_saved(int64_t B, int64_t d, Mat<const T> Xn, Mat<const T> Yn, Vec<const T> nx,
                                Vec<const T> ny, Mat<const T> P, const char* op) {
  const std::string o(op);
  LETHE_CHECK(Xn.rows == B && Xn.cols == d, o + ": Xn must be " + shape_str(B, d) + ", got " + shape_str(Xn.rows, Xn.cols));
  LETHE_CHECK(Yn.rows == B && Yn.cols == d, o + ": Yn must be " + shape_str(B, d) + ", got " + shape_str(Yn.rows, Yn.cols));
  LETHE_CHECK(nx.n == B && ny.n == B, o + ": nx and ny need one entry per row (B = " + std::to_string(B) + ")");
  LETHE_CHECK(P.rows == B && P.cols == B, o + ": P must be " + shape_str(B, B) + ", got " + shape_str(P.rows, P.cols));
}

template <class T>
inline void check_infonce_forward(Mat<const T> X, Mat<const T> Y, T tau, Mat<T> Xn, Mat<T> Yn, Vec<T> nx, Vec<T> ny,
                                  Mat<T> P, const T* loss) {
  check_same_shape(X, Y, "infonce_forward");
  const int64_t B = X.rows, d = X.cols;
  LETHE_CHECK(B >= 1 && d >= 1, "infonce_forward: needs B >= 1 rows of d >= 1 columns, got " + shape_str(B, d));
  LETHE_CHECK(tau > T(0), "infonce_forward: temperature tau must be positive");
  LETHE_CHECK(loss != nullptr, "infonce_forward: loss is null");
  check_infonce_saved<T>(B, d, Xn, Yn, nx, ny, P, "infonce_forward");
}

template <class T>
inline void check_infonce_backward(Mat<const T> Xn, Mat<const T> Yn, Vec<const T> nx, Vec<const T> ny, Mat<const T> P,
                                   T tau, const T* dloss, Mat<T> dX, Mat<T> dY) {
  const int64_t B = Xn.rows, d = Xn.cols;
  LETHE_CHECK(B >= 1 && d >= 1, "infonce_backward: needs B >= 1 rows of d >= 1 columns, got " + shape_str(B, d));
  LETHE_CHECK(tau > T(0), "infonce_backward: temperature tau must be positive");
  LETHE_CHECK(dloss != nullptr, "infonce_backward: dloss is null");
  check_infonce_saved<T>(B, d, Xn, Yn, nx, ny, P, "infonce_backward");
  if (!dX.empty()) check_same_shape(Xn, dX, "infonce_backward dX");
  if (!dY.empty()) check_same_shape(Yn, dY, "infonce_backward dY");
}

}  // namespace lethe::detail
