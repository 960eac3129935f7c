// engine/trainer.h — the MMRec training protocol (docs/MODELS.md, "Training") for any backbone:
// Adam; each epoch the train rows are shuffled (Philox, keyed by (seed, epoch)) and cut into
// batches; each row gets one negative from the counter-based sampler keyed by
// (seed, epoch, step, row); the whole graph is propagated every batch; lr × decay^(epoch/E);
// valid (and test) full-ranking evaluation every eval_every epochs; early stop after `patience`
// evaluations without a better valid Recall@20; the result is test at the best-valid epoch.
// Everything a step draws is a function of (seed, epoch, step), so a run resumed from the state
// saved at the end of an epoch continues bit for bit. The steps run through engine/step.h: the
// host uploads an epoch's batches once and reads the epoch's losses once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/evaluator.h"
#include "engine/models/model.h"
#include "engine/optimizer.h"

namespace lethe {

struct TrainOptions {
  int64_t epochs = 1000, batch_size = 2048, patience = 20, eval_every = 1, min_epochs = 0;
  double lr = 1e-3, lr_decay = 0.96, lr_decay_epochs = 50;
  uint64_t seed = 2026;
  std::vector<int64_t> ks = {10, 20, 50};
  int64_t tile_users = 2048;
  bool filter_cold_users = true;  // users without train rows are not evaluated (MMRec's rule)
  bool progress = true;   // a progress bar on a terminal (when stderr is one)
  bool epoch_lines = true;  // one summary line per epoch on stderr
  bool eval_test = true;  // also evaluate test at every evaluation (for the log)
  bool cuda_graphs = false;  // capture each step as a CUDA graph and replay it (cuda.graphs)
  bool cuda_tf32 = false;    // FP32 GEMMs on TF32 tensor cores (cuda.tf32)
  // The config's values, with "auto" resolved by the backbone's defaults (protocol_defaults).
  // Throws, in the user's words, for a value out of range (validate_config) — before any work
  // when called with the backbone's name.
  static TrainOptions from(const Config& cfg, const std::string& model);
  static TrainOptions from(const Config& cfg, const Model& m) { return from(cfg, m.name()); }
};

// `cfg` with the training protocol's "auto" settings (batch_size, lr, lr_decay,
// lr_decay_epochs) replaced by the values `model` uses: what config.txt, run.json and checkpoints
// record, so that two runs compare by what they did, not by how it was written.
Config resolve_training_settings(const Config& cfg, const std::string& model);

struct EpochRecord {
  int64_t epoch = 0;  // 0-based
  double loss = 0, rank = 0, reg = 0, aux = 0;  // means over the epoch's batches
  double lr = 0;
  bool evaluated = false, best = false;
  bool last = false;  // the run's last epoch (the epoch limit, or the evaluation that stopped it)
  Metrics valid, test;
  double seconds = 0;  // wall time of the epoch (training + evaluation)
};

// Everything needed to continue a run exactly: saved at the end of every epoch.
struct TrainState {
  int64_t next_epoch = 0;
  int64_t best_epoch = -1;
  double best_valid = -1.0;
  int64_t bad_evals = 0;
  double seconds = 0;  // training wall time so far
  Metrics best_valid_metrics, best_test_metrics;
};

struct TrainResult {
  int64_t best_epoch = -1, epochs_run = 0;
  bool early_stopped = false;
  Metrics valid, test;   // at the best-valid epoch
  double train_seconds = 0;
  std::vector<EpochRecord> log;
};

struct TrainHooks {
  std::function<void(const EpochRecord&, const TrainState&)> on_epoch;  // after every epoch
  std::function<void(const TrainState&)> on_best;                        // parameters are the new best
};

// Trains `model` (parameters in ps, already initialised or restored) on `train_rows` with the
// graph in `data` (which must have been built from the same rows). `state` is where a resumed
// run continues from (default: the start). valid/test are the evaluation ground truths.
TrainResult train(Ctx& ctx, Model& model, ParamStore& ps, Adam& adam, ModelData& data,
                  const io::Interactions& train_rows, const graph::HostCsr& valid, const graph::HostCsr& test,
                  const TrainOptions& opt, TrainState state = {}, const TrainHooks& hooks = {});

// The final embeddings of a forward in evaluation mode, copied out of the tape (U×d, I×d).
struct Embeddings {
  OwnedTensor users, items;
};
Embeddings embed(Ctx& ctx, Model& model, const ParamStore& ps);

// The epoch's training rows in shuffled order (Philox-keyed; identical on every device).
std::vector<int64_t> epoch_permutation(int64_t n, uint64_t seed, uint32_t epoch);

// One optimisation step on a batch of (user, positive) rows given on the host: upload, negatives,
// forward, loss, backward, Adam, and the four loss terms read back — a synchronisation and two
// uploads per step, the way the trainer stepped before engine/step.h (which the trainer uses).
// Kept for tests, benchmarks and the step profile's comparison.
struct StepLoss {
  double total = 0, rank = 0, reg = 0, aux = 0;
};
StepLoss train_step(Tape& tape, Model& model, const ParamStore& ps, Adam& adam, const GradSlab& grads,
                    ModelData& data, Batch& batch, uint64_t seed, uint32_t epoch, uint32_t step);

// Draws the batch's negatives on the tape's device (the sampler of docs/MODELS.md, "Training"; uniform over all items
// when the model does not reject positives).
void sample_batch_negatives(Tape& tape, const Model& model, ModelData& data, Batch& batch, uint64_t seed,
                            uint32_t epoch, uint32_t step);

}  // namespace lethe
