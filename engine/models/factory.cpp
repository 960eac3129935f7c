// engine/models/factory.cpp — the backbone registry.
#include "engine/models/model.h"

namespace lethe {

std::unique_ptr<Model> make_lightgcn(ModelData& data, const Config& cfg);
std::unique_ptr<Model> make_mgcn(ModelData& data, const Config& cfg);
std::unique_ptr<Model> make_miggt(ModelData& data, const Config& cfg);
std::unique_ptr<Model> make_pair_head(const std::string& backbone, ModelData& data, const Config& cfg);
std::unique_ptr<Model> make_user_offset(const std::string& backbone, ModelData& data, const Config& cfg);

std::unique_ptr<Model> make_backbone(const std::string& name, ModelData& data, const Config& cfg) {
  const std::string m = canonical_model_name(name);  // MGCN, LightGCN, MIG-GT: any case
  if (m == "lightgcn") return make_lightgcn(data, cfg);
  if (m == "mgcn") return make_mgcn(data, cfg);
  if (m == "miggt") return make_miggt(data, cfg);
  LETHE_FAIL("unknown model '" + name + "' (expected lightgcn, mgcn or miggt)");
}

std::unique_ptr<Model> make_model(const std::string& name, ModelData& data, const Config& cfg) {
  const std::string m = canonical_model_name(name);  // any case; "<backbone>+head" / "+offset" kept
  if (has_pair_head(m)) return make_pair_head(backbone_of(m), data, cfg);
  if (has_user_offset(m)) return make_user_offset(backbone_of(m), data, cfg);
  return make_backbone(m, data, cfg);
}

namespace {
bool ends_with(const std::string& name, const std::string& sfx) {
  return name.size() > sfx.size() && name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0;
}
}  // namespace

bool has_pair_head(const std::string& name) { return ends_with(name, kPairHeadSuffix); }
bool has_user_offset(const std::string& name) { return ends_with(name, kUserOffsetSuffix); }

std::string backbone_of(const std::string& name) {
  if (has_pair_head(name)) return name.substr(0, name.size() - std::string(kPairHeadSuffix).size());
  if (has_user_offset(name)) return name.substr(0, name.size() - std::string(kUserOffsetSuffix).size());
  return name;
}

ProtocolDefaults protocol_defaults(const std::string& model) {
  ProtocolDefaults d;
  const std::string name = backbone_of(canonical_model_name(model));  // a wrapped backbone trains like it
  if (name == "lightgcn" || name == "mgcn") return d;
  if (name == "miggt") {  // docs/MODELS.md, "The three backbones": MIG-GT's own schedule
    d.lr = 1e-2;
    d.batch_size = 8000;
    d.lr_decay = 0.99;
    d.lr_decay_epochs = 1;
    return d;
  }
  throw Error("unknown model '" + name + "' (expected lightgcn, mgcn or miggt)");
}

double Model::default_lr() const { return protocol_defaults(name()).lr; }
int64_t Model::default_batch_size() const { return protocol_defaults(name()).batch_size; }
double Model::default_lr_decay() const { return protocol_defaults(name()).lr_decay; }
double Model::default_lr_decay_epochs() const { return protocol_defaults(name()).lr_decay_epochs; }

int knn_k_for(const std::string& name, const Config& cfg) {
  return backbone_of(canonical_model_name(name)) == "mgcn" ? static_cast<int>(cfg.i64("mgcn.knn_k")) : 0;
}

}  // namespace lethe
