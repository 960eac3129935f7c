// lethe/lethe.h — Lethe's public C++ API: the whole of what an application includes and links
// (`find_package(lethe)` → `target_link_libraries(app PRIVATE lethe::lethe)`, or pkg-config
// `lethe`). Open a dataset folder, train a backbone or load a checkpoint, read its embeddings,
// rank items, make a deletion request, unlearn it, audit the result. Everything else in the
// source tree (kernels/, engine/, graph/, io/) is internal: it is not installed and may change
// between versions; this header and lethe/error.h, lethe/version.h are the stable surface.
//
//   lethe::Dataset data = lethe::Dataset::open("demo-data");
//   lethe::Settings s;
//   s.set("lr", "0.005").set("epochs", "40");           // any `lethe train` setting or MMRec name
//   lethe::Recommender m = lethe::Recommender::train(data, "mgcn", s);
//   lethe::TopK top = m.top_k(20);                       // train items masked, best first
//   lethe::ForgetRequest req = lethe::ForgetRequest::make(data, "user", 0.05, 1);
//   lethe::Unlearned u = m.unlearn(req, "tru");
//   lethe::AuditReport a = m.audit(u.model, req);
//
// Every function throws lethe::Error (lethe/error.h) with a message that names what was wrong.
// Objects are cheap handles (shared state): copying a Recommender does not copy the model. A
// Recommender and the objects made from it run on one device context and are not thread-safe;
// use one per thread. docs/API.md says more; docs/MODELS.md explains the maths.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lethe/error.h"
#include "lethe/export.h"
#include "lethe/version.h"

namespace lethe {

// ---- settings --------------------------------------------------------------------------------

// Overrides of the defaults, applied in the order given when a model is trained or a method run:
// keys are those `lethe train --help` lists (lr, dim, mgcn.cl, tru.gate.k, ...) or MMRec's names
// (learning_rate, embedding_size, reg_weight, ...; docs/CONFIG.md). The model decides what
// MMRec's model-specific names mean, so nothing is checked until then.
class LETHE_API Settings {
 public:
  Settings();
  Settings& set(const std::string& key, const std::string& value);
  // A YAML (.yaml/.yml) or `key = value` settings file.
  Settings& load(const std::string& path);
  // MMRec's layered folder: overall.yaml, dataset/<dataset>.yaml, model/<Model>.yaml.
  Settings& load_mmrec_dir(const std::string& dir);

  // Every setting as `key = value` lines after applying these overrides for `model`, and the
  // notes made on the way (MMRec names ignored, grids reduced); throws for a bad key or value.
  std::string resolved(const std::string& model, const std::string& dataset_dir = "") const;
  std::vector<std::string> notes(const std::string& model, const std::string& dataset_dir = "") const;

  struct Op;  // internal

 private:
  friend struct Access;
  std::shared_ptr<std::vector<Op>> ops_;
};

// Where work runs and what it prints.
struct RunOptions {
  std::string device = "auto";  // auto (a GPU when one is usable), cpu or cuda
  bool progress = false;        // per-epoch lines on stderr
  std::string cache_dir = "";   // kNN graph cache; "" = next to the dataset (DIR/.lethe-cache)
};

// ---- data ------------------------------------------------------------------------------------

// A dataset folder in the MMRec layout: one <name>.inter (tab-separated; userID, itemID,
// x_label = 0 train / 1 valid / 2 test) and <modality>_feat.npy feature tables.
class LETHE_API Dataset {
 public:
  static Dataset open(const std::string& dir);

  std::string name() const;         // the .inter file's stem
  std::string dir() const;
  std::string fingerprint() const;  // 16 hex digits: a content hash of interactions and features
  int32_t n_users() const;
  int32_t n_items() const;
  // The rows of one split, "train", "valid" or "test", in file order.
  int64_t rows(const std::string& split) const;
  void interactions(const std::string& split, std::vector<int32_t>& users, std::vector<int32_t>& items) const;
  std::vector<std::string> modalities() const;  // sorted: image, text, ...

  struct Impl;  // internal

 private:
  friend struct Access;
  std::shared_ptr<const Impl> p_;
};

// A planted-structure synthetic dataset (what the demo uses), written to a folder.
struct SynthOptions {
  int32_t users = 1500;
  int32_t items = 800;
  int64_t interactions = 15000;
  std::string modalities = "image:256,text:64";  // name:dim,...
  uint64_t seed = 1;
  std::string name = "synth";
};
LETHE_API void make_synthetic(const std::string& out_dir, const SynthOptions& options = {});

// ---- results ---------------------------------------------------------------------------------

// A dense row-major float matrix (embeddings).
struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<float> data;  // rows × cols
};

// Ranked lists: for each user, K items best first with their scores (the dot products);
// item −1 and score −∞ where a user has fewer than K unmasked items.
struct TopK {
  int k = 0;
  std::vector<int32_t> users;  // ascending
  std::vector<int32_t> items;  // users.size() × k
  std::vector<float> scores;   // users.size() × k
};

// "recall@20" → value; also "users" (how many were averaged over). Metric names: recall, ndcg,
// precision, map, hit, mrr (docs/MODELS.md gives the formulas).
using MetricMap = std::map<std::string, double>;

// How well an unlearned model forgot (docs/MODELS.md, "Audits"). NaN where not measured.
struct AuditReport {
  MetricMap retain;              // retain test split, deleted users excluded, D_r masked
  MetricMap forget;              // D_f as the ground truth at K = 20 (target: Retrain's value)
  double exposure = 0;           // fraction of forget pairs in their user's top-20
  double exposure_reduction = 0; // against the original model: (exp₀ − exp) / exp₀
  double overlap_with_retrain = std::numeric_limits<double>::quiet_NaN();  // mean per-user overlap@20 with a
                                                                          // retrained model (NaN without one)
};

class LETHE_API ForgetRequest;
struct Unlearned;

// ---- models ----------------------------------------------------------------------------------

// One trained (or unlearned) backbone on one dataset: lightgcn, mgcn or miggt (any case).
class LETHE_API Recommender {
 public:
  // Trains with the MMRec protocol (Adam, early stopping on valid Recall@20); the result holds
  // the parameters of the best-valid epoch, like `lethe train`'s RUN/checkpoint.
  static Recommender train(const Dataset& data, const std::string& model, const Settings& settings = {},
                           const RunOptions& options = {});
  // A checkpoint of `lethe train` / `lethe unlearn` (an unlearned model is rebuilt on its
  // retained data when `request` is given).
  static Recommender load(const Dataset& data, const std::string& checkpoint, const RunOptions& options = {});
  static Recommender load(const Dataset& data, const std::string& checkpoint, const ForgetRequest& request,
                          const RunOptions& options = {});
  // Writes a checkpoint `lethe eval`, `lethe unlearn` and load() read.
  void save(const std::string& path) const;

  std::string model() const;          // canonical backbone name
  std::string settings() const;       // every setting, `key = value` lines
  std::string settings_hash() const;  // 16 hex digits of settings()
  const Dataset& dataset() const;
  MetricMap training_summary() const;  // best_epoch, epochs_run, train_seconds (trained models only)

  Matrix user_embeddings() const;  // U × d
  Matrix item_embeddings() const;  // I × d

  // Each user's top-k (all users when `users` is empty), the user's train items masked — the
  // lists `lethe eval --topk-out` writes. k in [1, 1024].
  TopK top_k(int k, const std::vector<int32_t>& users = {}) const;
  // Full-ranking evaluation of a split ("test" or "valid") at the cut-offs `ks`; users without
  // train rows are left out when filter_cold_users (MMRec's rule).
  MetricMap evaluate(const std::string& split = "test", const std::vector<int64_t>& ks = {10, 20, 50},
                     bool filter_cold_users = true) const;

  // Unlearns a request from this model with a method: retrain, finetune, neggrad, neggrad+,
  // mmrecun, tru, tru-no-gate, tru-no-scaling, tru-no-isolation. `settings` adds unlearning
  // settings (unlearn.epochs, tru.gate.k, ...) on top of the model's own.
  Unlearned unlearn(const ForgetRequest& request, const std::string& method, const Settings& settings = {},
                    uint64_t seed = 1) const;
  // Audits `unlearned` (made from this model with `request`) against this model, and against a
  // retrained model when one is given.
  AuditReport audit(const Recommender& unlearned, const ForgetRequest& request,
                    const Recommender* retrained = nullptr) const;

  struct Impl;  // internal

 private:
  friend struct Access;
  std::shared_ptr<Impl> p_;
};

// ---- unlearning ------------------------------------------------------------------------------

// What to forget: users, items or single interactions of the train split (docs/MODELS.md,
// "Requests"). make() selects a fraction of the candidates deterministically from the seed.
class LETHE_API ForgetRequest {
 public:
  // regime: user | item | interaction; ratio ≤ 0: the regime's default (5 %, 1 %, 5 %);
  // selection: random | most-active | least-active (user and item regimes).
  static ForgetRequest make(const Dataset& data, const std::string& regime, double ratio = 0, uint64_t seed = 1,
                            const std::string& selection = "random");
  // A request file (`lethe forget --out`, or hand-written `user U` / `item I` / `interaction U I` lines).
  static ForgetRequest read(const Dataset& data, const std::string& path);
  void write(const std::string& path) const;

  std::string regime() const;
  std::vector<int32_t> users() const;  // deleted users
  std::vector<int32_t> items() const;  // deleted items
  int64_t forget_rows() const;         // |D_f|: train rows it removes
  int64_t retain_rows() const;         // |D_r|

  struct Impl;  // internal

 private:
  friend struct Access;
  std::shared_ptr<const Impl> p_;
};

struct Unlearned {
  Recommender model;   // on the retained data D_r
  std::string method;
  double seconds = 0;  // wall time from the original model to this one
  int64_t epochs = 0;
  std::vector<std::string> selected_layers;  // TRU's layer isolation
};

// "0.1.0" and the git commit the library was built from ("unknown" outside a checkout).
LETHE_API std::string version();
LETHE_API std::string git_commit();

}  // namespace lethe
