// engine/unlearn/tru.h — TRU's three interventions as separate, testable pieces (docs/TRU.md;
// the project's design). The approximate-unlearning loop (approx.cpp) composes them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/params.h"
#include "engine/tape.h"
#include "graph/csr.h"
#include "io/dataset.h"

namespace lethe::tru {

// ---- (a) ranking fusion gate ----
struct GateSettings {
  int k = 20;            // threshold rank K
  double temp = 0.1;     // T = temp × std of u's scores
  double lambda = 0.5;   // hinge weight λ_g
  double margin = 0.0;   // hinge margin
};
// Per forget pair b = (users[b], items[b]): t_b = the K-th largest score of the user over items
// outside its full train set D(u) (stop-grad), the std of the user's scores over all items, the
// current score s_b, and the gate g_b = σ((s_b − t_b)/T). Computed from the current embeddings
// (values, not recorded on the tape).
struct GateValues {
  std::vector<double> s, t, std, g;
};
GateValues gate_values(Ctx& ctx, Tape& tape, const Tensor& user_emb, const Tensor& item_emb,
                       const std::vector<int32_t>& users, const std::vector<int32_t>& items,
                       const graph::HostCsr& full_train, const GateSettings& gs);

// The standard deviation of each row's scores over all items, exactly and without the scores:
// var_u = e_uᵀ C e_u − (e_u·μ)² with C = E_iᵀE_i / I and μ the mean item row (Ub: B×d rows).
std::vector<double> score_std(Ctx& ctx, Tape& tape, const Tensor& Ub, const Tensor& item_emb);

// ---- (b) branch-wise modality scaling ----
// c_b = clip((mean_b' G_b' / G_b)^γ, c_min, c_max) from per-branch forget-gradient norms G_b,
// smoothed by an EMA: c ← ema·c + (1−ema)·c_new (the first step takes c_new). A branch whose
// gradient is zero keeps its scale (1 at the start).
class BranchScaler {
 public:
  BranchScaler(const ParamStore& ps, double gamma, double cmin, double cmax, double ema);
  // Updates the scales from the forget gradient slab; returns them per branch.
  const std::vector<double>& update(Ctx& ctx, const ParamStore& ps, const Tensor& grad_forget);
  // One scale per parameter tensor (segment), for SegScale.
  std::vector<float> segment_scales(const ParamStore& ps) const;
  const std::vector<double>& scales() const { return c_; }
  const std::vector<double>& last_norms() const { return norms_; }

 private:
  double gamma_, cmin_, cmax_, ema_;
  bool started_ = false;
  std::vector<double> c_, norms_;
};

// Per-branch L2 norms of a gradient slab (one segmented reduction over the tensors).
std::vector<double> branch_norms(Ctx& ctx, const ParamStore& ps, const Tensor& grad);
// Per-layer squared norms (sums over the layer's tensors), keyed by layer id.
std::map<int, double> layer_sqnorms(Ctx& ctx, const ParamStore& ps, const Tensor& grad);

// ---- (c) capacity-aware layer isolation ----
struct LayerChoice {
  std::vector<int> layers;                    // selected layer ids, by decreasing score
  std::map<int, double> score, fisher_f, fisher_r;
  std::map<int, int64_t> elements;
  std::map<int, std::string> name;            // tensor names of the layer joined by '+'
};
// S_l = (F_f,l / (F_r,l + ε)) / n_l^α; layers are taken by decreasing S_l until the selected
// element count reaches kappa × all trainable elements or kmax layers are chosen (docs/TRU.md
// read literally: the layer that crosses the budget is still taken, so at least one layer is
// always chosen; α keeps a huge table from winning by size alone). Layers with S_l = 0 (no
// forget gradient) are never chosen. ε = 1e-12 + 1e-9 × max_l F_r,l keeps the ratio finite for
// layers the retain loss does not touch. `always` (row-granular isolation's tables, whose row
// weights already confine their update) are chosen first, outside the budget and kmax; the
// others compete as above.
LayerChoice choose_layers(const ParamStore& ps, const std::map<int, double>& fisher_f,
                          const std::map<int, double>& fisher_r, double kappa, int kmax, double alpha,
                          const std::vector<int>& always = {});
// The per-element 0/1 mask of the chosen layers (slab length, padding 0).
std::vector<uint8_t> layer_mask(const ParamStore& ps, const std::vector<int>& layers);  // trainable tensors only

// ---- (d) row-granular isolation ----
// The share of each row's train support that the request deletes: for user u,
// w_u = (|D_f(u)| / |D(u)|)^power, for item i likewise over the item's train rows (D = the full
// train set). 0 for a row D_f does not touch, 1 for a deleted user's or item's row. The forget
// gradient of every user-indexed and item-indexed table is multiplied row by row by these weights,
// so a row moves for forgetting in proportion to how much of what it learnt is being deleted.
struct RowWeights {
  std::vector<double> user, item;
};
RowWeights row_weights(int32_t n_users, int32_t n_items, const io::Interactions& forget, const io::Interactions& train,
                       double power);

// ---- (e) rank matching (tru.match) ----
// Where a model that never saw D_f would rank it: among the unseen positives of the same
// population (`unseen`: valid rows — of the users who lose pairs, of the deleted users, of the
// deleted items), popularity-matched. Every pair (forget and unseen) is ranked for its user over
// the items outside D_r(u) (`retain`), best = 1; items are cut into `strata` popularity strata by
// their D_r train count at the quantiles of D_f's; within a stratum D_f's pairs, ordered by their
// current rank, take the quantiles (k + ½)/n of the unseen pairs' rank distribution in that
// stratum (each unseen pair weighing 1 / its user's unseen pairs, so every user counts once, as
// in a per-user recall; a stratum without unseen pairs takes the pooled distribution): the
// one-dimensional optimal transport from D_f's ranks to the unseen ones, which moves no pair
// further than the matching needs. The anchor of a pair is the item its user now has at the
// target rank (outside D_r(u) and the pair's own item); the forget loss pulls the pair's score
// to the anchor's current score from either side.
struct MatchTargets {
  std::vector<int32_t> anchor;        // per forget pair
  std::vector<int64_t> rank, target;  // its current rank and its target rank
  int64_t unseen_pairs = 0;           // unseen pairs behind the targets
};
MatchTargets match_targets(Ctx& ctx, const Tensor& user_emb, const Tensor& item_emb, const io::Interactions& forget,
                           const io::Interactions& unseen, const graph::HostCsr& retain, int strata);

}  // namespace lethe::tru
