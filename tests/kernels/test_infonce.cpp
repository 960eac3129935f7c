// tests/kernels/test_infonce.cpp — InfoNCE (kernels/infonce.h): finite differences of the
// backward (CPU, double, accumulating into non-zero gradients, replayable: a second call adds the
// same again and leaves the saved tensors untouched), the reference against a naive direct
// formula (including a small temperature where P_bb underflows in float), B = 1 (loss 0),
// guards, and CUDA against the reference over B ∈ {1, 2, 33, 256} × d ∈ {8, 64}.
#include <memory>

#include "kernels/infonce.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

using test::allclose;
using test::Guarded;
using test::random_vec;

// loss = mean_b [ log Σ_b' exp(cos(x_b, y_b')/τ) − cos(x_b, y_b)/τ ], straight from docs/MODELS.md, "The three backbones".
double naive_infonce(const std::vector<double>& X, const std::vector<double>& Y, int64_t B, int64_t d, double tau) {
  auto unit = [d](const std::vector<double>& M, int64_t r) {
    double n = 0;
    for (int64_t k = 0; k < d; ++k) n += M[r * d + k] * M[r * d + k];
    n = std::max(std::sqrt(n), 1e-12);
    std::vector<double> u(d);
    for (int64_t k = 0; k < d; ++k) u[k] = M[r * d + k] / n;
    return u;
  };
  double loss = 0;
  for (int64_t b = 0; b < B; ++b) {
    const auto xb = unit(X, b);
    double den = 0, pos = 0;
    for (int64_t j = 0; j < B; ++j) {
      const auto yj = unit(Y, j);
      double c = 0;
      for (int64_t k = 0; k < d; ++k) c += xb[k] * yj[k];
      den += std::exp(c / tau);
      if (j == b) pos = c / tau;
    }
    loss += std::log(den) - pos;
  }
  return loss / B;
}

template <class T>
struct Saved {
  int64_t B, d;
  std::vector<T> Xn, Yn, nx, ny, P;
  T loss = 0;
  Saved(int64_t b, int64_t dim) : B(b), d(dim), Xn(b * dim), Yn(b * dim), nx(b), ny(b), P(b * b) {}
  void forward(const std::vector<T>& X, const std::vector<T>& Y, T tau) {
    ref::infonce_forward<T>(Mat<const T>(X.data(), B, d), Mat<const T>(Y.data(), B, d), tau, Mat<T>(Xn.data(), B, d),
                            Mat<T>(Yn.data(), B, d), Vec<T>(nx.data(), B), Vec<T>(ny.data(), B),
                            Mat<T>(P.data(), B, B), &loss);
  }
  void backward(T tau, const T* dloss, std::vector<T>* dX, std::vector<T>* dY) const {
    ref::infonce_backward<T>(Mat<const T>(Xn.data(), B, d), Mat<const T>(Yn.data(), B, d), Vec<const T>(nx.data(), B),
                             Vec<const T>(ny.data(), B), Mat<const T>(P.data(), B, B), tau, dloss,
                             dX ? Mat<T>(dX->data(), B, d) : Mat<T>(), dY ? Mat<T>(dY->data(), B, d) : Mat<T>());
  }
};

// ---- finite differences (double) ------------------------------------------------------------
TEST(FiniteDiff_infonce, Backward) {
  const int64_t B = 4, d = 3;
  const double tau = 0.2, dloss = 1.3;
  auto X = random_vec<double>(B * d, 601), Y = random_vec<double>(B * d, 602);
  for (int64_t k = 0; k < d; ++k) X[k] *= 7.0;  // rows of different norms
  for (int64_t k = 0; k < d; ++k) Y[d + k] *= 0.05;
  Saved<double> s(B, d);
  auto f = [&] {
    s.forward(X, Y, tau);
    return dloss * s.loss;
  };
  const auto fX = test::fd_gradient(f, X), fY = test::fd_gradient(f, Y);
  f();
  const auto P0 = s.P, Xn0 = s.Xn;
  std::vector<double> dX(B * d, 0.5), dY(B * d, -0.25);
  s.backward(tau, &dloss, &dX, &dY);
  std::vector<double> incX(B * d), incY(B * d);
  for (int64_t i = 0; i < B * d; ++i) {
    incX[i] = dX[i] - 0.5;
    incY[i] = dY[i] + 0.25;
  }
  EXPECT_TRUE(allclose(incX, fX, test::kTolFd, "dX"));
  EXPECT_TRUE(allclose(incY, fY, test::kTolFd, "dY"));
  // Replay: the saved tensors are unchanged and a second call adds the same increment again.
  s.backward(tau, &dloss, &dX, &dY);
  EXPECT_EQ(s.P, P0);
  EXPECT_EQ(s.Xn, Xn0);
  for (int64_t i = 0; i < B * d; ++i) {
    EXPECT_NEAR(dX[i] - 0.5, 2 * fX[i], 2e-7 + 1e-5 * std::abs(fX[i]));
    EXPECT_NEAR(dY[i] + 0.25, 2 * fY[i], 2e-7 + 1e-5 * std::abs(fY[i]));
  }
  // One side only.
  std::vector<double> dY2(B * d, 0.0);
  s.backward(tau, &dloss, nullptr, &dY2);
  EXPECT_TRUE(allclose(dY2, fY, test::kTolFd, "dY alone"));
}

TEST(FiniteDiff_infonce, MatchesNaiveFormula) {
  for (int64_t B : {1, 2, 5, 33})
    for (double tau : {0.2, 1.0, 0.05}) {
      SCOPED_TRACE(test::case_name("infonce_naive", {B}, 700 + B));
      const int64_t d = 8;
      const auto X = random_vec<double>(B * d, 700 + B), Y = random_vec<double>(B * d, 800 + B);
      Saved<double> s(B, d);
      s.forward(X, Y, tau);
      EXPECT_NEAR(s.loss, naive_infonce(X, Y, B, d, tau), 1e-12);
      for (int64_t i = 0; i < B; ++i) {
        double row = 0;
        for (int64_t j = 0; j < B; ++j) row += s.P[i * B + j];
        EXPECT_NEAR(row, 1.0, 1e-12);
      }
      // Float reference against the double formula.
      Saved<float> sf(B, d);
      sf.forward(test::cast_vec<float>(X), test::cast_vec<float>(Y), static_cast<float>(tau));
      EXPECT_NEAR(sf.loss, s.loss, 1e-5 + 1e-5 * std::abs(s.loss));
    }
}

TEST(InfoNceRef, SmallTemperatureStaysFinite) {
  // τ = 0.005: S spans ±200, so exp(S − max) underflows in float for most entries, including some
  // P_bb; the loss is computed in log space and must stay finite and accurate.
  const int64_t B = 16, d = 8;
  const double tau = 0.005;
  const auto X = random_vec<double>(B * d, 901), Y = random_vec<double>(B * d, 902);
  Saved<float> sf(B, d);
  sf.forward(test::cast_vec<float>(X), test::cast_vec<float>(Y), static_cast<float>(tau));
  ASSERT_TRUE(std::isfinite(sf.loss));
  const double ref = naive_infonce(X, Y, B, d, tau);
  EXPECT_NEAR(sf.loss, ref, 1e-4 * std::abs(ref) + 1e-3);  // S/τ amplifies float rounding of S by 200
  const float one = 1.f;
  std::vector<float> dX(B * d, 0.f), dY(B * d, 0.f);
  sf.backward(static_cast<float>(tau), &one, &dX, &dY);
  for (float v : dX) EXPECT_TRUE(std::isfinite(v));
  for (float v : dY) EXPECT_TRUE(std::isfinite(v));
}

TEST(InfoNceRef, SingleRowHasZeroLossAndGradient) {
  const int64_t d = 5;
  const auto X = random_vec<double>(d, 911), Y = random_vec<double>(d, 912);
  Saved<double> s(1, d);
  s.forward(X, Y, 0.2);
  EXPECT_EQ(s.loss, 0.0);
  EXPECT_EQ(s.P[0], 1.0);
  const double one = 1.0;
  std::vector<double> dX(d, 0.5), dY(d, 0.5);
  s.backward(0.2, &one, &dX, &dY);
  for (int64_t k = 0; k < d; ++k) {
    EXPECT_EQ(dX[k], 0.5);
    EXPECT_EQ(dY[k], 0.5);
  }
}

TEST(InfoNceRef, GuardsThrow) {
  const int64_t B = 3, d = 2;
  std::vector<float> X(B * d, 1.f), Xn(B * d), Yn(B * d), nx(B), ny(B), P(B * B), Pbad(B * B - 1);
  float loss = 0;
  const Mat<const float> Xm(X.data(), B, d);
  auto fwd = [&](Mat<const float> Y, float tau, Mat<float> Pm, float* l) {
    ref::infonce_forward<float>(Xm, Y, tau, Mat<float>(Xn.data(), B, d), Mat<float>(Yn.data(), B, d),
                                Vec<float>(nx.data(), B), Vec<float>(ny.data(), B), Pm, l);
  };
  EXPECT_THROW(fwd(Mat<const float>(X.data(), B, 1), 0.2f, Mat<float>(P.data(), B, B), &loss), Error);
  EXPECT_THROW(fwd(Xm, 0.f, Mat<float>(P.data(), B, B), &loss), Error);
  EXPECT_THROW(fwd(Xm, 0.2f, Mat<float>(Pbad.data(), B, B - 1), &loss), Error);
  EXPECT_THROW(fwd(Xm, 0.2f, Mat<float>(P.data(), B, B), nullptr), Error);
  EXPECT_THROW(ref::infonce_forward<float>(Mat<const float>(nullptr, 0, d), Mat<const float>(nullptr, 0, d), 0.2f,
                                           Mat<float>(), Mat<float>(), Vec<float>(), Vec<float>(), Mat<float>(), &loss),
               Error);
  fwd(Xm, 0.2f, Mat<float>(P.data(), B, B), &loss);
  std::vector<float> dX(B * d, 0.f);
  EXPECT_THROW(ref::infonce_backward<float>(Mat<const float>(Xn.data(), B, d), Mat<const float>(Yn.data(), B, d),
                                            Vec<const float>(nx.data(), B), Vec<const float>(ny.data(), B),
                                            Mat<const float>(P.data(), B, B), 0.2f, nullptr, Mat<float>(dX.data(), B, d),
                                            Mat<float>()),
               Error);
}

TEST(InfoNceRef, WritesOnlyInsideOutputs) {
  const int64_t B = 33, d = 8;
  const auto X = random_vec<float>(B * d, 921), Y = random_vec<float>(B * d, 922);
  Guarded<float> Xn(B * d), Yn(B * d), nx(B), ny(B), P(B * B), loss(1);
  ref::infonce_forward<float>(Mat<const float>(X.data(), B, d), Mat<const float>(Y.data(), B, d), 0.2f, Xn.mat(B, d),
                              Yn.mat(B, d), nx.vec(), ny.vec(), P.mat(B, B), loss.data());
  EXPECT_TRUE(Xn.guards_intact() && Yn.guards_intact() && nx.guards_intact() && ny.guards_intact() &&
              P.guards_intact() && loss.guards_intact());
  for (float v : P.get()) EXPECT_TRUE(std::isfinite(v));
  Guarded<float> dX(random_vec<float>(B * d, 923));
  const float one = 1.f;
  ref::infonce_backward<float>(Mat<const float>(Xn.data(), B, d), Mat<const float>(Yn.data(), B, d),
                               Vec<const float>(nx.data(), B), Vec<const float>(ny.data(), B),
                               Mat<const float>(P.data(), B, B), 0.2f, &one, dX.mat(B, d), Mat<float>());
  EXPECT_TRUE(dX.guards_intact());
}

// ---- CUDA vs reference ----------------------------------------------------------------------
const std::vector<int64_t> kBatch = {1, 2, 33, 256};
const std::vector<int64_t> kDims = {8, 64};

TEST(CudaVsRef_infonce_forward, Table) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  const float tau = 0.2f;
  for (int64_t B : kBatch)
    for (int64_t d : kDims) {
      const uint64_t seed = static_cast<uint64_t>(B * 17 + d);
      SCOPED_TRACE(test::case_name("infonce_forward", {B, d}, seed));
      auto X = random_vec<float>(B * d, seed), Y = random_vec<float>(B * d, seed + 1);
      if (B > 2) std::fill(X.begin() + d, X.begin() + 2 * d, 0.f);  // a zero row: x̂ = 0
      Saved<float> s(B, d);
      s.forward(X, Y, tau);
      test::DeviceGuarded<float> Xd(ctx, X), Yd(ctx, Y), Xn(ctx, B * d), Yn(ctx, B * d), nx(ctx, B), ny(ctx, B), P(ctx, B * B), loss(ctx, 1);
      auto run = [&] {
        cuda::infonce_forward(Mat<const float>(Xd.data(), B, d), Mat<const float>(Yd.data(), B, d), tau, Xn.mat(B, d),
                              Yn.mat(B, d), nx.vec(), ny.vec(), P.mat(B, B), loss.data(), ctx.exec());
      };
      run();
      // Normalisation: row sums in double, order differs; S: an SGEMM whose summation order
      // differs from the reference's (double) dot products, amplified by 1/τ = 5 inside exp.
      EXPECT_TRUE(allclose(Xn.download(), s.Xn, test::kTolSum, "Xn"));
      EXPECT_TRUE(allclose(Yn.download(), s.Yn, test::kTolSum, "Yn"));
      EXPECT_TRUE(allclose(nx.download(), s.nx, test::kTolSum, "nx"));
      EXPECT_TRUE(allclose(ny.download(), s.ny, test::kTolSum, "ny"));
      const auto P1 = P.download(), l1 = loss.download();
      EXPECT_TRUE(allclose(P1, s.P, test::kTolSum, "P"));
      EXPECT_TRUE(allclose(l1, std::vector<float>{s.loss}, test::kTolSum, "loss"));
      EXPECT_TRUE(Xn.guards_intact() && Yn.guards_intact() && nx.guards_intact() && ny.guards_intact() &&
                  P.guards_intact() && loss.guards_intact());
      if (B == 1) {
        EXPECT_EQ(l1[0], 0.f);
      }
      // Deterministic: bit-identical on a second run.
      P.poison();
      loss.poison();
      ctx.arena().reset();
      run();
      EXPECT_EQ(P.download(), P1);
      EXPECT_EQ(loss.download(), l1);
      ctx.arena().reset();
    }
  // Guards.
  test::DeviceGuarded<float> a(ctx, 8), b(ctx, 8), n(ctx, 4), P(ctx, 15), l(ctx, 1);
  EXPECT_THROW(cuda::infonce_forward(Mat<const float>(a.data(), 4, 2), Mat<const float>(a.data(), 4, 2), tau,
                                     a.mat(4, 2), b.mat(4, 2), n.vec(), n.vec(), Mat<float>(P.data(), 3, 5), l.data(),
                                     ctx.exec()),
               Error);
  GpuExec no_blas = ctx.exec();
  no_blas.blas = nullptr;
  test::DeviceGuarded<float> P16(ctx, 16);
  EXPECT_THROW(cuda::infonce_forward(Mat<const float>(a.data(), 4, 2), Mat<const float>(a.data(), 4, 2), tau,
                                     a.mat(4, 2), b.mat(4, 2), n.vec(), n.vec(), P16.mat(4, 4), l.data(), no_blas),
               Error);
}

TEST(CudaVsRef_infonce_backward, Table) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  const float tau = 0.2f, dloss = 0.8f;
  for (int64_t B : kBatch)
    for (int64_t d : kDims) {
      const uint64_t seed = static_cast<uint64_t>(B * 19 + d);
      SCOPED_TRACE(test::case_name("infonce_backward", {B, d}, seed));
      auto X = random_vec<float>(B * d, seed), Y = random_vec<float>(B * d, seed + 1);
      if (B > 2) std::fill(Y.begin() + 2 * d, Y.begin() + 3 * d, 0.f);  // a zero row: the ≤ eps branch
      Saved<float> s(B, d);
      s.forward(X, Y, tau);
      // Both sides run from the same saved tensors (the reference's), gradients start non-zero.
      auto dX = random_vec<float>(B * d, seed + 2), dY = random_vec<float>(B * d, seed + 3);
      test::DeviceGuarded<float> Xn(ctx, s.Xn), Yn(ctx, s.Yn), nx(ctx, s.nx), ny(ctx, s.ny), P(ctx, s.P), dl(ctx, std::vector<float>{dloss}),
          dXd(ctx, dX), dYd(ctx, dY);
      auto run = [&] {
        cuda::infonce_backward(Mat<const float>(Xn.data(), B, d), Mat<const float>(Yn.data(), B, d),
                               Vec<const float>(nx.data(), B), Vec<const float>(ny.data(), B),
                               Mat<const float>(P.data(), B, B), tau, dl.data(), dXd.mat(B, d), dYd.mat(B, d),
                               ctx.exec());
        ctx.arena().reset();
      };
      s.backward(tau, &dloss, &dX, &dY);
      run();
      // Two GEMMs over B terms each (order differs from the double reference).
      EXPECT_TRUE(allclose(dXd.download(), dX, test::kTolSum, "dX"));
      EXPECT_TRUE(allclose(dYd.download(), dY, test::kTolSum, "dY"));
      // Replay: saved tensors untouched, a second call accumulates again.
      s.backward(tau, &dloss, &dX, &dY);
      run();
      EXPECT_EQ(P.download(), s.P);
      EXPECT_EQ(Xn.download(), s.Xn);
      EXPECT_EQ(Yn.download(), s.Yn);
      EXPECT_TRUE(allclose(dXd.download(), dX, test::kTolSum, "dX (second call)"));
      EXPECT_TRUE(allclose(dYd.download(), dY, test::kTolSum, "dY (second call)"));
      EXPECT_TRUE(dXd.guards_intact() && dYd.guards_intact() && P.guards_intact());
      // dX only.
      auto dXo = random_vec<float>(B * d, seed + 4);
      test::DeviceGuarded<float> dXod(ctx, dXo);
      s.backward(tau, &dloss, &dXo, nullptr);
      cuda::infonce_backward(Mat<const float>(Xn.data(), B, d), Mat<const float>(Yn.data(), B, d),
                             Vec<const float>(nx.data(), B), Vec<const float>(ny.data(), B),
                             Mat<const float>(P.data(), B, B), tau, dl.data(), dXod.mat(B, d), Mat<float>(), ctx.exec());
      EXPECT_TRUE(allclose(dXod.download(), dXo, test::kTolSum, "dX alone"));
      EXPECT_TRUE(dXod.guards_intact());
      ctx.arena().reset();
    }
}

}  // namespace
}  // namespace lethe
