// kernels/step.h — the per-step scalars of a training step, kept in memory on the step's device
// so that the step's kernels read them there instead of taking them as launch arguments. A step
// recorded once as a CUDA graph (engine/step.h) then replays with the next step's values: the
// batch it trains on, its negative-sampling stream, Adam's step count and learning rate. The
// host writes the state once per epoch and reads it back once per epoch (the losses summed over
// the epoch's steps, and the first step whose loss was not finite), so a step makes no host
// synchronisation at all.
//
// step_begin is the first kernel of every step: it takes the step number the state holds next,
// advances Adam's count t, computes Adam's per-step factors from t and the epoch's learning rate
// exactly as adam_step does on the host (lr / (1 − β1^t) and sqrt(1 − β2^t) in double), and
// copies the step's rows of the epoch's shuffled (user, item) arrays into the fixed batch
// buffers. accumulate_losses is the last: it adds the step's loss terms to the epoch's sums.
#pragma once

#include <cstdint>

#include "kernels/common.h"

namespace lethe {

// Plain data, the same bytes on the host and the device.
struct StepState {
  uint32_t epoch = 0;      // the epoch (set by the host at the start of an epoch)
  uint32_t step = 0;       // the step within the epoch (set by step_begin)
  uint32_t next_step = 0;  // the step step_begin starts next (the host sets the epoch's first)
  uint32_t pad_ = 0;
  int64_t adam_t = 0;      // Adam's step count: the step's own after step_begin
  double lr = 0;           // Adam's learning rate for the epoch (set by the host)
  double step_size = 0;    // lr / (1 − β1^t), set by step_begin
  double bc2_sqrt = 0;     // sqrt(1 − β2^t), set by step_begin
  double loss[4] = {0, 0, 0, 0};  // Σ over the epoch's steps: total, rank, reg, aux
  int64_t bad_step = -1;   // the first step of the epoch whose total loss was not finite (−1: none)
  int64_t steps = 0;       // steps accumulated since the host last wrote the state
};

namespace ref {
// s = st->next_step; st->step = s; st->next_step = s + 1; st->adam_t += 1; the Adam factors from
// (lr, adam_t, beta1, beta2); users[i] = all_users[s·batch + i], items[i] = all_items[s·batch + i]
// for i < users.n (users.n = items.n ≤ batch; the rows must lie inside the arrays).
void step_begin(StepState* st, double beta1, double beta2, Vec<const int32_t> all_users,
                Vec<const int32_t> all_items, int64_t batch, Vec<int32_t> users, Vec<int32_t> items);
// st->loss[k] += *term_k (each term 1×1; null: 0); st->steps += 1; and if *total is not finite
// and no step was bad yet, st->bad_step = st->step.
template <class T>
void accumulate_losses(StepState* st, const T* total, const T* rank, const T* reg, const T* aux);
}  // namespace ref

namespace cuda {
// st and every array on the device. One block.
void step_begin(StepState* st, double beta1, double beta2, Vec<const int32_t> all_users,
                Vec<const int32_t> all_items, int64_t batch, Vec<int32_t> users, Vec<int32_t> items,
                const GpuExec& g);
void accumulate_losses(StepState* st, const float* total, const float* rank, const float* reg, const float* aux,
                       const GpuExec& g);
}  // namespace cuda
}  // namespace lethe
