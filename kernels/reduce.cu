// kernels/reduce.cu — CUDA versions of kernels/reduce.h.
// segmented_sqnorm: cub::DeviceSegmentedReduce::Sum over a transform iterator that widens each
//   float to double and squares it. CUB reduces each segment in one thread block with a fixed
//   tree, so the result is bit-identical run to run (it differs from the CPU's chunked order
//   only in rounding). Its temporary storage comes from g.scratch.
// clip_global_norm: the deterministic two-pass sum of cuda_util.cuh writes Σx² to a device
//   double in scratch; one scaling kernel then reads it on the device, takes the square root,
//   publishes the norm and scales x — no host synchronisation anywhere.
#include <cub/device/device_segmented_reduce.cuh>
#include <thrust/iterator/transform_iterator.h>

#include "kernels/cuda_util.cuh"
#include "kernels/reduce.h"
#include "kernels/reduce_check.h"

namespace lethe::cuda {

namespace {
struct SquareToDouble {
  __host__ __device__ double operator()(float v) const {
    const double d = static_cast<double>(v);
    return d * d;
  }
};

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

void segmented_sqnorm(const float* x, const int64_t* offsets, int64_t nseg, double* out, const GpuExec& g) {
  detail::check_segmented_sqnorm(offsets, nseg, out);
  if (nseg == 0) return;
  LETHE_CHECK(g.scratch != nullptr, "segmented_sqnorm: GpuExec.scratch is required");
  // offsets live on the device: their monotonicity is the caller's contract (the engine builds
  // them once from the parameter layout); CUB treats a segment with end <= begin as empty.
  auto in = thrust::make_transform_iterator(x, SquareToDouble{});
  size_t temp_bytes = 0;
  LETHE_CUDA_CHECK(cub::DeviceSegmentedReduce::Sum(nullptr, temp_bytes, in, out, nseg, offsets, offsets + 1,
                                                   g.stream));
  void* temp = g.scratch->alloc(temp_bytes);
  LETHE_CUDA_CHECK(cub::DeviceSegmentedReduce::Sum(temp, temp_bytes, in, out, nseg, offsets, offsets + 1,
                                                   g.stream));
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
