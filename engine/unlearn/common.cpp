// engine/unlearn/common.cpp — see common.h.
#include "engine/unlearn/common.h"

#include <cmath>

#include "engine/checkpointing.h"
#include "engine/ops.h"
#include "engine/trainer.h"
#include "io/progress.h"
#include "kernels/philox.h"
#include "kernels/runtime.h"

namespace lethe::unlearn {

std::vector<int64_t> shuffled(int64_t n, uint64_t seed, uint32_t a, uint32_t b) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  const uint64_t stream = rng_stream(RngPurpose::kUnlearn, a, b);
  for (int64_t i = n - 1; i > 0; --i) {
    const uint32_t j = below(philox(seed, stream, static_cast<uint64_t>(i)).v[0], static_cast<uint32_t>(i + 1));
    std::swap(p[i], p[j]);
  }
  return p;
}

void RetainCycle::take(int64_t n, Batch& b) {
  b.users.clear();
  b.pos.clear();
  while (static_cast<int64_t>(b.users.size()) < n) {
    if (pos_ >= static_cast<int64_t>(perm_.size())) next_pass();
    const int64_t k = perm_[pos_++];
    b.users.push_back(r_.user[k]);
    b.pos.push_back(r_.item[k]);
  }
}

void RetainCycle::next_pass() {
  perm_ = shuffled(r_.size(), seed_, 0x400000u, pass_++);
  pos_ = 0;
}

std::unique_ptr<ModelSession> session_on_retain(const UnlearnInput& in, const std::string& model) {
  auto s = std::make_unique<ModelSession>(*in.ctx, *in.ds, model.empty() ? in.model : model, in.cfg, in.cache_dir,
                                          DType::F32, &in.split->retain);
  if (!model.empty()) s->init(in.seed);  // the wrapper's own parameters: restoring θ₀ keeps them
  return s;
}

void restore_original(const UnlearnInput& in, ModelSession& s, Adam* adam, double lr) {
  const std::string adam_state = in.cfg.str("unlearn.adam_state");
  if (adam_state != "fresh" && adam_state != "original")
    throw Error("unlearn.adam_state must be fresh or original, got '" + adam_state + "'");
  // Continuing θ₀'s optimizer: its second moments are calibrated to the training gradients, so an
  // element the forget loss barely touches moves little instead of a full lr-sized Adam step.
  const bool continue_adam = adam && adam_state == "original";
  if (continue_adam && !in.original->find("adam.m"))
    throw Error("unlearn.adam_state = original: the original checkpoint holds no Adam state (was it written by lethe train?)");
  restore_backbone_checkpoint(*in.original, "the original model", s.params(), continue_adam ? adam : nullptr);
  if (adam) adam->set_lr(lr);  // a restored Adam carries θ₀'s last training lr
}

double unlearn_lr(const UnlearnInput& in, const Model& m) {
  return in.cfg.f64_or("unlearn.lr", in.cfg.f64_or("lr", m.default_lr()));
}

int64_t unlearn_batch(const UnlearnInput& in, const Model& m) {
  return in.cfg.i64_or("unlearn.batch_size", in.cfg.i64_or("batch_size", m.default_batch_size()));
}

std::vector<int32_t> host_negatives(const Model& m, const graph::HostCsr& train, const std::vector<int32_t>& pool,
                                    int32_t n_items, const std::vector<int32_t>& users, uint64_t seed, uint64_t stream) {
  Ctx host(Device::CPU);
  std::vector<int32_t> out(users.size()), all;
  graph::HostCsr none;
  const bool reject = m.negatives_reject_positives();
  if (!reject) {
    all.resize(static_cast<size_t>(n_items));
    for (int32_t i = 0; i < n_items; ++i) all[i] = i;
    none.rows = train.rows;
    none.cols = train.cols;
    none.rowptr.assign(static_cast<size_t>(train.rows) + 1, 0);
  }
  const std::vector<int32_t>& from = reject ? pool : all;
  LETHE_CHECK(!from.empty() || users.empty(), "negative sampling: no items to draw from");
  auto view = [](const std::vector<int32_t>& v) {
    return IdxTensor{const_cast<int32_t*>(v.data()), static_cast<int64_t>(v.size()), Device::CPU};
  };
  ops::sample_negatives(host, seed, stream, view(users), view(from), (reject ? train : none).view(), view(out));
  return out;
}

EarlyStop::EarlyStop(const UnlearnInput& in, const SplitPatterns& pats, ModelSession& s)
    : on_(in.cfg.flag("unlearn.early_stop")) {
  if (!on_) return;
  // The model's own valid Recall@20 on the forget users: the level never-seen positives reach.
  std::vector<char> fu(static_cast<size_t>(in.ds->n_users), 0);
  for (int32_t u : in.split->forget_users) fu[u] = 1;
  io::Interactions v;
  for (int64_t k = 0; k < in.ds->valid.size(); ++k)
    if (fu[in.ds->valid.user[k]]) v.push(in.ds->valid.user[k], in.ds->valid.item[k]);
  valid_forget_users_ = graph::interaction_pattern(in.ds->n_users, in.ds->n_items, v);
  fspec_.truth = &pats.forget;
  vspec_.truth = &valid_forget_users_;
  fspec_.mask = vspec_.mask = &s.data().train_mask;
  fspec_.ks = vspec_.ks = {20};
}

bool EarlyStop::reached(Ctx& ctx, ModelSession& s) const {
  if (!on_) return false;
  Embeddings em = embed(ctx, s.model(), s.params());
  const double fr = evaluate(ctx, em.users, em.items, fspec_).get("recall@20");
  const double vr = evaluate(ctx, em.users, em.items, vspec_).get("recall@20");
  return fr <= vr;
}

RunMeter::RunMeter() : t0_(std::chrono::steady_clock::now()), live0_(memstat::live()) { memstat::reset_peak(); }

double RunMeter::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
}

std::string RunMeter::progress(int64_t done, int64_t total) const {
  const double s = seconds(), left = done > 0 ? s / static_cast<double>(done) * static_cast<double>(total - done) : NAN;
  return "elapsed " + io::format_duration(s) + ", ETA " + io::format_duration(left);
}

void RunMeter::finish(Ctx& ctx, UnlearnResult& r) const {
  ctx.sync();
  r.seconds = seconds();
  r.peak_bytes = memstat::peak() - live0_;
}

}  // namespace lethe::unlearn
