// kernels/elementwise_ref.cpp — CPU reference for kernels/elementwise.h (the spec).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "kernels/elementwise.h"
#include "kernels/elementwise_check.h"
#include "kernels/ref_util.h"
#include "kernels/vmath.h"

namespace lethe::ref {

namespace {
using detail::check_len;
// y[i] = f(i) over n elements, parallel when large.
template <class F>
void map(int64_t n, F&& f) {
#pragma omp parallel for schedule(static) if (n > kOmpMin)
  for (int64_t i = 0; i < n; ++i) f(i);
}
// f(lo, hi) over fixed chunks of [0, n), parallel when large (for the vectorised float paths).
template <class F>
void map_chunks(int64_t n, F&& f) {
  constexpr int64_t kChunk = 4096;
  const int64_t nch = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (n > kOmpMin)
  for (int64_t c = 0; c < nch; ++c) f(c * kChunk, std::min(n, (c + 1) * kChunk));
}
}  // namespace

// Zero fills and copies go through libc's memset/memcpy (the same bits; they use wider stores
// than the element loop, and non-temporal ones for large buffers), 64K elements a chunk.
template <class F>
void bytes_chunks(int64_t n, F&& f) {
  constexpr int64_t kChunk = int64_t(1) << 16;
  const int64_t nch = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (n > kOmpMin)
  for (int64_t c = 0; c < nch; ++c) f(c * kChunk, std::min(n, (c + 1) * kChunk));
}

template <class T> void fill(Vec<T> y, T value) {
  if (value == T(0) && !std::signbit(value))  // +0.0 is all zero bits
    bytes_chunks(y.n, [&](int64_t lo, int64_t hi) { std::memset(y.data + lo, 0, size_t(hi - lo) * sizeof(T)); });
  else
    map(y.n, [&](int64_t i) { y[i] = value; });
}

template <class T> void copy(Vec<const T> x, Vec<T> y) {
  check_len(x, y, "copy");
  if (x.data == y.data) return;
  bytes_chunks(x.n, [&](int64_t lo, int64_t hi) { std::memcpy(y.data + lo, x.data + lo, size_t(hi - lo) * sizeof(T)); });
}

template <class T> void add(Vec<const T> a, Vec<const T> b, Vec<T> y) {
  check_len(a, b, "add"); check_len(a, y, "add");
  map(a.n, [&](int64_t i) { y[i] = a[i] + b[i]; });
}
template <class T> void sub(Vec<const T> a, Vec<const T> b, Vec<T> y) {
  check_len(a, b, "sub"); check_len(a, y, "sub");
  map(a.n, [&](int64_t i) { y[i] = a[i] - b[i]; });
}
template <class T> void mul(Vec<const T> a, Vec<const T> b, Vec<T> y) {
  check_len(a, b, "mul"); check_len(a, y, "mul");
  map(a.n, [&](int64_t i) { y[i] = a[i] * b[i]; });
}
template <class T> void scale(Vec<const T> x, T alpha, Vec<T> y) {
  check_len(x, y, "scale");
  map(x.n, [&](int64_t i) { y[i] = alpha * x[i]; });
}
template <class T> void axpy(T alpha, Vec<const T> x, Vec<T> y) {
  check_len(x, y, "axpy");
  map(x.n, [&](int64_t i) { y[i] += alpha * x[i]; });
}
template <class T> void mul_backward(Vec<const T> a, Vec<const T> b, Vec<const T> dy, Vec<T> da, Vec<T> db) {
  check_len(a, b, "mul_backward"); check_len(a, dy, "mul_backward");
  if (!da.empty()) { check_len(a, da, "mul_backward"); map(a.n, [&](int64_t i) { da[i] += dy[i] * b[i]; }); }
  if (!db.empty()) { check_len(a, db, "mul_backward"); map(a.n, [&](int64_t i) { db[i] += dy[i] * a[i]; }); }
}

template <class T> void sigmoid(Vec<const T> x, Vec<T> y) {
  check_len(x, y, "sigmoid");
  if constexpr (std::is_same_v<T, float>)  // vectorised exp (kernels/vmath.h), same stable form
    map_chunks(x.n, [&](int64_t lo, int64_t hi) { vmath::sigmoid(x.data + lo, y.data + lo, hi - lo); });
  else
    map(x.n, [&](int64_t i) { y[i] = sigmoid_stable(x[i]); });
}
template <class T> void sigmoid_backward(Vec<const T> y, Vec<const T> dy, Vec<T> dx, bool accumulate) {
  check_len(y, dy, "sigmoid_backward"); check_len(y, dx, "sigmoid_backward");
  if (accumulate) map(y.n, [&](int64_t i) { dx[i] += dy[i] * y[i] * (T(1) - y[i]); });
  else map(y.n, [&](int64_t i) { dx[i] = dy[i] * y[i] * (T(1) - y[i]); });
}
template <class T> void tanh(Vec<const T> x, Vec<T> y) {
  check_len(x, y, "tanh");
  if constexpr (std::is_same_v<T, float>)
    map_chunks(x.n, [&](int64_t lo, int64_t hi) { vmath::tanh(x.data + lo, y.data + lo, hi - lo); });
  else
    map(x.n, [&](int64_t i) { y[i] = std::tanh(x[i]); });
}
template <class T> void tanh_backward(Vec<const T> y, Vec<const T> dy, Vec<T> dx, bool accumulate) {
  check_len(y, dy, "tanh_backward"); check_len(y, dx, "tanh_backward");
  if (accumulate) map(y.n, [&](int64_t i) { dx[i] += dy[i] * (T(1) - y[i] * y[i]); });
  else map(y.n, [&](int64_t i) { dx[i] = dy[i] * (T(1) - y[i] * y[i]); });
}
template <class T> void softplus(Vec<const T> x, Vec<T> y) {
  check_len(x, y, "softplus");
  map(x.n, [&](int64_t i) { y[i] = softplus_stable(x[i]); });
}
template <class T> void softplus_backward(Vec<const T> x, Vec<const T> dy, Vec<T> dx) {
  check_len(x, dy, "softplus_backward"); check_len(x, dx, "softplus_backward");
  map(x.n, [&](int64_t i) { dx[i] += dy[i] * sigmoid_stable(x[i]); });
}

template <class T> void prelu(Vec<const T> x, const T* slope, Vec<T> y) {
  detail::check_prelu(x, slope, y);
  const T a = *slope;
  map(x.n, [&](int64_t i) { y[i] = x[i] > T(0) ? x[i] : a * x[i]; });
}
template <class T> void prelu_backward(Vec<const T> x, const T* slope, Vec<const T> dy, Vec<T> dx, T* dslope) {
  detail::check_prelu_backward(x, slope, dy, dx);
  const T a = *slope;
  if (!dx.empty()) {
    map(x.n, [&](int64_t i) { dx[i] += dy[i] * (x[i] > T(0) ? T(1) : a); });
  }
  if (dslope) *dslope += static_cast<T>(det_sum(x.n, [&](int64_t i) { return x[i] > T(0) ? T(0) : dy[i] * x[i]; }));
}

template <class T> void scale_rows(Mat<const T> X, Vec<const T> s, Mat<T> Y) {
  detail::check_scale_rows(X, s, Y);
#pragma omp parallel for schedule(static) if (X.size() > kOmpMin)
  for (int64_t r = 0; r < X.rows; ++r)
    for (int64_t c = 0; c < X.cols; ++c) Y.at(r, c) = X.at(r, c) * s[r];
}
template <class T>
void scale_rows_backward(Mat<const T> X, Vec<const T> s, Mat<const T> dY, Mat<T> dX, Vec<T> ds) {
  detail::check_scale_rows_backward(X, s, dY, dX, ds);
#pragma omp parallel for schedule(static) if (X.size() > kOmpMin)
  for (int64_t r = 0; r < X.rows; ++r) {
    if (!dX.empty())
      for (int64_t c = 0; c < X.cols; ++c) dX.at(r, c) += dY.at(r, c) * s[r];
    if (!ds.empty()) {
      double acc = 0.0;
      for (int64_t c = 0; c < X.cols; ++c) acc += static_cast<double>(dY.at(r, c)) * X.at(r, c);
      ds[r] += static_cast<T>(acc);
    }
  }
}

#define LETHE_INSTANTIATE(T)                                                                       \
  template void fill<T>(Vec<T>, T);                                                                \
  template void copy<T>(Vec<const T>, Vec<T>);                                                     \
  template void add<T>(Vec<const T>, Vec<const T>, Vec<T>);                                        \
  template void sub<T>(Vec<const T>, Vec<const T>, Vec<T>);                                        \
  template void mul<T>(Vec<const T>, Vec<const T>, Vec<T>);                                        \
  template void scale<T>(Vec<const T>, T, Vec<T>);                                                 \
  template void axpy<T>(T, Vec<const T>, Vec<T>);                                                  \
  template void mul_backward<T>(Vec<const T>, Vec<const T>, Vec<const T>, Vec<T>, Vec<T>);         \
  template void sigmoid<T>(Vec<const T>, Vec<T>);                                                  \
  template void sigmoid_backward<T>(Vec<const T>, Vec<const T>, Vec<T>, bool);                     \
  template void tanh<T>(Vec<const T>, Vec<T>);                                                     \
  template void tanh_backward<T>(Vec<const T>, Vec<const T>, Vec<T>, bool);                        \
  template void softplus<T>(Vec<const T>, Vec<T>);                                                 \
  template void softplus_backward<T>(Vec<const T>, Vec<const T>, Vec<T>);                          \
  template void prelu<T>(Vec<const T>, const T*, Vec<T>);                                          \
  template void prelu_backward<T>(Vec<const T>, const T*, Vec<const T>, Vec<T>, T*);               \
  template void scale_rows<T>(Mat<const T>, Vec<const T>, Mat<T>);                                 \
  template void scale_rows_backward<T>(Mat<const T>, Vec<const T>, Mat<const T>, Mat<T>, Vec<T>);
LETHE_INSTANTIATE(float)
LETHE_INSTANTIATE(double)

}  // namespace lethe::ref
