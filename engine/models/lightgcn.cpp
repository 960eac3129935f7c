// engine/models/lightgcn.cpp — LightGCN (He et al., SIGIR 2020; docs/MODELS.md, "The three backbones").
//   E⁰ = [E_u; E_i];  E^{l+1} = Â E^l;  final = mean(E⁰ … E^L)
//   loss = mean BPR + λ · ½(‖e⁰_u‖² + ‖e⁰_i⁺‖² + ‖e⁰_i⁻‖²) summed over the batch / B
// (the squared-norm form of docs/MODELS.md, "The three backbones", written like MGCN's regulariser).
// Tags: branch "id"; the user table is layer 0 and the item table layer 1.
#include "engine/models/model.h"

namespace lethe {
namespace {

class LightGCN final : public Model {
 public:
  LightGCN(ModelData& data, const Config& cfg)
      : data_(data), d_(cfg.i64("dim")), layers_(cfg.i64("lightgcn.layers")), reg_(cfg.f64("lightgcn.reg")) {
    LETHE_CHECK(d_ > 0 && layers_ >= 0 && layers_ < 8, "lightgcn: dim > 0 and 0 ≤ layers ≤ 7 required");
  }
  std::string name() const override { return "lightgcn"; }
  bool step_invariant_forward() const override { return true; }

  void declare(ParamStore& ps) override {
    pu_ = ps.add("user_emb", data_.n_users, d_, "id", 0);
    pi_ = ps.add("item_emb", data_.n_items, d_, "id", 1);
  }
  void init(const ParamStore& ps, uint64_t seed) override {
    ps.set(pu_, xavier_uniform(data_.n_users, d_, seed, 0));
    ps.set(pi_, xavier_uniform(data_.n_items, d_, seed, 1));
  }

  void forward(Tape& t, bool, uint32_t, uint32_t) override {
    eu_ = t.param(pu_);
    ei_ = t.param(pi_);
    Var e = t.concat_rows(eu_, ei_);
    std::vector<Var> outs{e};
    for (int64_t l = 0; l < layers_; ++l) {
      e = t.spmm(data_.adj_op(), e);
      outs.push_back(e);
    }
    Var fin = t.mean_of(outs);
    users_ = t.slice_rows(fin, 0, data_.n_users);
    items_ = t.slice_rows(fin, data_.n_users, data_.n_items);
  }
  Var users() const override { return users_; }
  Var items() const override { return items_; }
  UiPropagation ui_propagation() const override {
    UiPropagation up;
    up.weights.assign(static_cast<size_t>(layers_ + 1), 1.0 / static_cast<double>(layers_ + 1));
    up.user_param = pu_;
    up.item_param = pi_;
    return up;
  }

  LossTerms loss(Tape& t, const Batch& b, const RankSpec& rs) override {
    const double B = static_cast<double>(b.size());
    LossTerms L;
    L.rank = t.bpr(t.gather(users_, b.u), t.gather(items_, b.p), t.gather(items_, b.n), rs.weights, 1.0 / B, rs.reverse);
    const double c = 0.5 * reg_ / B;
    L.reg = t.sum_of({t.sqnorm(t.gather(eu_, b.u), c), t.sqnorm(t.gather(ei_, b.p), c), t.sqnorm(t.gather(ei_, b.n), c)});
    L.total = t.add(L.rank, L.reg);
    return L;
  }

 private:
  ModelData& data_;
  int64_t d_, layers_;
  double reg_;
  int pu_ = -1, pi_ = -1;
  Var eu_, ei_, users_, items_;
};

}  // namespace

std::unique_ptr<Model> make_lightgcn(ModelData& data, const Config& cfg) { return std::make_unique<LightGCN>(data, cfg); }

}  // namespace lethe
