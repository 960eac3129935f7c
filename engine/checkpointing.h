// engine/checkpointing.h — a model's state in the project's checkpoint container
// (io/checkpoint.h: atomic write, checksum-verified read): the parameter slab bit for bit, the
// Adam moments and step, the trainer's state (next epoch, best-so-far, patience counter), the
// full configuration, and the dataset fingerprint it was trained on. Loading rebuilds the model
// from (model name, configuration, dataset) and checks the layout matches before restoring.
#pragma once

#include <map>
#include <string>

#include "engine/config.h"
#include "engine/optimizer.h"
#include "engine/params.h"
#include "engine/trainer.h"
#include "io/checkpoint.h"
#include "io/dataset.h"

namespace lethe {

struct ModelCheckpointInfo {
  std::string model;
  Config config;
  uint64_t data_fingerprint = 0;
  std::string dtype;
  std::map<std::string, std::string> meta;  // everything, as stored
};

// Writes params (+ adam, + trainer state when given) to `path`. `extra` joins the metadata.
void save_model_checkpoint(const std::string& path, const std::string& model, const Config& cfg,
                           const io::Dataset& ds, const ParamStore& ps, const Adam* adam, const TrainState* state,
                           const std::map<std::string, std::string>& extra = {});

// The same checkpoint in memory (what save_model_checkpoint writes).
io::Checkpoint make_model_checkpoint(const std::string& model, const Config& cfg, const io::Dataset& ds,
                                     const ParamStore& ps, const Adam* adam, const TrainState* state,
                                     const std::map<std::string, std::string>& extra = {});

// Reads the header (model, config, fingerprint) of a checkpoint.
ModelCheckpointInfo read_model_checkpoint_info(const io::Checkpoint& c, const std::string& path);

// Restores the slab (its layout must equal ps's), and adam/state when non-null and stored.
void restore_model_checkpoint(const io::Checkpoint& c, const std::string& path, const ParamStore& ps, Adam* adam,
                              TrainState* state);
// Restores a backbone's checkpoint into a wrapped model's store ("<backbone>+offset": the backbone's
// parameters declared first, more after them): the checkpoint's layout must be the start of ps's;
// its slab and Adam moments (adam non-null and stored) fill that part, the parameters after it keep
// their current values and get zero moments. With equal layouts it is restore_model_checkpoint.
void restore_backbone_checkpoint(const io::Checkpoint& c, const std::string& path, const ParamStore& ps, Adam* adam);

// Metrics <-> checkpoint metadata ("valid.recall@20" = "0.0912", ...).
void put_metrics(std::map<std::string, std::string>& meta, const std::string& prefix, const Metrics& m);
Metrics get_metrics(const std::map<std::string, std::string>& meta, const std::string& prefix);

std::string hex64(uint64_t v);

}  // namespace lethe
