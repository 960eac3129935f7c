// engine/unlearn/scalegun.cpp — ScaleGUN (Yi et al., ICLR 2025) adapted to multimodal
// recommenders, uncertified (the design and every choice: docs/BASELINES.md).
//  1. Lazy local propagation: θ₀'s user–item view (Model::ui_propagation: LightGCN's and MGCN's
//     mean over Â^l [E_u; E_i], MIG-GT's ID branch) is moved from D's graph to D_r's by forward
//     push from the rows the deleted edges changed (push.h), with r_max = scalegun.r_max × the
//     mean column L1 norm of H⁰. The affected users are the users of the deleted edges and every
//     user whose pushed view row moved by more than the push's error bound.
//  2. One damped Newton step on BPR over the affected users' triples: every train row (u, i⁺) of
//     an affected user gets one negative, drawn once (the backbone's sampler rule, D(u) rejected)
//     and kept fixed. With n the number of retained affected triples and
//        L_D(θ)  = (1/n) Σ BPR over the affected users' rows of D, on D's graph,
//        L_Dr(θ) = (1/n) Σ BPR over the affected users' rows of D_r, on D_r's graph,
//     v = ∇L_D(θ₀) − ∇L_Dr(θ₀) and (∇²L_Dr(θ₀) + scalegun.damping·I) x = v is solved by conjugate
//     gradient (≤ scalegun.cg_iters products, relative tolerance scalegun.cg_tol) with
//     Hessian-vector products by central differences of gradients (newton.h); θ ← θ₀ + x.
// Every forward here runs in evaluation mode (MIG-GT: no dropout, running BN statistics, the
// fixed attention sample) so that the gradients are deterministic functions of θ.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "engine/ops.h"
#include "engine/trainer.h"
#include "engine/unlearn/common.h"
#include "engine/unlearn/newton.h"
#include "engine/unlearn/push.h"
#include "graph/bipartite.h"
#include "graph/miggt_graph.h"
#include "kernels/philox.h"

namespace lethe {

namespace {

// Fixed triples on the device.
struct Triples {
  int64_t n = 0;
  OwnedIdx u, p, q;  // users, positives, negatives
  Triples() = default;
  Triples(Ctx& ctx, const std::vector<int32_t>& users, const std::vector<int32_t>& pos, const std::vector<int32_t>& neg)
      : n(static_cast<int64_t>(users.size())),
        u(ctx, users),
        p(ctx, pos),
        q(ctx, neg) {}
};

// (1/n)·Σ BPR of the triples after an evaluation-mode forward on the session's current graph.
Var bpr_loss(Tape& tape, Model& m, const Triples& t, double n) {
  m.forward(tape, false, 0, 0);
  const Var U = m.users(), I = m.items();
  return tape.bpr(tape.gather(U, t.u), tape.gather(I, t.p), tape.gather(I, t.q), Tensor(), 1.0 / n, false);
}

double loss_value(Tape& tape, Model& m, const Triples& t, double n) {
  if (t.n == 0) return 0.0;
  tape.clear();
  const double v = tape.item(bpr_loss(tape, m, t, n));
  tape.clear();
  return v;
}

}  // namespace

UnlearnResult run_scalegun(const UnlearnInput& in) {
  const unlearn::RunMeter meter;
  Ctx& ctx = *in.ctx;
  const io::Dataset& ds = *in.ds;
  const SplitPatterns pats = split_patterns(ds, *in.split);
  UnlearnResult r;
  r.method = "scalegun";
  r.session = unlearn::session_on_retain(in);
  ModelSession& s = *r.session;
  Model& model = s.model();
  unlearn::restore_original(in, s, nullptr, 0.0);
  const double damping = in.cfg.f64("scalegun.damping"), tol = in.cfg.f64("scalegun.cg_tol");
  const int64_t max_iters = in.cfg.i64("scalegun.cg_iters");
  const double rel_rmax = in.cfg.f64("scalegun.r_max");
  LETHE_CHECK(damping >= 0 && tol >= 0 && max_iters >= 0 && rel_rmax >= 0,
              "scalegun.damping, scalegun.cg_tol, scalegun.cg_iters and scalegun.r_max must be >= 0");
  const auto t_push = std::chrono::steady_clock::now();

  // ---- 1. lazy local propagation of θ₀'s user–item view ----
  const UiPropagation up = model.ui_propagation();
  const int32_t U = ds.n_users, I = ds.n_items;
  const int64_t N = static_cast<int64_t>(U) + I;
  const ParamInfo& ui = s.params().info(up.user_param);
  const int64_t d = ui.cols;
  std::vector<double> H0(static_cast<size_t>(N * d), 0.0);
  {
    const std::vector<double> eu = s.params().get(up.user_param);
    std::copy(eu.begin(), eu.end(), H0.begin());
    if (up.item_param >= 0) {
      const std::vector<double> ei = s.params().get(up.item_param);
      std::copy(ei.begin(), ei.end(), H0.begin() + static_cast<int64_t>(U) * d);
    }
  }
  const graph::UserItemGraph ui_old = graph::build_user_item_graph(U, I, ds.train);
  graph::MigGraph mig_old;
  if (up.mig) mig_old = graph::build_miggt_graph(ui_old.train);
  const graph::HostCsr& P_old = up.mig ? mig_old.P : ui_old.adj;
  const graph::HostCsr& P_new = up.mig ? s.data().mig_graph.P : s.data().graph.adj;
  const unlearn::PushResult pr =
      unlearn::push_update(P_old, P_new, up.weights, H0, d, unlearn::relative_r_max(H0, d, rel_rmax));
  std::vector<char> affected(static_cast<size_t>(U), 0);
  for (int64_t k = 0; k < in.split->forget.size(); ++k) affected[in.split->forget.user[k]] = 1;
  for (int32_t u = 0; u < U; ++u) {
    const double* a = &pr.view_old[static_cast<size_t>(u) * d];
    const double* b = &pr.view_new[static_cast<size_t>(u) * d];
    for (int64_t c = 0; c < d && !affected[u]; ++c)
      if (std::abs(a[c] - b[c]) > pr.bound) affected[u] = 1;
  }
  int64_t n_affected = 0;
  for (char a : affected) n_affected += a;
  const double push_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_push).count();

  // ---- 2. one damped Newton step on BPR over the affected users' triples ----
  // Negatives once, from the backbone's sampler rule with D(u) rejected (on the host: the
  // sampler's CPU path, which draws the same items as the device's).
  std::vector<int32_t> ou, op, du, dp, nu, np;
  std::vector<int64_t> rows;
  for (int64_t k = 0; k < ds.train.size(); ++k)
    if (affected[ds.train.user[k]]) rows.push_back(k);
  for (int64_t k : rows) {
    ou.push_back(ds.train.user[k]);
    op.push_back(ds.train.item[k]);
  }
  const std::vector<int32_t> oq = unlearn::host_negatives(model, pats.full_train, s.data().graph.pool, I, ou, in.seed,
                                                          rng_stream(RngPurpose::kNegative, 0x300000u, 0));
  std::vector<int32_t> nq, dq;
  for (size_t j = 0; j < rows.size(); ++j) {
    const bool deleted = graph::contains(pats.forget, ou[j], op[j]);
    (deleted ? du : nu).push_back(ou[j]);
    (deleted ? dp : np).push_back(op[j]);
    (deleted ? dq : nq).push_back(oq[j]);
  }
  const Triples T_old(ctx, ou, op, oq), T_new(ctx, nu, np, nq), T_del(ctx, du, dp, dq);
  const double n = static_cast<double>(std::max<int64_t>(T_new.n, 1));

  Tape tape(ctx, s.params());
  auto grad_of = [&](const Triples& t) {
    return [&tape, &model, &t, n, &ctx](const GradSlab& G) {
      G.zero(ctx);
      if (t.n == 0) return;
      tape.clear();
      tape.backward(bpr_loss(tape, model, t, n), G);
      tape.clear();
    };
  };
  const double del_before = loss_value(tape, model, T_del, static_cast<double>(std::max<int64_t>(T_del.n, 1)));
  const double new_before = loss_value(tape, model, T_new, n);
  GradSlab g_old(s.params()), g_new(s.params());
  s.data().set_train(ds.train);  // ∇L_D on D's graph ...
  grad_of(T_old)(g_old);
  s.data().set_train(in.split->retain);  // ... and everything else on D_r's
  grad_of(T_new)(g_new);
  const Tensor slab = s.params().slab();
  OwnedTensor v(ctx, slab.dtype, slab.rows, 1), x(ctx, slab.dtype, slab.rows, 1);
  ops::sub(ctx, g_old.all(), g_new.all(), v);
  unlearn::FdHvp hvp(ctx, s.params(), grad_of(T_new));
  const unlearn::CgResult cg = unlearn::conjugate_gradient(
      ctx, [&](const Tensor& p, const Tensor& out) { hvp.apply(p, out); }, damping, v, x, static_cast<int>(max_iters),
      tol);
  const double step_norm = std::sqrt(unlearn::dot(ctx, x, x)), v_norm = std::sqrt(unlearn::dot(ctx, v, v));
  ops::axpy(ctx, 1.0, x, slab);
  const double del_after = loss_value(tape, model, T_del, static_cast<double>(std::max<int64_t>(T_del.n, 1)));
  const double new_after = loss_value(tape, model, T_new, n);

  UnlearnEpoch ue;
  ue.epoch = 0;
  ue.forget_pairs = T_del.n;
  ue.forget_loss = del_after;
  ue.retain_loss = new_after;
  ue.terms = {{"deleted_bpr_before", del_before}, {"retained_bpr_before", new_before},
              {"cg_iterations", cg.iterations},   {"cg_relative_residual", cg.relative_residual},
              {"step_norm", step_norm},           {"rhs_norm", v_norm}};
  ue.seconds = meter.seconds();
  r.log.push_back(ue);
  r.stats = {{"push_r_max", pr.r_max},
             {"push_error_bound", pr.bound},
             {"push_pushes", static_cast<double>(pr.pushes)},
             {"push_changed_rows", static_cast<double>(pr.changed_rows)},
             {"push_touched_nodes", static_cast<double>(pr.touched)},
             {"push_seconds", push_seconds},
             {"affected_users", static_cast<double>(n_affected)},
             {"affected_triples", static_cast<double>(T_old.n)},
             {"retained_triples", static_cast<double>(T_new.n)},
             {"cg_iterations", cg.iterations},
             {"cg_relative_residual", cg.relative_residual},
             {"cg_converged", cg.converged ? 1.0 : 0.0},
             {"cg_negative_curvature", cg.negative_curvature ? 1.0 : 0.0},
             {"gradient_evaluations", static_cast<double>(hvp.gradient_evaluations() + 2)},
             {"newton_step_norm", step_norm}};
  if (cg.negative_curvature)
    r.notes.push_back("scalegun: CG met a direction of non-positive curvature after " + std::to_string(cg.iterations) +
                      " products and kept the step reached so far");
  if (in.progress)
    std::fprintf(stderr,
                 "  scalegun: push %lld pushes from %lld changed rows (bound %.3g), %lld affected users, %lld triples; "
                 "CG %d products, residual %.3g%s; ‖x‖ %.4g; deleted BPR %.4f -> %.4f, retained %.4f -> %.4f\n",
                 static_cast<long long>(pr.pushes), static_cast<long long>(pr.changed_rows), pr.bound,
                 static_cast<long long>(n_affected), static_cast<long long>(T_old.n), cg.iterations,
                 cg.relative_residual, cg.negative_curvature ? " (negative curvature)" : "", step_norm, del_before,
                 del_after, new_before, new_after);
  meter.finish(ctx, r);
  return r;
}

}  // namespace lethe
