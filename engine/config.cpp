// engine/config.cpp — see config.h. The defaults below are SPEC.md's.
#include "engine/config.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "io/config.h"
#include "kernels/common.h"

namespace lethe {

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = {
      // ---- training protocol (SPEC §3.4) ----
      {"seed", "2026", "random seed (initialisation, shuffling, negatives, dropout)"},
      {"dim", "64", "embedding width d"},
      {"epochs", "1000", "maximum training epochs"},
      {"batch_size", "auto", "training rows per batch (auto: 2048; MIG-GT 8000)"},
      {"lr", "auto", "Adam learning rate (auto: 1e-3; MIG-GT 1e-2)"},
      {"lr_decay", "auto", "learning-rate factor per lr_decay_epochs (auto: 0.96 per 50 epochs; MIG-GT 0.99 per 1)"},
      {"lr_decay_epochs", "auto", "epochs over which lr_decay applies once (lr × decay^(epoch/this))"},
      {"patience", "20", "early stop after this many evaluations without a better valid Recall@20"},
      {"eval_every", "1", "evaluate the valid split every this many epochs"},
      {"min_epochs", "0", "never stop early before this epoch"},
      // ---- evaluation (SPEC §3.5) ----
      {"eval.ks", "10,20,50", "cut-offs K for Recall/NDCG/Precision"},
      {"eval.tile_users", "2048", "users scored per tile (U×I is never materialised)"},
      // ---- LightGCN (SPEC §3.1) ----
      {"lightgcn.layers", "3", "propagation layers L"},
      {"lightgcn.reg", "1e-4", "embedding regularisation weight λ"},
      // ---- MGCN (SPEC §3.2) ----
      {"mgcn.ui_layers", "2", "user-item view propagation layers"},
      {"mgcn.ii_layers", "1", "item-item view propagation layers"},
      {"mgcn.knn_k", "10", "neighbours per item in the modality kNN graphs (self included)"},
      {"mgcn.reg", "1e-4", "embedding regularisation weight λ_e"},
      {"mgcn.cl", "0.01", "InfoNCE weight λ_c (0.001, 0.01 or 0.1 in the paper)"},
      {"mgcn.tau", "0.2", "InfoNCE temperature"},
      {"mgcn.trainable_features", "true", "feature tables F_m are trainable (MMRec's MGCN: true)"},
      // ---- MIG-GT (SPEC §3.3) ----
      {"miggt.hidden", "512", "encoder hidden width H"},
      {"miggt.proj_dim", "384", "random projection width for modalities wider than it"},
      {"miggt.k_id", "4", "propagation hops of the ID branch"},
      {"miggt.k_modality", "auto", "hops per modality, name:K list (auto: text 2, visual/image 1, others 2)"},
      {"miggt.alpha", "0.1", "MGDCF α"},
      {"miggt.beta", "0.9", "MGDCF β"},
      {"miggt.edge_dropout", "0.3", "edge dropout on the propagation graph in training"},
      {"miggt.feat_dropout", "0.3", "dropout in the encoders and on z"},
      {"miggt.samples", "10", "sampled items per node in the global transformer"},
      {"miggt.attn_dim", "4", "query/key width of the global transformer"},
      {"miggt.l2", "1e-5", "l2 weight on the output embeddings"},
      {"miggt.tur", "1.0", "weight of the TUR loss"},
      // ---- unlearning (SPEC §4.1, §4.2) ----
      {"unlearn.epochs", "10", "epochs over the forget set"},
      {"unlearn.lr", "auto", "learning rate of approximate unlearning (auto: the training lr)"},
      {"unlearn.batch_size", "auto", "forget batch size (auto: the training batch size)"},
      {"unlearn.adam_state", "fresh", "Adam moments at the start: fresh (zero) or original (θ₀'s, from its checkpoint)"},
      {"unlearn.early_stop", "false", "stop when forget Recall@20 reaches the model's own valid Recall@20 (SPEC §4.3)"},
      {"finetune.epochs", "auto", "finetune epochs over D_r (auto: unlearn.epochs)"},
      {"neggrad.clip", "1.0", "gradient-norm clip for gradient ascent"},
      {"neggrad_plus.beta", "0.95", "NegGrad+ retain weight β"},
      {"mmrecun.alpha", "1.0", "weight α of the reverse loss on D_f"},
      {"mmrecun.beta", "1.0", "weight β of the BPR loss on D_r"},
      // ---- TRU (SPEC §4.3, the project's design) ----
      {"tru.gate", "true", "ranking fusion gate on"},
      {"tru.gate.k", "20", "top-K defining the threshold t_u"},
      {"tru.gate.temp", "0.1", "gate temperature as a fraction of the std of u's scores"},
      {"tru.gate.lambda", "0.5", "weight λ_g of the hinge term"},
      {"tru.gate.margin", "0", "margin of the hinge term"},
      {"tru.scaling", "true", "branch-wise modality scaling on"},
      {"tru.scaling.gamma", "1.0", "exponent γ of the branch scale"},
      {"tru.scaling.cmin", "0.25", "lower clip of a branch scale"},
      {"tru.scaling.cmax", "4.0", "upper clip of a branch scale"},
      {"tru.scaling.ema", "0.9", "EMA factor smoothing the scales"},
      {"tru.isolation", "true", "capacity-aware layer isolation on"},
      {"tru.isolation.kappa", "0.2", "element budget: fraction of trainable elements"},
      {"tru.isolation.kmax", "4", "at most this many layers selected"},
      {"tru.isolation.alpha", "0.5", "capacity exponent α in S_l = (F_f/(F_r+ε)) / n_l^α"},
      {"tru.isolation.batches", "4", "forget and retain batches for the Fisher estimate"},
      {"tru.isolation.retain", "false", "also restrict the retain gradient to the selected layers"},
      // ---- security audits (docs/AUDITS.md) ----
      {"audit.seed", "1", "seed of the audits' own draws: reserved user groups, shadow half, attack initialisation"},
      {"backdoor.attack_size", "0.01", "fake users as a fraction a of the genuine users (raised to 0.02, 0.05 when too weak)"},
      {"backdoor.variant", "multimodal", "target choice: multimodal (features nearest the triggers'; plain without features) or plain"},
  };
  return keys;
}

Config::Config() {
  for (const auto& k : config_keys()) {
    values_[k.key] = k.def;
    origin_[k.key] = "default";
  }
}

bool Config::known(const std::string& key) const { return values_.count(key) > 0; }

void Config::set(const std::string& key, const std::string& value, const std::string& origin) {
  if (!known(key)) {
    std::string hint;
    for (const auto& k : config_keys())
      if (std::string(k.key).find(key) != std::string::npos || key.find(k.key) != std::string::npos) hint = k.key;
    LETHE_FAIL((origin.empty() ? "" : origin + ": ") + "unknown setting '" + key + "'" +
               (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }
  values_[key] = value;
  origin_[key] = origin.empty() ? "set" : origin;
}

void Config::load_file(const std::string& path) {
  const io::Config file = io::Config::load(path);  // syntax errors name FILE:LINE
  for (const std::string& key : file.keys()) set(key, file.str(key), file.where(key));
}

std::string Config::str(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) LETHE_FAIL("internal: unknown setting '" + key + "' read");
  return it->second;
}

double Config::f64(const std::string& key) const {
  const std::string s = str(key);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end) LETHE_FAIL("setting " + key + " (from " + origin_.at(key) + ") expects a number, got '" + s + "'");
  return v;
}

int64_t Config::i64(const std::string& key) const {
  const std::string s = str(key);
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end) LETHE_FAIL("setting " + key + " (from " + origin_.at(key) + ") expects an integer, got '" + s + "'");
  return v;
}

bool Config::flag(const std::string& key) const {
  std::string s = str(key);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "0" || s == "no" || s == "off") return false;
  LETHE_FAIL("setting " + key + " (from " + origin_.at(key) + ") expects true or false, got '" + s + "'");
}

std::vector<int64_t> Config::i64_list(const std::string& key) const {
  std::vector<int64_t> out;
  std::stringstream ss(str(key));
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    const long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end) LETHE_FAIL("setting " + key + " expects a comma-separated list of integers, got '" + str(key) + "'");
    out.push_back(v);
  }
  return out;
}

double Config::f64_or(const std::string& key, double fallback) const { return is_auto(key) ? fallback : f64(key); }
int64_t Config::i64_or(const std::string& key, int64_t fallback) const { return is_auto(key) ? fallback : i64(key); }

std::string Config::dump() const {
  std::string out;
  for (const auto& [k, v] : values_) out += k + " = " + v + "\n";
  return out;
}

}  // namespace lethe
