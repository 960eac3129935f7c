// kernels/rowops_check.h — the host-side precondition checks of kernels/rowops.h, shared by the
// CPU reference (rowops_ref.cpp) and the CUDA launchers (rowops.cu), so that both reject the same
// arguments with the same messages. Plain C++ (no CUDA headers): included by g++ and nvcc alike.
// The length check check_len is elementwise's (kernels/elementwise_check.h).
#pragma once

#include <cstdint>
#include <string>

#include "kernels/elementwise_check.h"
#include "kernels/rowops.h"

namespace lethe::detail {

// v must have one entry per row.
template <class A>
inline void check_rows(const A& v, int64_t rows, const char* op, const char* what) {
  if (v.n != rows)
    LETHE_FAIL(std::string(op) + ": " + what + " has " + std::to_string(v.n) + " entries, expected one per row (" +
               std::to_string(rows) + ")");
}

template <class T>
inline void check_rowdot(Mat<const T> X, Mat<const T> Y, Vec<T> out) {
  check_same_shape(X, Y, "rowdot");
  check_rows(out, X.rows, "rowdot", "out");
}
template <class T>
inline void check_rowdot_backward(Mat<const T> X, Mat<const T> Y, Vec<const T> dout, Mat<T> dX, Mat<T> dY) {
  check_same_shape(X, Y, "rowdot_backward");
  check_rows(dout, X.rows, "rowdot_backward", "dout");
  if (!dX.empty()) check_same_shape(X, dX, "rowdot_backward dX");
  if (!dY.empty()) check_same_shape(X, dY, "rowdot_backward dY");
}

template <class T>
inline void check_l2norm_rows(Mat<const T> X, T eps, Mat<T> Y, Vec<T> norm) {
  check_same_shape(X, Y, "l2norm_rows");
  check_rows(norm, X.rows, "l2norm_rows", "norm");
  LETHE_CHECK(eps > T(0), "l2norm_rows: eps must be positive");
}
template <class T>
inline void check_l2norm_rows_backward(Mat<const T> Y, Vec<const T> norm, T eps, Mat<const T> dY, Mat<T> dX) {
  check_same_shape(Y, dY, "l2norm_rows_backward");
  check_rows(norm, Y.rows, "l2norm_rows_backward", "norm");
  LETHE_CHECK(eps > T(0), "l2norm_rows_backward: eps must be positive");
  if (!dX.empty()) check_same_shape(Y, dX, "l2norm_rows_backward dX");
}

template <class T>
inline void check_softmax_rows_backward(Mat<const T> Y, Mat<const T> dY, Mat<T> dX) {
  check_same_shape(Y, dY, "softmax_rows_backward");
  if (!dX.empty()) check_same_shape(Y, dX, "softmax_rows_backward dX");
}

template <class T>
inline void check_mean_of(MatList<const T> xs, Mat<T> Y) {
  LETHE_CHECK(xs.n >= 1 && xs.n <= MatList<const T>::kMax,
              "mean_of: needs 1.." + std::to_string(MatList<const T>::kMax) + " matrices, got " + std::to_string(xs.n));
  for (int l = 0; l < xs.n; ++l) check_same_shape(xs.m[l], Y, "mean_of");
}
template <class T>
inline void check_mean_of_backward(Mat<const T> dY, MatList<T> dxs) {
  LETHE_CHECK(dxs.n >= 1 && dxs.n <= MatList<T>::kMax,
              "mean_of_backward: needs 1.." + std::to_string(MatList<T>::kMax) + " matrices, got " + std::to_string(dxs.n));
  for (int l = 0; l < dxs.n; ++l)
    if (!dxs.m[l].empty()) check_same_shape(dxs.m[l], dY, "mean_of_backward");
}

template <class T>
inline void check_col_get(Mat<const T> X, int64_t m, Vec<T> y) {
  LETHE_CHECK(m >= 0 && m < X.cols, "col_get: column " + std::to_string(m) + " outside " + shape_str(X.rows, X.cols));
  check_rows(y, X.rows, "col_get", "y");
}
template <class T>
inline void check_col_add(Vec<const T> x, int64_t m, Mat<T> Y) {
  LETHE_CHECK(m >= 0 && m < Y.cols, "col_add: column " + std::to_string(m) + " outside " + shape_str(Y.rows, Y.cols));
  check_rows(x, Y.rows, "col_add", "x");
}

template <class T>
inline void check_sqnorm_sum(const T* out) {
  LETHE_CHECK(out != nullptr, "sqnorm_sum: out is null");
}
template <class T>
inline void check_sqnorm_sum_backward(Vec<const T> x, const T* dout, Vec<T> dx) {
  LETHE_CHECK(dout != nullptr, "sqnorm_sum_backward: dout is null");
  if (!dx.empty()) check_len(x, dx, "sqnorm_sum_backward");
}
template <class T>
inline void check_sum(const T* out) {
  LETHE_CHECK(out != nullptr, "sum: out is null");
}
template <class T>
inline void check_sum_backward(const T* dout) {
  LETHE_CHECK(dout != nullptr, "sum_backward: dout is null");
}

}  // namespace lethe::detail
