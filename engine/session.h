// engine/session.h — one model on one dataset on one device: the data bundle, the backbone and
// its parameter store, assembled in the only valid order (data → model → declare → finalize →
// init/restore). The CLI subcommands, the unlearning methods and the experiment runner all start
// from one of these.
#pragma once

#include <memory>
#include <string>

#include "engine/config.h"
#include "engine/context.h"
#include "engine/models/model.h"
#include "engine/params.h"
#include "io/dataset.h"

namespace lethe {

class ModelSession {
 public:
  // Builds the graph from ds.train (or `train` when given: a retain set), the kNN graphs the
  // backbone needs (cached under cache_dir; "" = no cache), and an uninitialised parameter store.
  ModelSession(Ctx& ctx, const io::Dataset& ds, const std::string& model, const Config& cfg,
               const std::string& cache_dir, DType dtype = DType::F32, const io::Interactions* train = nullptr);
  ModelData& data() { return *data_; }
  Model& model() { return *model_; }
  ParamStore& params() { return *ps_; }
  const Config& config() const { return cfg_; }
  const std::string& model_name() const { return name_; }
  // Deterministic initialisation from `seed` (host-side Philox: identical on every device).
  void init(uint64_t seed) { model_->init(*ps_, seed); }

 private:
  Config cfg_;
  std::string name_;
  std::unique_ptr<ModelData> data_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<ParamStore> ps_;
};

}  // namespace lethe
