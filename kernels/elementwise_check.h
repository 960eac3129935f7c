// kernels/elementwise_check.h — the host-side precondition checks of kernels/elementwise.h,
// shared by the CPU reference (elementwise_ref.cpp) and the CUDA launchers (elementwise.cu), so
// that both reject the same arguments with the same messages. Plain C++ (no CUDA headers):
// included by g++ and nvcc alike. check_len is also the length check of kernels/rowops_check.h.
#pragma once

#include <string>

#include "kernels/elementwise.h"

namespace lethe::detail {

template <class A, class B>
inline void check_len(const A& a, const B& b, const char* op) {
  if (a.n != b.n)
    LETHE_FAIL(std::string(op) + ": length mismatch " + std::to_string(a.n) + " vs " + std::to_string(b.n));
}

template <class T>
inline void check_prelu(Vec<const T> x, const T* slope, Vec<T> y) {
  check_len(x, y, "prelu");
  LETHE_CHECK(slope != nullptr, "prelu needs its slope");
}
template <class T>
inline void check_prelu_backward(Vec<const T> x, const T* slope, Vec<const T> dy, Vec<T> dx) {
  check_len(x, dy, "prelu_backward");
  LETHE_CHECK(slope != nullptr, "prelu_backward needs its slope");
  if (!dx.empty()) check_len(x, dx, "prelu_backward");
}

template <class T>
inline void check_scale_rows(Mat<const T> X, Vec<const T> s, Mat<T> Y) {
  check_same_shape(X, Y, "scale_rows");
  LETHE_CHECK(s.n == X.rows, "scale_rows: s must have one entry per row");
}
template <class T>
inline void check_scale_rows_backward(Mat<const T> X, Vec<const T> s, Mat<const T> dY, Mat<T> dX, Vec<T> ds) {
  check_same_shape(X, dY, "scale_rows_backward");
  LETHE_CHECK(s.n == X.rows, "scale_rows_backward: s must have one entry per row");
  if (!dX.empty()) check_same_shape(X, dX, "scale_rows_backward");
  if (!ds.empty()) LETHE_CHECK(ds.n == X.rows, "scale_rows_backward: ds must have one entry per row");
}

}  // namespace lethe::detail
