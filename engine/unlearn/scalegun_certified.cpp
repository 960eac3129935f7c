// engine/unlearn/scalegun_certified.cpp — ScaleGUN's certified part adapted to recommenders: a
// logistic head on θ₀'s frozen pair features with certified removal (certified_head.h; the design
// and every choice: docs/BASELINES.md).
//  * Features: θ₀'s final embeddings from an evaluation-mode forward on the graph rebuilt from
//    D_r (the edit every method makes first), z_ui = e⁰_u ⊙ e⁰_i.
//  * Examples: every train row (u, i⁺) of D is a positive z_ui⁺ (y = +1) with one sampled
//    negative z_ui⁻ (y = −1; the backbone's sampler rule with D(u) rejected, drawn once).
//  * The head is fitted on all of D (objective perturbation, L-BFGS), then D_f's rows are removed
//    in batches of scalegun.cert.batch_size rows (both examples of a row go together), one Newton
//    step per batch, the bound accumulated and the head retrained with fresh noise when it passes
//    the budget σε/√(2 ln(1.5/δ)).
//  * The result is the model "<backbone>+head" (engine/models/pair_head.cpp): θ₀ unchanged and
//    the head w, scoring s_ui = zᵀw = (e⁰_u ⊙ w)·e⁰_i — evaluated, audited and saved like any
//    model. Only the head is certified: θ₀'s parameters still carry everything they learnt from D.
#include <cstdio>

#include "engine/ops.h"
#include "engine/trainer.h"
#include "engine/unlearn/certified_head.h"
#include "engine/unlearn/common.h"
#include "io/json.h"
#include "kernels/philox.h"

namespace lethe {

UnlearnResult run_scalegun_certified(const UnlearnInput& in) {
  const unlearn::RunMeter meter;
  Ctx& ctx = *in.ctx;
  const io::Dataset& ds = *in.ds;
  const SplitPatterns pats = split_patterns(ds, *in.split);
  UnlearnResult r;
  r.method = "scalegun-certified";
  unlearn::HeadSettings hs;
  hs.epsilon = in.cfg.f64("scalegun.cert.epsilon");
  hs.delta = in.cfg.f64("scalegun.cert.delta");
  hs.sigma = in.cfg.f64("scalegun.cert.sigma");
  hs.lambda = in.cfg.f64("scalegun.cert.lambda");
  hs.lbfgs_iters = static_cast<int>(in.cfg.i64("scalegun.cert.lbfgs_iters"));
  hs.seed = in.seed;
  const double budget = unlearn::certified_budget(hs.epsilon, hs.delta, hs.sigma);  // checks ε, δ, σ up front

  // θ₀ on the edited graph and its pair features.
  std::unique_ptr<ModelSession> s0 = unlearn::session_on_retain(in);
  unlearn::restore_original(in, *s0, nullptr, 0.0);
  const int64_t batch = in.cfg.i64_or("scalegun.cert.batch_size", unlearn::unlearn_batch(in, s0->model()));
  LETHE_CHECK(batch >= 1, "scalegun.cert.batch_size must be >= 1");
  const std::vector<int32_t> neg =
      unlearn::host_negatives(s0->model(), pats.full_train, s0->data().graph.pool, ds.n_items, ds.train.user, in.seed,
                              rng_stream(RngPurpose::kNegative, 0x500000u, 0));
  const int64_t rows = ds.train.size(), n = 2 * rows;
  std::vector<int32_t> users(static_cast<size_t>(n)), items(static_cast<size_t>(n));
  std::vector<double> y(static_cast<size_t>(n));
  for (int64_t k = 0; k < rows; ++k) {  // example 2k: the row's positive, 2k + 1: its negative
    users[2 * k] = users[2 * k + 1] = ds.train.user[k];
    items[2 * k] = ds.train.item[k];
    items[2 * k + 1] = neg[k];
    y[2 * k] = 1.0;
    y[2 * k + 1] = -1.0;
  }
  std::vector<double> Z;
  int64_t d = 0;
  {
    const Embeddings e = embed(ctx, s0->model(), s0->params());
    d = e.users.t().cols;
    const OwnedIdx iu(ctx, users), ii(ctx, items);
    OwnedTensor zu(ctx, e.users.t().dtype, n, d), zi(ctx, e.users.t().dtype, n, d);
    ops::gather_rows(ctx, e.users, iu, zu);
    ops::gather_rows(ctx, e.items, ii, zi);
    ops::mul(ctx, zu, zi, zu);
    Z = zu.t().to_host(ctx);
  }
  const double feature_seconds = meter.seconds();

  unlearn::CertifiedHead head(std::move(Z), std::move(y), d, hs);
  head.fit();
  const double fit_seconds = meter.seconds() - feature_seconds;
  const double first_grad_norm = head.train_grad_norm();
  const int first_iters = head.train_iterations();

  // Remove D_f's rows (train order), batch by batch.
  std::vector<int64_t> del;
  for (int64_t k = 0; k < rows; ++k)
    if (graph::contains(pats.forget, ds.train.user[k], ds.train.item[k])) del.push_back(k);
  int64_t step = 0;
  double bound_max = head.bound();
  for (size_t lo = 0; lo < del.size(); lo += static_cast<size_t>(batch), ++step) {
    const auto te = std::chrono::steady_clock::now();
    std::vector<int64_t> ids;
    for (size_t j = lo; j < std::min(del.size(), lo + static_cast<size_t>(batch)); ++j) {
      ids.push_back(2 * del[j]);
      ids.push_back(2 * del[j] + 1);
    }
    const double before = head.bound();
    const unlearn::CertifiedHead::Removal rm = head.remove(ids);
    bound_max = std::max(bound_max, rm.retrained ? before + rm.step_bound : head.bound());
    UnlearnEpoch ue;
    ue.epoch = step;
    ue.forget_pairs = static_cast<int64_t>(ids.size() / 2);
    ue.forget_loss = head.mean_loss(ids);  // the removed examples under the updated head
    ue.terms = {{"step_bound", rm.step_bound}, {"bound", head.bound()}, {"retrained", rm.retrained ? 1.0 : 0.0}};
    ue.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - te).count();
    r.log.push_back(ue);
    if (in.progress)
      std::fprintf(stderr, "  scalegun-certified removal %lld: %lld rows, step bound %.4g, bound %.4g / budget %.4g%s\n",
                   static_cast<long long>(step + 1), static_cast<long long>(ids.size() / 2), rm.step_bound,
                   head.bound(), budget, rm.retrained ? " -> retrained with fresh noise" : "");
  }

  // The result: θ₀ with the head on top, on the edited graph.
  r.session = std::make_unique<ModelSession>(ctx, ds, in.model + kPairHeadSuffix, in.cfg, in.cache_dir, DType::F32,
                                             &in.split->retain);
  ParamStore& ps = r.session->params();
  for (int i = 0; i < s0->params().count(); ++i)
    ops::copy(ctx, s0->params().value(i), ps.value(s0->params().info(i).name));
  ps.set(ps.id("head.w"), head.w());
  s0.reset();

  r.stats = {{"epsilon", hs.epsilon},
             {"delta", hs.delta},
             {"sigma", hs.sigma},
             {"lambda", hs.lambda},
             {"budget", budget},
             {"bound", head.bound()},
             {"bound_max", bound_max},
             {"retrains", static_cast<double>(head.retrains())},
             {"removal_steps", static_cast<double>(step)},
             {"examples", static_cast<double>(n)},
             {"examples_removed", static_cast<double>(2 * del.size())},
             {"lbfgs_iterations", static_cast<double>(first_iters)},
             {"lbfgs_grad_norm", first_grad_norm},
             {"feature_seconds", feature_seconds},
             {"fit_seconds", fit_seconds}};
  r.notes.push_back("(ε, δ) = (" + io::format_double(hs.epsilon) + ", " + io::format_double(hs.delta) + ") certified removal, " +
                    std::to_string(head.retrains()) + " retrain(s) of the head over " + std::to_string(step) +
                    " removal step(s), final bound " + io::format_double(head.bound()) + " of budget " +
                    io::format_double(budget) + "; only the logistic head is certified (given its input features): "
                    "the backbone θ₀ is frozen and still carries what it learnt from the deleted data");
  meter.finish(ctx, r);
  return r;
}

}  // namespace lethe
