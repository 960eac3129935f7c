// engine/models/factory.cpp — the backbone registry.
#include "engine/models/model.h"

namespace lethe {

std::unique_ptr<Model> make_lightgcn(ModelData& data, const Config& cfg);
std::unique_ptr<Model> make_mgcn(ModelData& data, const Config& cfg);
std::unique_ptr<Model> make_miggt(ModelData& data, const Config& cfg);
std::unique_ptr<Model> make_pair_head(const std::string& backbone, ModelData& data, const Config& cfg);

std::unique_ptr<Model> make_backbone(const std::string& name, ModelData& data, const Config& cfg) {
  if (name == "lightgcn") return make_lightgcn(data, cfg);
  if (name == "mgcn") return make_mgcn(data, cfg);
  if (name == "miggt") return make_miggt(data, cfg);
  LETHE_FAIL("unknown model '" + name + "' (expected lightgcn, mgcn or miggt)");
}

std::unique_ptr<Model> make_model(const std::string& name, ModelData& data, const Config& cfg) {
  if (has_pair_head(name)) return make_pair_head(backbone_of(name), data, cfg);
  return make_backbone(name, data, cfg);
}

bool has_pair_head(const std::string& name) {
  const std::string sfx = kPairHeadSuffix;
  return name.size() > sfx.size() && name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0;
}

std::string backbone_of(const std::string& name) {
  return has_pair_head(name) ? name.substr(0, name.size() - std::string(kPairHeadSuffix).size()) : name;
}

int knn_k_for(const std::string& name, const Config& cfg) {
  return backbone_of(name) == "mgcn" ? static_cast<int>(cfg.i64("mgcn.knn_k")) : 0;
}

}  // namespace lethe
