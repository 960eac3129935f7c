// tests/kernels/test_bpr.cpp — fused BPR / reverse-BPR (kernels/bpr.h): finite differences of
// the backward (CPU, double, weighted and unweighted, both directions, accumulating into
// non-zero gradients), the loss against the direct formula, stability at x = ±100 and beyond,
// reverse = BPR with i⁺ and i⁻ swapped (docs/MODELS.md, "Unlearning methods"), guards, and CUDA against the reference over
// B ∈ {1, 7, 2048} × d ∈ {1, 64, 65} × weights {none, given} × direction.
#include <memory>

#include "kernels/bpr.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

using test::allclose;
using test::Guarded;
using test::random_vec;

template <class T>
struct Triples {
  int64_t B, d;
  std::vector<T> U, P, N, w;
  Triples(int64_t b, int64_t dim, uint64_t seed, double lo = -1, double hi = 1)
      : B(b), d(dim), U(random_vec<T>(b * dim, seed, lo, hi)), P(random_vec<T>(b * dim, seed + 1, lo, hi)),
        N(random_vec<T>(b * dim, seed + 2, lo, hi)), w(random_vec<T>(b, seed + 3, 0.1, 2.0)) {}
  Mat<const T> u() const { return Mat<const T>(U.data(), B, d); }
  Mat<const T> p() const { return Mat<const T>(P.data(), B, d); }
  Mat<const T> n() const { return Mat<const T>(N.data(), B, d); }
};

// ---- finite differences (double) ------------------------------------------------------------
TEST(FiniteDiff_bpr, Backward) {
  for (bool reverse : {false, true})
    for (bool weighted : {false, true}) {
      SCOPED_TRACE(std::string(reverse ? "reverse" : "bpr") + (weighted ? " weighted" : ""));
      const int64_t B = 5, d = 4;
      Triples<double> t(B, d, reverse ? 101 : 201, -1.5, 1.5);
      const double* w = weighted ? t.w.data() : nullptr;
      const double scale = 1.0 / B, dloss = 1.7;
      std::vector<double> x(B);
      double loss = 0;
      auto f = [&] {
        ref::bpr_forward<double>(t.u(), t.p(), t.n(), w, scale, reverse, Vec<double>(x.data(), B), &loss);
        return dloss * loss;
      };
      const auto fU = test::fd_gradient(f, t.U), fP = test::fd_gradient(f, t.P), fN = test::fd_gradient(f, t.N);
      f();
      std::vector<double> dU(B * d, 0.25), dP(B * d, -0.5), dN(B * d, 1.0);
      ref::bpr_backward<double>(t.u(), t.p(), t.n(), w, scale, reverse, Vec<const double>(x.data(), B), &dloss,
                                Mat<double>(dU.data(), B, d), Mat<double>(dP.data(), B, d), Mat<double>(dN.data(), B, d));
      for (auto& v : dU) v -= 0.25;
      for (auto& v : dP) v += 0.5;
      for (auto& v : dN) v -= 1.0;
      EXPECT_TRUE(allclose(dU, fU, test::kTolFd, "dU"));
      EXPECT_TRUE(allclose(dP, fP, test::kTolFd, "dP"));
      EXPECT_TRUE(allclose(dN, fN, test::kTolFd, "dN"));
      // Empty gradients are skipped; the remaining one gets the same values.
      std::vector<double> dN2(B * d, 0.0);
      ref::bpr_backward<double>(t.u(), t.p(), t.n(), w, scale, reverse, Vec<const double>(x.data(), B), &dloss,
                                Mat<double>(), Mat<double>(), Mat<double>(dN2.data(), B, d));
      EXPECT_TRUE(allclose(dN2, fN, test::kTolFd, "dN alone"));
    }
}

TEST(FiniteDiff_bpr, LossMatchesDirectFormula) {
  const int64_t B = 9, d = 6;
  Triples<double> t(B, d, 301, -2, 2);
  std::vector<double> x(B);
  for (bool reverse : {false, true}) {
    double loss = 0;
    ref::bpr_forward<double>(t.u(), t.p(), t.n(), t.w.data(), 0.5, reverse, Vec<double>(x.data(), B), &loss);
    double direct = 0;
    for (int64_t b = 0; b < B; ++b) {
      double sp = 0, sn = 0;
      for (int64_t c = 0; c < d; ++c) {
        sp += t.U[b * d + c] * t.P[b * d + c];
        sn += t.U[b * d + c] * t.N[b * d + c];
      }
      EXPECT_NEAR(x[b], sp - sn, 1e-14);
      // BPR: −log σ(s_ui − s_uj); reverse (docs/MODELS.md, "Unlearning methods"): −log σ(s_uj − s_ui).
      const double z = reverse ? sn - sp : sp - sn;
      direct += t.w[b] * -std::log(1.0 / (1.0 + std::exp(-z)));
    }
    EXPECT_NEAR(loss, 0.5 * direct, 1e-13) << (reverse ? "reverse" : "bpr");
  }
}

// ---- reference sanity -----------------------------------------------------------------------
template <class T>
void extremes() {
  // d = 1: U = [s], P = [a], N = [b] → x = s·(a − b).
  const std::vector<T> xs = {T(100), T(-100), T(1e4), T(-1e4), T(0)};
  const int64_t B = static_cast<int64_t>(xs.size());
  std::vector<T> U(B, T(10)), P(B), N(B, T(0));
  for (int64_t b = 0; b < B; ++b) P[b] = xs[b] / T(10);
  for (bool reverse : {false, true}) {
    SCOPED_TRACE(reverse ? "reverse" : "bpr");
    std::vector<T> x(B);
    T loss = 0;
    ref::bpr_forward<T>(Mat<const T>(U.data(), B, 1), Mat<const T>(P.data(), B, 1), Mat<const T>(N.data(), B, 1),
                        nullptr, T(1), reverse, Vec<T>(x.data(), B), &loss);
    EXPECT_TRUE(std::isfinite(loss));
    // BPR: ℓ(100) ≈ 0, ℓ(−100) = 100, ℓ(±1e4) = 0 / 1e4, ℓ(0) = log 2 — reverse mirrors it.
    const double expect = 100 + 1e4 + std::log(2.0);
    EXPECT_NEAR(static_cast<double>(loss), expect, 2e-3);  // float spacing at 1e4 is ~1e-3
    const T one = 1;
    std::vector<T> dU(B, 0), dP(B, 0), dN(B, 0);
    ref::bpr_backward<T>(Mat<const T>(U.data(), B, 1), Mat<const T>(P.data(), B, 1), Mat<const T>(N.data(), B, 1),
                         nullptr, T(1), reverse, Vec<const T>(x.data(), B), &one, Mat<T>(dU.data(), B, 1),
                         Mat<T>(dP.data(), B, 1), Mat<T>(dN.data(), B, 1));
    for (int64_t b = 0; b < B; ++b) {
      EXPECT_TRUE(std::isfinite(dU[b]) && std::isfinite(dP[b]) && std::isfinite(dN[b])) << "triple " << b;
      // dℓ/dx: BPR −σ(−x) ∈ [−1, 0]; reverse σ(x) ∈ [0, 1]. dP = dℓ/dx · U = 10·dℓ/dx.
      const double g = static_cast<double>(dP[b]) / 10.0;
      if (reverse) {
        EXPECT_TRUE(g >= 0 && g <= 1) << g;
      } else {
        EXPECT_TRUE(g >= -1 && g <= 0) << g;
      }
    }
    // Saturated ends: the active side has |dℓ/dx| = 1, the other ≈ 0.
    const double g100 = dP[0] / 10.0, gm100 = dP[1] / 10.0;
    EXPECT_NEAR(reverse ? g100 : gm100, reverse ? 1.0 : -1.0, 1e-6);
    EXPECT_NEAR(reverse ? gm100 : g100, 0.0, 1e-6);
    EXPECT_NEAR(static_cast<double>(dP[4]) / 10.0, reverse ? 0.5 : -0.5, 1e-6);
  }
}
TEST(BprRef, ExtremesFiniteDouble) { extremes<double>(); }
TEST(BprRef, ExtremesFiniteFloat) { extremes<float>(); }

// reverse = true is exactly BPR with P and N swapped: x flips sign (the double difference of the
// two dot products is sign-symmetric), so loss and gradients agree bit for bit.
TEST(BprRef, ReverseIsBprWithPositiveAndNegativeSwapped) {
  const int64_t B = 33, d = 16;
  Triples<float> t(B, d, 401, -2, 2);
  std::vector<float> xr(B), xs(B);
  float lr = 0, ls = 0;
  ref::bpr_forward<float>(t.u(), t.p(), t.n(), t.w.data(), 1.f / B, true, Vec<float>(xr.data(), B), &lr);
  ref::bpr_forward<float>(t.u(), t.n(), t.p(), t.w.data(), 1.f / B, false, Vec<float>(xs.data(), B), &ls);
  EXPECT_EQ(lr, ls);
  for (int64_t b = 0; b < B; ++b) EXPECT_EQ(xr[b], -xs[b]);
  const float one = 1.f;
  std::vector<float> dUr(B * d, 0), dPr(B * d, 0), dNr(B * d, 0), dUs(B * d, 0), dPs(B * d, 0), dNs(B * d, 0);
  ref::bpr_backward<float>(t.u(), t.p(), t.n(), t.w.data(), 1.f / B, true, Vec<const float>(xr.data(), B), &one,
                           Mat<float>(dUr.data(), B, d), Mat<float>(dPr.data(), B, d), Mat<float>(dNr.data(), B, d));
  ref::bpr_backward<float>(t.u(), t.n(), t.p(), t.w.data(), 1.f / B, false, Vec<const float>(xs.data(), B), &one,
                           Mat<float>(dUs.data(), B, d), Mat<float>(dPs.data(), B, d), Mat<float>(dNs.data(), B, d));
  EXPECT_EQ(dUr, dUs);
  EXPECT_EQ(dPr, dNs);
  EXPECT_EQ(dNr, dPs);
}

TEST(BprRef, GuardsAndEmptyBatch) {
  std::vector<float> a(6), b(8), x(2);
  float loss = 1.f;
  const Mat<const float> A(a.data(), 2, 3), Bm(b.data(), 2, 4);
  EXPECT_THROW(ref::bpr_forward<float>(A, Bm, A, nullptr, 1.f, false, Vec<float>(x.data(), 2), &loss), Error);
  EXPECT_THROW(ref::bpr_forward<float>(A, A, A, nullptr, 1.f, false, Vec<float>(x.data(), 1), &loss), Error);
  EXPECT_THROW(ref::bpr_forward<float>(A, A, A, nullptr, 1.f, false, Vec<float>(x.data(), 2), nullptr), Error);
  const float one = 1.f;
  EXPECT_THROW(ref::bpr_backward<float>(A, A, A, nullptr, 1.f, false, Vec<const float>(x.data(), 2), nullptr,
                                        Mat<float>(a.data(), 2, 3), Mat<float>(), Mat<float>()), Error);
  EXPECT_THROW(ref::bpr_backward<float>(A, A, A, nullptr, 1.f, false, Vec<const float>(x.data(), 2), &one,
                                        Mat<float>(b.data(), 2, 4), Mat<float>(), Mat<float>()), Error);
  // B = 0: the loss is an empty sum.
  ref::bpr_forward<float>(Mat<const float>(nullptr, 0, 3), Mat<const float>(nullptr, 0, 3),
                          Mat<const float>(nullptr, 0, 3), nullptr, 1.f, false, Vec<float>(), &loss);
  EXPECT_EQ(loss, 0.f);
}

TEST(BprRef, WritesOnlyInsideOutputs) {
  const int64_t B = 65, d = 33;
  Triples<float> t(B, d, 501);
  Guarded<float> x(B), loss(1), dU(random_vec<float>(B * d, 9));
  ref::bpr_forward<float>(t.u(), t.p(), t.n(), nullptr, 1.f, false, x.vec(), loss.data());
  const float one = 1.f;
  ref::bpr_backward<float>(t.u(), t.p(), t.n(), nullptr, 1.f, false, Vec<const float>(x.data(), B), &one,
                           dU.mat(B, d), Mat<float>(), Mat<float>());
  EXPECT_TRUE(x.guards_intact() && loss.guards_intact() && dU.guards_intact());
  for (float v : x.get()) EXPECT_TRUE(std::isfinite(v));
}

// ---- CUDA vs reference ----------------------------------------------------------------------
struct BprCase {
  int64_t B, d;
  bool weighted, reverse;
};
std::vector<BprCase> bpr_cases() {
  std::vector<BprCase> cs;
  for (int64_t B : {1, 7, 2048})
    for (int64_t d : {1, 64, 65})
      for (bool w : {false, true})
        for (bool r : {false, true}) cs.push_back({B, d, w, r});
  return cs;
}
std::string bpr_name(const BprCase& c, uint64_t seed) {
  return test::case_name(std::string("bpr") + (c.reverse ? "_rev" : "") + (c.weighted ? "_w" : ""), {c.B, c.d}, seed);
}

TEST(CudaVsRef_bpr_forward, Table) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (const auto& c : bpr_cases()) {
    const uint64_t seed = static_cast<uint64_t>(c.B * 131 + c.d);
    SCOPED_TRACE(bpr_name(c, seed));
    // Scores up to |x| ~ d·9: saturated softplus on both sides is exercised for d = 64, 65.
    Triples<float> t(c.B, c.d, seed, -3, 3);
    const float scale = 1.f / static_cast<float>(c.B);
    std::vector<float> x(c.B);
    float loss = 0;
    ref::bpr_forward<float>(t.u(), t.p(), t.n(), c.weighted ? t.w.data() : nullptr, scale, c.reverse,
                            Vec<float>(x.data(), c.B), &loss);
    test::DeviceGuarded<float> U(ctx, t.U), P(ctx, t.P), N(ctx, t.N), w(ctx, t.w), xd(ctx, c.B), ld(ctx, 1);
    const auto run = [&] {
      cuda::bpr_forward(Mat<const float>(U.data(), c.B, c.d), Mat<const float>(P.data(), c.B, c.d),
                        Mat<const float>(N.data(), c.B, c.d), c.weighted ? w.data() : nullptr, scale, c.reverse,
                        xd.vec(), ld.data(), ctx.exec());
    };
    run();
    // x: a d-term dot product difference (order differs); loss: a B-term sum (order differs).
    const auto x1 = xd.download(), l1 = ld.download();
    EXPECT_TRUE(allclose(x1, x, test::kTolSum, "x"));
    EXPECT_TRUE(allclose(l1, std::vector<float>{loss}, test::kTolSum, "loss"));
    EXPECT_TRUE(xd.guards_intact() && ld.guards_intact());
    // Deterministic: a second run is bit-identical.
    xd.poison();
    ld.poison();
    ctx.arena().reset();
    run();
    EXPECT_EQ(xd.download(), x1);
    EXPECT_EQ(ld.download(), l1);
    ctx.arena().reset();
  }
  // Guards are checked at the host entry.
  test::DeviceGuarded<float> a(ctx, 6), xb(ctx, 2), l(ctx, 1);
  EXPECT_THROW(cuda::bpr_forward(Mat<const float>(a.data(), 2, 3), Mat<const float>(a.data(), 3, 2),
                                 Mat<const float>(a.data(), 2, 3), nullptr, 1.f, false, xb.vec(), l.data(), ctx.exec()),
               Error);
  EXPECT_THROW(cuda::bpr_forward(Mat<const float>(a.data(), 2, 3), Mat<const float>(a.data(), 2, 3),
                                 Mat<const float>(a.data(), 2, 3), nullptr, 1.f, false, xb.vec(), nullptr, ctx.exec()),
               Error);
}

TEST(CudaVsRef_bpr_backward, Table) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (const auto& c : bpr_cases()) {
    const uint64_t seed = static_cast<uint64_t>(c.B * 137 + c.d);
    SCOPED_TRACE(bpr_name(c, seed));
    Triples<float> t(c.B, c.d, seed, -3, 3);
    const float scale = 1.f / static_cast<float>(c.B), dloss = 1.25f;
    const float* wh = c.weighted ? t.w.data() : nullptr;
    std::vector<float> x(c.B);
    float loss = 0;
    ref::bpr_forward<float>(t.u(), t.p(), t.n(), wh, scale, c.reverse, Vec<float>(x.data(), c.B), &loss);
    // Gradients start from non-zero values: backward accumulates.
    const int64_t n = c.B * c.d;
    auto dU = random_vec<float>(n, seed + 10), dP = random_vec<float>(n, seed + 11), dN = random_vec<float>(n, seed + 12);
    test::DeviceGuarded<float> U(ctx, t.U), P(ctx, t.P), N(ctx, t.N), w(ctx, t.w), xd(ctx, x), dl(ctx, std::vector<float>{dloss}), dUd(ctx, dU), dPd(ctx, dP),
        dNd(ctx, dN);
    ref::bpr_backward<float>(t.u(), t.p(), t.n(), wh, scale, c.reverse, Vec<const float>(x.data(), c.B), &dloss,
                             Mat<float>(dU.data(), c.B, c.d), Mat<float>(dP.data(), c.B, c.d),
                             Mat<float>(dN.data(), c.B, c.d));
    cuda::bpr_backward(Mat<const float>(U.data(), c.B, c.d), Mat<const float>(P.data(), c.B, c.d),
                       Mat<const float>(N.data(), c.B, c.d), c.weighted ? w.data() : nullptr, scale, c.reverse,
                       Vec<const float>(xd.data(), c.B), dl.data(), dUd.mat(c.B, c.d), dPd.mat(c.B, c.d),
                       dNd.mat(c.B, c.d), ctx.exec());
    EXPECT_TRUE(allclose(dUd.download(), dU, test::kTolMap, "dU"));
    EXPECT_TRUE(allclose(dPd.download(), dP, test::kTolMap, "dP"));
    EXPECT_TRUE(allclose(dNd.download(), dN, test::kTolMap, "dN"));
    EXPECT_TRUE(dUd.guards_intact() && dPd.guards_intact() && dNd.guards_intact());
    // Only dP requested: the others are skipped.
    test::DeviceGuarded<float> dP2(ctx, std::vector<float>(n, 0.5f));
    std::vector<float> dP2h(n, 0.5f);
    ref::bpr_backward<float>(t.u(), t.p(), t.n(), wh, scale, c.reverse, Vec<const float>(x.data(), c.B), &dloss,
                             Mat<float>(), Mat<float>(dP2h.data(), c.B, c.d), Mat<float>());
    cuda::bpr_backward(Mat<const float>(U.data(), c.B, c.d), Mat<const float>(P.data(), c.B, c.d),
                       Mat<const float>(N.data(), c.B, c.d), c.weighted ? w.data() : nullptr, scale, c.reverse,
                       Vec<const float>(xd.data(), c.B), dl.data(), Mat<float>(), dP2.mat(c.B, c.d), Mat<float>(),
                       ctx.exec());
    EXPECT_TRUE(allclose(dP2.download(), dP2h, test::kTolMap, "dP alone"));
    EXPECT_TRUE(dP2.guards_intact());
  }
}

}  // namespace
}  // namespace lethe
