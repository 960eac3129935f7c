// kernels/cuda_util.cuh — device helpers shared by the CUDA launchers: grid-stride maps,
// warp/block sums with a fixed combination order, and a deterministic two-pass reduction
// (per-block partials in double, then one block sums the partials in block order), so that a
// sum is bit-identical run to run for a given n.
#pragma once

#include <cuda_runtime.h>

#include "kernels/common.h"
#include "kernels/cuda_check.h"

namespace lethe::cuda {

constexpr int kBlock = 256;
constexpr int kReduceBlock = 256;
constexpr int kReduceMaxBlocks = 1024;

template <class F>
__global__ void map_kernel(int64_t n, F f) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    f(i);
}

// Launch f(i) for i in [0, n) on the stream; `op` names the op in errors.
template <class F>
void launch_map(const char* op, int64_t n, const GpuExec& g, F f) {
  if (n <= 0) return;
  map_kernel<<<grid_for(n, kBlock), kBlock, 0, g.stream>>>(n, f);
  LETHE_LAUNCH_CHECK(op, g.stream);
}

template <class T>
__device__ __forceinline__ T warp_sum(T v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  return v;
}

// Sum over the block; the result is valid in thread 0. blockDim.x must be a multiple of 32.
template <class T>
__device__ T block_sum(T v) {
  __shared__ T sh[32];
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
  v = warp_sum(v);
  __syncthreads();  // allow back-to-back calls
  if (lane == 0) sh[wid] = v;
  __syncthreads();
  const int nw = (blockDim.x + 31) >> 5;
  v = (threadIdx.x < nw) ? sh[lane] : T(0);
  if (wid == 0) v = warp_sum(v);
  return v;
}

inline int reduce_blocks(int64_t n) {
  int64_t b = (n + kReduceBlock * 4 - 1) / (kReduceBlock * 4);
  if (b < 1) b = 1;
  if (b > kReduceMaxBlocks) b = kReduceMaxBlocks;
  return static_cast<int>(b);
}

template <class F>
__global__ void partial_sum_kernel(int64_t n, F term, double* partials) {
  double acc = 0.0;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    acc += static_cast<double>(term(i));
  acc = block_sum(acc);
  if (threadIdx.x == 0) partials[blockIdx.x] = acc;
}

// out = coef * total (accumulate: out += coef * total). Single block.
template <class T>
__global__ void finish_sum_kernel(const double* partials, int nb, double coef, T* out, bool accumulate) {
  double acc = 0.0;
  for (int i = threadIdx.x; i < nb; i += blockDim.x) acc += partials[i];
  acc = block_sum(acc);
  if (threadIdx.x == 0) {
    const T v = static_cast<T>(coef * acc);
    *out = accumulate ? *out + v : v;
  }
}

// *out (device) = coef · Σ_{i<n} term(i), deterministic. Needs g.scratch.
template <class T, class F>
void deterministic_sum(const char* op, int64_t n, F term, double coef, T* out, bool accumulate,
                       const GpuExec& g) {
  LETHE_CHECK(g.scratch != nullptr, std::string(op) + ": GpuExec.scratch is required");
  const int nb = reduce_blocks(n);
  double* partials = g.scratch->alloc_n<double>(nb);
  partial_sum_kernel<<<nb, kReduceBlock, 0, g.stream>>>(n, term, partials);
  LETHE_LAUNCH_CHECK(op, g.stream);
  finish_sum_kernel<<<1, kReduceBlock, 0, g.stream>>>(partials, nb, coef, out, accumulate);
  LETHE_LAUNCH_CHECK(op, g.stream);
}

// ---- deterministic column sums (batch-norm statistics, the linear layer's bias gradient) ----
// Pass 1 gives every (32-column tile, row chunk) pair one 32×8 block: threadIdx.x walks the
// columns (coalesced loads along a row), threadIdx.y the 8 row lanes, each lane summing its rows
// in increasing order in double; lane sums are combined in lane order through shared memory and
// written as the chunk's partial. Pass 2, one thread per column, adds the partials in chunk
// order. The chunk count depends on N only (up to 64 chunks of ≥ 256 rows), so the order is the
// same on every device and every run, and a tall matrix is spread over up to 64 × ⌈C/32⌉ blocks.
constexpr int kColTile = 32;   // columns per block
constexpr int kColLanes = 8;   // row lanes per block
constexpr int64_t kColMaxChunks = 64;

inline int64_t colsum_chunks(int64_t N) {
  int64_t c = (N + 255) / 256;
  if (c < 1) c = 1;
  if (c > kColMaxChunks) c = kColMaxChunks;
  return c;
}

// partials[chunk·C + c] = Σ_{r in chunk} f(r, c)   (two sums at once, double)
template <class F>
__global__ void colsum_partials_kernel(int64_t N, int64_t C, int64_t rows_per_chunk, F f, double2* partials) {
  __shared__ double2 sh[kColLanes][kColTile];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t c = blockIdx.x * static_cast<int64_t>(kColTile) + tx;
  const int64_t chunk = blockIdx.y;
  const int64_t r0 = chunk * rows_per_chunk;
  const int64_t r1 = r0 + rows_per_chunk < N ? r0 + rows_per_chunk : N;
  double a = 0.0, b = 0.0;
  if (c < C)
    for (int64_t r = r0 + ty; r < r1; r += kColLanes) {
      const double2 t = f(r, c);
      a += t.x;
      b += t.y;
    }
  sh[ty][tx] = make_double2(a, b);
  __syncthreads();
  if (ty == 0 && c < C) {
    double2 s = sh[0][tx];
    for (int l = 1; l < kColLanes; ++l) {
      s.x += sh[l][tx].x;
      s.y += sh[l][tx].y;
    }
    partials[chunk * C + c] = s;
  }
}

// Column sums of f(r, c) (a double2: two sums at once) over N rows; finish(c, sum) receives each
// column's total. partials: colsum_chunks(N) · C double2 of device scratch. Two launches.
template <class F, class Fin>
void column_sums(const char* op, int64_t N, int64_t C, F f, double2* partials, Fin finish, const GpuExec& g) {
  const int64_t nch = colsum_chunks(N);
  const int64_t rpc = (N + nch - 1) / nch;
  const dim3 block(kColTile, kColLanes);
  const dim3 grid(static_cast<unsigned>((C + kColTile - 1) / kColTile), static_cast<unsigned>(nch));
  colsum_partials_kernel<<<grid, block, 0, g.stream>>>(N, C, rpc, f, partials);
  LETHE_LAUNCH_CHECK(op, g.stream);
  launch_map(op, C, g, [=] __device__(int64_t c) {
    double2 s = make_double2(0.0, 0.0);
    for (int64_t k = 0; k < nch; ++k) {
      s.x += partials[k * C + c].x;
      s.y += partials[k * C + c].y;
    }
    finish(c, s);
  });
}

__device__ __forceinline__ float softplus_f(float x) { return fmaxf(x, 0.f) + log1pf(expf(-fabsf(x))); }
__device__ __forceinline__ float sigmoid_f(float x) {
  if (x >= 0.f) return 1.f / (1.f + expf(-x));
  const float e = expf(x);
  return e / (1.f + e);
}

}  // namespace lethe::cuda
