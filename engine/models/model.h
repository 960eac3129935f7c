// engine/models/model.h — what a backbone is to the rest of the engine.
// A model declares its parameter tensors (with branch and layer tags), initialises them
// deterministically from a seed (on the host, so CPU and CUDA start bit-identical: CpuVsCuda in
// tests/models/test_trainer.cpp compares the initial slabs' bytes on a GPU), records its
// full-graph forward on a tape, and builds its training loss for a batch from that forward.
// Models are written against tape ops only — never against kernels.
// ModelData is the dataset on a device: the user–item graph (rebuildable from a retain set for
// unlearning), the raw feature tables and, for MGCN, the modality kNN graphs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/context.h"
#include "engine/params.h"
#include "engine/sparse.h"
#include "engine/tape.h"
#include "graph/bipartite.h"
#include "graph/miggt_graph.h"
#include "io/dataset.h"

namespace lethe {

struct ModalityData {
  std::string name;
  int64_t dim = 0;
  OwnedTensor raw;  // I × dim raw features (f32 on the host copy, the store's dtype on the device)
  graph::HostCsr knn_host;  // MGCN's item–item graph (empty unless built)
  DevCsr knn, knn_t;
};

class ModelData {
 public:
  // Uploads the train graph and the features; builds (or loads from the cache) the kNN graphs
  // when knn_k > 0. dtype is the parameters' (f64 only for gradient checks on the CPU).
  ModelData(Ctx& ctx, const io::Dataset& ds, DType dtype, int knn_k, const std::string& knn_cache_dir);
  // Rebuild Â, R̂, R̂ᵀ and the train pattern from these interactions (unlearning edits the
  // graph to D_r; docs/MODELS.md, "Graphs"). Features and kNN graphs depend only on content and stay.
  void set_train(const io::Interactions& train);

  Ctx& ctx() { return ctx_; }
  DType dtype() const { return dtype_; }
  int32_t n_users = 0, n_items = 0;
  graph::UserItemGraph graph;  // host copy
  DevCsr adj, R, Rt, train_mask;
  OwnedIdx pool;       // items seen in train (negative sampling)
  OwnedIdx all_items;  // 0..I-1 (uniform negatives)
  DevCsr no_items;     // U×I with no entries (nothing excluded)
  std::vector<ModalityData> mods;
  SpOp adj_op() const { return SpOp{&adj, &adj}; }
  SpOp R_op() const { return SpOp{&R, &Rt}; }
  // MIG-GT's propagation graph (graph/miggt_graph.h: self-loops, deg^{-1/2} weights, row =
  // destination), its explicit transpose and the transpose's edge-id map for edge dropout;
  // rebuilt by set_train with the user–item graph.
  graph::MigGraph mig_graph;  // host copy
  DevCsr mig, mig_t;
  OwnedIdx mig_t2a;
  SpOp mig_op() const { return SpOp{&mig, &mig_t}; }

 private:
  Ctx& ctx_;
  DType dtype_;
};

// One training batch: host lists and their copies on the tape's device.
struct Batch {
  std::vector<int32_t> users, pos, neg;
  IdxTensor u, p, n;
  // Rows: the host lists' length, or the device arrays' when the batch lives only there (the
  // trainer's batches, engine/step.h).
  int64_t size() const { return users.empty() ? u.n : static_cast<int64_t>(users.size()); }
  void upload(Tape& t) {
    u = t.upload_idx(users);
    p = t.upload_idx(pos);
    n = t.upload_idx(neg);
  }
};

// How the ranking term of a loss is formed: ordinary BPR, or reverse BPR (unlearning), with
// optional per-triple weights (TRU's gate), averaged over the batch (or summed, MIG-GT style).
struct RankSpec {
  bool reverse = false;
  Tensor weights;  // B×1 constant, or undefined
};

struct LossTerms {
  Var total, rank, reg, aux;
};

// The user–item view of a backbone written as a polynomial in its propagation graph:
//   view = Σ_l weights[l] · P^l · H⁰,  H⁰ = [user table; item table] (item_param −1: zero rows),
// P = Â (mig = false) or MIG-GT's self-loop graph (mig = true). ScaleGUN's lazy propagation
// (engine/unlearn/push.h) updates this view by forward push when edges are deleted.
struct UiPropagation {
  bool mig = false;
  std::vector<double> weights;  // weights[l] for l = 0 .. L
  int user_param = -1, item_param = -1;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual std::string name() const = 0;
  virtual void declare(ParamStore& ps) = 0;
  virtual void init(const ParamStore& ps, uint64_t seed) = 0;
  // Records the full forward; afterwards users()/items() are the final embeddings (U×d, I×d).
  // (epoch, step) key the model's random draws (dropout, sampling), so a step replays exactly.
  virtual void forward(Tape& t, bool training, uint32_t epoch, uint32_t step) = 0;
  virtual Var users() const = 0;
  virtual Var items() const = 0;
  // Loss for a batch, after forward(): ranking term + regularisation + auxiliary terms.
  virtual LossTerms loss(Tape& t, const Batch& b, const RankSpec& rs) = 0;
  // After forward(): each modality's item-side representations (I × d each; MGCN: the item–item
  // view h_m^item and the projected features f_m; MIG-GT: the item rows of each modality branch's
  // output). Empty for a model without modalities (LightGCN). MultiDelete keeps them close to θ₀'s.
  virtual std::vector<Var> modality_items() const { return {}; }
  // The user–item view as a graph polynomial (see UiPropagation).
  virtual UiPropagation ui_propagation() const = 0;
  // Trainable tensors whose row r belongs to item r, besides ui_propagation().item_param (MGCN:
  // its feature tables F_m). TRU's row-granular isolation weights their forget gradient by row.
  virtual std::vector<int> item_row_params() const { return {}; }
  // The backbone's protocol defaults (protocol_defaults(name())).
  double default_lr() const;
  int64_t default_batch_size() const;
  double default_lr_decay() const;
  double default_lr_decay_epochs() const;
  // Negatives: true = uniform over train items rejecting the user's (docs/MODELS.md, "Training"); false =
  // uniform over all items (MIG-GT).
  virtual bool negatives_reject_positives() const { return true; }
  // True when forward() records the same ops with the same arguments whatever (epoch, step) it
  // is given (no random draw of its own): a training step can then be captured once as a CUDA
  // graph and replayed (engine/step.h). A model that draws per step (MIG-GT's dropout) says no.
  virtual bool step_invariant_forward() const { return false; }
  // The factor of the ranking term of loss() for a batch of this size: a mean (1 / batch) or,
  // MIG-GT, a sum (1). A model wrapping a backbone (engine/models/user_offset.cpp) reads it.
  virtual double rank_scale(int64_t batch) const { return 1.0 / static_cast<double>(batch); }
};

// What the training protocol's "auto" settings mean for a backbone (docs/MODELS.md, "Training"; MIG-GT's own in
// §3.3), known before the model is built so that settings can be resolved and checked before any
// work. Throws for an unknown backbone.
struct ProtocolDefaults {
  double lr = 1e-3;
  int64_t batch_size = 2048;
  double lr_decay = 0.96, lr_decay_epochs = 50;
};
ProtocolDefaults protocol_defaults(const std::string& name);

// lightgcn | mgcn | miggt. The model reads `data` at every forward (so a graph rebuild is seen).
// "<backbone>+head" is that backbone with ScaleGUN's certified pair head on top
// (engine/models/pair_head.cpp): the model `lethe unlearn --method scalegun-certified` produces.
// "<backbone>+offset" is that backbone with a per-user offset on its final user embeddings
// (engine/models/user_offset.cpp): the model TRU's confined update produces with tru.offset on.
std::unique_ptr<Model> make_model(const std::string& name, ModelData& data, const Config& cfg);
// Whether a backbone needs the modality kNN graphs (MGCN) — decides what ModelData builds.
int knn_k_for(const std::string& name, const Config& cfg);
// The suffixes of a model with the certified pair head or the user offset, and the backbone under
// it ("mgcn+head" → "mgcn"; a plain backbone name is returned unchanged).
constexpr const char* kPairHeadSuffix = "+head";
constexpr const char* kUserOffsetSuffix = "+offset";
std::string backbone_of(const std::string& name);
bool has_pair_head(const std::string& name);
bool has_user_offset(const std::string& name);

// Shared initialisers (host, Philox-keyed, so every device starts from the same values).
std::vector<double> xavier_uniform(int64_t rows, int64_t cols, uint64_t seed, uint32_t tensor_id);
// torch.nn.Linear's default: U(−1/√fan_in, 1/√fan_in) for weight (fan_in = rows) and bias.
std::vector<double> linear_uniform(int64_t rows, int64_t cols, int64_t fan_in, uint64_t seed, uint32_t tensor_id);

}  // namespace lethe
