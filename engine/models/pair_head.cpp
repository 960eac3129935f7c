// engine/models/pair_head.cpp — a backbone with ScaleGUN's certified pair head on top: the model
// `lethe unlearn --method scalegun-certified` produces (engine/unlearn/scalegun_certified.cpp).
// The head is a logistic model on the pair features z_ui = e_u ⊙ e_i of the backbone's final
// embeddings, without bias: s_ui = zᵀw. Since zᵀw = (e_u ⊙ w) · e_i, the head's score is a dot
// product of the rescaled user rows with the unchanged item rows, so this model's users() are
// e_u ⊙ w and its items() the backbone's — full ranking, top-K, every audit and the checkpoint
// machinery see the head's exact ranking without any special case. The backbone's parameters are
// declared first (the same layout as the backbone alone), then `head.w` (1 × d, branch "head",
// its own layer). The head is fitted in closed form by the unlearning method; the model has no
// training loss of its own, so `lethe train` and the gradient-based methods refuse it.
#include "engine/models/model.h"

namespace lethe {

std::unique_ptr<Model> make_backbone(const std::string& name, ModelData& data, const Config& cfg);  // factory.cpp

namespace {

class PairHead final : public Model {
 public:
  PairHead(const std::string& backbone, ModelData& data, const Config& cfg)
      : inner_(make_backbone(backbone, data, cfg)), d_(cfg.i64("dim")) {
    zeros_u_ = OwnedIdx(data.ctx(), std::vector<int32_t>(static_cast<size_t>(data.n_users), 0));
  }
  std::string name() const override { return inner_->name() + kPairHeadSuffix; }

  void declare(ParamStore& ps) override {
    inner_->declare(ps);
    int layer = 0;
    for (const auto& p : ps.infos()) layer = std::max(layer, p.layer + 1);
    pw_ = ps.add("head.w", 1, d_, "head", layer);
  }
  // The backbone's initialisation and w = 1 (the head then scores exactly like the backbone).
  void init(const ParamStore& ps, uint64_t seed) override {
    inner_->init(ps, seed);
    ps.set(pw_, std::vector<double>(static_cast<size_t>(d_), 1.0));
  }

  void forward(Tape& t, bool training, uint32_t epoch, uint32_t step) override {
    inner_->forward(t, training, epoch, step);
    Var w = t.gather(t.param(pw_), zeros_u_);  // U × d, every row w
    users_ = t.mul(inner_->users(), w);
  }
  Var users() const override { return users_; }
  Var items() const override { return inner_->items(); }
  LossTerms loss(Tape&, const Batch&, const RankSpec&) override {
    LETHE_FAIL("the " + name() + " model is " + inner_->name() +
               " with a certified logistic head fitted by lethe unlearn --method scalegun-certified; it has no "
               "training loss (train or unlearn from the " + inner_->name() + " checkpoint instead)");
  }
  std::vector<Var> modality_items() const override { return inner_->modality_items(); }
  UiPropagation ui_propagation() const override { return inner_->ui_propagation(); }
  bool negatives_reject_positives() const override { return inner_->negatives_reject_positives(); }

 private:
  std::unique_ptr<Model> inner_;
  int64_t d_;
  int pw_ = -1;
  OwnedIdx zeros_u_;
  Var users_;
};

}  // namespace

std::unique_ptr<Model> make_pair_head(const std::string& backbone, ModelData& data, const Config& cfg) {
  return std::make_unique<PairHead>(backbone, data, cfg);
}

}  // namespace lethe
