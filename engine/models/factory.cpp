// engine/models/factory.cpp — the backbone registry.
#include "engine/models/model.h"

namespace lethe {

std::unique_ptr<Model> make_lightgcn(ModelData& data, const Config& cfg);
std::unique_ptr<Model> make_mgcn(ModelData& data, const Config& cfg);
std::unique_ptr<Model> make_miggt(ModelData& data, const Config& cfg);

std::unique_ptr<Model> make_model(const std::string& name, ModelData& data, const Config& cfg) {
  const std::string m = canonical_model_name(name);  // MGCN, LightGCN, MIG-GT: any case
  if (m == "lightgcn") return make_lightgcn(data, cfg);
  if (m == "mgcn") return make_mgcn(data, cfg);
  return make_miggt(data, cfg);
}

int knn_k_for(const std::string& name, const Config& cfg) {
  return canonical_model_name(name) == "mgcn" ? static_cast<int>(cfg.i64("mgcn.knn_k")) : 0;
}

}  // namespace lethe
