// tests/unlearn/test_baselines.cpp — the pieces of the MultiDelete and ScaleGUN adaptations on
// their own: MultiDelete's retention terms vanish at the first step and its decoupling partners
// avoid train pairs; the forward push matches a full recompute within its bound after 1 % of the
// edges are deleted; conjugate gradient solves a known SPD system and reports negative curvature;
// the finite-difference Hessian-vector product matches a Hessian built from second differences of
// the loss; the certified head's budget, its Newton removals against a re-optimisation, its
// retraining when the bound passes the budget; the pair-head model scores zᵀw and round-trips
// through a checkpoint.
#include <unistd.h>

#include <cmath>
#include <limits>
#include <random>

#include "engine/checkpointing.h"
#include "engine/ops.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "engine/unlearn/certified_head.h"
#include "engine/unlearn/multidelete.h"
#include "engine/unlearn/newton.h"
#include "engine/unlearn/push.h"
#include "engine/unlearn/unlearn.h"
#include "graph/bipartite.h"
#include "graph/miggt_graph.h"
#include "tests/io/io_test_util.h"
#include "tests/models/tiny_data.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

Config tiny_config() {
  Config c;
  c.set("dim", "8");
  c.set("mgcn.knn_k", "4");
  c.set("miggt.hidden", "16");
  c.set("miggt.samples", "3");
  c.set("unlearn.epochs", "1");
  c.set("unlearn.batch_size", "16");
  return c;
}

io::ForgetSplit interaction_split(const io::Dataset& ds, double ratio, uint64_t seed) {
  io::RequestSpec rs;
  rs.regime = io::Regime::kInteraction;
  rs.ratio = ratio;
  rs.seed = seed;
  return io::resolve(ds, io::make_request(ds, rs));
}

// An initialised (untrained) model saved as θ₀: MultiDelete's step-0 identity holds for any θ₀.
io::Checkpoint initial_checkpoint(const io::Dataset& ds, const std::string& model, const Config& cfg) {
  Ctx ctx(Device::CPU);
  ModelSession s(ctx, ds, model, cfg, "");
  s.init(5);
  // ctest runs every test in a process of its own, several at once: the path is per process.
  const std::string path = ::testing::TempDir() + "/lethe_init_" + model + "_" + std::to_string(::getpid()) + ".ckpt";
  save_model_checkpoint(path, model, cfg, ds, s.params(), nullptr, nullptr);
  io::Checkpoint c = io::read_checkpoint(path);
  std::remove(path.c_str());
  return c;
}

UnlearnInput input(Ctx& ctx, const io::Dataset& ds, const io::ForgetSplit& split, const std::string& model,
                   const Config& cfg, const io::Checkpoint& ckpt) {
  UnlearnInput in;
  in.ctx = &ctx;
  in.ds = &ds;
  in.split = &split;
  in.model = model;
  in.cfg = cfg;
  in.original = &ckpt;
  in.seed = 2;
  return in;
}

// ---- MultiDelete ----

class MultiDeleteStepZero : public ::testing::TestWithParam<std::string> {};

// At the first step θ′ = θ₀ on the same (edited) graph in the same mode, so both retention terms
// are exactly 0; against θ₀'s forward on the original graph they are not (the edit moved the
// retained pairs' representations), which shows the check can fail.
TEST_P(MultiDeleteStepZero, RetentionLossesAreExactlyZero) {
  const std::string model = GetParam();
  const io::Dataset ds = test::tiny_dataset(60, 80, 10, {8, 6}, 7, 3);
  const Config cfg = tiny_config();
  const io::Checkpoint ckpt = initial_checkpoint(ds, model, cfg);
  const io::ForgetSplit split = interaction_split(ds, 0.1, 3);
  Ctx ctx(Device::CPU);
  UnlearnResult r = run_unlearning("multidelete", input(ctx, ds, split, model, cfg, ckpt));
  ASSERT_TRUE(r.stats.count("first_step.mkr"));
  EXPECT_EQ(r.stats.at("first_step.mkr"), 0.0);
  EXPECT_GT(r.stats.at("first_step.md"), 0.0);  // the decoupling term does work from the start
  if (model == "lightgcn") {
    EXPECT_FALSE(r.stats.count("first_step.ukr")) << "LightGCN has no modality representation";
    ASSERT_FALSE(r.notes.empty());
    EXPECT_NE(r.notes[0].find("no modality"), std::string::npos);
  } else {
    ASSERT_TRUE(r.stats.count("first_step.ukr"));
    EXPECT_EQ(r.stats.at("first_step.ukr"), 0.0);
  }
  Config orig = cfg;
  orig.set("multidelete.retain_reference", "original");
  UnlearnResult o = run_unlearning("multidelete", input(ctx, ds, split, model, orig, ckpt));
  EXPECT_GT(o.stats.at("first_step.mkr"), 0.0) << "θ₀ on D's graph differs from θ₀ on D_r's";
  ASSERT_EQ(r.log.size(), 1u);
  EXPECT_TRUE(r.log[0].terms.count("reg"));
}

INSTANTIATE_TEST_SUITE_P(Backbones, MultiDeleteStepZero, ::testing::Values("lightgcn", "mgcn", "miggt"));

// Both ScaleGUN methods on MIG-GT (its self-loop graph in the push, evaluation-mode gradients).
TEST(ScaleGun, RunsOnMigGt) {
  const io::Dataset ds = test::tiny_dataset(60, 80, 10, {8, 6}, 7, 3);
  const Config cfg = tiny_config();
  const io::Checkpoint ckpt = initial_checkpoint(ds, "miggt", cfg);
  const io::ForgetSplit split = interaction_split(ds, 0.1, 3);
  Ctx ctx(Device::CPU);
  UnlearnResult r = run_unlearning("scalegun", input(ctx, ds, split, "miggt", cfg, ckpt));
  EXPECT_GT(r.stats.at("push_pushes"), 0.0);
  EXPECT_GT(r.stats.at("cg_iterations"), 0.0);
  EXPECT_GT(r.stats.at("newton_step_norm"), 0.0);
  UnlearnResult c = run_unlearning("scalegun-certified", input(ctx, ds, split, "miggt", cfg, ckpt));
  EXPECT_EQ(c.session->model_name(), "miggt+head");
  EXPECT_GT(c.stats.at("removal_steps"), 0.0);
}

TEST(MultiDelete, AblationSwitchesRemoveTheirTerm) {
  const io::Dataset ds = test::tiny_dataset(60, 80, 10, {8, 6}, 7, 3);
  const Config cfg = tiny_config();
  const io::Checkpoint ckpt = initial_checkpoint(ds, "mgcn", cfg);
  const io::ForgetSplit split = interaction_split(ds, 0.1, 3);
  Ctx ctx(Device::CPU);
  for (const std::string t : {"md", "mkr", "ukr"}) {
    UnlearnResult r = run_unlearning("multidelete-no-" + t, input(ctx, ds, split, "mgcn", cfg, ckpt));
    EXPECT_FALSE(r.log[0].terms.count(t)) << t;
    for (const std::string other : {"md", "mkr", "ukr"})
      if (other != t) {
        EXPECT_TRUE(r.log[0].terms.count(other)) << other;
      }
  }
  Config bad = cfg;
  bad.set("multidelete.retain_reference", "both");
  EXPECT_NE(test::error_of([&] { run_unlearning("multidelete", input(ctx, ds, split, "mgcn", bad, ckpt)); })
                .find("edited or original"),
            std::string::npos);
}

TEST(MultiDelete, DecouplingPartnersAvoidTrainPairs) {
  // 3 users, 6 items; train: u0 {0,1,2}, u1 {3,4}, u2 {5}.
  const graph::HostCsr train = graph::csr_from_coo(3, 6, {0, 0, 0, 1, 1, 2}, {0, 1, 2, 3, 4, 5}, nullptr, false);
  const std::vector<int32_t> pool = {0, 1, 2, 3, 4, 5};
  const std::vector<int32_t> users = {0, 0, 1, 1, 2, 0}, items = {0, 1, 3, 4, 5, 2};
  for (uint32_t step = 0; step < 20; ++step) {
    int64_t fb = 0;
    const std::vector<int32_t> p = unlearn::decoupled_items(users, items, train, pool, 9, 0, step, &fb);
    ASSERT_EQ(p.size(), users.size());
    for (size_t b = 0; b < p.size(); ++b) EXPECT_FALSE(graph::contains(train, users[b], p[b])) << b;
    if (fb == 0) {  // a repaired permutation: the same multiset of items
      std::vector<int32_t> a = p, c = items;
      std::sort(a.begin(), a.end());
      std::sort(c.begin(), c.end());
      EXPECT_EQ(a, c);
    }
  }
  // One user's items only: no permutation avoids the train pairs, every row falls back.
  int64_t fb = 0;
  const std::vector<int32_t> p = unlearn::decoupled_items({0, 0, 0}, {0, 1, 2}, train, pool, 9, 0, 0, &fb);
  EXPECT_EQ(fb, 3);
  for (int32_t i : p) EXPECT_GE(i, 3);
}

// ---- ScaleGUN: lazy local propagation ----

struct PushCase {
  graph::HostCsr P_old, P_new;
  std::vector<double> weights;
};

TEST(ScaleGunPush, MatchesFullRecomputeWithinTheBoundAfterDeletingOnePercent) {
  const io::Dataset ds = test::tiny_dataset(300, 120, 12, {}, 11, 3);
  const io::ForgetSplit split = interaction_split(ds, 0.01, 4);
  ASSERT_GE(split.forget.size(), 25);
  const graph::UserItemGraph g_old = graph::build_user_item_graph(ds.n_users, ds.n_items, ds.train);
  const graph::UserItemGraph g_new = graph::build_user_item_graph(ds.n_users, ds.n_items, split.retain);
  std::vector<PushCase> cases;
  cases.push_back({g_old.adj, g_new.adj, {0.25, 0.25, 0.25, 0.25}});  // LightGCN, L = 3
  const double a = 0.1, b = 0.9;
  cases.push_back({graph::build_miggt_graph(g_old.train).P, graph::build_miggt_graph(g_new.train).P,
                   {a, a * b, a * b * b, a * b * b * b, b * b * b * b}});  // MIG-GT's ID branch, K = 4
  const int64_t N = ds.n_users + ds.n_items, d = 8;
  const std::vector<double> H0 = test::random_vec<double>(N * d, 21, -0.3, 0.3);
  for (size_t c = 0; c < cases.size(); ++c) {
    SCOPED_TRACE(c == 0 ? "Â, LightGCN weights" : "MIG-GT graph, MGDCF weights");
    const PushCase& pc = cases[c];
    const std::vector<double> exact = unlearn::propagate_full(pc.P_new, pc.weights, H0, d);
    const std::vector<double> old = unlearn::propagate_full(pc.P_old, pc.weights, H0, d);
    for (double rel : {1e-7, 1e-3}) {
      const double r_max = unlearn::relative_r_max(H0, d, rel);
      const unlearn::PushResult pr = unlearn::push_update(pc.P_old, pc.P_new, pc.weights, H0, d, r_max);
      double err = 0, moved = 0;
      for (size_t e = 0; e < exact.size(); ++e) {
        err = std::max(err, std::abs(pr.view_new[e] - exact[e]));
        moved = std::max(moved, std::abs(exact[e] - old[e]));
      }
      EXPECT_LE(err, pr.bound) << "rel r_max " << rel;
      EXPECT_LE(pr.bound, 10 * r_max);
      EXPECT_GT(pr.changed_rows, 0);
      EXPECT_TRUE(test::allclose(pr.view_old, old, {1e-12, 1e-12}, "the old view"));
      if (rel == 1e-7) {  // the default threshold: real pushes, an error far below the edit's effect
        EXPECT_GT(pr.pushes, 0);
        EXPECT_GT(moved, 100 * pr.bound) << "the edit must move the view well beyond the tolerance";
      }
    }
    // r_max = 0 pushes every residual: exact up to rounding.
    const unlearn::PushResult ex = unlearn::push_update(pc.P_old, pc.P_new, pc.weights, H0, d, 0.0);
    EXPECT_TRUE(test::allclose(ex.view_new, exact, {1e-12, 1e-12}, "r_max = 0"));
  }
}

// The polynomial a backbone declares is its forward: LightGCN's output, and MIG-GT's output when
// it has only the ID branch and no sampled context (its transformer then returns z unchanged).
TEST(ScaleGunPush, UiPropagationIsTheBackbonesOwnView) {
  const io::Dataset ds = test::tiny_dataset(30, 25, 6, {}, 3, 2);
  Config cfg = tiny_config();
  cfg.set("miggt.samples", "0");
  Ctx ctx(Device::CPU);
  for (const std::string model : {"lightgcn", "miggt"}) {
    SCOPED_TRACE(model);
    ModelSession s(ctx, ds, model, cfg, "", DType::F64);
    s.init(4);
    const UiPropagation up = s.model().ui_propagation();
    const int64_t U = ds.n_users, d = 8;
    std::vector<double> H0(static_cast<size_t>((U + ds.n_items) * d), 0.0);
    const std::vector<double> eu = s.params().get(up.user_param);
    std::copy(eu.begin(), eu.end(), H0.begin());
    if (up.item_param >= 0) {
      const std::vector<double> ei = s.params().get(up.item_param);
      std::copy(ei.begin(), ei.end(), H0.begin() + U * d);
    }
    const graph::HostCsr& P = up.mig ? s.data().mig_graph.P : s.data().graph.adj;
    const std::vector<double> view = unlearn::propagate_full(P, up.weights, H0, d);
    const Embeddings e = embed(ctx, s.model(), s.params());
    std::vector<double> got = e.users.t().to_host(ctx);
    const std::vector<double> gi = e.items.t().to_host(ctx);
    got.insert(got.end(), gi.begin(), gi.end());
    // The graph weights are float: the forward and the host polynomial agree to float rounding.
    EXPECT_TRUE(test::allclose(got, view, {1e-6, 1e-5}, "forward vs Σ w_l P^l H⁰"));
  }
}

// ---- ScaleGUN: conjugate gradient and Hessian-vector products ----

TEST(ScaleGunCg, SolvesAKnownSpdSystem) {
  Ctx ctx(Device::CPU);
  const int64_t n = 24;
  const std::vector<double> M = test::random_vec<double>(n * n, 3);
  std::vector<double> A(static_cast<size_t>(n * n), 0.0);  // A = MᵀM + 0.5 I: SPD
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t k = 0; k < n; ++k) A[i * n + j] += M[k * n + i] * M[k * n + j];
      if (i == j) A[i * n + j] += 0.5;
    }
  const std::vector<double> xs = test::random_vec<double>(n, 4);
  std::vector<double> bv(static_cast<size_t>(n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) bv[i] += A[i * n + j] * xs[j];
  OwnedTensor Am(ctx, DType::F64, n, n), b(ctx, DType::F64, n, 1), x(ctx, DType::F64, n, 1);
  Am.t().from_host(ctx, A);
  b.t().from_host(ctx, bv);
  int products = 0;
  const unlearn::LinearOp op = [&](const Tensor& p, const Tensor& out) {
    ++products;
    ops::gemm(ctx, false, false, 1.0, Am, p, 0.0, out);
  };
  unlearn::CgResult r = unlearn::conjugate_gradient(ctx, op, 0.0, b, x, 100, 1e-12);
  EXPECT_TRUE(r.converged);
  EXPECT_FALSE(r.negative_curvature);
  EXPECT_LE(r.iterations, 3 * n);
  EXPECT_EQ(products, r.iterations);
  EXPECT_TRUE(test::allclose(x.t().to_host(ctx), xs, {1e-8, 1e-8}, "CG solution"));
  // The damping term: solving (A − 0.25 I + 0.25 I) x = b gives the same x.
  const unlearn::LinearOp shifted = [&](const Tensor& p, const Tensor& out) {
    ops::gemm(ctx, false, false, 1.0, Am, p, 0.0, out);
    ops::axpy(ctx, -0.25, p, out);
  };
  r = unlearn::conjugate_gradient(ctx, shifted, 0.25, b, x, 100, 1e-12);
  EXPECT_TRUE(r.converged);
  EXPECT_TRUE(test::allclose(x.t().to_host(ctx), xs, {1e-8, 1e-8}, "damped CG solution"));
  // The iteration cap is respected and reported.
  r = unlearn::conjugate_gradient(ctx, op, 0.0, b, x, 3, 1e-12);
  EXPECT_EQ(r.iterations, 3);
  EXPECT_FALSE(r.converged);
  // An indefinite operator (−I): CG stops at the first direction and says why.
  const unlearn::LinearOp neg = [&](const Tensor& p, const Tensor& out) { ops::scale(ctx, p, -1.0, out); };
  r = unlearn::conjugate_gradient(ctx, neg, 0.0, b, x, 100, 1e-12);
  EXPECT_TRUE(r.negative_curvature);
  EXPECT_EQ(r.iterations, 1);
}

// The finite-difference Hessian-vector product of a BPR loss through a LightGCN forward, against
// the Hessian built entry by entry from second differences of the loss value (double precision).
TEST(ScaleGunHvp, MatchesASecondDifferenceHessian) {
  const io::Dataset ds = test::tiny_dataset(4, 6, 5, {}, 13, 2);
  Config cfg;
  cfg.set("dim", "3");
  cfg.set("lightgcn.layers", "2");
  Ctx ctx(Device::CPU);
  ModelSession s(ctx, ds, "lightgcn", cfg, "", DType::F64);
  s.init(8);
  Tape tape(ctx, s.params());
  const std::vector<int32_t> users = {0, 1, 2, 3, 0, 2}, pos = {ds.train.item[0], 1, 2, 3, 4, 5},
                             neg = {5, 4, 0, 1, 2, 3};
  auto loss = [&]() {
    s.model().forward(tape, false, 0, 0);
    const IdxTensor u = tape.upload_idx(users), p = tape.upload_idx(pos), q = tape.upload_idx(neg);
    const Var U = s.model().users(), I = s.model().items();
    return tape.bpr(tape.gather(U, u), tape.gather(I, p), tape.gather(I, q), Tensor(), 1.0 / 6, false);
  };
  auto value = [&]() {
    tape.clear();
    return tape.item(loss());
  };
  unlearn::FdHvp hvp(ctx, s.params(), [&](const GradSlab& G) {
    G.zero(ctx);
    tape.clear();
    tape.backward(loss(), G);
  });
  // The slab positions that hold parameters (padding excluded).
  std::vector<int64_t> idx;
  for (const auto& p : s.params().infos())
    for (int64_t k = 0; k < p.numel(); ++k) idx.push_back(p.offset + k);
  const int64_t n = static_cast<int64_t>(idx.size()), total = s.params().numel();
  const std::vector<double> theta = s.params().slab_to_host();
  const double h = 1e-4;
  std::vector<double> H(static_cast<size_t>(n * n));
  auto at = [&](int64_t i, double di, int64_t j, double dj) {
    std::vector<double> t = theta;
    t[idx[i]] += di;
    t[idx[j]] += dj;
    s.params().slab_from_host(t);
    return value();
  };
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i; j < n; ++j)
      H[i * n + j] = H[j * n + i] =
          (at(i, h, j, h) - at(i, h, j, -h) - at(i, -h, j, h) + at(i, -h, j, -h)) / (4 * h * h);
  s.params().slab_from_host(theta);
  for (uint64_t seed : {1u, 2u}) {
    std::vector<double> pv(static_cast<size_t>(total), 0.0), ref(static_cast<size_t>(n), 0.0), got(static_cast<size_t>(n));
    const std::vector<double> r = test::random_vec<double>(n, seed);
    for (int64_t i = 0; i < n; ++i) pv[idx[i]] = r[i];
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) ref[i] += H[i * n + j] * r[j];
    OwnedTensor p(ctx, DType::F64, total, 1), out(ctx, DType::F64, total, 1);
    p.t().from_host(ctx, pv);
    hvp.apply(p, out);
    const std::vector<double> o = out.t().to_host(ctx);
    for (int64_t i = 0; i < n; ++i) got[i] = o[idx[i]];
    EXPECT_TRUE(test::allclose(got, ref, {1e-6, 1e-5}, "Hp"));
    EXPECT_EQ(s.params().slab_to_host(), theta) << "θ must be restored bit for bit";
  }
  EXPECT_EQ(hvp.gradient_evaluations(), 4);
}

// ---- ScaleGUN certified: the head ----

TEST(CertifiedHead, BudgetOfTheCertificate) {
  EXPECT_NEAR(unlearn::certified_budget(1.0, 1e-4, 0.1), 0.022803, 5e-7);
  EXPECT_NEAR(unlearn::certified_budget(2.0, 1e-4, 0.1), 2 * 0.0228035, 2e-6);
  EXPECT_THROW(unlearn::certified_budget(1.0, 0.0, 0.1), Error);
  EXPECT_THROW(unlearn::certified_budget(1.0, 1e-4, 0.0), Error);
}

TEST(CertifiedHead, LargestEigenvalueOfASymmetricMatrix) {
  // Q diag(1, 5, 3) Qᵀ with Q a rotation in the (0, 1) plane.
  const double c = std::cos(0.7), s = std::sin(0.7);
  const std::vector<double> A = {c * c * 1 + s * s * 5, c * s * (1 - 5), 0, c * s * (1 - 5), s * s * 1 + c * c * 5, 0,
                                 0, 0, 3};
  EXPECT_NEAR(unlearn::sym_max_eigenvalue(A, 3), 5.0, 1e-12);
}

// A toy logistic problem: n examples in d dimensions, labels from a planted w with 10 % flips.
unlearn::CertifiedHead toy_head(double epsilon, int64_t n = 400, int64_t d = 5) {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<double> Z(static_cast<size_t>(n * d)), y(static_cast<size_t>(n)), w(static_cast<size_t>(d));
  for (auto& v : w) v = g(rng);
  for (int64_t k = 0; k < n; ++k) {
    double m = 0;
    for (int64_t j = 0; j < d; ++j) m += (Z[k * d + j] = 0.5 * g(rng)) * w[j];
    y[k] = (m > 0) != (rng() % 10 == 0) ? 1.0 : -1.0;
  }
  unlearn::HeadSettings hs;
  hs.epsilon = epsilon;
  hs.seed = 4;
  return unlearn::CertifiedHead(Z, y, d, hs);
}

TEST(CertifiedHead, NewtonRemovalsMatchAWarmStartedReoptimisation) {
  unlearn::CertifiedHead head = toy_head(std::numeric_limits<double>::infinity(), 1000);
  head.fit();
  EXPECT_LT(head.train_grad_norm(), 1e-6);
  for (int64_t step = 0; step < 5; ++step) {  // remove 20 of 1000 examples, 4 at a time
    std::vector<int64_t> ids;
    for (int64_t k = 0; k < 4; ++k) ids.push_back(step * 37 + k * 5);
    const auto rm = head.remove(ids);
    EXPECT_EQ(rm.removed, 4);
    EXPECT_FALSE(rm.retrained);
    EXPECT_GT(rm.step_bound, 0.0);
    const std::vector<double> g = head.gradient(head.w());
    double gn = 0;
    for (double v : g) gn += v * v;
    EXPECT_LE(std::sqrt(gn), rm.step_bound) << "the data-dependent bound must cover the gradient residual";
  }
  EXPECT_EQ(head.active(), 980);
  EXPECT_EQ(head.retrains(), 0);
  double gn = 0;
  const std::vector<double> ref = head.minimise(head.w(), 500, 1e-12, &gn);
  EXPECT_LT(gn, 1e-9);
  EXPECT_TRUE(test::allclose(head.w(), ref, {1e-4, 0.0}, "Newton removals vs re-optimised head"));
  // The objective is the perturbed one: the same data without noise has another minimiser.
  EXPECT_GT(std::abs(head.noise()[0]), 0.0);
  EXPECT_THROW(head.remove({0}), Error);  // already removed
}

TEST(CertifiedHead, RetrainsWithFreshNoiseWhenTheBoundPassesTheBudget) {
  unlearn::CertifiedHead head = toy_head(1e-3);  // budget 2.3e-5: the first removal passes it
  head.fit();
  const std::vector<double> noise0 = head.noise();
  EXPECT_LT(head.bound(), head.budget());
  const auto rm = head.remove({1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_TRUE(rm.retrained);
  EXPECT_EQ(head.retrains(), 1);
  EXPECT_NE(head.noise(), noise0);
  EXPECT_LT(head.bound(), head.budget()) << "the retrained head starts from its own small residual";
  // A retrained head is the minimiser on the remaining examples with the new noise.
  double gn = 0;
  const std::vector<double> ref = head.minimise(head.w(), 500, 1e-12, &gn);
  EXPECT_TRUE(test::allclose(head.w(), ref, {1e-6, 0.0}, "retrained head"));
}

// ---- the pair-head model ----

TEST(PairHeadModel, ScoresZTransposeWAndRoundTripsThroughACheckpoint) {
  const io::Dataset ds = test::tiny_dataset(20, 30, 6, {}, 5, 2);
  Config cfg;
  cfg.set("dim", "4");
  Ctx ctx(Device::CPU);
  ModelSession base(ctx, ds, "lightgcn", cfg, "");
  base.init(3);
  ModelSession s(ctx, ds, "lightgcn+head", cfg, "");
  EXPECT_EQ(s.model().name(), "lightgcn+head");
  s.init(3);
  const Embeddings e0 = embed(ctx, base.model(), base.params()), e1 = embed(ctx, s.model(), s.params());
  EXPECT_EQ(e1.users.t().to_host(ctx), e0.users.t().to_host(ctx)) << "w = 1 scores like the backbone";
  const std::vector<double> w = {0.5, -1.0, 2.0, 0.25};
  s.params().set(s.params().id("head.w"), w);
  const Embeddings e2 = embed(ctx, s.model(), s.params());
  const std::vector<double> u0 = e0.users.t().to_host(ctx), u2 = e2.users.t().to_host(ctx);
  for (size_t k = 0; k < u0.size(); ++k) EXPECT_FLOAT_EQ(static_cast<float>(u2[k]), static_cast<float>(u0[k] * w[k % 4]));
  EXPECT_EQ(e2.items.t().to_host(ctx), e0.items.t().to_host(ctx));
  const std::string path = ::testing::TempDir() + "/lethe_pair_head_" + std::to_string(::getpid()) + ".ckpt";
  save_model_checkpoint(path, "lightgcn+head", cfg, ds, s.params(), nullptr, nullptr);
  const io::Checkpoint c = io::read_checkpoint(path);
  const ModelCheckpointInfo info = read_model_checkpoint_info(c, path);
  ModelSession r(ctx, ds, info.model, info.config, "");
  restore_model_checkpoint(c, path, r.params(), nullptr, nullptr);
  EXPECT_EQ(embed(ctx, r.model(), r.params()).users.t().to_host(ctx), u2);
  // It has no training loss, and unlearning refuses it as θ₀.
  Tape tape(ctx, r.params());
  r.model().forward(tape, true, 0, 0);
  EXPECT_NE(test::error_of([&] { r.model().loss(tape, Batch{}, RankSpec{}); }).find("no training loss"),
            std::string::npos);
  const io::ForgetSplit split = interaction_split(ds, 0.2, 1);
  EXPECT_NE(test::error_of([&] { run_unlearning("mmrecun", input(ctx, ds, split, "lightgcn+head", cfg, c)); })
                .find("scalegun-certified"),
            std::string::npos);
}

}  // namespace
}  // namespace lethe
