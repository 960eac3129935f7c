// engine/models/factory.cpp — the backbone registry.
#include "engine/models/model.h"

namespace lethe {

std::unique_ptr<Model> make_lightgcn(ModelData& data, const Config& cfg);
std::unique_ptr<Model> make_mgcn(ModelData& data, const Config& cfg);
std::unique_ptr<Model> make_miggt(ModelData& data, const Config& cfg);

std::unique_ptr<Model> make_model(const std::string& name, ModelData& data, const Config& cfg) {
  if (name == "lightgcn") return make_lightgcn(data, cfg);
  if (name == "mgcn") return make_mgcn(data, cfg);
  if (name == "miggt") return make_miggt(data, cfg);
  LETHE_FAIL("unknown model '" + name + "' (expected lightgcn, mgcn or miggt)");
}

int knn_k_for(const std::string& name, const Config& cfg) {
  return name == "mgcn" ? static_cast<int>(cfg.i64("mgcn.knn_k")) : 0;
}

}  // namespace lethe
