// kernels/reduce.cu — CUDA versions of kernels/reduce.h.
// segmented_sqnorm: two passes, both of fixed order. Pass 1 cuts the slab into fixed chunks of
//   kSegChunk elements, one block each; a block finds the segments overlapping its chunk (binary
//   search in the offsets) and, for each, sums the squares of its part of the chunk in double
//   (strided per thread, then the block's fixed tree) into slot chunk + segment — unique, since
//   walking the overlapping (chunk, segment) pairs in order steps either the chunk or the segment
//   forward. Pass 2, one block per segment, adds its chunks' partials in chunk order (strided
//   per thread, then the fixed tree). A 28.9M-element feature table is thus spread over ~1800
//   blocks instead of one (CUB's segmented reduce gave each segment a single block). The result
//   is bit-identical run to run and differs from the CPU's chunked order only in rounding.
//   Scratch: ⌈n / kSegChunk⌉ + nseg doubles from g.scratch.
// clip_global_norm: the deterministic two-pass sum of cuda_util.cuh writes Σx² to a device
//   double in scratch; one scaling kernel then reads it on the device, takes the square root,
//   publishes the norm and scales x — no host synchronisation anywhere.
#include "kernels/cuda_util.cuh"
#include "kernels/reduce.h"
#include "kernels/reduce_check.h"

namespace lethe::cuda {

namespace {

constexpr int64_t kSegChunk = 16384;

// First segment s with offsets[s + 1] > e (nseg if none).
__device__ int64_t first_segment_ending_after(const int64_t* off, int64_t nseg, int64_t e) {
  int64_t lo = 0, hi = nseg;
  while (lo < hi) {
    const int64_t mid = (lo + hi) >> 1;
    if (off[mid + 1] > e) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

__global__ void seg_partials_kernel(const float* __restrict__ x, int64_t n, const int64_t* __restrict__ off,
                                    int64_t nseg, double* __restrict__ part) {
  const int64_t c = blockIdx.x;
  const int64_t lo = c * kSegChunk, hi = lo + kSegChunk < n ? lo + kSegChunk : n;
  for (int64_t s = first_segment_ending_after(off, nseg, lo); s < nseg && off[s] < hi; ++s) {
    const int64_t a = off[s] > lo ? off[s] : lo, b = off[s + 1] < hi ? off[s + 1] : hi;
    if (a >= b) continue;  // an empty segment: no slot
    double acc = 0.0;
    for (int64_t e = a + threadIdx.x; e < b; e += blockDim.x) {
      const double v = static_cast<double>(x[e]);
      acc += v * v;
    }
    acc = block_sum(acc);
    if (threadIdx.x == 0) part[c + s] = acc;
  }
}

__global__ void seg_finish_kernel(const int64_t* __restrict__ off, const double* __restrict__ part, double* out) {
  const int64_t s = blockIdx.x;
  const int64_t a = off[s], b = off[s + 1];
  double acc = 0.0;
  if (a < b) {
    const int64_t c0 = a / kSegChunk, c1 = (b - 1) / kSegChunk;
    for (int64_t c = c0 + threadIdx.x; c <= c1; c += blockDim.x) acc += part[c + s];
  }
  acc = block_sum(acc);
  if (threadIdx.x == 0) out[s] = acc;
}

// norm = sqrt(*sumsq); block 0 / thread 0 stores it; if norm > max_norm every x[i] is scaled by
// max_norm / norm in double (the CPU reference applies the same factor the same way).
__global__ void clip_scale_kernel(float* x, int64_t n, double max_norm, const double* sumsq, double* norm_out) {
  const double norm = sqrt(*sumsq);
  if (blockIdx.x == 0 && threadIdx.x == 0 && norm_out) *norm_out = norm;
  if (!(norm > max_norm)) return;  // NaN norm: untouched, as in the reference
  const double f = max_norm / norm;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    x[i] = static_cast<float>(static_cast<double>(x[i]) * f);
}
}  // namespace

void segmented_sqnorm(const float* x, int64_t n, const int64_t* offsets, int64_t nseg, double* out,
                      const GpuExec& g) {
  detail::check_segmented_sqnorm(n, offsets, nseg, out);
  if (nseg == 0) return;
  LETHE_CHECK(g.scratch != nullptr, "segmented_sqnorm: GpuExec.scratch is required");
  LETHE_CHECK(nseg <= 65535LL * 1024, "segmented_sqnorm: too many segments for one grid");
  // offsets live on the device: that they are non-decreasing and within [0, n] is the caller's
  // contract (the engine builds them once from its layout; the reference checks it).
  const int64_t nchunks = (n + kSegChunk - 1) / kSegChunk;
  double* part = g.scratch->alloc_n<double>(nchunks + nseg);
  if (nchunks > 0) {
    seg_partials_kernel<<<static_cast<unsigned>(nchunks), kReduceBlock, 0, g.stream>>>(x, n, offsets, nseg, part);
    LETHE_LAUNCH_CHECK("segmented_sqnorm (partials)", g.stream);
  }
  seg_finish_kernel<<<static_cast<unsigned>(nseg), kReduceBlock, 0, g.stream>>>(offsets, part, out);
  LETHE_LAUNCH_CHECK("segmented_sqnorm", g.stream);
}

void clip_global_norm(float* x, int64_t n, double max_norm, double* norm_out, const GpuExec& g) {
  detail::check_clip_global_norm(x, n, max_norm);
  LETHE_CHECK(g.scratch != nullptr, "clip_global_norm: GpuExec.scratch is required");
  double* sumsq = g.scratch->alloc_n<double>(1);
  const float* xc = x;
  // n == 0 still runs both passes (one block each): Σ over nothing = 0, norm 0 is published.
  deterministic_sum("clip_global_norm", n,
                    [=] __device__(int64_t i) {
                      const double v = static_cast<double>(xc[i]);
                      return v * v;
                    },
                    1.0, sumsq, /*accumulate=*/false, g);
  clip_scale_kernel<<<grid_for(n, kBlock), kBlock, 0, g.stream>>>(x, n, max_norm, sumsq, norm_out);
  LETHE_LAUNCH_CHECK("clip_global_norm", g.stream);
}

}  // namespace lethe::cuda
