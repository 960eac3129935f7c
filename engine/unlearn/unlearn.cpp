// engine/unlearn/unlearn.cpp — the method registry, the shared split patterns, and Retrain.
// The approximate methods live in approx.cpp.
#include "engine/unlearn/unlearn.h"

#include <chrono>

#include "engine/checkpointing.h"
#include "engine/trainer.h"
#include "engine/unlearn/auto.h"
#include "graph/bipartite.h"
#include "kernels/runtime.h"

namespace lethe {

UnlearnResult run_approximate(const std::string& method, const UnlearnInput& in);     // approx.cpp
UnlearnResult run_multidelete(const std::string& method, const UnlearnInput& in);    // multidelete.cpp
UnlearnResult run_scalegun(const UnlearnInput& in);                                  // scalegun.cpp
UnlearnResult run_scalegun_certified(const UnlearnInput& in);                        // scalegun_certified.cpp

std::vector<std::string> method_names() {
  return {"retrain",          "finetune",          "neggrad",           "neggrad+",           "mmrecun",
          "tru",              "tru-no-gate",       "tru-no-scaling",    "tru-no-isolation",   "tru-no-rows",
          "tru-no-match",     "tru-no-confine",    "tru-no-offset",
          "tru-auto",         "tru-auto-no-gate",  "tru-auto-no-scaling", "tru-auto-no-isolation", "tru-auto-no-rows",
          "tru-auto-no-match", "tru-auto-no-confine", "tru-auto-no-offset",
          "mmrecun-auto",     "multidelete",       "multidelete-no-md",  "multidelete-no-mkr",
          "multidelete-no-ukr", "scalegun",        "scalegun-certified"};
}

bool is_method(const std::string& name) {
  for (const auto& m : method_names())
    if (m == name) return true;
  return false;
}

SplitPatterns split_patterns(const io::Dataset& ds, const io::ForgetSplit& split) {
  SplitPatterns p;
  p.retain_train = graph::interaction_pattern(ds.n_users, ds.n_items, split.retain);
  p.forget = graph::interaction_pattern(ds.n_users, ds.n_items, split.forget);
  p.full_train = graph::interaction_pattern(ds.n_users, ds.n_items, ds.train);
  p.deleted_user.assign(static_cast<size_t>(ds.n_users), 0);
  for (int32_t u : split.deleted_users) p.deleted_user[u] = 1;
  auto keep = [&](const io::Interactions& x) {
    io::Interactions out;
    for (int64_t k = 0; k < x.size(); ++k)
      if (!p.deleted_user[x.user[k]]) out.push(x.user[k], x.item[k]);
    return graph::interaction_pattern(ds.n_users, ds.n_items, out);
  };
  p.valid = keep(ds.valid);
  p.test = keep(ds.test);
  return p;
}

namespace {

UnlearnResult run_retrain(const UnlearnInput& in) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const int64_t live0 = memstat::live();
  memstat::reset_peak();
  Ctx& ctx = *in.ctx;
  const SplitPatterns pats = split_patterns(*in.ds, *in.split);
  UnlearnResult r;
  r.method = "retrain";
  r.session = std::make_unique<ModelSession>(ctx, *in.ds, in.model, in.cfg, in.cache_dir, DType::F32, &in.split->retain);
  ModelSession& s = *r.session;
  TrainOptions opt = TrainOptions::from(in.cfg, s.model());
  opt.seed = in.seed;
  opt.progress = in.progress;
  opt.epoch_lines = in.progress;
  opt.eval_test = false;  // model selection uses valid only; test is the audit's business
  s.init(opt.seed);
  AdamConfig ac;
  ac.lr = opt.lr;
  Adam adam(s.params(), ac);
  // The result is the best-valid epoch's parameters, kept in memory as the run goes.
  std::vector<char> best;
  TrainHooks hooks;
  hooks.on_best = [&](const TrainState&) { best = s.params().slab_bytes(); };
  const TrainResult tr = train(ctx, s.model(), s.params(), adam, s.data(), in.split->retain, pats.valid, pats.test, opt,
                               TrainState{}, hooks);
  if (!best.empty()) s.params().set_slab_bytes(best);
  ctx.sync();
  r.retrain_epochs = tr.epochs_run;
  for (const auto& e : tr.log) {
    UnlearnEpoch ue;
    ue.epoch = e.epoch;
    ue.retain_loss = e.loss;
    ue.seconds = e.seconds;
    r.log.push_back(ue);
  }
  r.seconds = std::chrono::duration<double>(clock::now() - t0).count();
  r.peak_bytes = memstat::peak() - live0;
  return r;
}

}  // namespace

UnlearnResult run_unlearning(const std::string& method, const UnlearnInput& in) {
  LETHE_CHECK(in.ctx && in.ds && in.split, "run_unlearning: incomplete input");
  if (!is_method(method)) {
    std::string list;
    for (const auto& m : method_names()) list += (list.empty() ? "" : ", ") + m;
    LETHE_FAIL("unknown unlearning method '" + method + "' (expected one of: " + list + ")");
  }
  LETHE_CHECK(in.split->forget.size() > 0, "the deletion request removes no train interaction");
  LETHE_CHECK(in.split->retain.size() > 0, "the deletion request removes every train interaction");
  if (has_user_offset(in.model))
    LETHE_FAIL("the original model is a " + in.model + " model (the output of TRU's confined update with tru.offset on); "
               "unlearning starts from a " + backbone_of(in.model) + " checkpoint written by lethe train");
  if (has_pair_head(in.model))
    LETHE_FAIL("the original model is a " + in.model + " model (the output of scalegun-certified); unlearning starts "
               "from a " + backbone_of(in.model) + " checkpoint written by lethe train");
  if (method == "retrain") return run_retrain(in);
  LETHE_CHECK(in.original != nullptr, method + " needs the original model θ₀ (a trained checkpoint)");
  if (method.rfind("multidelete", 0) == 0) return run_multidelete(method, in);
  if (method == "scalegun") return run_scalegun(in);
  if (method == "scalegun-certified") return run_scalegun_certified(in);
  if (!unlearn::auto_base(method).empty()) return unlearn::run_auto(method, in);
  return run_approximate(method, in);
}

}  // namespace lethe
