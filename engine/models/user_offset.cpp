// engine/models/user_offset.cpp — a backbone with a per-user offset on its final user embeddings:
// the model TRU's confined update produces with `tru.offset` on (engine/unlearn/approx.cpp;
// docs/TRU.md (g)). users() = the backbone's final user rows + O, O a U × d table (`offset.user`,
// branch "offset", its own layer), zero at the start, so the model scores exactly like its backbone
// until O moves. O enters after the propagation: a row of O changes its own user's scores and
// nothing else — no item embedding and no other user's score depends on it. The backbone's
// parameters are declared first, so a backbone checkpoint is this model's slab up to O
// (restore_backbone_checkpoint). The training loss is the backbone's with the ranking term on the
// offset user rows (its regularisation and auxiliary terms are the backbone's own).
#include "engine/models/model.h"

namespace lethe {

std::unique_ptr<Model> make_backbone(const std::string& name, ModelData& data, const Config& cfg);  // factory.cpp

namespace {

class UserOffset final : public Model {
 public:
  UserOffset(const std::string& backbone, ModelData& data, const Config& cfg)
      : inner_(make_backbone(backbone, data, cfg)), data_(data), d_(cfg.i64("dim")) {}
  std::string name() const override { return inner_->name() + kUserOffsetSuffix; }

  void declare(ParamStore& ps) override {
    inner_->declare(ps);
    int layer = 0;
    for (const auto& p : ps.infos()) layer = std::max(layer, p.layer + 1);
    po_ = ps.add("offset.user", data_.n_users, d_, "offset", layer);
  }
  void init(const ParamStore& ps, uint64_t seed) override {
    inner_->init(ps, seed);
    ps.set(po_, std::vector<double>(static_cast<size_t>(data_.n_users * d_), 0.0));
  }

  void forward(Tape& t, bool training, uint32_t epoch, uint32_t step) override {
    inner_->forward(t, training, epoch, step);
    users_ = t.add(inner_->users(), t.param(po_));
  }
  Var users() const override { return users_; }
  Var items() const override { return inner_->items(); }
  LossTerms loss(Tape& t, const Batch& b, const RankSpec& rs) override {
    LossTerms L = inner_->loss(t, b, rs);
    L.rank = t.bpr(t.gather(users_, b.u), t.gather(items(), b.p), t.gather(items(), b.n), rs.weights,
                   inner_->rank_scale(b.size()), rs.reverse);
    std::vector<Var> terms{L.rank};
    if (L.reg.valid()) terms.push_back(L.reg);
    if (L.aux.valid()) terms.push_back(L.aux);
    L.total = t.sum_of(terms);
    return L;
  }
  std::vector<Var> modality_items() const override { return inner_->modality_items(); }
  UiPropagation ui_propagation() const override { return inner_->ui_propagation(); }
  std::vector<int> item_row_params() const override { return inner_->item_row_params(); }
  bool negatives_reject_positives() const override { return inner_->negatives_reject_positives(); }
  bool step_invariant_forward() const override { return inner_->step_invariant_forward(); }
  double rank_scale(int64_t batch) const override { return inner_->rank_scale(batch); }

 private:
  std::unique_ptr<Model> inner_;
  ModelData& data_;
  int64_t d_;
  int po_ = -1;
  Var users_;
};

}  // namespace

std::unique_ptr<Model> make_user_offset(const std::string& backbone, ModelData& data, const Config& cfg) {
  return std::make_unique<UserOffset>(backbone, data, cfg);
}

}  // namespace lethe
