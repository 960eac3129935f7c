// engine/unlearn/common.h — what the approximate unlearning methods share (approx.cpp,
// multidelete.cpp, scalegun.cpp, scalegun_certified.cpp): Philox-keyed shuffles, the cycle of
// retain batches, the start from θ₀ (graph rebuilt from D_r, optional continuation of θ₀'s Adam
// moments), the batch size and learning rate they resolve, the early-stop rule, and the run's
// clock and memory meter.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/evaluator.h"
#include "engine/optimizer.h"
#include "engine/unlearn/unlearn.h"

namespace lethe::unlearn {

// Negative-sampling streams (the epoch field of the stream id, + epoch): the forget and the retain
// batch of one step draw from different streams.
constexpr uint32_t kForgetNeg = 0x800000u, kRetainNeg = 0x400000u, kFisherNeg = 0x200000u;

// A permutation of 0..n−1, Fisher–Yates on the unlearning Philox stream (a, b) of `seed`.
std::vector<int64_t> shuffled(int64_t n, uint64_t seed, uint32_t a, uint32_t b);

// Cycles through shuffled passes over the retain rows.
class RetainCycle {
 public:
  RetainCycle(const io::Interactions& r, uint64_t seed) : r_(r), seed_(seed) { next_pass(); }
  // b.users / b.pos := the next n rows (restarting a fresh shuffled pass when one runs out).
  void take(int64_t n, Batch& b);

 private:
  void next_pass();
  const io::Interactions& r_;
  uint64_t seed_;
  uint32_t pass_ = 0;
  std::vector<int64_t> perm_;
  int64_t pos_ = 0;
};

// θ₀'s session on the edited graph: the graph is rebuilt from D_r, parameters uninitialised.
// model: the model the method produces (empty: θ₀'s, in.model; "<in.model>+offset" for TRU's
// confined update with tru.offset on — unlearn_model in approx.h).
std::unique_ptr<ModelSession> session_on_retain(const UnlearnInput& in, const std::string& model = "");
// Restores θ₀ into s (a session of θ₀'s model, or of θ₀'s model wrapped: the wrapper's own
// parameters keep their initial values, restore_backbone_checkpoint). With unlearn.adam_state = original also θ₀'s Adam moments into `adam`
// (when given); then adam's lr is set to `lr`. Throws for a bad adam_state value, or when
// `original` is asked of a checkpoint without Adam state.
void restore_original(const UnlearnInput& in, ModelSession& s, Adam* adam, double lr);
double unlearn_lr(const UnlearnInput& in, const Model& m);     // unlearn.lr, auto = the training lr
int64_t unlearn_batch(const UnlearnInput& in, const Model& m);  // unlearn.batch_size, auto = training's

// One negative per entry of `users`, by the backbone's sampler rule (docs/MODELS.md, "Training": uniform over
// `pool` rejecting the user's row of `train`; MIG-GT: uniform over all n_items items), drawn on the
// host by the sampler's CPU path (the items the device would draw for the same key).
std::vector<int32_t> host_negatives(const Model& m, const graph::HostCsr& train, const std::vector<int32_t>& pool,
                                    int32_t n_items, const std::vector<int32_t>& users, uint64_t seed, uint64_t stream);

// unlearn.early_stop: after an epoch, stop when the forget set's Recall@20 (D_r masked) is at or
// below the model's own valid Recall@20 for the same users. Never consults Retrain.
class EarlyStop {
 public:
  EarlyStop(const UnlearnInput& in, const SplitPatterns& pats, ModelSession& s);
  bool enabled() const { return on_; }
  bool reached(Ctx& ctx, ModelSession& s) const;

 private:
  bool on_ = false;
  graph::HostCsr valid_forget_users_;
  EvalSpec fspec_, vspec_;
};

// Wall time and peak engine memory from construction to finish(), written into the result.
class RunMeter {
 public:
  RunMeter();
  void finish(Ctx& ctx, UnlearnResult& r) const;
  double seconds() const;
  // "elapsed 12s, ETA 30s" after `done` of `total` epochs (the per-epoch progress lines).
  std::string progress(int64_t done, int64_t total) const;

 private:
  std::chrono::steady_clock::time_point t0_;
  int64_t live0_;
};

}  // namespace lethe::unlearn
