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

// Adam's constants as a kernel uses them, rounded to float as the CPU rounds them for its update.
struct AdamConsts {
  float b1, omb1, b2, omb2, eps, wd;
  bool use_wd;
};
AdamConsts adam_consts(const AdamHp& hp) {
  return {static_cast<float>(hp.beta1), static_cast<float>(1.0 - hp.beta1), static_cast<float>(hp.beta2),
          static_cast<float>(1.0 - hp.beta2), static_cast<float>(hp.eps), static_cast<float>(hp.weight_decay),
          hp.weight_decay != 0.0};
}

// One element's update — moments, then the parameter — in the CPU twin's order of operations;
// every Adam kernel below ends in it.
__device__ __forceinline__ void adam_element(float& p, float& m, float& v, float g, const AdamConsts& k,
                                             float step_size, float bc2_sqrt) {
  if (k.use_wd) g += k.wd * p;
  const float mi = k.b1 * m + k.omb1 * g;
  const float vi = k.b2 * v + k.omb2 * g * g;
  m = mi;
  v = vi;
  const float denom = sqrtf(vi) / bc2_sqrt + k.eps;
  p -= step_size * (mi / denom);
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
  const float step_size = static_cast<float>(hp.lr / bc1), bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  const AdamConsts k = adam_consts(hp);
  const int64_t* off = seg.offsets;
  const float* sc = seg.scale;
  const int64_t nseg = seg.nseg;
  launch_map("adam_step", n, gx, [=] __device__(int64_t e) {
    if (mask && !mask[e]) return;
    adam_element(p[e], m[e], v[e], g[e] * seg_scale(e, off, sc, nseg), k, step_size, bc2_sqrt);
  });
}

// The factors are read from the step state on the device (set there by step_begin) and rounded
// to float as the host rounds them for adam_step.
void adam_step_at(float* p, const float* g, float* m, float* v, int64_t n, const StepState* st, const AdamHp& hp,
                  const GpuExec& gx) {
  detail::check_adam_step(p, g, m, v, n, hp);
  LETHE_CHECK(st != nullptr, "adam_step_at: no step state");
  const AdamConsts k = adam_consts(hp);
  launch_map("adam_step_at", n, gx, [=] __device__(int64_t e) {
    adam_element(p[e], m[e], v[e], g[e], k, static_cast<float>(st->step_size), static_cast<float>(st->bc2_sqrt));
  });
}

namespace {

// gemm_adam_at: a 128 × 64 tile of G = dY·Wᵀ per block of 16 × 16 threads; thread (tx, ty) holds
// rows ty·8 + i (i < 8) and columns tx + 16·j (j < 4) — a warp's columns are consecutive, so the
// Adam update reads and writes P, M, V in 64-byte runs. k advances in chunks of 32 through shared
// memory (padded by one against bank conflicts); every element accumulates fmaf(dY, W, acc) in k
// order from zero, the CPU GEMM's order.
constexpr int kGaRows = 128, kGaCols = 64, kGaK = 32;

__global__ void __launch_bounds__(256)
    gemm_adam_kernel(const float* __restrict__ dY, const float* __restrict__ W, int64_t N, int64_t C, int64_t K,
                     float* __restrict__ P, float* __restrict__ M, float* __restrict__ V, const StepState* st,
                     AdamConsts ak) {
  __shared__ float sA[kGaK][kGaRows + 1];  // dY tile, k-major
  __shared__ float sB[kGaK][kGaCols + 1];  // W tile, k-major
  const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * 16 + tx;
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * kGaRows, c0 = static_cast<int64_t>(blockIdx.x) * kGaCols;
  float acc[8][4];
#pragma unroll
  for (int i = 0; i < 8; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) acc[i][j] = 0.f;
  for (int64_t k0 = 0; k0 < K; k0 += kGaK) {
    for (int e = tid; e < kGaRows * kGaK; e += 256) {  // consecutive threads: consecutive k of a dY row
      const int rr = e / kGaK, kk = e % kGaK;
      const int64_t r = r0 + rr, k = k0 + kk;
      sA[kk][rr] = (r < N && k < K) ? dY[r * K + k] : 0.f;
    }
    for (int e = tid; e < kGaCols * kGaK; e += 256) {
      const int cc = e / kGaK, kk = e % kGaK;
      const int64_t c = c0 + cc, k = k0 + kk;
      sB[kk][cc] = (c < C && k < K) ? W[c * K + k] : 0.f;
    }
    __syncthreads();
    const int kn = K - k0 < kGaK ? static_cast<int>(K - k0) : kGaK;
    for (int kk = 0; kk < kn; ++kk) {
      float a[8], b[4];
#pragma unroll
      for (int i = 0; i < 8; ++i) a[i] = sA[kk][ty * 8 + i];
#pragma unroll
      for (int j = 0; j < 4; ++j) b[j] = sB[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
  const float step_size = static_cast<float>(st->step_size), bc2_sqrt = static_cast<float>(st->bc2_sqrt);
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int64_t r = r0 + ty * 8 + i;
    if (r >= N) continue;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t c = c0 + tx + 16 * j;
      if (c >= C) continue;
      const int64_t e = r * C + c;
      adam_element(P[e], M[e], V[e], acc[i][j], ak, step_size, bc2_sqrt);
    }
  }
}

}  // namespace

void gemm_adam_at(Mat<const float> dY, Mat<const float> W, Mat<float> P, Mat<float> M, Mat<float> V,
                  const StepState* st, const AdamHp& hp, const GpuExec& gx) {
  detail::check_gemm_adam_at(dY, W, P, M, V, st);
  AdamHp h = hp;
  h.step = 1;  // (t comes from the state)
  detail::check_adam_step(P.data, P.data, M.data, V.data, P.size(), h);
  if (P.size() == 0) return;
  const int64_t N = P.rows, C = P.cols, K = dY.cols;
  LETHE_CHECK((N + kGaRows - 1) / kGaRows <= 65535, "gemm_adam_at: more than 65535 × 128 rows");
  const dim3 grid(static_cast<unsigned>((C + kGaCols - 1) / kGaCols), static_cast<unsigned>((N + kGaRows - 1) / kGaRows));
  gemm_adam_kernel<<<grid, dim3(16, 16), 0, gx.stream>>>(
      dY.data, W.data, N, C, K, P.data, M.data, V.data, st, adam_consts(hp));
  LETHE_LAUNCH_CHECK("gemm_adam_at", gx.stream);
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
