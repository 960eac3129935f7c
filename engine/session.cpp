// engine/session.cpp — see session.h.
#include "engine/session.h"

namespace lethe {

ModelSession::ModelSession(Ctx& ctx, const io::Dataset& ds, const std::string& model, const Config& cfg,
                           const std::string& cache_dir, DType dtype, const io::Interactions* train)
    : cfg_(cfg), name_(canonical_model_name(model)) {
  data_ = std::make_unique<ModelData>(ctx, ds, dtype, knn_k_for(model, cfg), cache_dir);
  if (train) data_->set_train(*train);
  model_ = make_model(name_, *data_, cfg_);
  ps_ = std::make_unique<ParamStore>(ctx, dtype);
  model_->declare(*ps_);
  ps_->finalize();
}

}  // namespace lethe
