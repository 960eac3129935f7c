// kernels/optim_ref.cpp — CPU reference for kernels/optim.h (the spec): Adam, SGD and TRU's
// gradient combination over the flat parameter slab, with the optional 0/1 mask and per-segment
// gradient scale.
//
// Conventions fixed here (the CUDA version implements exactly the same):
//  * Segments: element e takes scale[s] when offsets[s] ≤ e < offsets[s+1]. Offsets must be
//    non-decreasing with 0 ≤ offsets[0] and offsets[nseg] ≤ n; elements outside
//    [offsets[0], offsets[nseg]) take scale 1 (normally the segments cover the slab exactly).
//    The reference walks the slab piece by piece (one loop per segment).
//  * Adam, as torch.optim.Adam (amsgrad off): g' = scale·g (+ wd·p when wd ≠ 0 — the segment
//    scale acts on the loss gradient, weight decay is the optimizer's own term);
//    m = β1·m + (1−β1)·g';  v = β2·v + (1−β2)·g'²;
//    p −= (lr / bc1) · m / (sqrt(v) / sqrt(bc2) + eps),  bc_k = 1 − β_k^t  (computed in double
//    on the host, then rounded to T, as torch does with its Python-float step size).
//  * mask[e] == 0: p, m and v are not written at all (bit-identical); any non-zero byte is 1.
//  * grad_combine: out = (mask ? scale·gf : 0) + gr, where a masked-out element gets gr (or 0)
//    without reading gf, so a NaN in a masked-out forget gradient cannot leak into the update.
#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>

#include "kernels/optim.h"
#include "kernels/optim_check.h"
#include "kernels/ref_util.h"

namespace lethe::ref {

namespace {

void check_seg(const SegScale& seg, int64_t n, const char* op) {
  LETHE_CHECK(seg.nseg >= 0, std::string(op) + ": negative segment count");
  if (seg.nseg == 0) return;
  LETHE_CHECK(seg.offsets != nullptr && seg.scale != nullptr,
              std::string(op) + ": SegScale with nseg > 0 needs offsets and scale");
  LETHE_CHECK(seg.offsets[0] >= 0 && seg.offsets[seg.nseg] <= n,
              std::string(op) + ": segment offsets [" + std::to_string(seg.offsets[0]) + ", " +
                  std::to_string(seg.offsets[seg.nseg]) + "] exceed the slab of " + std::to_string(n) + " elements");
  for (int64_t s = 0; s < seg.nseg; ++s)
    if (seg.offsets[s + 1] < seg.offsets[s])
      LETHE_FAIL(std::string(op) + ": segment offsets must be non-decreasing, but offsets[" + std::to_string(s + 1) +
                 "] < offsets[" + std::to_string(s) + "]");
}

// Calls body(lo, hi, scale) for consecutive pieces covering [0, n): the uncovered head and tail
// with scale 1, each segment with its own scale. Each piece runs in parallel when large.
template <class Body>
void for_each_piece(int64_t n, const SegScale& seg, Body&& body) {
  if (seg.nseg == 0) {
    body(int64_t(0), n, 1.0f);
    return;
  }
  body(int64_t(0), seg.offsets[0], 1.0f);
  for (int64_t s = 0; s < seg.nseg; ++s) body(seg.offsets[s], seg.offsets[s + 1], seg.scale[s]);
  body(seg.offsets[seg.nseg], n, 1.0f);
}

template <class F>
void map_range(int64_t lo, int64_t hi, F&& f) {
#pragma omp parallel for schedule(static) if (hi - lo > kOmpMin)
  for (int64_t e = lo; e < hi; ++e) f(e);
}

}  // namespace

// The float update without a mask (every training step): the reference's arithmetic, operation
// for operation and never contracted into FMAs, in a function GCC vectorises for AVX-512 and AVX2
// as well as the baseline (picked once at load time), so the result is bit for bit the scalar
// loop's (tests/kernels/test_optim.cpp compares them) at the memory's speed.
namespace {
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"), optimize("fp-contract=off")))
#endif
void adam_f32_unmasked(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
                       float* __restrict__ v, int64_t lo, int64_t hi, float sc, float b1, float omb1, float b2,
                       float omb2, float step_size, float bc2_sqrt, float eps, float wd, bool use_wd) {
  for (int64_t e = lo; e < hi; ++e) {
    float gi = g[e] * sc;
    if (use_wd) gi += wd * p[e];
    const float mi = b1 * m[e] + omb1 * gi;
    const float vi = b2 * v[e] + omb2 * gi * gi;
    m[e] = mi;
    v[e] = vi;
    const float denom = std::sqrt(vi) / bc2_sqrt + eps;
    p[e] -= step_size * (mi / denom);
  }
}
}  // namespace

template <class T>
void adam_step(T* p, const T* g, T* m, T* v, int64_t n, const AdamHp& hp, const uint8_t* mask, SegScale seg) {
  detail::check_adam_step(p, g, m, v, n, hp);
  check_seg(seg, n, "adam_step");
  const double bc1 = 1.0 - std::pow(hp.beta1, static_cast<double>(hp.step));
  const double bc2 = 1.0 - std::pow(hp.beta2, static_cast<double>(hp.step));
  const T b1 = static_cast<T>(hp.beta1), omb1 = static_cast<T>(1.0 - hp.beta1);
  const T b2 = static_cast<T>(hp.beta2), omb2 = static_cast<T>(1.0 - hp.beta2);
  const T step_size = static_cast<T>(hp.lr / bc1), bc2_sqrt = static_cast<T>(std::sqrt(bc2));
  const T eps = static_cast<T>(hp.eps), wd = static_cast<T>(hp.weight_decay);
  const bool use_wd = hp.weight_decay != 0.0;
  for_each_piece(n, seg, [&](int64_t lo, int64_t hi, float scale) {
    const T sc = static_cast<T>(scale);
    if constexpr (std::is_same_v<T, float>) {
      if (!mask) {  // fixed chunks, each vectorised
        constexpr int64_t kChunk = 1 << 14;
        const int64_t nch = (hi - lo + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (hi - lo > kOmpMin)
        for (int64_t c = 0; c < nch; ++c)
          adam_f32_unmasked(p, g, m, v, lo + c * kChunk, std::min(hi, lo + (c + 1) * kChunk), sc, b1, omb1, b2, omb2,
                            step_size, bc2_sqrt, eps, wd, use_wd);
        return;
      }
    }
    map_range(lo, hi, [&](int64_t e) {
      if (mask && !mask[e]) return;
      T gi = g[e] * sc;
      if (use_wd) gi += wd * p[e];
      const T mi = b1 * m[e] + omb1 * gi;
      const T vi = b2 * v[e] + omb2 * gi * gi;
      m[e] = mi;
      v[e] = vi;
      const T denom = std::sqrt(vi) / bc2_sqrt + eps;
      p[e] -= step_size * (mi / denom);
    });
  });
}

template <class T>
void sgd_step(T* p, const T* g, int64_t n, double lr, const uint8_t* mask, SegScale seg) {
  detail::check_sgd_step(p, g, n);
  check_seg(seg, n, "sgd_step");
  const T lrt = static_cast<T>(lr);
  for_each_piece(n, seg, [&](int64_t lo, int64_t hi, float scale) {
    const T sc = static_cast<T>(scale);
    map_range(lo, hi, [&](int64_t e) {
      if (mask && !mask[e]) return;
      p[e] -= lrt * (sc * g[e]);
    });
  });
}

template <class T>
void grad_combine(T* out, const T* gf, const T* gr, int64_t n, const uint8_t* mask, SegScale seg) {
  detail::check_grad_combine(out, gf, n);
  check_seg(seg, n, "grad_combine");
  for_each_piece(n, seg, [&](int64_t lo, int64_t hi, float scale) {
    const T sc = static_cast<T>(scale);
    map_range(lo, hi, [&](int64_t e) {
      const T r = gr ? gr[e] : T(0);
      out[e] = (mask && !mask[e]) ? r : (gr ? sc * gf[e] + r : sc * gf[e]);
    });
  });
}

#define LETHE_INSTANTIATE(T)                                                                              \
  template void adam_step<T>(T*, const T*, T*, T*, int64_t, const AdamHp&, const uint8_t*, SegScale);    \
  template void sgd_step<T>(T*, const T*, int64_t, double, const uint8_t*, SegScale);                    \
  template void grad_combine<T>(T*, const T*, const T*, int64_t, const uint8_t*, SegScale);
LETHE_INSTANTIATE(float)
LETHE_INSTANTIATE(double)
#undef LETHE_INSTANTIATE

}  // namespace lethe::ref
