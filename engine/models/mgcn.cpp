// engine/models/mgcn.cpp — MGCN (Yu et al., ACM MM 2023) as the MMRec toolbox implements it
// (docs/MODELS.md, "The three backbones"), for any number M ≥ 1 of modalities.
//   f_m   = F_m W_m + b_m                          F_m trainable, initialised from raw features
//   ẽ_m   = E_id ⊙ σ(f_m G_m + g_m)               purifier
//   content = mean(H⁰, H¹, H²), H⁰ = [E_u; E_id], H^{l+1} = Â H^l
//   h_m^item = S_m ẽ_m (ii_layers times), h_m^user = R̂ h_m^item, h_m = [h_m^user; h_m^item]
//   a_m = w₂ᵀ tanh(W₁ h_m + b₁), α = softmax_m(a), common = Σ α_m h_m, sep_m = h_m − common
//   p_m = σ(content P_m + p_m), side = (Σ p_m ⊙ sep_m + common) / (M + 1)
//   E* = content + side
// loss = mean BPR(E*) + λ_e ½(‖e*_u‖² + ‖e*_i⁺‖² + ‖e*_i⁻‖²)/B
//        + λ_c [InfoNCE(side_items[i⁺], content_items[i⁺]) + InfoNCE(side_users[u], content_users[u])]
// Tags: E_u (id, layer 0), E_id (id, layer 1); per modality m its F_m, (W_m, b_m), (G_m, g_m),
// (P_m, p_m) — four layers on branch m; the attention query (W₁, b₁, w₂) one "shared" layer.
#include "engine/models/model.h"
#include "engine/ops.h"

namespace lethe {
namespace {

class MGCN final : public Model {
 public:
  MGCN(ModelData& data, const Config& cfg)
      : data_(data),
        d_(cfg.i64("dim")),
        ui_layers_(cfg.i64("mgcn.ui_layers")),
        ii_layers_(cfg.i64("mgcn.ii_layers")),
        reg_(cfg.f64("mgcn.reg")),
        cl_(cfg.f64("mgcn.cl")),
        tau_(cfg.f64("mgcn.tau")),
        train_feats_(cfg.flag("mgcn.trainable_features")) {
    LETHE_CHECK(!data.mods.empty(), "mgcn needs at least one modality feature table (<modality>_feat.npy)");
    for (const auto& m : data.mods)
      LETHE_CHECK(m.knn.defined(), "mgcn: the kNN graph of modality " + m.name + " was not built");
    LETHE_CHECK(ui_layers_ >= 0 && ui_layers_ < 8 && ii_layers_ >= 0, "mgcn: bad layer counts");
  }
  std::string name() const override { return "mgcn"; }
  bool step_invariant_forward() const override { return true; }

  void declare(ParamStore& ps) override {
    pu_ = ps.add("user_emb", data_.n_users, d_, "id", 0);
    pi_ = ps.add("item_emb", data_.n_items, d_, "id", 1);
    int layer = 2;
    for (const auto& m : data_.mods) {
      Mod p;
      if (train_feats_) p.F = ps.add(m.name + ".feat", data_.n_items, m.dim, m.name, layer++);
      p.W = ps.add(m.name + ".proj.W", m.dim, d_, m.name, layer);
      p.b = ps.add(m.name + ".proj.b", 1, d_, m.name, layer++);
      p.G = ps.add(m.name + ".purifier.W", d_, d_, m.name, layer);
      p.g = ps.add(m.name + ".purifier.b", 1, d_, m.name, layer++);
      p.P = ps.add(m.name + ".prefer.W", d_, d_, m.name, layer);
      p.p = ps.add(m.name + ".prefer.b", 1, d_, m.name, layer++);
      mp_.push_back(p);
    }
    q1_ = ps.add("query.W1", d_, d_, "shared", layer);
    qb_ = ps.add("query.b1", 1, d_, "shared", layer);
    q2_ = ps.add("query.w2", d_, 1, "shared", layer);
  }

  void init(const ParamStore& ps, uint64_t seed) override {
    uint32_t tid = 0;
    ps.set(pu_, xavier_uniform(data_.n_users, d_, seed, tid++));
    ps.set(pi_, xavier_uniform(data_.n_items, d_, seed, tid++));
    for (size_t m = 0; m < mp_.size(); ++m) {
      const Mod& p = mp_[m];
      const int64_t dm = data_.mods[m].dim;
      if (p.F >= 0) ops::copy(data_.ctx(), data_.mods[m].raw, ps.value(p.F));
      ps.set(p.W, linear_uniform(dm, d_, dm, seed, tid++));
      ps.set(p.b, linear_uniform(1, d_, dm, seed, tid++));
      ps.set(p.G, linear_uniform(d_, d_, d_, seed, tid++));
      ps.set(p.g, linear_uniform(1, d_, d_, seed, tid++));
      ps.set(p.P, linear_uniform(d_, d_, d_, seed, tid++));
      ps.set(p.p, linear_uniform(1, d_, d_, seed, tid++));
    }
    ps.set(q1_, linear_uniform(d_, d_, d_, seed, tid++));
    ps.set(qb_, linear_uniform(1, d_, d_, seed, tid++));
    ps.set(q2_, linear_uniform(d_, 1, d_, seed, tid++));
    data_.ctx().sync();
  }

  void forward(Tape& t, bool, uint32_t, uint32_t) override {
    const int64_t U = data_.n_users, I = data_.n_items;
    const size_t M = mp_.size();
    eu_ = t.param(pu_);
    Var eid = t.param(pi_);
    // User–item view.
    Var h = t.concat_rows(eu_, eid);
    std::vector<Var> hs{h};
    for (int64_t l = 0; l < ui_layers_; ++l) {
      h = t.spmm(data_.adj_op(), h);
      hs.push_back(h);
    }
    content_ = t.mean_of(hs);
    // Purifier and item–item view per modality.
    Var W1 = t.param(q1_), b1 = t.param(qb_), w2 = t.param(q2_);
    std::vector<Var> hm(M), att(M);
    mod_items_.clear();
    for (size_t m = 0; m < M; ++m) {
      const Mod& p = mp_[m];
      Var F = p.F >= 0 ? t.param(p.F) : t.constant(data_.mods[m].raw);
      Var f = t.linear(F, t.param(p.W), t.param(p.b));
      Var pur = t.mul(eid, t.sigmoid(t.linear(f, t.param(p.G), t.param(p.g))));
      for (int64_t l = 0; l < ii_layers_; ++l) pur = t.spmm(SpOp{&data_.mods[m].knn, &data_.mods[m].knn_t}, pur);
      mod_items_.push_back(pur);
      mod_items_.push_back(f);
      Var hu = t.spmm(data_.R_op(), pur);
      hm[m] = t.concat_rows(hu, pur);
      att[m] = t.linear(t.tanh(t.linear(hm[m], W1, b1)), w2, Var{});
    }
    // Fuser.
    Var alpha = t.softmax_rows(t.stack_cols(att));
    std::vector<Var> wsum;
    for (size_t m = 0; m < M; ++m) wsum.push_back(t.scale_rows(hm[m], t.col(alpha, static_cast<int64_t>(m))));
    Var common = t.sum_of(wsum);
    std::vector<Var> parts{common};
    for (size_t m = 0; m < M; ++m) {
      Var prefer = t.sigmoid(t.linear(content_, t.param(mp_[m].P), t.param(mp_[m].p)));
      parts.push_back(t.mul(prefer, t.sub(hm[m], common)));
    }
    side_ = t.scale(t.sum_of(parts), 1.0 / static_cast<double>(M + 1));
    Var fin = t.add(content_, side_);
    users_ = t.slice_rows(fin, 0, U);
    items_ = t.slice_rows(fin, U, I);
  }
  Var users() const override { return users_; }
  Var items() const override { return items_; }
  // Per modality: h_m^item (the item–item view) and f_m = F_m W_m + b_m (the projected features).
  std::vector<Var> modality_items() const override { return mod_items_; }
  UiPropagation ui_propagation() const override {
    UiPropagation up;
    up.weights.assign(static_cast<size_t>(ui_layers_ + 1), 1.0 / static_cast<double>(ui_layers_ + 1));
    up.user_param = pu_;
    up.item_param = pi_;
    return up;
  }

  std::vector<int> item_row_params() const override {
    std::vector<int> out;
    for (const Mod& p : mp_)
      if (p.F >= 0) out.push_back(p.F);
    return out;
  }

  LossTerms loss(Tape& t, const Batch& b, const RankSpec& rs) override {
    const int64_t U = data_.n_users, I = data_.n_items;
    const double B = static_cast<double>(b.size());
    Var u = t.gather(users_, b.u), ip = t.gather(items_, b.p), in = t.gather(items_, b.n);
    LossTerms L;
    L.rank = t.bpr(u, ip, in, rs.weights, 1.0 / B, rs.reverse);
    const double c = 0.5 * reg_ / B;
    L.reg = t.sum_of({t.sqnorm(u, c), t.sqnorm(ip, c), t.sqnorm(in, c)});
    std::vector<Var> terms{L.rank, L.reg};
    if (cl_ > 0) {
      Var side_u = t.slice_rows(side_, 0, U), side_i = t.slice_rows(side_, U, I);
      Var cont_u = t.slice_rows(content_, 0, U), cont_i = t.slice_rows(content_, U, I);
      Var cl_items = t.infonce(t.gather(side_i, b.p), t.gather(cont_i, b.p), tau_);
      Var cl_users = t.infonce(t.gather(side_u, b.u), t.gather(cont_u, b.u), tau_);
      L.aux = t.scale(t.add(cl_items, cl_users), cl_);
      terms.push_back(L.aux);
    }
    L.total = t.sum_of(terms);
    return L;
  }

 private:
  struct Mod {
    int F = -1, W = -1, b = -1, G = -1, g = -1, P = -1, p = -1;
  };
  ModelData& data_;
  int64_t d_, ui_layers_, ii_layers_;
  double reg_, cl_, tau_;
  bool train_feats_;
  int pu_ = -1, pi_ = -1, q1_ = -1, qb_ = -1, q2_ = -1;
  std::vector<Mod> mp_;
  Var eu_, content_, side_, users_, items_;
  std::vector<Var> mod_items_;
};

}  // namespace

std::unique_ptr<Model> make_mgcn(ModelData& data, const Config& cfg) { return std::make_unique<MGCN>(data, cfg); }

}  // namespace lethe
