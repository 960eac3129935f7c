// tests/kernels/test_batchnorm.cpp — batchnorm family (kernels/batchnorm.h): finite-difference
// checks of the backward in both modes (CPU, double; gradients start non-zero so accumulation is
// checked), reference sanity (hand-computed statistics and running-stat update, evaluation with
// running statistics, guards, thread-count independence, writes inside outputs) and CUDA against
// the CPU reference over a table of shapes (N 2 … 7050 × C 1 … 512; awkward sizes included)
// with poisoned outputs, guard regions and a bit-identical repeat run.
#include <omp.h>

#include <cmath>
#include <limits>

#include "kernels/batchnorm.h"
#include "tests/kernels/miggt_compare.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

using test::allclose;
using test::Guarded;
using test::random_vec;
using MD = Mat<const double>;
using VD = Vec<const double>;
using MF = Mat<const float>;
using VF = Vec<const float>;
const float kNaN = std::numeric_limits<float>::quiet_NaN();

// ---- finite differences (double) ------------------------------------------------------------
void fd_batchnorm(bool train, uint64_t seed) {
  const int64_t N = 6, C = 4;
  auto X = random_vec<double>(N * C, seed, -2, 2);
  auto gamma = random_vec<double>(C, seed + 1, -1.5, 1.5);
  auto beta = random_vec<double>(C, seed + 2);
  const auto rm = random_vec<double>(C, seed + 3), rv = random_vec<double>(C, seed + 4, 0.3, 2.0);
  const auto w = random_vec<double>(N * C, seed + 5);
  const double eps = 1e-5;
  std::vector<double> Y(N * C), mean(C), invstd(C);
  auto f = [&] {
    if (train)
      ref::batchnorm_forward_train<double>(MD(X.data(), N, C), VD(gamma.data(), C), VD(beta.data(), C), eps, 0.1,
                                           Mat<double>(Y.data(), N, C), Vec<double>(mean.data(), C),
                                           Vec<double>(invstd.data(), C), Vec<double>(), Vec<double>());
    else
      ref::batchnorm_forward_eval<double>(MD(X.data(), N, C), VD(gamma.data(), C), VD(beta.data(), C),
                                          VD(rm.data(), C), VD(rv.data(), C), eps, Mat<double>(Y.data(), N, C),
                                          Vec<double>(mean.data(), C), Vec<double>(invstd.data(), C));
    return test::project(Y, w);
  };
  const auto fX = test::fd_gradient(f, X), fg = test::fd_gradient(f, gamma), fb = test::fd_gradient(f, beta);
  f();  // the saved statistics at the unperturbed point
  const auto dX0 = random_vec<double>(N * C, seed + 6), dg0 = random_vec<double>(C, seed + 7),
             db0 = random_vec<double>(C, seed + 8);
  auto dX = dX0, dg = dg0, db = db0;
  ref::batchnorm_backward<double>(MD(X.data(), N, C), VD(gamma.data(), C), VD(mean.data(), C), VD(invstd.data(), C),
                                  MD(w.data(), N, C), train, Mat<double>(dX.data(), N, C), Vec<double>(dg.data(), C),
                                  Vec<double>(db.data(), C));
  EXPECT_TRUE(allclose(test::minus_start(dX, dX0), fX, test::kTolFd, "dX"));
  EXPECT_TRUE(allclose(test::minus_start(dg, dg0), fg, test::kTolFd, "dgamma"));
  EXPECT_TRUE(allclose(test::minus_start(db, db0), fb, test::kTolFd, "dbeta"));
  // Empty gradients are skipped; dX alone still matches.
  auto dX2 = dX0;
  ref::batchnorm_backward<double>(MD(X.data(), N, C), VD(gamma.data(), C), VD(mean.data(), C), VD(invstd.data(), C),
                                  MD(w.data(), N, C), train, Mat<double>(dX2.data(), N, C), Vec<double>(), Vec<double>());
  EXPECT_TRUE(allclose(test::minus_start(dX2, dX0), fX, test::kTolFd, "dX alone"));
}
TEST(FiniteDiff_batchnorm, BatchNormTrainModeBackward) { fd_batchnorm(true, 11); }
TEST(FiniteDiff_batchnorm, BatchNormEvalModeBackward) { fd_batchnorm(false, 21); }

// ---- reference sanity -----------------------------------------------------------------------
TEST(BatchNormRef, HandComputedStatisticsAndRunningUpdate) {
  // Column 0: 1, 2, 3, 4 → mean 2.5, biased var 1.25, unbiased var 5/3.
  // Column 1: constant 7 → var 0: x̂ = 0, y = beta.
  std::vector<double> X = {1, 7, 2, 7, 3, 7, 4, 7}, g = {2, 3}, b = {0.5, -1}, Y(8), mean(2), inv(2);
  std::vector<double> rm = {0, 1}, rv = {1, 2};
  const double eps = 1e-5, mom = 0.1;
  ref::batchnorm_forward_train<double>(MD(X.data(), 4, 2), VD(g.data(), 2), VD(b.data(), 2), eps, mom,
                                       Mat<double>(Y.data(), 4, 2), Vec<double>(mean.data(), 2),
                                       Vec<double>(inv.data(), 2), Vec<double>(rm.data(), 2), Vec<double>(rv.data(), 2));
  EXPECT_DOUBLE_EQ(mean[0], 2.5);
  EXPECT_DOUBLE_EQ(mean[1], 7.0);
  EXPECT_DOUBLE_EQ(inv[0], 1.0 / std::sqrt(1.25 + eps));
  EXPECT_DOUBLE_EQ(inv[1], 1.0 / std::sqrt(eps));
  EXPECT_DOUBLE_EQ(rm[0], 0.25);
  EXPECT_DOUBLE_EQ(rm[1], 0.9 * 1 + 0.1 * 7);
  EXPECT_DOUBLE_EQ(rv[0], 0.9 * 1 + 0.1 * (5.0 / 3.0));
  EXPECT_DOUBLE_EQ(rv[1], 0.9 * 2);
  for (int r = 0; r < 4; ++r) {
    EXPECT_NEAR(Y[r * 2], 2.0 * (X[r * 2] - 2.5) / std::sqrt(1.25 + eps) + 0.5, 1e-12);
    EXPECT_DOUBLE_EQ(Y[r * 2 + 1], -1.0);
  }
  // Training output has zero column mean and unit (biased) variance before the affine map.
  double s = 0, q = 0;
  for (int r = 0; r < 4; ++r) {
    const double xh = (Y[r * 2] - 0.5) / 2.0;
    s += xh;
    q += xh * xh;
  }
  EXPECT_NEAR(s, 0.0, 1e-12);
  EXPECT_NEAR(q / 4, 1.25 / (1.25 + eps), 1e-12);
}

TEST(BatchNormRef, EvalModeUsesRunningStatistics) {
  std::vector<float> X = {1, -2, 3, 0.5f}, g = {2, -1}, b = {0.25f, 1}, rm = {0.5f, -1}, rv = {4, 0.25f};
  std::vector<float> Y(4), mean(2), inv(2);
  const float eps = 1e-5f;
  ref::batchnorm_forward_eval<float>(MF(X.data(), 2, 2), VF(g.data(), 2), VF(b.data(), 2), VF(rm.data(), 2),
                                     VF(rv.data(), 2), eps, Mat<float>(Y.data(), 2, 2), Vec<float>(mean.data(), 2),
                                     Vec<float>(inv.data(), 2));
  EXPECT_EQ(mean, rm);
  for (int c = 0; c < 2; ++c) EXPECT_FLOAT_EQ(inv[c], static_cast<float>(1.0 / std::sqrt(double(rv[c]) + eps)));
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 2; ++c)
      EXPECT_NEAR(Y[r * 2 + c], g[c] * (X[r * 2 + c] - rm[c]) / std::sqrt(rv[c] + eps) + b[c], 1e-5);
  // A single row is fine in evaluation mode.
  std::vector<float> Y1(2);
  ref::batchnorm_forward_eval<float>(MF(X.data(), 1, 2), VF(g.data(), 2), VF(b.data(), 2), VF(rm.data(), 2),
                                     VF(rv.data(), 2), eps, Mat<float>(Y1.data(), 1, 2), Vec<float>(mean.data(), 2),
                                     Vec<float>(inv.data(), 2));
  EXPECT_FLOAT_EQ(Y1[0], Y[0]);
}

TEST(BatchNormRef, GuardsThrow) {
  std::vector<float> X(6), g(3), b(3), m(3), iv(3), Y(6), r(3), v(3);
  const MF Xm(X.data(), 2, 3);
  auto train = [&](Mat<const float> x, Vec<const float> gg, float eps, float mom, Vec<float> rm, Vec<float> rv) {
    ref::batchnorm_forward_train<float>(x, gg, VF(b.data(), 3), eps, mom, Mat<float>(Y.data(), x.rows, x.cols),
                                        Vec<float>(m.data(), 3), Vec<float>(iv.data(), 3), rm, rv);
  };
  EXPECT_THROW(train(MF(X.data(), 1, 3), VF(g.data(), 3), 1e-5f, 0.1f, Vec<float>(), Vec<float>()), Error);  // N = 1
  EXPECT_THROW(train(Xm, VF(g.data(), 2), 1e-5f, 0.1f, Vec<float>(), Vec<float>()), Error);                  // gamma
  EXPECT_THROW(train(Xm, VF(g.data(), 3), 0.f, 0.1f, Vec<float>(), Vec<float>()), Error);                    // eps
  EXPECT_THROW(train(Xm, VF(g.data(), 3), 1e-5f, 1.5f, Vec<float>(), Vec<float>()), Error);                  // momentum
  EXPECT_THROW(train(Xm, VF(g.data(), 3), 1e-5f, 0.1f, Vec<float>(r.data(), 3), Vec<float>()), Error);       // one stat
  EXPECT_NO_THROW(train(Xm, VF(g.data(), 3), 1e-5f, 0.1f, Vec<float>(r.data(), 3), Vec<float>(v.data(), 3)));
  std::vector<float> neg = {1, -1, 1};
  EXPECT_THROW(ref::batchnorm_forward_eval<float>(Xm, VF(g.data(), 3), VF(b.data(), 3), VF(r.data(), 3),
                                                  VF(neg.data(), 3), 1e-5f, Mat<float>(Y.data(), 2, 3),
                                                  Vec<float>(m.data(), 3), Vec<float>(iv.data(), 3)),
               Error);
  EXPECT_THROW(ref::batchnorm_backward<float>(Xm, VF(g.data(), 3), VF(m.data(), 3), VF(iv.data(), 3),
                                              MF(Y.data(), 3, 2), true, Mat<float>(), Vec<float>(), Vec<float>()),
               Error);
}

TEST(BatchNormRef, IndependentOfThreadCount) {
  const int64_t N = 3001, C = 130;
  const auto X = random_vec<float>(N * C, 31, -3, 3), g = random_vec<float>(C, 32), b = random_vec<float>(C, 33),
             dY = random_vec<float>(N * C, 34);
  auto run = [&](int threads) {
    const int keep = omp_get_max_threads();
    omp_set_num_threads(threads);
    std::vector<float> Y(N * C), m(C), iv(C), rm(C, 0.f), rv(C, 1.f), dX(N * C, 0.f), dg(C, 0.f), db(C, 0.f);
    ref::batchnorm_forward_train<float>(MF(X.data(), N, C), VF(g.data(), C), VF(b.data(), C), 1e-5f, 0.1f,
                                        Mat<float>(Y.data(), N, C), Vec<float>(m.data(), C), Vec<float>(iv.data(), C),
                                        Vec<float>(rm.data(), C), Vec<float>(rv.data(), C));
    ref::batchnorm_backward<float>(MF(X.data(), N, C), VF(g.data(), C), VF(m.data(), C), VF(iv.data(), C),
                                   MF(dY.data(), N, C), true, Mat<float>(dX.data(), N, C), Vec<float>(dg.data(), C),
                                   Vec<float>(db.data(), C));
    omp_set_num_threads(keep);
    Y.insert(Y.end(), rv.begin(), rv.end());
    Y.insert(Y.end(), dX.begin(), dX.end());
    Y.insert(Y.end(), dg.begin(), dg.end());
    return Y;
  };
  EXPECT_EQ(run(1), run(3));
}

TEST(BatchNormRef, WritesOnlyInsideOutputs) {
  const int64_t N = 33, C = 65;
  const auto X = random_vec<float>(N * C, 41), g = random_vec<float>(C, 42), b = random_vec<float>(C, 43);
  Guarded<float> Y(N * C), m(C), iv(C), rm(std::vector<float>(C, 0.f)), rv(std::vector<float>(C, 1.f));
  ref::batchnorm_forward_train<float>(MF(X.data(), N, C), VF(g.data(), C), VF(b.data(), C), 1e-5f, 0.1f, Y.mat(N, C),
                                      m.vec(), iv.vec(), rm.vec(), rv.vec());
  EXPECT_TRUE(Y.guards_intact() && m.guards_intact() && iv.guards_intact() && rm.guards_intact() && rv.guards_intact());
  for (float v : Y.get()) EXPECT_TRUE(std::isfinite(v));
}

// ---- CUDA vs reference ----------------------------------------------------------------------
struct Shape {
  int64_t N, C;
};
// Awkward sizes: N = 2 (the training minimum), sizes that are not multiples of the 32-column
// tile or the 256-row chunk, more rows than 64 chunks × 256 (chunks grow), Baby's 7050 × 512.
const std::vector<Shape> kShapes = {{2, 1}, {2, 33}, {31, 64}, {257, 65}, {1000, 3}, {7050, 64}, {20000, 7}, {7050, 512}};

TEST(CudaVsRef_batchnorm_forward_train, BatchNormShapes) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (const auto& s : kShapes) {
    const int64_t N = s.N, C = s.C;
    const uint64_t seed = static_cast<uint64_t>(N * 7 + C);
    const std::string nm = test::case_name("batchnorm_forward_train", {N, C}, seed);
    SCOPED_TRACE(nm);
    // Columns with an offset (mean far from 0) exercise the two-pass variance.
    auto X = random_vec<float>(N * C, seed, -2, 2);
    for (int64_t i = 0; i < N * C; ++i) X[i] += static_cast<float>((i % C) % 5) * 3.f;
    test::OpCase b{{X, random_vec<float>(C, seed + 1), random_vec<float>(C, seed + 2)},
                   {std::vector<float>(N * C, kNaN), std::vector<float>(C, kNaN), std::vector<float>(C, kNaN),
                    random_vec<float>(C, seed + 3), random_vec<float>(C, seed + 4, 0.5, 2)},
                   /*accumulate=*/true};  // running statistics start from given values; Y, mean, invstd from NaN
    // Column statistics over up to 20000 rows: summation order differs.
    test::compare_op(ctx, b,
                     [&](auto p) {
                       ref::batchnorm_forward_train<float>(MF(p[0], N, C), VF(p[1], C), VF(p[2], C), 1e-5f, 0.1f,
                                                           Mat<float>(p[3], N, C), Vec<float>(p[4], C),
                                                           Vec<float>(p[5], C), Vec<float>(p[6], C), Vec<float>(p[7], C));
                     },
                     [&](auto p, auto g) {
                       cuda::batchnorm_forward_train(MF(p[0], N, C), VF(p[1], C), VF(p[2], C), 1e-5f, 0.1f,
                                                     Mat<float>(p[3], N, C), Vec<float>(p[4], C), Vec<float>(p[5], C),
                                                     Vec<float>(p[6], C), Vec<float>(p[7], C), g);
                     },
                     test::kTolSum, nm);
  }
  test::DeviceGuarded<float> x(ctx, 6), v(ctx, 3), y(ctx, 6), m(ctx, 3), iv(ctx, 3);
  EXPECT_THROW(cuda::batchnorm_forward_train(MF(x.data(), 1, 3), VF(v.data(), 3), VF(v.data(), 3), 1e-5f, 0.1f,
                                             Mat<float>(y.data(), 1, 3), m.vec(), iv.vec(), Vec<float>(), Vec<float>(),
                                             ctx.exec()),
               Error);
}

TEST(CudaVsRef_batchnorm_forward_eval, BatchNormShapes) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  std::vector<Shape> shapes = kShapes;
  shapes.push_back({1, 5});  // one row is valid in evaluation mode
  for (const auto& s : shapes) {
    const int64_t N = s.N, C = s.C;
    const uint64_t seed = static_cast<uint64_t>(N * 11 + C);
    const std::string nm = test::case_name("batchnorm_forward_eval", {N, C}, seed);
    SCOPED_TRACE(nm);
    test::OpCase b{{random_vec<float>(N * C, seed, -2, 2), random_vec<float>(C, seed + 1), random_vec<float>(C, seed + 2),
                    random_vec<float>(C, seed + 3), random_vec<float>(C, seed + 4, 0.1, 3)},
                   {std::vector<float>(N * C), std::vector<float>(C), std::vector<float>(C)}};
    test::compare_op(ctx, b,
                     [&](auto p) {
                       ref::batchnorm_forward_eval<float>(MF(p[0], N, C), VF(p[1], C), VF(p[2], C), VF(p[3], C),
                                                          VF(p[4], C), 1e-5f, Mat<float>(p[5], N, C),
                                                          Vec<float>(p[6], C), Vec<float>(p[7], C));
                     },
                     [&](auto p, auto g) {
                       cuda::batchnorm_forward_eval(MF(p[0], N, C), VF(p[1], C), VF(p[2], C), VF(p[3], C), VF(p[4], C),
                                                    1e-5f, Mat<float>(p[5], N, C), Vec<float>(p[6], C),
                                                    Vec<float>(p[7], C), g);
                     },
                     test::kTolMap, nm);
  }
}

TEST(CudaVsRef_batchnorm_backward, BatchNormShapes) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (const auto& s : kShapes) {
    for (bool batch_stats : {true, false}) {
      const int64_t N = s.N, C = s.C;
      const uint64_t seed = static_cast<uint64_t>(N * 13 + C + (batch_stats ? 1 : 0));
      const std::string nm =
          test::case_name("batchnorm_backward", {N, C}, seed) + (batch_stats ? " batch-stats" : " running-stats");
      SCOPED_TRACE(nm);
      // Saved statistics from the float reference forward.
      const auto X = random_vec<float>(N * C, seed, -2, 2), g = random_vec<float>(C, seed + 1);
      std::vector<float> Y(N * C), m(C), iv(C);
      ref::batchnorm_forward_train<float>(MF(X.data(), N, C), VF(g.data(), C), VF(g.data(), C), 1e-5f, 0.1f,
                                          Mat<float>(Y.data(), N, C), Vec<float>(m.data(), C), Vec<float>(iv.data(), C),
                                          Vec<float>(), Vec<float>());
      test::OpCase b{{X, g, m, iv, random_vec<float>(N * C, seed + 2)},
                     {random_vec<float>(N * C, seed + 3), random_vec<float>(C, seed + 4), random_vec<float>(C, seed + 5)},
                     true};
      test::compare_op(ctx, b,
                       [&](auto p) {
                         ref::batchnorm_backward<float>(MF(p[0], N, C), VF(p[1], C), VF(p[2], C), VF(p[3], C),
                                                        MF(p[4], N, C), batch_stats, Mat<float>(p[5], N, C),
                                                        Vec<float>(p[6], C), Vec<float>(p[7], C));
                       },
                       [&](auto p, auto gx) {
                         cuda::batchnorm_backward(MF(p[0], N, C), VF(p[1], C), VF(p[2], C), VF(p[3], C),
                                                  MF(p[4], N, C), batch_stats, Mat<float>(p[5], N, C),
                                                  Vec<float>(p[6], C), Vec<float>(p[7], C), gx);
                       },
                       test::kTolSum, nm);
      // dX alone (dgamma, dbeta empty).
      test::OpCase b2{b.in, {b.out0[0]}, true};
      test::compare_op(ctx, b2,
                       [&](auto p) {
                         ref::batchnorm_backward<float>(MF(p[0], N, C), VF(p[1], C), VF(p[2], C), VF(p[3], C),
                                                        MF(p[4], N, C), batch_stats, Mat<float>(p[5], N, C),
                                                        Vec<float>(), Vec<float>());
                       },
                       [&](auto p, auto gx) {
                         cuda::batchnorm_backward(MF(p[0], N, C), VF(p[1], C), VF(p[2], C), VF(p[3], C),
                                                  MF(p[4], N, C), batch_stats, Mat<float>(p[5], N, C), Vec<float>(),
                                                  Vec<float>(), gx);
                       },
                       test::kTolSum, nm + " dX only");
    }
  }
}

}  // namespace
}  // namespace lethe
