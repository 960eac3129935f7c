// kernels/reduce_ref.cpp — CPU reference for kernels/reduce.h (the spec): per-segment squared
// norms of the flat gradient slab and clipping by the global L2 norm.
// Numerics: every sum is in double with a fixed order (det_sum: fixed 4096-element chunks added
// in chunk order), so a result does not depend on the OpenMP thread count. Segments are taken
// one after the other and each is summed with det_sum, which parallelises inside a segment —
// the slab's segments are few and very uneven (a 4096-wide feature table next to a bias).
#include <cmath>
#include <string>

#include "kernels/reduce.h"
#include "kernels/reduce_check.h"
#include "kernels/ref_util.h"

namespace lethe::ref {

template <class T>
void segmented_sqnorm(const T* x, int64_t n, const int64_t* offsets, int64_t nseg, double* out) {
  detail::check_segmented_sqnorm(n, offsets, nseg, out);
  if (nseg == 0) return;
  LETHE_CHECK(offsets[0] >= 0, "segmented_sqnorm: offsets[0] = " + std::to_string(offsets[0]) + " is negative");
  for (int64_t s = 0; s < nseg; ++s)
    if (offsets[s + 1] < offsets[s])
      LETHE_FAIL("segmented_sqnorm: offsets must be non-decreasing, but offsets[" + std::to_string(s + 1) +
                 "] = " + std::to_string(offsets[s + 1]) + " < offsets[" + std::to_string(s) +
                 "] = " + std::to_string(offsets[s]));
  LETHE_CHECK(offsets[nseg] <= n, "segmented_sqnorm: offsets end at " + std::to_string(offsets[nseg]) +
                                       ", past the " + std::to_string(n) + " elements of x");
  LETHE_CHECK(offsets[nseg] == offsets[0] || x != nullptr, "segmented_sqnorm: x is null");
  for (int64_t s = 0; s < nseg; ++s) {
    const T* xs = x + offsets[s];
    out[s] = det_sum(offsets[s + 1] - offsets[s], [xs](int64_t i) {
      const double v = static_cast<double>(xs[i]);
      return v * v;
    });
  }
}

template <class T>
void clip_global_norm(T* x, int64_t n, double max_norm, double* norm_out) {
  detail::check_clip_global_norm(x, n, max_norm);
  const double norm = std::sqrt(det_sum(n, [x](int64_t i) {
    const double v = static_cast<double>(x[i]);
    return v * v;
  }));
  if (norm_out) *norm_out = norm;
  // The factor is applied in double, then rounded to T. A non-finite norm is reported through
  // norm_out: a NaN norm compares false and leaves x untouched; an infinite one gives factor 0
  // (finite entries become 0, infinite ones NaN) — the CUDA version does exactly the same.
  if (norm > max_norm) {
    const double f = max_norm / norm;
#pragma omp parallel for schedule(static) if (n > kOmpMin)
    for (int64_t i = 0; i < n; ++i) x[i] = static_cast<T>(static_cast<double>(x[i]) * f);
  }
}

#define LETHE_INSTANTIATE(T)                                                          \
  template void segmented_sqnorm<T>(const T*, int64_t, const int64_t*, int64_t, double*); \
  template void clip_global_norm<T>(T*, int64_t, double, double*);
LETHE_INSTANTIATE(float)
LETHE_INSTANTIATE(double)
#undef LETHE_INSTANTIATE

}  // namespace lethe::ref
