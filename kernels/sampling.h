// kernels/sampling.h — random draws on the counter-based RNG (kernels/philox.h), identical on
// CPU and GPU: negative sampling (docs/MODELS.md, "Training"), dropout masks, uniform fills.
#pragma once

#include "kernels/common.h"

namespace lethe {

struct StepState;  // kernels/step.h

namespace ref {
// For each b: a negative item for users[b], uniform over `pool` (the items seen in train,
// sorted ascending), rejecting items in the user's row of `train` (user → items, sorted; the
// values array is unused). Attempt a (0 ≤ a < 64) for row b draws
//   below(philox(seed, stream, (uint64)b << 8 | a).v[0], pool.n).
// If all 64 attempts are rejected, the first pool entry at or after the last draw (cyclically)
// not in the user's row is taken; if the user has every pool item, pool[last draw] is taken.
void sample_negatives(uint64_t seed, uint64_t stream, Vec<const int32_t> users, Vec<const int32_t> pool,
                      const Csr& train, Vec<int32_t> out);
// The same draws with the stream of the step the state holds (kernels/step.h):
// stream = rng_stream(kNegative, st->epoch, st->step) — what the trainer passes for that step —
// read from memory, so that a step captured as a CUDA graph draws the next step's negatives.
void sample_negatives_at(uint64_t seed, const StepState* st, Vec<const int32_t> users, Vec<const int32_t> pool,
                         const Csr& train, Vec<int32_t> out);
// Inverted dropout: keep[i] = u01(philox(seed, stream, i / 4).v[i % 4]) >= p;
// y[i] = keep ? x[i] / (1 − p) : 0; mask[i] = keep. p in [0, 1).
template <class T>
void dropout_forward(Vec<const T> x, T p, uint64_t seed, uint64_t stream, Vec<T> y, Vec<uint8_t> mask);
// dx += mask ? dy / (1 − p) : 0
template <class T> void dropout_backward(Vec<const T> dy, Vec<const uint8_t> mask, T p, Vec<T> dx);
// x[i] = lo + (hi − lo) · u01(philox(seed, stream, i / 4).v[i % 4])
template <class T> void fill_uniform(Vec<T> x, T lo, T hi, uint64_t seed, uint64_t stream);
}  // namespace ref

namespace cuda {
void sample_negatives(uint64_t seed, uint64_t stream, Vec<const int32_t> users, Vec<const int32_t> pool,
                      const Csr& train, Vec<int32_t> out, const GpuExec& g);
// st on the device.
void sample_negatives_at(uint64_t seed, const StepState* st, Vec<const int32_t> users, Vec<const int32_t> pool,
                         const Csr& train, Vec<int32_t> out, const GpuExec& g);
void dropout_forward(Vec<const float> x, float p, uint64_t seed, uint64_t stream, Vec<float> y, Vec<uint8_t> mask,
                     const GpuExec& g);
void dropout_backward(Vec<const float> dy, Vec<const uint8_t> mask, float p, Vec<float> dx, const GpuExec& g);
void fill_uniform(Vec<float> x, float lo, float hi, uint64_t seed, uint64_t stream, const GpuExec& g);
}  // namespace cuda
}  // namespace lethe
