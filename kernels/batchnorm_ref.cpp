// kernels/batchnorm_ref.cpp — CPU reference for kernels/batchnorm.h (the spec).
// Column statistics are accumulated in double, rows in increasing order for every column; the
// loops run row-outer (cache-friendly) with one accumulator per column, and the columns are
// split into fixed blocks across threads, so the result does not depend on the thread count.
// Per-element arithmetic (x̂, y, dX) is done in T with the statistics rounded to T first — the
// CUDA version performs the same operations.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/batchnorm.h"
#include "kernels/batchnorm_check.h"
#include "kernels/ref_util.h"

namespace lethe::ref {

namespace {

constexpr int64_t kColBlock = 64;

// For every column c: (Σ_r f(r, c).first, Σ_r f(r, c).second) in double, rows in increasing order.
template <class F>
void colsums2(int64_t N, int64_t C, F&& f, std::vector<double>& s1, std::vector<double>& s2) {
  s1.assign(static_cast<size_t>(C), 0.0);
  s2.assign(static_cast<size_t>(C), 0.0);
  const int64_t nblocks = (C + kColBlock - 1) / kColBlock;
#pragma omp parallel for schedule(static) if (N * C > kOmpMin && nblocks > 1)
  for (int64_t b = 0; b < nblocks; ++b) {
    const int64_t c0 = b * kColBlock, c1 = std::min(C, c0 + kColBlock);
    for (int64_t r = 0; r < N; ++r)
      for (int64_t c = c0; c < c1; ++c) {
        const auto t = f(r, c);
        s1[static_cast<size_t>(c)] += t.first;
        s2[static_cast<size_t>(c)] += t.second;
      }
  }
}

}  // namespace

template <class T>
void batchnorm_forward_train(Mat<const T> X, Vec<const T> gamma, Vec<const T> beta, T eps, T momentum, Mat<T> Y,
                             Vec<T> mean, Vec<T> invstd, Vec<T> running_mean, Vec<T> running_var) {
  detail::check_batchnorm_forward_train(X, gamma, beta, eps, momentum, Y, mean, invstd, running_mean, running_var);
  const int64_t N = X.rows, C = X.cols;
  if (C == 0) return;
  std::vector<double> s, unused, q;
  colsums2(N, C, [&](int64_t r, int64_t c) { return std::pair<double, double>(double(X.at(r, c)), 0.0); }, s, unused);
  std::vector<double> dmean(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) dmean[c] = s[c] / double(N);
  colsums2(N, C, [&](int64_t r, int64_t c) {
    const double d = double(X.at(r, c)) - dmean[c];
    return std::pair<double, double>(d * d, 0.0);
  }, q, unused);
  const double m = double(momentum), unbias = double(N) / double(N - 1);
  for (int64_t c = 0; c < C; ++c) {
    const double var = q[c] / double(N);
    mean[c] = static_cast<T>(dmean[c]);
    invstd[c] = static_cast<T>(1.0 / std::sqrt(var + double(eps)));
    if (!running_mean.empty()) {
      running_mean[c] = static_cast<T>((1.0 - m) * double(running_mean[c]) + m * dmean[c]);
      running_var[c] = static_cast<T>((1.0 - m) * double(running_var[c]) + m * var * unbias);
    }
  }
#pragma omp parallel for schedule(static) if (N * C > kOmpMin)
  for (int64_t r = 0; r < N; ++r)
    for (int64_t c = 0; c < C; ++c) {
      const T xh = (X.at(r, c) - mean[c]) * invstd[c];
      Y.at(r, c) = xh * gamma[c] + beta[c];
    }
}

template <class T>
void batchnorm_forward_eval(Mat<const T> X, Vec<const T> gamma, Vec<const T> beta, Vec<const T> running_mean,
                            Vec<const T> running_var, T eps, Mat<T> Y, Vec<T> mean, Vec<T> invstd) {
  detail::check_batchnorm_forward_eval(X, gamma, beta, running_mean, running_var, eps, Y, mean, invstd);
  const int64_t N = X.rows, C = X.cols;
  for (int64_t c = 0; c < C; ++c) {
    LETHE_CHECK(running_var[c] >= T(0), "batchnorm_forward_eval: running_var[" + std::to_string(c) + "] is negative");
    mean[c] = running_mean[c];
    invstd[c] = static_cast<T>(1.0 / std::sqrt(double(running_var[c]) + double(eps)));
  }
#pragma omp parallel for schedule(static) if (N * C > kOmpMin)
  for (int64_t r = 0; r < N; ++r)
    for (int64_t c = 0; c < C; ++c) {
      const T xh = (X.at(r, c) - mean[c]) * invstd[c];
      Y.at(r, c) = xh * gamma[c] + beta[c];
    }
}

template <class T>
void batchnorm_backward(Mat<const T> X, Vec<const T> gamma, Vec<const T> mean, Vec<const T> invstd, Mat<const T> dY,
                        bool batch_stats, Mat<T> dX, Vec<T> dgamma, Vec<T> dbeta) {
  detail::check_batchnorm_backward(X, gamma, mean, invstd, dY, dX, dgamma, dbeta);
  const int64_t N = X.rows, C = X.cols;
  if (N == 0 || C == 0) return;
  const bool need_sums = !dgamma.empty() || !dbeta.empty() || (batch_stats && !dX.empty());
  if (!need_sums && dX.empty()) return;
  std::vector<double> sdy, sdyx;
  if (need_sums)
    colsums2(N, C, [&](int64_t r, int64_t c) {
      const T xh = (X.at(r, c) - mean[c]) * invstd[c];
      const double d = double(dY.at(r, c));
      return std::pair<double, double>(d, d * double(xh));
    }, sdy, sdyx);
  for (int64_t c = 0; c < C; ++c) {
    if (!dbeta.empty()) dbeta[c] += static_cast<T>(sdy[c]);
    if (!dgamma.empty()) dgamma[c] += static_cast<T>(sdyx[c]);
  }
  if (dX.empty()) return;
  std::vector<T> k(static_cast<size_t>(C)), a(static_cast<size_t>(C), T(0)), b(static_cast<size_t>(C), T(0));
  for (int64_t c = 0; c < C; ++c) {
    k[c] = gamma[c] * invstd[c];
    if (batch_stats) {
      a[c] = static_cast<T>(sdy[c] / double(N));
      b[c] = static_cast<T>(sdyx[c] / double(N));
    }
  }
#pragma omp parallel for schedule(static) if (N * C > kOmpMin)
  for (int64_t r = 0; r < N; ++r)
    for (int64_t c = 0; c < C; ++c) {
      if (batch_stats) {
        const T xh = (X.at(r, c) - mean[c]) * invstd[c];
        dX.at(r, c) += k[c] * (dY.at(r, c) - a[c] - xh * b[c]);
      } else {
        dX.at(r, c) += k[c] * dY.at(r, c);
      }
    }
}

#define LETHE_INSTANTIATE(T)                                                                                  \
  template void batchnorm_forward_train<T>(Mat<const T>, Vec<const T>, Vec<const T>, T, T, Mat<T>, Vec<T>,      \
                                           Vec<T>, Vec<T>, Vec<T>);                                             \
  template void batchnorm_forward_eval<T>(Mat<const T>, Vec<const T>, Vec<const T>, Vec<const T>, Vec<const T>, \
                                          T, Mat<T>, Vec<T>, Vec<T>);                                           \
  template void batchnorm_backward<T>(Mat<const T>, Vec<const T>, Vec<const T>, Vec<const T>, Mat<const T>,     \
                                      bool, Mat<T>, Vec<T>, Vec<T>);
LETHE_INSTANTIATE(float)
LETHE_INSTANTIATE(double)

}  // namespace lethe::ref
