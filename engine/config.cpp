// engine/config.cpp — see config.h. The defaults below are the published settings of each
// backbone and method (docs/MODELS.md); MMRec's names are mapped at the end of the file.
#include "engine/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>

#include "engine/models/model.h"
#include "io/config.h"
#include "io/fs.h"
#include "io/hash.h"
#include "io/yaml.h"
#include "kernels/common.h"

namespace lethe {

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = {
      // ---- training protocol (docs/MODELS.md, "Training") ----
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
      {"checkpoint_every", "auto",
       "write last.ckpt (what --resume continues from) every this many epochs (auto: after the first epoch ending "
       "60 s or more after the last write, and at the run's end)"},
      {"cuda.graphs", "false",
       "CUDA: capture each training step once as a CUDA graph and replay it (LightGCN, MGCN; same results)"},
      {"cuda.tf32", "false", "CUDA: run FP32 matrix products on TF32 tensor cores (faster; ~1e-3 relative error)"},
      // ---- evaluation (docs/MODELS.md, "Evaluation") ----
      {"eval.ks", "10,20,50", "cut-offs K for Recall/NDCG/Precision/MAP/Hit/MRR (20 is needed: early stopping watches it)"},
      {"eval.tile_users", "2048", "users scored per tile (U×I is never materialised)"},
      {"eval.filter_cold_users", "true", "leave users without train rows out of evaluation (MMRec's rule)"},
      // ---- LightGCN ----
      {"lightgcn.layers", "3", "propagation layers L"},
      {"lightgcn.reg", "1e-4", "embedding regularisation weight λ"},
      // ---- MGCN ----
      {"mgcn.ui_layers", "2", "user-item view propagation layers"},
      {"mgcn.ii_layers", "1", "item-item view propagation layers"},
      {"mgcn.knn_k", "10", "neighbours per item in the modality kNN graphs (self included)"},
      {"mgcn.reg", "1e-4", "embedding regularisation weight λ_e"},
      {"mgcn.cl", "0.01", "InfoNCE weight λ_c (0.001, 0.01 or 0.1 in the paper)"},
      {"mgcn.tau", "0.2", "InfoNCE temperature"},
      {"mgcn.trainable_features", "true", "feature tables F_m are trainable (MMRec's MGCN: true)"},
      // ---- MIG-GT ----
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
      // ---- unlearning (docs/MODELS.md, "Unlearning") ----
      {"unlearn.epochs", "10", "epochs over the forget set"},
      {"unlearn.lr", "auto", "learning rate of approximate unlearning (auto: the training lr)"},
      {"unlearn.batch_size", "auto", "forget batch size (auto: the training batch size)"},
      {"unlearn.adam_state", "fresh", "Adam moments at the start: fresh (zero) or original (θ₀'s, from its checkpoint)"},
      {"unlearn.early_stop", "false", "stop when forget Recall@20 reaches the model's own valid Recall@20 (docs/MODELS.md)"},
      // ---- tru-auto / mmrecun-auto: the search without Retrain (docs/TRU.md) ----
      {"unlearn.auto.candidates", "4", "candidate settings the search starts with"},
      {"unlearn.auto.adam_state", "original", "Adam moments every candidate starts with (replaces unlearn.adam_state)"},
      {"unlearn.auto.eta", "2", "successive halving: keep 1/eta of the candidates per rung, eta times the epochs"},
      {"unlearn.auto.rung_epochs", "1", "epochs every candidate runs in the first rung"},
      {"unlearn.auto.max_epochs", "20", "epochs one candidate may run at most"},
      {"unlearn.auto.max_total_epochs", "0", "epochs the whole search may run, all candidates together (0: no cap)"},
      {"unlearn.auto.refine", "3", "bisection steps between the chosen epoch and a neighbour on the other side of parity (0: off)"},
      {"unlearn.auto.patience", "1", "a candidate stops after this many epochs in a row below the utility floor or past parity"},
      {"unlearn.auto.gate_switch", "true", "tru-auto: the search also tries candidates with the ranking fusion gate off"},
      {"unlearn.auto.isolation_switch", "true", "tru-auto: the search also tries candidates with layer isolation off"},
      {"unlearn.auto.lr_low", "2", "smallest learning rate searched, × unlearn.lr (auto: the training lr)"},
      {"unlearn.auto.lr_high", "8", "largest learning rate searched, × unlearn.lr"},
      {"unlearn.auto.utility", "0.98", "utility floor: valid Recall@20 of the floor's users (unlearn.auto.floor_users) ≥ this × θ₀'s"},
      {"unlearn.auto.floor_users", "untouched",
       "users the utility floor is measured on: untouched (those who lose no row) or retained (every retained user)"},
      {"unlearn.auto.parity_tol", "0.1", "forget parity holds when |F − V| ≤ max(this × V, z SE, parity_abs)"},
      {"unlearn.auto.parity_abs", "0.01", "absolute half-width of the forget-parity band"},
      {"unlearn.auto.z", "2", "standard errors of the parity and membership bands"},
      {"unlearn.auto.strata", "5", "item-popularity strata the forget-parity reference is matched over"},
      {"unlearn.auto.pair_population", "forget",
       "pair requests: V over the valid rows of the users who lose pairs (forget) or of those who lose none (untouched)"},
      {"unlearn.auto.pair_ratio", "1", "pair requests: forget parity's target is F = this × V"},
      {"finetune.epochs", "auto", "finetune epochs over D_r (auto: unlearn.epochs)"},
      {"neggrad.clip", "1.0", "gradient-norm clip for gradient ascent"},
      {"neggrad_plus.beta", "0.95", "NegGrad+ retain weight β"},
      {"mmrecun.alpha", "1.0", "weight α of the reverse loss on D_f"},
      {"mmrecun.beta", "1.0", "weight β of the BPR loss on D_r"},
      // ---- TRU (the project's design: docs/TRU.md) ----
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
      {"tru.rows", "true", "row-granular isolation: weight each user/item row's forget gradient by its deleted share"},
      {"tru.rows.power", "1", "exponent p of the row weight (|D_f(r)|/|D(r)|)^p (0: every row D_f touches, weight 1)"},
      {"tru.rows.id_tables", "true",
       "with layer isolation, row-granular isolation's tables are always updated (their row weights confine the update), "
       "outside kappa and kmax"},
      {"tru.confine", "true",
       "requests that delete pairs only: the update moves only the user rows of the users who lose pairs, "
       "with no retain term (needs tru.rows)"},
      {"tru.offset", "true",
       "with tru.confine: those users move through an offset on their final embeddings (model <backbone>+offset), "
       "so no other user's score changes"},
      {"tru.match", "false",
       "rank matching: the forget loss pulls each D_f pair to the rank an unseen positive of its popularity has "
       "(replaces the reverse loss and the gate)"},
      {"tru.match.temp", "0.1", "rank matching's scale T as a fraction of the std of u's scores"},
      {"tru.match.strata", "5", "rank matching's item-popularity strata"},
      {"tru.rows.reset", "true", "rows whose whole support is deleted restart from a fresh initialisation (as in Retrain)"},
      // ---- MultiDelete, adapted to recommenders (docs/BASELINES.md) ----
      {"multidelete.md", "true", "modality-decoupling loss L_MD on the forget batch (method multidelete-no-md: off)"},
      {"multidelete.mkr", "true", "multimodal knowledge retention L_MKR on the retain batch (multidelete-no-mkr: off)"},
      {"multidelete.ukr", "true", "unimodal knowledge retention L_UKR on the forget batch's items (multidelete-no-ukr: off)"},
      {"multidelete.retain_reference", "edited",
       "θ₀'s forward the retention losses compare with: edited (on the D_r graph, zero at step 0) or original (on D's)"},
      // ---- ScaleGUN, adapted to recommenders (docs/BASELINES.md) ----
      {"scalegun.r_max", "1e-7", "push threshold of the lazy propagation, × the mean column L1 norm of H⁰"},
      {"scalegun.damping", "1e-4", "damping added to the Hessian in the Newton step (H + damping·I)"},
      {"scalegun.cg_iters", "100", "conjugate-gradient iterations at most (one Hessian-vector product each)"},
      {"scalegun.cg_tol", "1e-6", "CG stops when the residual norm falls below this fraction of the right-hand side's"},
      {"scalegun.cert.epsilon", "1", "certified head: privacy parameter ε"},
      {"scalegun.cert.delta", "1e-4", "certified head: privacy parameter δ"},
      {"scalegun.cert.sigma", "0.1", "certified head: standard deviation σ of the objective-perturbation noise"},
      {"scalegun.cert.lambda", "1e-2", "certified head: L2 weight λ of the logistic head"},
      {"scalegun.cert.lbfgs_iters", "100", "certified head: L-BFGS iterations at most when (re)training the head"},
      {"scalegun.cert.batch_size", "auto", "certified head: forget rows removed per Newton step (auto: unlearn.batch_size)"},
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
    throw Error((origin.empty() ? "" : origin + ": ") + "unknown setting '" + key + "'" +
                (hint.empty() ? " (neither a Lethe setting nor an MMRec one Lethe knows; docs/CONFIG.md lists both)"
                              : " (did you mean '" + hint + "'?)"));
  }
  // Booleans are stored in one spelling (MMRec writes True/False), so that the settings hash of
  // two runs with the same meaning is the same.
  std::string v = value;
  for (const auto& k : config_keys())
    if (key == k.key && (std::string(k.def) == "true" || std::string(k.def) == "false")) {
      std::string l = v;
      std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (l == "true" || l == "yes" || l == "on" || l == "1") v = "true";
      else if (l == "false" || l == "no" || l == "off" || l == "0") v = "false";
    }
  values_[key] = v;
  origin_[key] = origin.empty() ? "set" : origin;
}


std::string Config::str(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) LETHE_FAIL("internal: unknown setting '" + key + "' read");
  return it->second;
}

std::string Config::origin(const std::string& key) const {
  auto it = origin_.find(key);
  return it == origin_.end() ? std::string("?") : it->second;
}

double Config::f64(const std::string& key) const {
  const std::string s = str(key);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end || !std::isfinite(v) || (errno == ERANGE && v != 0))
    throw Error("setting " + key + " (from " + origin_.at(key) + ") expects a finite number, got '" + s + "'");
  return v;
}

int64_t Config::i64(const std::string& key) const {
  const std::string s = str(key);
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end)
    throw Error("setting " + key + " (from " + origin_.at(key) + ") expects an integer, got '" + s + "'");
  if (errno == ERANGE)
    throw Error("setting " + key + " (from " + origin_.at(key) + ") is out of range: '" + s +
                "' does not fit a 64-bit integer");
  return v;
}

bool Config::flag(const std::string& key) const {
  std::string s = str(key);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "0" || s == "no" || s == "off") return false;
  throw Error("setting " + key + " (from " + origin_.at(key) + ") expects true or false, got '" + s + "'");
}

std::vector<int64_t> Config::i64_list(const std::string& key) const {
  std::vector<int64_t> out;
  std::stringstream ss(str(key));
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end || errno == ERANGE)
      throw Error("setting " + key + " (from " + origin_.at(key) +
                  ") expects a comma-separated list of integers, got '" + str(key) + "'");
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

std::string Config::hash() const {
  const std::string d = dump();
  return io::hex64(io::hash64(d.data(), d.size()));
}

// ---- settings files and MMRec's names ----------------------------------------------------

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string join(const std::vector<std::string>& v, const std::string& sep = ",") {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : sep) + x;
  return out;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto b = item.find_first_not_of(" \t[]\"'"), e = item.find_last_not_of(" \t[]\"'");
    out.push_back(b == std::string::npos ? "" : item.substr(b, e - b + 1));
  }
  return out;
}

// Lethe settings that hold a list (comma-separated in `key = value` files).
bool is_list_key(const std::string& key) { return key == "eval.ks" || key == "miggt.k_modality"; }

// MMRec names that mean one Lethe setting whatever the model.
const std::map<std::string, std::string>& mmrec_aliases() {
  static const std::map<std::string, std::string> m = {
      {"embedding_size", "dim"},
      {"learning_rate", "lr"},
      {"train_batch_size", "batch_size"},
      {"stopping_step", "patience"},
      {"eval_step", "eval_every"},
      {"eval_batch_size", "eval.tile_users"},
      {"topk", "eval.ks"},
      {"filter_out_cod_start_users", "eval.filter_cold_users"},
      {"knn_k", "mgcn.knn_k"},
      {"n_ui_layers", "mgcn.ui_layers"},
      {"cl_loss", "mgcn.cl"},
  };
  return m;
}

// MMRec names that are lists even in a `key = value` file.
bool is_mmrec_list(const std::string& name) {
  return name == "topk" || name == "learning_rate_scheduler" || name == "metrics" || name == "hyper_parameters";
}

// MMRec names without a Lethe meaning: ignored, with a note saying so.
bool mmrec_ignored(const std::string& name) {
  static const char* const names[] = {
      "gpu_id", "use_gpu", "data_path", "checkpoint_dir", "save_recommended_topk", "recommend_topk",
      "is_multimodal_model", "req_training", "use_full_sampling", "NEG_PREFIX", "USER_ID_FIELD", "ITEM_ID_FIELD",
      "TIME_FIELD", "RATING_FIELD", "field_separator", "inter_file_name", "vision_feature_file", "text_feature_file",
      "user_graph_dict_file", "use_raw_features", "max_txt_len", "max_img_size", "vocab_size", "type_vocab_size",
      "hidden_size", "pad_token_id", "max_position_embeddings", "layer_norm_eps", "hidden_dropout_prob", "end2end",
      "lambda_coeff", "metrics", "dataset", "model"};
  for (const char* n : names)
    if (name == n) return true;
  return false;
}

// MMRec names Config::apply maps or checks itself (beside the aliases and the ignored ones).
bool mmrec_special(const std::string& name) {
  for (const char* n : {"hyper_parameters", "learning_rate_scheduler", "reg_weight", "n_layers", "learner",
                        "valid_metric", "training_neg_sample_num", "use_neg_sampling", "weight_decay",
                        "inter_splitting_label"})
    if (name == n) return true;
  return false;
}

}  // namespace

bool is_mmrec_name(const std::string& name) {
  return mmrec_aliases().count(name) > 0 || mmrec_special(name) || mmrec_ignored(name);
}

bool is_mmrec_ignored(const std::string& name) { return mmrec_ignored(name); }

const std::map<std::string, std::string>& legacy_config_values() {
  static const std::map<std::string, std::string> values = [] {
    std::map<std::string, std::string> v = {
        {"checkpoint_every", "*"},            // when last.ckpt is written, not what is trained
        {"cuda.graphs", "false"},             // every step launched kernel by kernel
        {"cuda.tf32", "false"},               // FP32 products
        {"eval.filter_cold_users", "false"},  // every user with valid/test rows was evaluated
        {"tru.rows", "false"},                // TRU without row-granular isolation
        {"tru.rows.power", "*"},              // read only with tru.rows on
        {"tru.rows.reset", "*"},
        {"tru.rows.id_tables", "false"},      // layer isolation chose the tables by score like any layer
        {"tru.match", "false"},               // the reverse loss (and the gate) on D_f
        {"tru.match.temp", "*"},              // read only with tru.match on
        {"tru.match.strata", "*"},
        {"tru.confine", "false"},             // the update reached every table the other interventions let it
        {"tru.offset", "false"},              // confinement moved the user table's rows
    };
    for (const auto& k : config_keys())  // read by tru-auto / mmrecun-auto only
      if (std::string(k.key).rfind("unlearn.auto.", 0) == 0) v[k.key] = "*";
    v["unlearn.auto.floor_users"] = "retained";  // the floor was measured on every retained user
    return v;
  }();
  return values;
}

std::string config_group(const std::string& key) {
  static const std::pair<const char*, const char*> prefixes[] = {
      {"eval.", "evaluation"},      {"lightgcn.", "LightGCN"},       {"mgcn.", "MGCN"},
      {"miggt.", "MIG-GT"},         {"unlearn.", "unlearning"},      {"finetune.", "unlearning"},
      {"neggrad.", "unlearning"},   {"neggrad_plus.", "unlearning"}, {"mmrecun.", "unlearning"},
      {"tru.", "TRU"},              {"multidelete.", "MultiDelete"}, {"scalegun.", "ScaleGUN"},
      {"audit.", "audits"},         {"backdoor.", "audits"}};
  for (const auto& [p, g] : prefixes)
    if (key.rfind(p, 0) == 0) return g;
  return "training";
}

const std::vector<std::string>& config_groups() {
  static const std::vector<std::string> g = {"training", "evaluation", "LightGCN", "MGCN",     "MIG-GT",
                                             "unlearning", "TRU",      "MultiDelete", "ScaleGUN", "audits"};
  return g;
}

namespace {

// The ranges a value must lie in, and which keys are integers. Other numeric keys (their default
// is a number) must be finite numbers. These are the limits the engine needs, said up front in the
// user's words instead of failing half way.
struct Range {
  const char* key;
  bool integer;
  double lo, hi;
  bool lo_open, hi_open;  // exclusive bounds
};
constexpr double kInf = HUGE_VAL;
const Range kRanges[] = {
    {"seed", true, 0, kInf, false, false},  // and fits 64 bits (Config::i64)
    {"dim", true, 1, kInf, false, false},
    {"epochs", true, 1, kInf, false, false},
    {"batch_size", true, 1, kInf, false, false},
    {"lr", false, 0, kInf, true, false},
    {"lr_decay", false, 0, kInf, true, false},
    {"lr_decay_epochs", false, 0, kInf, true, false},
    {"patience", true, 1, kInf, false, false},
    {"eval_every", true, 1, kInf, false, false},
    {"min_epochs", true, 0, kInf, false, false},
    {"checkpoint_every", true, 1, kInf, false, false},
    {"eval.tile_users", true, 1, kInf, false, false},
    {"lightgcn.layers", true, 0, 7, false, false},
    {"lightgcn.reg", false, 0, kInf, false, false},
    {"mgcn.ui_layers", true, 0, 7, false, false},
    {"mgcn.ii_layers", true, 0, 7, false, false},
    {"mgcn.knn_k", true, 1, 1024, false, false},
    {"mgcn.reg", false, 0, kInf, false, false},
    {"mgcn.cl", false, 0, kInf, false, false},
    {"mgcn.tau", false, 0, kInf, true, false},
    {"miggt.hidden", true, 1, kInf, false, false},
    {"miggt.proj_dim", true, 1, kInf, false, false},
    {"miggt.k_id", true, 0, kInf, false, false},
    {"miggt.edge_dropout", false, 0, 1, false, true},
    {"miggt.feat_dropout", false, 0, 1, false, true},
    {"miggt.samples", true, 0, kInf, false, false},
    {"miggt.attn_dim", true, 1, kInf, false, false},
    {"miggt.l2", false, 0, kInf, false, false},
    {"miggt.tur", false, 0, kInf, false, false},
    {"unlearn.epochs", true, 1, kInf, false, false},
    {"unlearn.lr", false, 0, kInf, true, false},
    {"unlearn.batch_size", true, 1, kInf, false, false},
    {"finetune.epochs", true, 1, kInf, false, false},
    {"unlearn.auto.candidates", true, 1, 64, false, false},
    {"unlearn.auto.eta", true, 2, kInf, false, false},
    {"unlearn.auto.rung_epochs", true, 1, kInf, false, false},
    {"unlearn.auto.max_epochs", true, 1, kInf, false, false},
    {"unlearn.auto.patience", true, 1, kInf, false, false},
    {"unlearn.auto.refine", true, 0, 20, false, false},
    {"unlearn.auto.max_total_epochs", true, 0, kInf, false, false},
    {"unlearn.auto.lr_low", false, 0, kInf, true, false},
    {"unlearn.auto.lr_high", false, 0, kInf, true, false},
    {"unlearn.auto.utility", false, 0, 1, true, false},
    {"unlearn.auto.parity_tol", false, 0, kInf, false, false},
    {"unlearn.auto.parity_abs", false, 0, kInf, false, false},
    {"unlearn.auto.z", false, 0, kInf, true, false},
    {"unlearn.auto.strata", true, 1, 100, false, false},
    {"unlearn.auto.pair_ratio", false, 0, kInf, true, false},
    {"neggrad_plus.beta", false, 0, 1, false, false},
    {"tru.gate.k", true, 1, kInf, false, false},
    {"tru.gate.temp", false, 0, kInf, true, false},
    {"tru.scaling.cmin", false, 0, kInf, true, false},
    {"tru.scaling.cmax", false, 0, kInf, true, false},
    {"tru.scaling.ema", false, 0, 1, false, true},
    {"tru.isolation.kappa", false, 0, 1, true, false},
    {"tru.isolation.kmax", true, 1, kInf, false, false},
    {"tru.isolation.batches", true, 1, kInf, false, false},
    {"tru.rows.power", false, 0, kInf, false, false},
    {"tru.match.temp", false, 0, kInf, true, false},
    {"tru.match.strata", true, 1, kInf, false, false},
    {"scalegun.r_max", false, 0, kInf, true, false},
    {"scalegun.damping", false, 0, kInf, false, false},
    {"scalegun.cg_iters", true, 1, kInf, false, false},
    {"scalegun.cg_tol", false, 0, kInf, true, false},
    {"scalegun.cert.epsilon", false, 0, kInf, true, false},
    {"scalegun.cert.delta", false, 0, 1.5, true, true},
    {"scalegun.cert.sigma", false, 0, kInf, true, false},
    {"scalegun.cert.lambda", false, 0, kInf, true, false},
    {"scalegun.cert.lbfgs_iters", true, 1, kInf, false, false},
    {"scalegun.cert.batch_size", true, 1, kInf, false, false},
    {"audit.seed", true, 0, kInf, false, false},
    {"backdoor.attack_size", false, 0, 0.5, true, false},
};

std::string bound_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  std::ostringstream os;
  os << v;
  return os.str();
}

std::string range_text(const Range& r) {
  const std::string s = r.integer ? "an integer" : "a number";
  if (r.hi == kInf) return s + (r.lo_open ? " > " : " >= ") + bound_text(r.lo);
  return s + " in " + (r.lo_open ? "(" : "[") + bound_text(r.lo) + ", " + bound_text(r.hi) + (r.hi_open ? ")" : "]");
}

bool is_number(const std::string& s) {
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return !s.empty() && *end == '\0';
}

}  // namespace

void Config::apply(const std::string& name, const std::vector<std::string>& given, bool is_list,
                   const std::string& origin) {
  const std::string at = origin.empty() ? "" : origin + ": ";
  LETHE_CHECK(!given.empty(), at + "setting '" + name + "' has no value");
  std::vector<std::string> values = given;
  if (!is_list && values.size() == 1 && is_mmrec_list(name)) {
    values = split_commas(values[0]);
    is_list = true;
  }
  // A single value of a list (MMRec writes `seed: [999]`); a longer list is a grid when
  // hyper_parameters names it (MMRec runs every value; Lethe runs the first and says so).
  auto one = [&](const std::string& key) -> std::string {
    if (values.size() == 1) return values[0];
    if (std::find(grid_.begin(), grid_.end(), name) != grid_.end()) {
      notes_.push_back(at + name + " is an MMRec grid [" + join(values, ", ") + "]: Lethe trains one configuration, " +
                       key + " = " + values[0] + " (the first value; set " + key + " to run another)");
      return values[0];
    }
    throw Error(at + "setting '" + name + "' takes one value, got a list of " + std::to_string(values.size()));
  };
  auto must_be = [&](bool ok, const std::string& what) {
    if (!ok) throw Error(at + "MMRec setting " + name + " = " + join(values, ", ") + ": " + what);
  };

  if (known(name)) {
    set(name, is_list && is_list_key(name) ? join(values) : one(name), origin);
    return;
  }
  if (auto it = mmrec_aliases().find(name); it != mmrec_aliases().end()) {
    set(it->second, is_list_key(it->second) ? join(values) : one(it->second), origin);
    return;
  }
  if (name == "hyper_parameters") {  // MMRec's grid: the settings whose lists are searched
    grid_ = values;
    return;
  }
  if (name == "learning_rate_scheduler") {  // [decay factor, epochs]: lr × factor^(epoch/epochs)
    must_be(values.size() == 2, "expected [factor, epochs]");
    set("lr_decay", values[0], origin);
    set("lr_decay_epochs", values[1], origin);
    return;
  }
  if (name == "reg_weight" || name == "n_layers") {  // what these mean depends on the backbone
    const std::string m = model_;
    if (m.empty())
      throw Error(at + "MMRec setting " + name + " means different things for different models; give the model "
                 "(--model) or use Lethe's own name (lightgcn.reg/mgcn.reg, lightgcn.layers/mgcn.ii_layers)");
    if (m != "lightgcn" && m != "mgcn")
      throw Error(at + "MMRec setting " + name + " has no meaning for " + m + " (MMRec has no such model; see lethe " +
                 "train --help for its settings)");
    const std::string key = name == "reg_weight" ? m + ".reg" : m == "mgcn" ? "mgcn.ii_layers" : "lightgcn.layers";
    set(key, one(key), origin);
    return;
  }
  // MMRec settings that Lethe follows by construction: any other value would be a different
  // experiment, so it is an error rather than a silent mismatch.
  if (name == "learner") return must_be(lower(one(name)) == "adam", "Lethe trains with Adam only");
  if (name == "valid_metric")
    return must_be(lower(one(name)) == "recall@20", "Lethe's early stopping watches valid Recall@20 only");
  if (name == "training_neg_sample_num") return must_be(one(name) == "1", "Lethe draws one negative per row");
  if (name == "use_neg_sampling") {
    const std::string v = lower(one(name));
    return must_be(v == "true" || v == "1", "Lethe always samples negatives");
  }
  if (name == "weight_decay") {
    char* end = nullptr;
    const std::string v = one(name);
    const double w = std::strtod(v.c_str(), &end);
    return must_be(!v.empty() && !*end && w == 0.0, "Lethe has no weight decay (regularisation is reg_weight)");
  }
  if (name == "inter_splitting_label")
    return must_be(one(name) == "x_label", "Lethe reads the split from the x_label column");
  if (mmrec_ignored(name)) {
    ignored_.push_back(name);
    return;
  }
  set(name, one(name), origin);  // unknown: set() says so, with a suggestion
}

void Config::load_file(const std::string& path) {
  ignored_.clear();
  if (io::is_yaml_path(path)) {
    const std::vector<io::YamlSetting> settings = io::read_yaml_settings(path);
    for (int pass = 0; pass < 2; ++pass)  // MMRec's grid list first: it may follow the lists it names
      for (const auto& s : settings)
        if ((s.key == "hyper_parameters") == (pass == 0)) apply(s.key, s.values, s.is_list, path + ":" + std::to_string(s.line));
  } else {
    const io::Config file = io::Config::load(path);  // syntax errors name FILE:LINE
    for (const std::string& key : file.keys()) apply(key, {file.str(key)}, false, file.where(key));
  }
  if (!ignored_.empty())
    notes_.push_back(path + ": MMRec settings without a Lethe meaning, ignored: " + join(ignored_, ", "));
  ignored_.clear();
}

namespace {

// The file of `dir` whose name matches `want` (a stem, compared by `key`) with a .yaml/.yml
// extension; "" when there is none.
std::string find_yaml(const std::string& dir, const std::string& want, std::string (*key)(const std::string&)) {
  if (!io::is_directory(dir)) return "";
  for (const auto& f : io::list_dir(dir)) {
    if (!io::is_yaml_path(f)) continue;
    const std::string stem = f.substr(0, f.rfind('.'));
    if (key(stem) == key(want)) return io::path_join(dir, f);
  }
  return "";
}

std::string key_lower(const std::string& s) { return lower(s); }
std::string key_model(const std::string& s) {
  std::string o;
  for (char c : lower(s))
    if (c != '-' && c != '_') o += c;
  return o;
}

}  // namespace

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> n = {"lightgcn", "mgcn", "miggt"};
  return n;
}

std::string canonical_model_name(const std::string& name) {
  // "<backbone>+head" / "<backbone>+offset" (a backbone with the certified pair head or the user
  // offset: engine/models/model.h) keep their suffix; the backbone part is matched like any name.
  std::string sfx;
  for (const std::string s : {kPairHeadSuffix, kUserOffsetSuffix})
    if (name.size() > s.size() && lower(name.substr(name.size() - s.size())) == s) sfx = s;
  const std::string k = key_model(name.substr(0, name.size() - sfx.size()));
  for (const auto& m : model_names())
    if (k == m) return m + sfx;
  throw Error("unknown model '" + name + "' (expected lightgcn, mgcn or miggt; any case, e.g. MGCN, LightGCN, MIG-GT)");
}

void load_config(Config& c, const ConfigLayers& layers) {
  if (!layers.mmrec_dir.empty()) {
    const std::string& dir = layers.mmrec_dir;
    if (!io::is_directory(dir)) throw Error("settings folder " + dir + " does not exist");
    std::vector<std::string> found;
    if (const std::string f = find_yaml(dir, "overall", key_lower); !f.empty()) found.push_back(f);
    for (const auto& name : layers.dataset_names)
      if (const std::string f = find_yaml(io::path_join(dir, "dataset"), name, key_lower); !f.empty()) {
        found.push_back(f);
        break;
      }
    if (!c.model().empty())
      if (const std::string f = find_yaml(io::path_join(dir, "model"), c.model(), key_model); !f.empty())
        found.push_back(f);
    if (found.empty())
      throw Error("settings folder " + dir + " holds none of overall.yaml, dataset/<" +
                 (layers.dataset_names.empty() ? std::string("dataset") : join(layers.dataset_names, "|")) +
                 ">.yaml, model/<" + (c.model().empty() ? std::string("model") : c.model()) +
                 ">.yaml (MMRec's layout: src/configs of the toolbox)");
    for (const auto& f : found) c.load_file(f);
  }
  for (const auto& f : layers.files) c.load_file(f);
}

std::vector<std::string> dataset_names_of(const std::string& data_dir) {
  std::vector<std::string> out;
  auto add = [&](const std::string& n) {
    if (!n.empty() && std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  };
  std::string d = data_dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  if (io::is_regular_file(d) && io::ends_with(d, ".inter")) {
    const std::string b = io::base_name(d);
    add(b.substr(0, b.size() - 6));
    return out;
  }
  add(io::base_name(d));
  if (io::is_directory(d))
    for (const auto& f : io::list_dir(d))
      if (io::ends_with(f, ".inter") && f.find('.') == f.size() - 6) add(f.substr(0, f.size() - 6));
  return out;
}

void validate_config(const Config& cfg) {
  for (const auto& k : config_keys()) {
    const std::string key = k.key, def = k.def, v = cfg.str(key);
    const std::string from = " (from " + cfg.origin(key) + ")";
    if (key == "miggt.k_modality") continue;  // a name:K list, checked against the data's modalities
    if (def == "auto" && v == "auto") continue;
    if (def == "true" || def == "false") {
      (void)cfg.flag(key);
      continue;
    }
    if (def.find(',') != std::string::npos) {  // an integer list: eval.ks
      const std::vector<int64_t> ks = cfg.i64_list(key);
      bool has20 = false;
      for (int64_t q : ks) {
        if (q < 1) throw Error("setting " + key + from + " lists cut-offs K, each an integer >= 1; got '" + v + "'");
        has20 = has20 || q == 20;
      }
      if (key == "eval.ks" && !has20)
        throw Error("setting eval.ks" + from + " must include 20 (early stopping and the audits use Recall@20); got '" +
                    v + "'");
      continue;
    }
    const Range* range = nullptr;
    for (const auto& r : kRanges)
      if (key == r.key) range = &r;
    if (!range && def != "auto" && !is_number(def)) continue;  // free text (unlearn.adam_state, ...)
    const double x = range && range->integer ? static_cast<double>(cfg.i64(key)) : cfg.f64(key);
    if (!range) continue;
    const bool ok =
        (range->lo_open ? x > range->lo : x >= range->lo) && (range->hi_open ? x < range->hi : x <= range->hi);
    if (!ok)
      throw Error("setting " + key + from + " must be " + range_text(*range) + (def == "auto" ? " (or auto)" : "") +
                  ", got '" + v + "'");
  }
  if (cfg.f64("tru.scaling.cmin") > cfg.f64("tru.scaling.cmax"))
    throw Error("settings tru.scaling.cmin (" + cfg.str("tru.scaling.cmin") + ", from " +
                cfg.origin("tru.scaling.cmin") + ") and tru.scaling.cmax (" + cfg.str("tru.scaling.cmax") + ", from " +
                cfg.origin("tru.scaling.cmax") + ") must satisfy cmin <= cmax");
}

}  // namespace lethe
