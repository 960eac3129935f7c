// engine/run_files.h — what a finished training run writes into its run folder, shared by
// `lethe train` (tools/cmd_train.cpp) and the experiment runner's original-model training
// (engine/audit/experiment.cpp), so that both produce the same metrics.json.
#pragma once

#include <cstdint>
#include <string>

#include "engine/evaluator.h"
#include "engine/result_meta.h"
#include "engine/trainer.h"
#include "io/json.h"

namespace lethe {

// Metrics as a JSON object: every metric except the raw hits@K / pairs@K counts, plus "users".
io::Json metrics_json(const Metrics& m);

// Writes RUN/metrics.json (atomically) for a finished run: model, dataset, best epoch (1-based),
// epochs run, whether it stopped early, valid and test metrics at the best-valid epoch, training
// seconds, the device (Ctx::describe()) and the trainable parameter count; and `meta`, the
// comparability block (engine/result_meta.h), when given.
void write_train_metrics(const std::string& path, const std::string& model, const std::string& dataset,
                         const TrainResult& res, const std::string& device, int64_t parameters,
                         const RunMeta* meta = nullptr);

}  // namespace lethe
