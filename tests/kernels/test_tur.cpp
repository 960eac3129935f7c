// tests/kernels/test_tur.cpp — TUR loss family (kernels/tur.h): finite-difference check of the
// backward (CPU, double, accumulating), reference sanity (hand-computed loss, ce ≥ 0 and the
// L = 1 zero loss, extreme logits stay finite, guards) and CUDA against the reference over a
// table of shapes (B 1 … 8000, L 1 … 40, d 1 … 65) with poisoned outputs, guards and a
// bit-identical repeat run.
#include <cmath>
#include <limits>

#include "kernels/tur.h"
#include "tests/kernels/miggt_compare.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

using test::allclose;
using test::random_vec;
using MD = Mat<const double>;
using MF = Mat<const float>;

void fd_tur(int64_t B, int64_t L, int64_t d, double scale, uint64_t seed) {
  SCOPED_TRACE(test::case_name("tur", {B, L, d}, seed));
  auto U = random_vec<double>(B * d, seed, -1.5, 1.5), Ob = random_vec<double>(B * L * d, seed + 1, -1.5, 1.5);
  std::vector<double> P(B * L), ce(B);
  double loss = 0;
  const double dloss = 1.3;
  auto f = [&] {
    ref::tur_forward<double>(MD(U.data(), B, d), MD(Ob.data(), B * L, d), L, scale, Mat<double>(P.data(), B, L),
                             Vec<double>(ce.data(), B), &loss);
    return dloss * loss;
  };
  const auto fU = test::fd_gradient(f, U), fO = test::fd_gradient(f, Ob);
  f();
  const auto dU0 = random_vec<double>(B * d, seed + 2), dO0 = random_vec<double>(B * L * d, seed + 3);
  auto dU = dU0, dO = dO0;
  ref::tur_backward<double>(MD(U.data(), B, d), MD(Ob.data(), B * L, d), L, scale, MD(P.data(), B, L), &dloss,
                            Mat<double>(dU.data(), B, d), Mat<double>(dO.data(), B * L, d));
  EXPECT_TRUE(allclose(test::minus_start(dU, dU0), fU, test::kTolFd, "dU"));
  EXPECT_TRUE(allclose(test::minus_start(dO, dO0), fO, test::kTolFd, "dOb"));
  auto dO2 = dO0;
  ref::tur_backward<double>(MD(U.data(), B, d), MD(Ob.data(), B * L, d), L, scale, MD(P.data(), B, L), &dloss,
                            Mat<double>(), Mat<double>(dO2.data(), B * L, d));
  EXPECT_TRUE(allclose(test::minus_start(dO2, dO0), fO, test::kTolFd, "dOb alone"));
}
TEST(FiniteDiff_tur, TurBackward) { fd_tur(4, 5, 3, 1.0, 11); }
TEST(FiniteDiff_tur, TurScaledAndMigGtShape) { fd_tur(3, 11, 6, 0.25, 21); }
TEST(FiniteDiff_tur, TurSingleCandidate) { fd_tur(2, 1, 3, 1.0, 31); }  // L = 1: loss ≡ 0

TEST(TurRef, HandComputedLoss) {
  // B = 1, L = 3, d = 2: logits = <u, o_s> = 1, 2, −1.
  std::vector<double> U = {1, 0}, Ob = {1, 5, 2, -3, -1, 0}, P(3), ce(1);
  double loss = 0;
  ref::tur_forward<double>(MD(U.data(), 1, 2), MD(Ob.data(), 3, 2), 3, 2.0, Mat<double>(P.data(), 1, 3),
                           Vec<double>(ce.data(), 1), &loss);
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(-1.0);
  EXPECT_NEAR(ce[0], std::log(z) - 1.0, 1e-14);
  EXPECT_NEAR(loss, 2.0 * (std::log(z) - 1.0), 1e-14);
  EXPECT_NEAR(P[1], std::exp(2.0) / z, 1e-15);
}

TEST(TurRef, NonNegativeFiniteAndZeroForOneCandidate) {
  const int64_t B = 50, L = 11, d = 64;
  auto U = random_vec<float>(B * d, 1, -20, 20), Ob = random_vec<float>(B * L * d, 2, -20, 20);  // |logit| ~ 1e3
  std::vector<float> P(B * L), ce(B);
  float loss = -1;
  ref::tur_forward<float>(MF(U.data(), B, d), MF(Ob.data(), B * L, d), L, 1.f, Mat<float>(P.data(), B, L),
                          Vec<float>(ce.data(), B), &loss);
  EXPECT_TRUE(std::isfinite(loss));
  for (float c : ce) EXPECT_TRUE(std::isfinite(c) && c >= 0.f);
  for (float p : P) EXPECT_TRUE(std::isfinite(p));
  std::vector<float> P1(B), ce1(B);
  ref::tur_forward<float>(MF(U.data(), B, d), MF(Ob.data(), B, d), 1, 1.f, Mat<float>(P1.data(), B, 1),
                          Vec<float>(ce1.data(), B), &loss);
  EXPECT_EQ(loss, 0.f);
  // An empty batch gives a zero loss.
  ref::tur_forward<float>(MF(U.data(), 0, d), MF(Ob.data(), 0, d), L, 1.f, Mat<float>(P.data(), 0, L),
                          Vec<float>(ce.data(), 0), &loss);
  EXPECT_EQ(loss, 0.f);
}

TEST(TurRef, GuardsThrow) {
  std::vector<float> U(6), Ob(18), P(9), ce(3);
  float loss;
  EXPECT_THROW(ref::tur_forward<float>(MF(U.data(), 3, 2), MF(Ob.data(), 8, 2), 3, 1.f, Mat<float>(P.data(), 3, 3),
                                       Vec<float>(ce.data(), 3), &loss), Error);
  EXPECT_THROW(ref::tur_forward<float>(MF(U.data(), 3, 2), MF(Ob.data(), 9, 2), 3, 1.f, Mat<float>(P.data(), 3, 2),
                                       Vec<float>(ce.data(), 3), &loss), Error);
  EXPECT_THROW(ref::tur_forward<float>(MF(U.data(), 3, 2), MF(Ob.data(), 9, 2), 3, 1.f, Mat<float>(P.data(), 3, 3),
                                       Vec<float>(ce.data(), 3), nullptr), Error);
  EXPECT_THROW(ref::tur_forward<float>(MF(U.data(), 3, 2), MF(Ob.data(), 9, 2), 0, 1.f, Mat<float>(P.data(), 3, 0),
                                       Vec<float>(ce.data(), 3), &loss), Error);
  EXPECT_THROW(ref::tur_backward<float>(MF(U.data(), 3, 2), MF(Ob.data(), 9, 2), 3, 1.f, MF(P.data(), 3, 3), nullptr,
                                        Mat<float>(), Mat<float>()), Error);
}

struct Shape {
  int64_t B, L, d;
};
const std::vector<Shape> kShapes = {{1, 1, 1}, {1, 11, 64}, {33, 2, 65}, {7, 40, 3}, {1000, 11, 64}, {8000, 11, 64}};

TEST(CudaVsRef_tur_forward, TurShapes) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (const auto& s : kShapes) {
    const int64_t B = s.B, L = s.L, d = s.d;
    const uint64_t seed = static_cast<uint64_t>(B * 17 + L * 3 + d);
    const std::string nm = test::case_name("tur_forward", {B, L, d}, seed);
    SCOPED_TRACE(nm);
    test::OpCase b{{random_vec<float>(B * d, seed, -1, 1), random_vec<float>(B * L * d, seed + 1, -1, 1)},
                   {std::vector<float>(B * L), std::vector<float>(B), std::vector<float>(1)}};
    // d-term logits (warp tree vs sequential) and a B-term loss sum: summation order differs.
    test::compare_op(ctx, b,
                     [&](auto p) {
                       ref::tur_forward<float>(MF(p[0], B, d), MF(p[1], B * L, d), L, 1.f, Mat<float>(p[2], B, L),
                                               Vec<float>(p[3], B), p[4]);
                     },
                     [&](auto p, auto g) {
                       cuda::tur_forward(MF(p[0], B, d), MF(p[1], B * L, d), L, 1.f, Mat<float>(p[2], B, L),
                                         Vec<float>(p[3], B), p[4], g);
                     },
                     test::kTolSum, nm);
  }
}

TEST(CudaVsRef_tur_backward, TurShapes) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (const auto& s : kShapes) {
    const int64_t B = s.B, L = s.L, d = s.d;
    const uint64_t seed = static_cast<uint64_t>(B * 19 + L * 3 + d);
    const std::string nm = test::case_name("tur_backward", {B, L, d}, seed);
    SCOPED_TRACE(nm);
    const auto U = random_vec<float>(B * d, seed, -1, 1), Ob = random_vec<float>(B * L * d, seed + 1, -1, 1);
    std::vector<float> P(B * L), ce(B);
    float loss = 0;
    ref::tur_forward<float>(MF(U.data(), B, d), MF(Ob.data(), B * L, d), L, 1.f, Mat<float>(P.data(), B, L),
                            Vec<float>(ce.data(), B), &loss);
    test::OpCase b{{U, Ob, P, {0.7f}}, {random_vec<float>(B * d, seed + 2), random_vec<float>(B * L * d, seed + 3)}, true};
    test::compare_op(ctx, b,
                     [&](auto p) {
                       ref::tur_backward<float>(MF(p[0], B, d), MF(p[1], B * L, d), L, 0.5f, MF(p[2], B, L), p[3],
                                                Mat<float>(p[4], B, d), Mat<float>(p[5], B * L, d));
                     },
                     [&](auto p, auto g) {
                       cuda::tur_backward(MF(p[0], B, d), MF(p[1], B * L, d), L, 0.5f, MF(p[2], B, L), p[3],
                                          Mat<float>(p[4], B, d), Mat<float>(p[5], B * L, d), g);
                     },
                     test::kTolSum, nm);
  }
}

}  // namespace
}  // namespace lethe
