// engine/run_files.h — what a training run writes into its run folder, shared by `lethe train`
// (tools/cmd_train.cpp) and the experiment runner's θ₀ (engine/audit/experiment.cpp), so that
// both write the same folder (io/run_folder.h's discipline: lock, run.json, manifest) and either
// can continue or reuse the other's:
//   config.txt    every setting, with the protocol's "auto" values resolved to those used
//   log.jsonl     one JSON object per epoch
//   last.ckpt     the state at the end of an epoch (what --resume continues from): every
//                 `checkpoint_every` epochs, or with auto (the default) once at least
//                 kAutoCheckpointSeconds have passed since the last write, and at the last epoch
//   checkpoint    the parameters of the best-valid epoch
//   metrics.json  the result (written last, before the manifest)
#pragma once

#include <cstdint>
#include <string>

#include "engine/context.h"
#include "engine/evaluator.h"
#include "engine/result_meta.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "io/dataset.h"
#include "io/json.h"
#include "io/run_folder.h"

namespace lethe {

// checkpoint_every = auto: last.ckpt is written after the first epoch that ends this long after
// the previous write (and at the run's last epoch).
constexpr double kAutoCheckpointSeconds = 60.0;

// Metrics as a JSON object: every metric except the raw hits@K / pairs@K counts, plus "users".
io::Json metrics_json(const Metrics& m);

// Writes RUN/metrics.json (atomically) for a finished run: model, dataset, best epoch (1-based),
// epochs run, whether it stopped early, valid and test metrics at the best-valid epoch, training
// seconds, the device (Ctx::describe()) and the trainable parameter count; and `meta`, the
// comparability block (engine/result_meta.h), when given.
void write_train_metrics(const std::string& path, const std::string& model, const std::string& dataset,
                         const TrainResult& res, const std::string& device, int64_t parameters,
                         const RunMeta* meta = nullptr);

// The settings that decide what a training run produces — the backbone, the data's fingerprint
// and every training setting (engine/audit/experiment.h's is_training_key) with "auto" resolved —
// as run.json records them and --resume compares them (with a checkpoint's stored settings too).
// `cfg` need not be resolved.
io::RunSettings train_settings(const std::string& model, uint64_t data_fingerprint, const Config& cfg);

// legacy_config_values() as run settings ("config.<key>" → value): what RunFolderOptions::legacy
// and every first_difference over run settings take.
io::RunSettings legacy_run_settings();

struct TrainRunOptions {
  std::string resume_from;  // "" = a fresh start; else a checkpoint to continue (its state)
  bool progress = true, epoch_lines = true;
};

struct TrainRunResult {
  TrainResult res;
  int64_t parameters = 0;
  int64_t resumed_at = 0;  // first epoch trained by this call (0-based)
};

// Trains the model of `s` (built by the caller before the folder was opened, so that a model
// that cannot be built on this data fails before anything is written) into `rf` (opened and
// begun by the caller): config.txt (s's configuration, "auto" resolved), then every epoch
// log.jsonl, last.ckpt as checkpoint_every says (after the first, rf.keep()), checkpoint at
// every new best, and metrics.json at the end. The caller calls rf.finish(). Resuming keeps the log lines of the
// epochs before the resume point; `resume_from`'s model, data and training settings must equal
// the run's (checked by the caller through train_settings).
TrainRunResult train_into(Ctx& ctx, const io::Dataset& ds, ModelSession& s, io::RunFolder& rf,
                          const TrainRunOptions& o);

}  // namespace lethe
