// kernels/rowops_ref.cpp — CPU reference for kernels/rowops.h (the spec).
// Numerics: every reduction along a row (dot products, norms, softmax denominators) runs in
// double and in column order, so a row's result does not depend on the thread count; OpenMP
// splits work by rows only. The whole-vector scalars (sqnorm_sum, sum) use det_sum, whose fixed
// chunking makes them independent of the thread count too.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/ref_util.h"
#include "kernels/rowops.h"
#include "kernels/rowops_check.h"

namespace lethe::ref {

namespace {
// Row-parallel loop: OpenMP only when the matrix is large enough to repay it.
template <class F>
void for_rows(int64_t rows, int64_t elems, F&& f) {
#pragma omp parallel for schedule(static) if (elems > kOmpMin)
  for (int64_t r = 0; r < rows; ++r) f(r);
}
template <class T>
double row_dot(const T* a, const T* b, int64_t n) {
  double acc = 0.0;
  for (int64_t c = 0; c < n; ++c) acc += static_cast<double>(a[c]) * static_cast<double>(b[c]);
  return acc;
}
}  // namespace

// ---- rowdot ---------------------------------------------------------------------------------
template <class T> void rowdot(Mat<const T> X, Mat<const T> Y, Vec<T> out) {
  detail::check_rowdot(X, Y, out);
  for_rows(X.rows, X.size(), [&](int64_t r) { out[r] = static_cast<T>(row_dot(X.row(r), Y.row(r), X.cols)); });
}
template <class T>
void rowdot_backward(Mat<const T> X, Mat<const T> Y, Vec<const T> dout, Mat<T> dX, Mat<T> dY) {
  detail::check_rowdot_backward(X, Y, dout, dX, dY);
  const bool gx = !dX.empty(), gy = !dY.empty();
  if (!gx && !gy) return;
  for_rows(X.rows, X.size(), [&](int64_t r) {
    const T d = dout[r];
    for (int64_t c = 0; c < X.cols; ++c) {
      if (gx) dX.at(r, c) += d * Y.at(r, c);
      if (gy) dY.at(r, c) += d * X.at(r, c);
    }
  });
}

// ---- l2norm_rows ----------------------------------------------------------------------------
// The norm is computed in double; the division uses n = max(norm, eps) cast back to T, so a
// zero row maps to zero (torch.nn.functional.normalize semantics) instead of NaN.
template <class T> void l2norm_rows(Mat<const T> X, T eps, Mat<T> Y, Vec<T> norm) {
  detail::check_l2norm_rows(X, eps, Y, norm);
  for_rows(X.rows, X.size(), [&](int64_t r) {
    const T* x = X.row(r);
    const T nr = static_cast<T>(std::sqrt(row_dot(x, x, X.cols)));
    const T n = std::max(nr, eps);
    norm[r] = nr;
    for (int64_t c = 0; c < X.cols; ++c) Y.at(r, c) = x[c] / n;
  });
}
// Two branches, each the exact derivative of its side of max(‖x‖, eps):
//   ‖x‖ > eps:  y = x/‖x‖,  J = (I − y yᵀ)/‖x‖           → dX += (dY − y<y,dY>)/‖x‖
//   ‖x‖ ≤ eps:  y = x/eps,  J = I/eps                     → dX += dY/eps
template <class T>
void l2norm_rows_backward(Mat<const T> Y, Vec<const T> norm, T eps, Mat<const T> dY, Mat<T> dX) {
  detail::check_l2norm_rows_backward(Y, norm, eps, dY, dX);
  if (dX.empty()) return;
  for_rows(Y.rows, Y.size(), [&](int64_t r) {
    const T* y = Y.row(r);
    const T* dy = dY.row(r);
    if (norm[r] > eps) {
      const T n = norm[r];
      const T yd = static_cast<T>(row_dot(y, dy, Y.cols));
      for (int64_t c = 0; c < Y.cols; ++c) dX.at(r, c) += (dy[c] - y[c] * yd) / n;
    } else {
      for (int64_t c = 0; c < Y.cols; ++c) dX.at(r, c) += dy[c] / eps;
    }
  });
}

// ---- softmax_rows ---------------------------------------------------------------------------
// Max-shifted, so exp never overflows; the denominator is summed in double.
template <class T> void softmax_rows(Mat<const T> X, Mat<T> Y) {
  check_same_shape(X, Y, "softmax_rows");
  if (X.cols == 0) return;
  for_rows(X.rows, X.size(), [&](int64_t r) {
    const T* x = X.row(r);
    T mx = x[0];
    for (int64_t c = 1; c < X.cols; ++c) mx = std::max(mx, x[c]);
    double s = 0.0;
    for (int64_t c = 0; c < X.cols; ++c) s += static_cast<double>(std::exp(x[c] - mx));
    for (int64_t c = 0; c < X.cols; ++c)
      Y.at(r, c) = static_cast<T>(static_cast<double>(std::exp(x[c] - mx)) / s);
  });
}
template <class T> void softmax_rows_backward(Mat<const T> Y, Mat<const T> dY, Mat<T> dX) {
  detail::check_softmax_rows_backward(Y, dY, dX);
  if (dX.empty()) return;
  for_rows(Y.rows, Y.size(), [&](int64_t r) {
    const T* y = Y.row(r);
    const T* dy = dY.row(r);
    const T yd = static_cast<T>(row_dot(y, dy, Y.cols));
    for (int64_t c = 0; c < Y.cols; ++c) dX.at(r, c) += y[c] * (dy[c] - yd);
  });
}

// ---- mean_of --------------------------------------------------------------------------------
// Y = (Σ_l X_l) / L with the sum in double in list order.
template <class T> void mean_of(MatList<const T> xs, Mat<T> Y) {
  detail::check_mean_of(xs, Y);
  const int L = xs.n;
  const int64_t n = Y.size();
#pragma omp parallel for schedule(static) if (n > kOmpMin)
  for (int64_t i = 0; i < n; ++i) {
    double acc = 0.0;
    for (int l = 0; l < L; ++l) acc += static_cast<double>(xs.m[l].data[i]);
    Y.data[i] = static_cast<T>(acc / L);
  }
}
template <class T> void mean_of_backward(Mat<const T> dY, MatList<T> dxs) {
  detail::check_mean_of_backward(dY, dxs);
  const T L = static_cast<T>(dxs.n);
  const int64_t n = dY.size();
  for (int l = 0; l < dxs.n; ++l) {
    if (dxs.m[l].empty()) continue;
    T* d = dxs.m[l].data;
#pragma omp parallel for schedule(static) if (n > kOmpMin)
    for (int64_t i = 0; i < n; ++i) d[i] += dY.data[i] / L;
  }
}

// ---- column get / add -----------------------------------------------------------------------
template <class T> void col_get(Mat<const T> X, int64_t m, Vec<T> y, bool accumulate) {
  detail::check_col_get(X, m, y);
  for_rows(X.rows, X.rows, [&](int64_t r) {
    if (accumulate) y[r] += X.at(r, m);
    else y[r] = X.at(r, m);
  });
}
template <class T> void col_add(Vec<const T> x, int64_t m, Mat<T> Y) {
  detail::check_col_add(x, m, Y);
  for_rows(Y.rows, Y.rows, [&](int64_t r) { Y.at(r, m) += x[r]; });
}

// ---- scalar reductions ----------------------------------------------------------------------
template <class T> void sqnorm_sum(Vec<const T> x, T coef, T* out) {
  detail::check_sqnorm_sum(out);
  const double s = det_sum(x.n, [&](int64_t i) { return static_cast<double>(x[i]) * static_cast<double>(x[i]); });
  *out = static_cast<T>(static_cast<double>(coef) * s);
}
template <class T> void sqnorm_sum_backward(Vec<const T> x, T coef, const T* dout, Vec<T> dx) {
  detail::check_sqnorm_sum_backward(x, dout, dx);
  if (dx.empty()) return;
  const T c = T(2) * coef * *dout;
#pragma omp parallel for schedule(static) if (x.n > kOmpMin)
  for (int64_t i = 0; i < x.n; ++i) dx[i] += c * x[i];
}
template <class T> void sum(Vec<const T> x, T coef, T* out) {
  detail::check_sum(out);
  const double s = det_sum(x.n, [&](int64_t i) { return static_cast<double>(x[i]); });
  *out = static_cast<T>(static_cast<double>(coef) * s);
}
template <class T> void sum_backward(T coef, const T* dout, Vec<T> dx) {
  detail::check_sum_backward(dout);
  if (dx.empty()) return;
  const T c = coef * *dout;
#pragma omp parallel for schedule(static) if (dx.n > kOmpMin)
  for (int64_t i = 0; i < dx.n; ++i) dx[i] += c;
}

#define LETHE_INSTANTIATE(T)                                                                       \
  template void rowdot<T>(Mat<const T>, Mat<const T>, Vec<T>);                                     \
  template void rowdot_backward<T>(Mat<const T>, Mat<const T>, Vec<const T>, Mat<T>, Mat<T>);      \
  template void l2norm_rows<T>(Mat<const T>, T, Mat<T>, Vec<T>);                                   \
  template void l2norm_rows_backward<T>(Mat<const T>, Vec<const T>, T, Mat<const T>, Mat<T>);      \
  template void softmax_rows<T>(Mat<const T>, Mat<T>);                                             \
  template void softmax_rows_backward<T>(Mat<const T>, Mat<const T>, Mat<T>);                      \
  template void mean_of<T>(MatList<const T>, Mat<T>);                                              \
  template void mean_of_backward<T>(Mat<const T>, MatList<T>);                                     \
  template void col_get<T>(Mat<const T>, int64_t, Vec<T>, bool);                                   \
  template void col_add<T>(Vec<const T>, int64_t, Mat<T>);                                         \
  template void sqnorm_sum<T>(Vec<const T>, T, T*);                                                \
  template void sqnorm_sum_backward<T>(Vec<const T>, T, const T*, Vec<T>);                         \
  template void sum<T>(Vec<const T>, T, T*);                                                       \
  template void sum_backward<T>(T, const T*, Vec<T>);
LETHE_INSTANTIATE(float)
LETHE_INSTANTIATE(double)

}  // namespace lethe::ref
