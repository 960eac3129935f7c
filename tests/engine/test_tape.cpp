// tests/engine/test_tape.cpp — the autodiff tape: a small composite model's gradient against
// finite differences (CPU, double), separate backward passes into separate gradient slabs,
// determinism, and CPU vs CUDA on the same composite (skipped without a GPU).
#include "engine/tape.h"

#include <random>

#include "engine/ops.h"
#include "graph/csr.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

// A tiny LightGCN-like stack plus the pieces MGCN adds (linear projection, gates, attention
// softmax across modalities, InfoNCE), so one finite-difference check covers the tape's ops
// composed the way the backbones compose them.
struct Tiny {
  static constexpr int U = 5, I = 7, d = 4, fm = 6;
  graph::HostCsr adj;
  std::vector<float> feat;
  std::vector<int32_t> u = {0, 1, 2, 3, 4, 1}, p = {0, 2, 4, 6, 1, 3}, n = {1, 3, 5, 0, 2, 6};

  Tiny() {
    // Symmetric bipartite adjacency over U+I nodes with D^-1/2 A D^-1/2 weights.
    std::vector<int32_t> r, c;
    std::mt19937 rng(3);
    for (int uu = 0; uu < U; ++uu)
      for (int ii = 0; ii < I; ++ii)
        if ((uu + 2 * ii + rng() % 3) % 3 == 0) { r.push_back(uu); c.push_back(U + ii); r.push_back(U + ii); c.push_back(uu); }
    std::vector<float> ones(r.size(), 1.0f);
    adj = graph::csr_from_coo(U + I, U + I, r, c, &ones, false);
    std::vector<double> deg(U + I, 0);
    for (int64_t i = 0; i < adj.rows; ++i) deg[i] = adj.row_len(i);
    for (int64_t i = 0; i < adj.rows; ++i)
      for (int32_t k = adj.rowptr[i]; k < adj.rowptr[i + 1]; ++k)
        adj.val[k] = static_cast<float>(1.0 / std::sqrt(deg[i] * deg[adj.col[k]]));
    feat = test::random_vec<float>(I * fm, 9);
  }

  static void declare(ParamStore& ps) {
    ps.add("E", U + I, d, "id", 0);
    ps.add("W", fm, d, "image", 1);
    ps.add("b", 1, d, "image", 1);
    ps.add("G", d, d, "image", 2);
    ps.add("q", d, 1, "shared", 3);
    ps.add("slope", 1, 1, "shared", 3);
  }

  // loss = BPR(final) + 1e-2·‖E_batch‖² + 0.1·InfoNCE(side_items, content_items)
  static Var forward(Tape& t, const SpOp& A, const Tensor& feat_t, const IdxTensor& iu, const IdxTensor& ip,
                     const IdxTensor& in_) {
    Var E0 = t.param("E");
    Var E1 = t.spmm(A, E0);
    Var E2 = t.spmm(A, E1);
    Var content = t.mean_of({E0, E1, E2});
    Var f = t.linear(t.constant(feat_t), t.param("W"), t.param("b"));                 // I × d
    Var items = t.slice_rows(E0, U, I);
    Var gate = t.sigmoid(t.linear(f, t.param("G"), Var{}));
    Var purified = t.prelu(t.mul(items, gate), t.param("slope"));
    Var a1 = t.linear(t.tanh(purified), t.param("q"), Var{});                           // I × 1
    Var a2 = t.linear(t.tanh(f), t.param("q"), Var{});
    Var alpha = t.softmax_rows(t.stack_cols({a1, a2}));
    Var side_items = t.add(t.scale_rows(purified, t.col(alpha, 0)), t.scale_rows(f, t.col(alpha, 1)));
    Var side = t.concat_rows(t.slice_rows(content, 0, U), side_items);
    Var fin = t.add(content, t.scale(side, 0.5));
    Var bpr = t.bpr(t.gather(fin, iu), t.gather(fin, ip), t.gather(fin, in_), Tensor(), 1.0 / 6, false);
    Var reg = t.sqnorm(t.gather(E0, iu), 1e-2);
    Var cl = t.scale(t.infonce(t.l2norm(side_items), t.slice_rows(content, U, I), 0.2), 0.1);
    Var lsum = t.sum(t.softplus(t.rowdot(t.gather(fin, iu), t.gather(fin, in_))), 1e-2);
    return t.sum_of({bpr, reg, cl, lsum});
  }
};

// Random values in every parameter tensor, zeros in the alignment padding.
std::vector<double> random_params(const ParamStore& ps, uint64_t seed) {
  std::vector<double> theta(static_cast<size_t>(ps.numel()), 0.0);
  const auto r = test::random_vec<double>(ps.numel(), seed, -0.5, 0.5);
  for (const auto& info : ps.infos())
    for (int64_t e = 0; e < info.numel(); ++e) theta[info.offset + e] = r[info.offset + e];
  return theta;
}

TEST(TapeComposite, GradientMatchesFiniteDifferences) {
  Tiny m;
  Ctx ctx(Device::CPU);
  ParamStore ps(ctx, DType::F64);
  Tiny::declare(ps);
  ps.finalize();
  auto theta = random_params(ps, 77);
  ps.slab_from_host(theta);
  DevCsr A(ctx, m.adj);
  SpOp op{&A, &A};
  OwnedTensor feat(ctx, DType::F64, Tiny::I, Tiny::fm);
  feat.t().from_host(ctx, test::cast_vec<double>(m.feat));
  Tape t(ctx, ps);
  auto run = [&]() {
    t.clear();
    IdxTensor iu = t.upload_idx(m.u), ip = t.upload_idx(m.p), in_ = t.upload_idx(m.n);
    return Tiny::forward(t, op, feat.t(), iu, ip, in_);
  };
  GradSlab gs(ps);
  Var loss = run();
  t.backward(loss, gs);
  const auto analytic = gs.all().to_host(ctx);

  auto f = [&]() {
    ps.slab_from_host(theta);
    return t.item(run());
  };
  const auto fd = test::fd_gradient(f, theta);
  EXPECT_TRUE(test::allclose(analytic, fd, test::Tol{1e-7, 1e-5}, "d loss / d theta"));
  double norm = 0;
  for (double g : analytic) norm += g * g;
  EXPECT_GT(norm, 1e-6);  // the check is not vacuous
}

// The backward's first-contribution shortcuts (Tape::g_first, add_scaled): a node used twice by
// one op (add, sub, sum_of, mul, concat of a node with itself), inputs that take their consumer's
// gradient buffer, first writes into the gradient slab after a deferred zero — all against
// finite differences, twice over the same slab (the second pass must not see the first's values).
TEST(TapeFirstWrite, RepeatedInputsAndSharedBuffersMatchFiniteDifferences) {
  Ctx ctx(Device::CPU);
  ParamStore ps(ctx, DType::F64);
  ps.add("E", 6, 3, "id", 0);
  ps.add("W", 3, 3, "id", 1);
  ps.finalize();
  auto theta = random_params(ps, 91);
  ps.slab_from_host(theta);
  Tape t(ctx, ps);
  auto run = [&]() {
    t.clear();
    Var x = t.param("E");
    Var a = t.scale(x, 1.5), b = t.tanh(x);
    Var s1 = t.add(a, a);
    Var s2 = t.sub(b, b);                         // zero, with a gradient path through b twice
    Var s3 = t.sum_of({a, b, a});
    Var c = t.concat_rows(s3, t.concat_rows(s1, s1));
    Var m = t.mul(c, c);
    Var l = t.linear(t.reshape(m, 18, 3), t.param("W"), Var{});
    // Two fresh inputs of one add (p, q) while p has an earlier consumer (z) whose gradient
    // reaches p only after the add's: p and q must not share one buffer.
    Var p = t.tanh(t.scale(x, 0.7)), q = t.sigmoid(x);
    Var z = t.scale(p, 2.0);
    Var y = t.add(p, q);
    return t.sum_of({t.sqnorm(l, 0.5), t.sum(s2, 1.0), t.sum(t.mul(s3, b), 0.25), t.sqnorm(y, 1.0), t.sum(z, 0.3)});
  };
  GradSlab gs(ps);
  std::vector<double> analytic;
  for (int pass = 0; pass < 2; ++pass) {
    gs.zero(ctx);
    t.backward(run(), gs);
    analytic = gs.all().to_host(ctx);
  }
  auto f = [&]() {
    ps.slab_from_host(theta);
    return t.item(run());
  };
  const auto fd = test::fd_gradient(f, theta);
  EXPECT_TRUE(test::allclose(analytic, fd, test::Tol{1e-7, 1e-5}, "d loss / d theta"));
  double norm = 0;
  for (double g : analytic) norm += g * g;
  EXPECT_GT(norm, 1e-6);
}

// A row slice of an intermediate node keeps its gradient in the parent's buffer (Tape::g): slices
// that overlap, a slice of a slice, slices consumed by add (no buffer taking), linear (no first
// write), gather (scatter), and a consumer of the parent recorded after the slices, whose gradient
// the parent takes before the slices' consumers write into it — against finite differences, twice
// over the same slab.
TEST(TapeSliceView, OverlappingAndNestedSlicesMatchFiniteDifferences) {
  Ctx ctx(Device::CPU);
  ParamStore ps(ctx, DType::F64);
  ps.add("E", 6, 3, "id", 0);
  ps.add("W", 3, 2, "id", 1);
  ps.finalize();
  auto theta = random_params(ps, 93);
  ps.slab_from_host(theta);
  Tape t(ctx, ps);
  const std::vector<int32_t> rows = {3, 0, 3, 1};
  auto run = [&]() {
    t.clear();
    IdxTensor idx = t.upload_idx(rows);
    Var h = t.tanh(t.param("E"));                                  // 6 × 3, intermediate
    Var s1 = t.slice_rows(h, 0, 4), s2 = t.slice_rows(h, 2, 4);    // rows 0-3 and 2-5: overlap
    Var s3 = t.slice_rows(s1, 1, 2);                               // rows 1-2 of h
    Var u = t.add(s1, s2);
    Var l = t.linear(s3, t.param("W"), Var{});
    Var picked = t.sqnorm(t.gather(s2, idx), 0.7);
    Var late = t.add(h, t.scale(h, 0.5));  // after the slices' consumers: h takes its buffer first
    return t.sum_of({t.sqnorm(u, 0.5), t.sqnorm(l, 1.0), t.sum(t.mul(late, late), 0.3), picked});
  };
  GradSlab gs(ps);
  std::vector<double> analytic;
  for (int pass = 0; pass < 2; ++pass) {
    gs.zero(ctx);
    t.backward(run(), gs);
    analytic = gs.all().to_host(ctx);
  }
  auto f = [&]() {
    ps.slab_from_host(theta);
    return t.item(run());
  };
  const auto fd = test::fd_gradient(f, theta);
  EXPECT_TRUE(test::allclose(analytic, fd, test::Tol{1e-7, 1e-5}, "d loss / d theta"));
  double norm = 0;
  for (double g : analytic) norm += g * g;
  EXPECT_GT(norm, 1e-6);
}

TEST(TapeComposite, SeparateBackwardsAddUp) {
  Tiny m;
  Ctx ctx(Device::CPU);
  ParamStore ps(ctx, DType::F64);
  Tiny::declare(ps);
  ps.finalize();
  ps.slab_from_host(random_params(ps, 5));
  DevCsr A(ctx, m.adj);
  OwnedTensor feat(ctx, DType::F64, Tiny::I, Tiny::fm);
  feat.t().from_host(ctx, test::cast_vec<double>(m.feat));
  Tape t(ctx, ps);
  IdxTensor iu = t.upload_idx(m.u), ip = t.upload_idx(m.p), in_ = t.upload_idx(m.n);
  Var l1 = Tiny::forward(t, SpOp{&A, &A}, feat.t(), iu, ip, in_);
  Var E = t.param("E");
  Var l2 = t.bpr(t.gather(E, iu), t.gather(E, in_), t.gather(E, ip), Tensor(), 0.5, true);
  Var both = t.add(l1, l2);
  GradSlab g1(ps), g2(ps), g12(ps);
  t.backward(l1, g1);
  t.backward(l2, g2);
  t.backward(both, g12);
  auto a = g1.all().to_host(ctx), b = g2.all().to_host(ctx), c = g12.all().to_host(ctx);
  for (size_t i = 0; i < a.size(); ++i) a[i] += b[i];
  EXPECT_TRUE(test::allclose(a, c, test::Tol{1e-12, 1e-10}, "g(l1) + g(l2) vs g(l1 + l2)"));
  // Backward did not alter saved values: a second pass reproduces the first exactly.
  GradSlab again(ps);
  t.backward(l1, again);
  EXPECT_EQ(again.all().to_host(ctx), g1.all().to_host(ctx));
}

TEST(TapeComposite, DeterministicBitForBit) {
  Tiny m;
  auto once = [&]() {
    Ctx ctx(Device::CPU);
    ParamStore ps(ctx, DType::F32);
    Tiny::declare(ps);
    ps.finalize();
    ps.slab_from_host(random_params(ps, 11));
    DevCsr A(ctx, m.adj);
    OwnedTensor feat(ctx, DType::F32, Tiny::I, Tiny::fm);
    feat.t().from_host(ctx, test::cast_vec<double>(m.feat));
    Tape t(ctx, ps);
    IdxTensor iu = t.upload_idx(m.u), ip = t.upload_idx(m.p), in_ = t.upload_idx(m.n);
    Var loss = Tiny::forward(t, SpOp{&A, &A}, feat.t(), iu, ip, in_);
    GradSlab gs(ps);
    t.backward(loss, gs);
    auto g = gs.all().to_host(ctx);
    g.push_back(t.item(loss));
    return g;
  };
  EXPECT_EQ(once(), once());
}

TEST(TapeComposite, CudaMatchesCpu) {
  LETHE_REQUIRE_GPU();
  Tiny m;
  auto run_on = [&](Device dev) {
    Ctx ctx(dev);
    ParamStore ps(ctx, DType::F32);
    Tiny::declare(ps);
    ps.finalize();
    ps.slab_from_host(random_params(ps, 21));
    DevCsr A(ctx, m.adj);
    OwnedTensor feat(ctx, DType::F32, Tiny::I, Tiny::fm);
    feat.t().from_host(ctx, test::cast_vec<double>(m.feat));
    Tape t(ctx, ps);
    IdxTensor iu = t.upload_idx(m.u), ip = t.upload_idx(m.p), in_ = t.upload_idx(m.n);
    Var loss = Tiny::forward(t, SpOp{&A, &A}, feat.t(), iu, ip, in_);
    GradSlab gs(ps);
    t.backward(loss, gs);
    auto g = gs.all().to_host(ctx);
    g.push_back(t.item(loss));
    return g;
  };
  EXPECT_TRUE(test::allclose(run_on(Device::CUDA), run_on(Device::CPU), test::kTolSum, "CUDA vs CPU tape"));
}

TEST(Tape, ErrorsNameTheProblem) {
  Ctx ctx(Device::CPU);
  ParamStore ps(ctx, DType::F32);
  ps.add("a", 2, 3, "id", 0);
  ps.add("b", 3, 2, "id", 1);
  ps.finalize();
  Tape t(ctx, ps);
  Var a = t.param("a"), b = t.param("b");
  try {
    t.add(a, b);
    FAIL() << "add of mismatched shapes did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(2x3)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(t.param("missing"), Error);
  GradSlab gs(ps);
  EXPECT_THROW(t.backward(t.linear(a, b, Var{}), gs), Error);  // not a scalar
}

}  // namespace
}  // namespace lethe
