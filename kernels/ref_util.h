// kernels/ref_util.h — small helpers shared by the CPU references.
// det_sum: a parallel sum whose result does not depend on the thread count: fixed-size chunks
// are summed (in double) independently, then the chunk sums are added in chunk order.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace lethe::ref {

constexpr int64_t kDetChunk = 4096;

template <class F>
double det_sum(int64_t n, F&& term) {
  if (n <= 0) return 0.0;
  const int64_t nchunks = (n + kDetChunk - 1) / kDetChunk;
  std::vector<double> part(static_cast<size_t>(nchunks), 0.0);
#pragma omp parallel for schedule(static) if (nchunks > 1)
  for (int64_t c = 0; c < nchunks; ++c) {
    const int64_t lo = c * kDetChunk, hi = std::min(n, lo + kDetChunk);
    double acc = 0.0;
    for (int64_t i = lo; i < hi; ++i) acc += static_cast<double>(term(i));
    part[static_cast<size_t>(c)] = acc;
  }
  double total = 0.0;
  for (double p : part) total += p;
  return total;
}

// Stable softplus log(1 + e^x) and logistic sigmoid, in T's precision.
template <class T>
inline T softplus_stable(T x) {
  return std::max(x, T(0)) + std::log1p(std::exp(-std::abs(x)));
}
template <class T>
inline T sigmoid_stable(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

// Minimum parallel grain: below this many elements OpenMP's overhead outweighs the work.
constexpr int64_t kOmpMin = 1 << 14;

}  // namespace lethe::ref
