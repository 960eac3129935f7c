// kernels/reduce.h — reductions over the flat gradient slab: per-segment squared norms (one
// segment per parameter tensor; the engine sums segments into per-branch and per-layer norms,
// docs/TRU.md) and clipping by the global L2 norm. Accumulation is in double with a fixed
// order. On the GPU a segment is spread over many blocks (fixed-size chunks of the slab, then
// each segment's chunk partials added in chunk order), so a 28.9M-element feature table is not
// reduced by one block while the biases beside it wait.
#pragma once

#include "kernels/common.h"

namespace lethe {
namespace ref {
// out[s] = Σ_{e ∈ [offsets[s], offsets[s+1])} x[e]²   for s < nseg. x has n elements; offsets:
// nseg+1, non-decreasing, within [0, n].
template <class T> void segmented_sqnorm(const T* x, int64_t n, const int64_t* offsets, int64_t nseg, double* out);
// norm = ‖x‖₂ over n elements; if norm > max_norm: x *= max_norm / norm. *norm_out = norm (pre-clip).
template <class T> void clip_global_norm(T* x, int64_t n, double max_norm, double* norm_out);
}  // namespace ref

namespace cuda {
// offsets and out are device pointers; needs g.scratch.
void segmented_sqnorm(const float* x, int64_t n, const int64_t* offsets, int64_t nseg, double* out, const GpuExec& g);
// norm_out is a device pointer; the scaling reads the norm on the device (no host sync). Needs g.scratch.
void clip_global_norm(float* x, int64_t n, double max_norm, double* norm_out, const GpuExec& g);
}  // namespace cuda
}  // namespace lethe
