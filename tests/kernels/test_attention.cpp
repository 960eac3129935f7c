// tests/kernels/test_attention.cpp — attention family (kernels/attention.h): finite-difference
// checks of the block-attention backward (CPU, double, accumulating into non-zero gradients),
// reference sanity (a hand-computed block, softmax rows, L = 1, the sampled indices' range,
// self column, determinism and keying, guards) and CUDA against the reference over a table of
// shapes (N blocks 1 … 1000, L 1 … 40, widths a 1/3/4 and d 1/64/65) with poisoned outputs,
// guards and a bit-identical repeat; the sampled indices must match exactly.
#include <cmath>
#include <limits>

#include "kernels/attention.h"
#include "kernels/philox.h"
#include "tests/kernels/miggt_compare.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

using test::allclose;
using test::random_vec;
using MD = Mat<const double>;
using MF = Mat<const float>;

// ---- finite differences (double) ------------------------------------------------------------
void fd_attention(int64_t N, int64_t L, int64_t a, int64_t d, double scale, double c_att, double c_res, uint64_t seed) {
  SCOPED_TRACE(test::case_name("block_attention", {N, L, a, d}, seed));
  const int64_t R = N * L;
  auto Q = random_vec<double>(R * a, seed, -1.5, 1.5), K = random_vec<double>(R * a, seed + 1, -1.5, 1.5),
       V = random_vec<double>(R * d, seed + 2);
  const auto w = random_vec<double>(R * d, seed + 3);
  std::vector<double> O(R * d), P(R * L);
  auto f = [&] {
    ref::block_attention_forward<double>(MD(Q.data(), R, a), MD(K.data(), R, a), MD(V.data(), R, d), L, scale, c_att,
                                         c_res, Mat<double>(O.data(), R, d), Mat<double>(P.data(), R, L));
    return test::project(O, w);
  };
  const auto fQ = test::fd_gradient(f, Q), fK = test::fd_gradient(f, K), fV = test::fd_gradient(f, V);
  f();
  const auto dQ0 = random_vec<double>(R * a, seed + 4), dK0 = random_vec<double>(R * a, seed + 5),
             dV0 = random_vec<double>(R * d, seed + 6);
  auto dQ = dQ0, dK = dK0, dV = dV0;
  ref::block_attention_backward<double>(MD(Q.data(), R, a), MD(K.data(), R, a), MD(V.data(), R, d), MD(P.data(), R, L),
                                        MD(w.data(), R, d), L, scale, c_att, c_res, Mat<double>(dQ.data(), R, a),
                                        Mat<double>(dK.data(), R, a), Mat<double>(dV.data(), R, d));
  EXPECT_TRUE(allclose(test::minus_start(dQ, dQ0), fQ, test::kTolFd, "dQ"));
  EXPECT_TRUE(allclose(test::minus_start(dK, dK0), fK, test::kTolFd, "dK"));
  EXPECT_TRUE(allclose(test::minus_start(dV, dV0), fV, test::kTolFd, "dV"));
  // Each gradient alone (the others empty) gives the same increment.
  auto dV2 = dV0;
  ref::block_attention_backward<double>(MD(Q.data(), R, a), MD(K.data(), R, a), MD(V.data(), R, d), MD(P.data(), R, L),
                                        MD(w.data(), R, d), L, scale, c_att, c_res, Mat<double>(), Mat<double>(),
                                        Mat<double>(dV2.data(), R, d));
  EXPECT_TRUE(allclose(test::minus_start(dV2, dV0), fV, test::kTolFd, "dV alone"));
  auto dK2 = dK0;
  ref::block_attention_backward<double>(MD(Q.data(), R, a), MD(K.data(), R, a), MD(V.data(), R, d), MD(P.data(), R, L),
                                        MD(w.data(), R, d), L, scale, c_att, c_res, Mat<double>(),
                                        Mat<double>(dK2.data(), R, a), Mat<double>());
  EXPECT_TRUE(allclose(test::minus_start(dK2, dK0), fK, test::kTolFd, "dK alone"));
}
TEST(FiniteDiff_block_attention, AttentionGeneric) { fd_attention(3, 4, 3, 5, 0.7, 0.6, 0.9, 11); }
TEST(FiniteDiff_block_attention, AttentionMigGtConstants) { fd_attention(2, 5, 4, 6, 0.5, 0.1, 0.9, 21); }
TEST(FiniteDiff_block_attention, AttentionSmallBlocks) {
  fd_attention(4, 1, 2, 3, 1.0, 0.3, 0.9, 31);  // L = 1: softmax is constant, only V gets gradient
  fd_attention(2, 2, 1, 1, 2.0, 1.0, 0.0, 41);
}

// ---- reference sanity -----------------------------------------------------------------------
TEST(AttentionRef, HandComputedBlock) {
  // One block, L = 2, a = d = 1: S = scale·q kᵀ = 0.5·[[3, −1], [6, −2]].
  std::vector<double> Q = {1, 2}, K = {3, -1}, V = {5, 7}, O(2), P(4);
  ref::block_attention_forward<double>(MD(Q.data(), 2, 1), MD(K.data(), 2, 1), MD(V.data(), 2, 1), 2, 0.5, 0.1, 0.9,
                                       Mat<double>(O.data(), 2, 1), Mat<double>(P.data(), 2, 2));
  const double p00 = 1.0 / (1.0 + std::exp(-2.0)), p10 = 1.0 / (1.0 + std::exp(-4.0));
  EXPECT_NEAR(P[0], p00, 1e-15);
  EXPECT_NEAR(P[1], 1 - p00, 1e-15);
  EXPECT_NEAR(P[2], p10, 1e-15);
  EXPECT_NEAR(O[0], 0.1 * (p00 * 5 + (1 - p00) * 7) + 0.9 * 5, 1e-14);
  EXPECT_NEAR(O[1], 0.1 * (p10 * 5 + (1 - p10) * 7) + 0.9 * 7, 1e-14);
}

TEST(AttentionRef, RowsAreSoftmaxAndSingleRowBlocksPassThrough) {
  const int64_t N = 5, L = 7, a = 4, d = 9, R = N * L;
  const auto Q = random_vec<float>(R * a, 1, -30, 30), K = random_vec<float>(R * a, 2, -30, 30),
             V = random_vec<float>(R * d, 3);
  std::vector<float> O(R * d), P(R * L);
  ref::block_attention_forward<float>(MF(Q.data(), R, a), MF(K.data(), R, a), MF(V.data(), R, d), L, 0.5f, 0.1f, 0.9f,
                                      Mat<float>(O.data(), R, d), Mat<float>(P.data(), R, L));
  for (int64_t r = 0; r < R; ++r) {
    double s = 0;
    for (int64_t j = 0; j < L; ++j) {
      EXPECT_TRUE(std::isfinite(P[r * L + j]) && P[r * L + j] >= 0.f);
      s += P[r * L + j];
    }
    EXPECT_NEAR(s, 1.0, 1e-6);  // huge logits (|S| up to ~1800) stay finite: max-shifted
  }
  std::vector<float> O1(R * d), P1(R);
  ref::block_attention_forward<float>(MF(Q.data(), R, a), MF(K.data(), R, a), MF(V.data(), R, d), 1, 0.5f, 0.1f, 0.9f,
                                      Mat<float>(O1.data(), R, d), Mat<float>(P1.data(), R, 1));
  for (int64_t i = 0; i < R * d; ++i) EXPECT_FLOAT_EQ(O1[i], 0.1f * V[i] + 0.9f * V[i]);
  for (float p : P1) EXPECT_EQ(p, 1.f);
}

TEST(AttentionRef, SampledIndicesRangeSelfAndKeys) {
  const int64_t N = 2000, L = 11;
  std::vector<int32_t> a(N * L), b(N * L), c(N * L);
  ref::attn_sample_indices(7, rng_stream(RngPurpose::kAttnSample, 3, 4), 100, 50, Mat<int32_t>(a.data(), N, L));
  ref::attn_sample_indices(7, rng_stream(RngPurpose::kAttnSample, 3, 4), 100, 50, Mat<int32_t>(b.data(), N, L));
  ref::attn_sample_indices(7, rng_stream(RngPurpose::kAttnSample, 3, 5), 100, 50, Mat<int32_t>(c.data(), N, L));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::vector<int64_t> hist(50, 0);
  for (int64_t n = 0; n < N; ++n) {
    EXPECT_EQ(a[n * L], n);
    for (int64_t s = 1; s < L; ++s) {
      ASSERT_GE(a[n * L + s], 100);
      ASSERT_LT(a[n * L + s], 150);
      ++hist[a[n * L + s] - 100];
    }
  }
  // 20000 draws over 50 values: expected 400 each, sd 20; allow 6 sd.
  for (int64_t h : hist) EXPECT_NEAR(static_cast<double>(h), 400.0, 120.0);
  // Draw j = n·S + s uses word j % 4 of Philox counter j / 4.
  const U32x4 r = philox(7, rng_stream(RngPurpose::kAttnSample, 3, 4), (5 * 10 + 3) / 4);
  EXPECT_EQ(a[5 * L + 1 + 3], 100 + static_cast<int32_t>(below(r.v[(5 * 10 + 3) % 4], 50)));
  // L = 1: only the node itself; count is then irrelevant.
  std::vector<int32_t> self(4);
  ref::attn_sample_indices(1, 2, 0, 0, Mat<int32_t>(self.data(), 4, 1));
  EXPECT_EQ(self, (std::vector<int32_t>{0, 1, 2, 3}));
}

TEST(AttentionRef, GuardsThrow) {
  std::vector<float> q(12), v(24), o(24), p(36);
  auto fwd = [&](int64_t qrows, int64_t krows, int64_t L, int64_t prow, int64_t pcol) {
    ref::block_attention_forward<float>(MF(q.data(), qrows, 1), MF(q.data(), krows, 1), MF(v.data(), qrows, 2), L, 1.f,
                                        0.1f, 0.9f, Mat<float>(o.data(), qrows, 2), Mat<float>(p.data(), prow, pcol));
  };
  EXPECT_NO_THROW(fwd(6, 6, 3, 6, 3));
  EXPECT_THROW(fwd(6, 6, 0, 6, 3), Error);  // L = 0
  EXPECT_THROW(fwd(6, 6, 4, 6, 4), Error);  // 6 rows not a multiple of 4
  EXPECT_THROW(fwd(6, 5, 3, 6, 3), Error);  // K rows
  EXPECT_THROW(fwd(6, 6, 3, 6, 2), Error);  // P columns
  std::vector<int32_t> idx(6);
  EXPECT_THROW(ref::attn_sample_indices(1, 2, 0, 0, Mat<int32_t>(idx.data(), 2, 3)), Error);   // empty range
  EXPECT_THROW(ref::attn_sample_indices(1, 2, -1, 5, Mat<int32_t>(idx.data(), 2, 3)), Error);  // negative lo
  EXPECT_THROW(ref::attn_sample_indices(1, 2, 0, 5, Mat<int32_t>(idx.data(), 6, 0)), Error);   // no self column
}

// ---- CUDA vs reference ----------------------------------------------------------------------
struct Shape {
  int64_t N, L, a, d;
};
// MIG-GT's own shape (L 11, a 4, d 64) plus awkward ones: one block, L = 1, L > 32 (lanes loop),
// widths not multiples of the warp (65), width 1, and a Baby-sized block count.
const std::vector<Shape> kShapes = {{1, 1, 1, 1},  {1, 11, 4, 64}, {7, 2, 3, 65},    {33, 11, 4, 64},
                                    {5, 40, 4, 33}, {1000, 11, 4, 64}, {300, 3, 1, 1}, {26495, 11, 4, 64}};

TEST(CudaVsRef_block_attention_forward, AttentionShapes) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (const auto& s : kShapes) {
    const int64_t R = s.N * s.L, L = s.L, a = s.a, d = s.d;
    const uint64_t seed = static_cast<uint64_t>(s.N * 101 + L * 7 + a + d);
    const std::string nm = test::case_name("block_attention_forward", {s.N, L, a, d}, seed);
    SCOPED_TRACE(nm);
    test::OpCase b{{random_vec<float>(R * a, seed, -2, 2), random_vec<float>(R * a, seed + 1, -2, 2),
                    random_vec<float>(R * d, seed + 2)},
                   {std::vector<float>(R * d), std::vector<float>(R * L)}};
    // a-term logits and L-term sums in the same order on both; expf/std::exp and FMA differ.
    test::compare_op(ctx, b,
                     [&](auto p) {
                       ref::block_attention_forward<float>(MF(p[0], R, a), MF(p[1], R, a), MF(p[2], R, d), L, 0.5f,
                                                           0.1f, 0.9f, Mat<float>(p[3], R, d), Mat<float>(p[4], R, L));
                     },
                     [&](auto p, auto g) {
                       cuda::block_attention_forward(MF(p[0], R, a), MF(p[1], R, a), MF(p[2], R, d), L, 0.5f, 0.1f,
                                                     0.9f, Mat<float>(p[3], R, d), Mat<float>(p[4], R, L), g);
                     },
                     test::kTolSum, nm);
  }
  test::DeviceGuarded<float> q(ctx, 12), v(ctx, 24), o(ctx, 24), p(ctx, 36);
  EXPECT_THROW(cuda::block_attention_forward(MF(q.data(), 6, 2), MF(q.data(), 6, 2), MF(v.data(), 6, 4), 4, 1.f, 0.1f,
                                             0.9f, Mat<float>(o.data(), 6, 4), Mat<float>(p.data(), 6, 4), ctx.exec()),
               Error);
}

TEST(CudaVsRef_block_attention_backward, AttentionShapes) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (const auto& s : kShapes) {
    const int64_t R = s.N * s.L, L = s.L, a = s.a, d = s.d;
    const uint64_t seed = static_cast<uint64_t>(s.N * 103 + L * 5 + a + d);
    const std::string nm = test::case_name("block_attention_backward", {s.N, L, a, d}, seed);
    SCOPED_TRACE(nm);
    const auto Q = random_vec<float>(R * a, seed, -2, 2), K = random_vec<float>(R * a, seed + 1, -2, 2),
               V = random_vec<float>(R * d, seed + 2);
    std::vector<float> O(R * d), P(R * L);
    ref::block_attention_forward<float>(MF(Q.data(), R, a), MF(K.data(), R, a), MF(V.data(), R, d), L, 0.5f, 0.1f,
                                        0.9f, Mat<float>(O.data(), R, d), Mat<float>(P.data(), R, L));
    test::OpCase b{{Q, K, V, P, random_vec<float>(R * d, seed + 3)},
                   {random_vec<float>(R * a, seed + 4), random_vec<float>(R * a, seed + 5),
                    random_vec<float>(R * d, seed + 6)},
                   true};
    // d-term dP sums and L-term gradient sums: same order, FMA may differ.
    test::compare_op(ctx, b,
                     [&](auto p) {
                       ref::block_attention_backward<float>(MF(p[0], R, a), MF(p[1], R, a), MF(p[2], R, d),
                                                            MF(p[3], R, L), MF(p[4], R, d), L, 0.5f, 0.1f, 0.9f,
                                                            Mat<float>(p[5], R, a), Mat<float>(p[6], R, a),
                                                            Mat<float>(p[7], R, d));
                     },
                     [&](auto p, auto g) {
                       cuda::block_attention_backward(MF(p[0], R, a), MF(p[1], R, a), MF(p[2], R, d), MF(p[3], R, L),
                                                      MF(p[4], R, d), L, 0.5f, 0.1f, 0.9f, Mat<float>(p[5], R, a),
                                                      Mat<float>(p[6], R, a), Mat<float>(p[7], R, d), g);
                     },
                     test::kTolSum, nm);
    // dV alone (no dS scratch) and dK alone.
    test::OpCase bv{b.in, {b.out0[2]}, true};
    test::compare_op(ctx, bv,
                     [&](auto p) {
                       ref::block_attention_backward<float>(MF(p[0], R, a), MF(p[1], R, a), MF(p[2], R, d),
                                                            MF(p[3], R, L), MF(p[4], R, d), L, 0.5f, 0.1f, 0.9f,
                                                            Mat<float>(), Mat<float>(), Mat<float>(p[5], R, d));
                     },
                     [&](auto p, auto g) {
                       cuda::block_attention_backward(MF(p[0], R, a), MF(p[1], R, a), MF(p[2], R, d), MF(p[3], R, L),
                                                      MF(p[4], R, d), L, 0.5f, 0.1f, 0.9f, Mat<float>(), Mat<float>(),
                                                      Mat<float>(p[5], R, d), g);
                     },
                     test::kTolSum, nm + " dV only");
    test::OpCase bk{b.in, {b.out0[1]}, true};
    test::compare_op(ctx, bk,
                     [&](auto p) {
                       ref::block_attention_backward<float>(MF(p[0], R, a), MF(p[1], R, a), MF(p[2], R, d),
                                                            MF(p[3], R, L), MF(p[4], R, d), L, 0.5f, 0.1f, 0.9f,
                                                            Mat<float>(), Mat<float>(p[5], R, a), Mat<float>());
                     },
                     [&](auto p, auto g) {
                       cuda::block_attention_backward(MF(p[0], R, a), MF(p[1], R, a), MF(p[2], R, d), MF(p[3], R, L),
                                                      MF(p[4], R, d), L, 0.5f, 0.1f, 0.9f, Mat<float>(),
                                                      Mat<float>(p[5], R, a), Mat<float>(), g);
                     },
                     test::kTolSum, nm + " dK only");
  }
}

TEST(CudaVsRef_attn_sample_indices, AttentionSamplesExact) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  struct C {
    int64_t N, L;
    int32_t lo, count;
  };
  for (const C& c : std::vector<C>{{1, 1, 0, 0}, {1, 11, 5, 1}, {33, 11, 19445, 7050}, {26495, 11, 19445, 7050},
                                   {1000, 3, 0, 2147483000}}) {
    SCOPED_TRACE(test::case_name("attn_sample_indices", {c.N, c.L, c.lo, c.count}, 9));
    const uint64_t stream = rng_stream(RngPurpose::kAttnSample, 2, 17);
    std::vector<int32_t> h(c.N * c.L);
    ref::attn_sample_indices(9, stream, c.lo, c.count, Mat<int32_t>(h.data(), c.N, c.L));
    test::DeviceGuarded<int32_t> d(ctx, c.N * c.L);
    cuda::attn_sample_indices(9, stream, c.lo, c.count, d.mat(c.N, c.L), ctx.exec());
    EXPECT_EQ(d.download(), h);
    EXPECT_TRUE(d.guards_intact());
  }
  test::DeviceGuarded<int32_t> d(ctx, 6);
  EXPECT_THROW(cuda::attn_sample_indices(1, 2, 0, 0, d.mat(2, 3), ctx.exec()), Error);
}

}  // namespace
}  // namespace lethe
