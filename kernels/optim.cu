// kernels/optim.cu — CUDA versions of kernels/optim.h: one grid-stride elementwise launch per
// step over the flat slab. Semantics (segments, mask, weight decay, bias corrections) are those
// of optim_ref.cpp, whose header comment is the contract.
//
// Per-segment scale lookup: each element binary-searches its index in the device offsets array
// (upper_bound over nseg + 1 entries, ~log2(nseg) cached loads; the slab has tens of segments,
// so the array stays in L1 and the search should hide behind the 28 bytes per element the update
// moves — not yet measured on a GPU). This keeps a single launch covering every segment with no
// precomputed per-element table (which would cost 4 more bytes per element) and no host sync.
// Elements outside [offsets[0], offsets[nseg]) take scale 1, as in the reference. Offsets are
// device memory and cannot be validated here without a sync: they must be non-decreasing and
// within [0, n] (the reference checks this; the engine builds them once from its layout).
//
// Numerics: the bias corrections are computed in double on the host and passed as float, as in
// the reference. nvcc may contract a·b + c into an FMA, so results can differ from the CPU in the
// last bit (tests compare with the elementwise tolerance); masked-out elements are never
// written, so they stay bit-identical.
#include <cmath>

#include "kernels/cuda_util.cuh"
#include "kernels/optim.h"
#include "kernels/optim_check.h"
#include "kernels/step.h"

namespace lethe::cuda {

namespace {

// Scale of element e: scale[s] for offsets[s] ≤ e < offsets[s+1], else 1.
__device__ __forceinline__ float seg_scale(int64_t e, const int64_t* __restrict__ off, const float* __restrict__ sc,
                                           int64_t nseg) {
  if (nseg == 0) return 1.0f;
  int64_t lo = 0, hi = nseg + 1;  // first p in [0, nseg] with off[p] > e (nseg + 1 if none)
  while (lo < hi) {
    const int64_t mid = (lo + hi) >> 1;
    if (__ldg(off + mid) <= e) lo = mid + 1;
    else hi = mid;
  }
  const int64_t s = lo - 1;
  return (s >= 0 && s < nseg) ? __ldg(sc + s) : 1.0f;
}

void check_seg(const SegScale& seg, const char* op) {
  LETHE_CHECK(seg.nseg >= 0, std::string(op) + ": negative segment count");
  if (seg.nseg > 0)
    LETHE_CHECK(seg.offsets != nullptr && seg.scale != nullptr,
                std::string(op) + ": SegScale with nseg > 0 needs offsets and scale (device pointers)");
}

}  // namespace

void adam_step(float* p, const float* g, float* m, float* v, int64_t n, const AdamHp& hp, const uint8_t* mask,
               SegScale seg, const GpuExec& gx) {
  detail::check_adam_step(p, g, m, v, n, hp);
  check_seg(seg, "adam_step");
  const double bc1 = 1.0 - std::pow(hp.beta1, static_cast<double>(hp.step));
  const double bc2 = 1.0 - std::pow(hp.beta2, static_cast<double>(hp.step));
  const float b1 = static_cast<float>(hp.beta1), omb1 = static_cast<float>(1.0 - hp.beta1);
  const float b2 = static_cast<float>(hp.beta2), omb2 = static_cast<float>(1.0 - hp.beta2);
  const float step_size = static_cast<float>(hp.lr / bc1), bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  const float eps = static_cast<float>(hp.eps), wd = static_cast<float>(hp.weight_decay);
  const bool use_wd = hp.weight_decay != 0.0;
  const int64_t* off = seg.offsets;
  const float* sc = seg.scale;
  const int64_t nseg = seg.nseg;
  launch_map("adam_step", n, gx, [=] __device__(int64_t e) {
    if (mask && !mask[e]) return;
    float gi = g[e] * seg_scale(e, off, sc, nseg);
    if (use_wd) gi += wd * p[e];
    const float mi = b1 * m[e] + omb1 * gi;
    const float vi = b2 * v[e] + omb2 * gi * gi;
    m[e] = mi;
    v[e] = vi;
    const float denom = sqrtf(vi) / bc2_sqrt + eps;
    p[e] -= step_size * (mi / denom);
  });
}

// The factors are read from the step state on the device (set there by step_begin) and rounded
// to float as the host rounds them for adam_step.
void adam_step_at(float* p, const float* g, float* m, float* v, int64_t n, const StepState* st, const AdamHp& hp,
                  const GpuExec& gx) {
  detail::check_adam_step(p, g, m, v, n, hp);
  LETHE_CHECK(st != nullptr, "adam_step_at: no step state");
  const float b1 = static_cast<float>(hp.beta1), omb1 = static_cast<float>(1.0 - hp.beta1);
  const float b2 = static_cast<float>(hp.beta2), omb2 = static_cast<float>(1.0 - hp.beta2);
  const float eps = static_cast<float>(hp.eps), wd = static_cast<float>(hp.weight_decay);
  const bool use_wd = hp.weight_decay != 0.0;
  launch_map("adam_step_at", n, gx, [=] __device__(int64_t e) {
    const float step_size = static_cast<float>(st->step_size), bc2_sqrt = static_cast<float>(st->bc2_sqrt);
    float gi = g[e];
    if (use_wd) gi += wd * p[e];
    const float mi = b1 * m[e] + omb1 * gi;
    const float vi = b2 * v[e] + omb2 * gi * gi;
    m[e] = mi;
    v[e] = vi;
    const float denom = sqrtf(vi) / bc2_sqrt + eps;
    p[e] -= step_size * (mi / denom);
  });
}

void sgd_step(float* p, const float* g, int64_t n, double lr, const uint8_t* mask, SegScale seg, const GpuExec& gx) {
  detail::check_sgd_step(p, g, n);
  check_seg(seg, "sgd_step");
  const float lrf = static_cast<float>(lr);
  const int64_t* off = seg.offsets;
  const float* sc = seg.scale;
  const int64_t nseg = seg.nseg;
  launch_map("sgd_step", n, gx, [=] __device__(int64_t e) {
    if (mask && !mask[e]) return;
    p[e] -= lrf * (seg_scale(e, off, sc, nseg) * g[e]);
  });
}

void grad_combine(float* out, const float* gf, const float* gr, int64_t n, const uint8_t* mask, SegScale seg,
                  const GpuExec& gx) {
  detail::check_grad_combine(out, gf, n);
  check_seg(seg, "grad_combine");
  const int64_t* off = seg.offsets;
  const float* sc = seg.scale;
  const int64_t nseg = seg.nseg;
  // out may alias gf or gr: each element is read before it is written, by the same thread.
  launch_map("grad_combine", n, gx, [=] __device__(int64_t e) {
    const float r = gr ? gr[e] : 0.0f;
    if (mask && !mask[e]) {
      out[e] = r;
      return;
    }
    const float f = seg_scale(e, off, sc, nseg) * gf[e];
    out[e] = gr ? f + r : f;
  });
}

}  // namespace lethe::cuda
