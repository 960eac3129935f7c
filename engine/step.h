// engine/step.h — the training step as the trainer runs it, built so that a GPU runs a whole
// epoch without waiting for the host:
//  * the epoch's shuffled (user, item) rows and the step state (kernels/step.h: epoch, step
//    number, Adam's t and learning rate, the loss sums) reach the device in ONE asynchronous
//    upload per epoch, from page-locked memory; each step's first kernel (step_begin) takes its
//    batch from them into fixed buffers;
//  * negatives are drawn on the device keyed by the state's step; Adam reads t and lr there;
//  * the loss terms are summed on the device (accumulate_losses, the step's last kernel) and read
//    ONCE per epoch, with the first step whose loss was not finite (the divergence check);
//  * a feature table whose only use is a linear layer's input gets its Adam update inside the
//    product that computes its gradient (FusedAdam, engine/tape.h; kernels/optim.h gemm_adam_at):
//    the gradient (115 MB for MGCN's image table on Amazon-Baby) is never stored or read back. On
//    the CPU this is bit for bit the unfused update; on a GPU the product's summation order is the
//    CPU's, not cuBLAS's, so it agrees with the unfused update to rounding;
//  * with graphs on (the setting cuda.graphs: CUDA contexts, models whose forward does not depend
//    on the step), the step of each batch size — the full batches and the smaller last one — is
//    captured once as a CUDA graph after an eager step of that size has run without allocating,
//    and replayed from then on: one launch per step. Every kernel of the step takes its per-step
//    values from the state, so a replay computes exactly what an eager step computes. That claim
//    waits for a GPU: tests/models/test_step.cpp (StepRunnerCuda.GraphsReplayEagerBitForBit)
//    checks it, and the device check (tools/gpu_check) runs it.
// A step itself therefore makes no host synchronisation and no upload; an epoch makes one of each.
// The same code runs on the CPU backend, where the state lives in host memory.
#pragma once

#include <cstdint>
#include <string>

#include "engine/models/model.h"
#include "engine/optimizer.h"
#include "engine/tape.h"
#include "io/dataset.h"
#include "kernels/runtime.h"
#include "kernels/step.h"

namespace lethe {

struct StepOptions {
  int64_t batch_size = 2048;
  uint64_t seed = 2026;
  bool graphs = false;     // capture and replay CUDA graphs (where possible; see graphs_reason())
  bool fused_adam = true;  // FusedAdam where it applies
};

struct EpochLoss {
  double total = 0, rank = 0, reg = 0, aux = 0;  // means over the epoch's steps
  int64_t steps = 0;
  int64_t bad_step = -1;  // the first step (0-based) whose total loss was not finite; −1 if none
};

class StepRunner {
 public:
  // `rows` are the training rows (user, item); `data` must hold their graph. Adam's learning rate
  // is read at every begin_epoch.
  StepRunner(Ctx& ctx, Model& model, const ParamStore& ps, Adam& adam, ModelData& data, const io::Interactions& rows,
             const StepOptions& o);
  StepRunner(const StepRunner&) = delete;
  StepRunner& operator=(const StepRunner&) = delete;

  int64_t steps_per_epoch() const { return nb_; }
  int64_t rows() const { return n_; }
  // Shuffles the epoch's rows (engine/trainer.h: epoch_permutation) and uploads them with the state.
  void begin_epoch(uint32_t epoch);
  // The epoch's next step: its batch, negatives, forward, loss, backward, Adam, the loss sums.
  void step();
  // Waits for the epoch's steps and reads the state back: the mean loss terms.
  EpochLoss end_epoch();

  // Whether steps are captured as CUDA graphs, and if they were asked for but cannot be, why.
  bool graphs() const { return graphs_; }
  const std::string& graphs_reason() const { return graphs_reason_; }
  int64_t graph_replays() const { return replays_; }
  int64_t graph_captures() const { return captures_; }
  // Kernel nodes of the captured graph of full batches (last_batch false) or of the smaller last
  // batch; −1 when none has been captured.
  int64_t graph_kernel_nodes(bool last_batch) const;
  Tape& tape() { return tape_; }
  const GradSlab& grads() const { return grads_; }
  // Parameters the last eager step updated inside its backward (FusedAdam).
  int fused_updates() const { return fused_count_; }

 private:
  struct GraphSlot {
    cuda::Graph graph;
    int64_t count = -1;       // batch rows the graph was captured for
    int64_t generation = -1;  // arena generation the graph's addresses belong to
    int64_t warm_generation = -2;  // generation after an eager step of this size that allocated nothing
  };
  int64_t generation() const;  // changes whenever the tape's or the context's arena moves
  void record(int64_t count);  // one step's ops (run eagerly, or recorded into a graph)

  Ctx& ctx_;
  Model& model_;
  const ParamStore& ps_;
  Adam& adam_;
  ModelData& data_;
  const io::Interactions& rows_;
  StepOptions opt_;
  int64_t n_ = 0, nb_ = 0, batch_ = 0;
  Tape tape_;
  GradSlab grads_;
  FusedAdam fused_;
  // One upload per epoch: [StepState | users (n) | items (n)], host (page-locked) and device.
  size_t users_off_ = 0, items_off_ = 0, bytes_ = 0;
  HostBuffer host_;
  Buffer dev_;
  Buffer batch_buf_;  // the step's batch: users (batch_), items (batch_)
  StepState* state_ = nullptr;  // in dev_
  uint32_t epoch_ = 0;
  int64_t next_ = 0;
  bool in_epoch_ = false;
  bool graphs_ = false;
  std::string graphs_reason_;
  GraphSlot full_, last_;
  int64_t replays_ = 0, captures_ = 0;
  int fused_count_ = 0;
};

}  // namespace lethe
