// tests/kernels/test_gemm.cpp — gemm family: finite-difference checks of the GEMM's operand
// gradients (all four transpose combinations) and of the linear layer (X, W, b); the blocked
// float CPU GEMM against a plain double loop over shapes that cross every block boundary, with
// padded leading dimensions, guard regions and the BLAS corner cases (β = 0 with NaN in C,
// k = 0, α = 0); bit-identical results for any OpenMP thread count; and CUDA against the CPU
// reference over a seeded shape table (1×1×1, 33×65×17, the MGCN shapes, all transposes,
// leading dimensions larger than the column count). The GEMM whose epilogue applies Adam
// (sgemm_adam) against a stored product followed by Adam, bit for bit.
#include <omp.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <tuple>

#include "kernels/gemm.h"
#include "kernels/gemm_cpu.h"
#include "kernels/optim.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

using test::allclose;
using test::Guarded;
using test::random_vec;

// Stored shape of op's operand: A is m×k (or k×m with trans), B is k×n (or n×k with trans).
struct Stored {
  int64_t rows, cols;
};
Stored stored_a(bool ta, int64_t m, int64_t k) { return ta ? Stored{k, m} : Stored{m, k}; }
Stored stored_b(bool tb, int64_t k, int64_t n) { return tb ? Stored{n, k} : Stored{k, n}; }

// Plain double loop: C = α op(A) op(B) + β C (β = 0 ignores C).
template <class T>
std::vector<double> naive_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const std::vector<T>& A,
                               int64_t lda, const std::vector<T>& B, int64_t ldb, double beta,
                               const std::vector<T>& C, int64_t ldc) {
  std::vector<double> out(C.begin(), C.end());
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p)
        s += double(ta ? A[p * lda + i] : A[i * lda + p]) * double(tb ? B[j * ldb + p] : B[p * ldb + j]);
      out[i * ldc + j] = alpha * s + (beta == 0 ? 0.0 : beta * double(C[i * ldc + j]));
    }
  return out;
}

// ---- finite differences (double) ------------------------------------------------------------
// f(A, B) = <Wt, op(A)·op(B)·α + β·C0>. Its gradients, written as GEMMs that accumulate (β = 1)
// into a gradient starting at 0.25:
//   !ta: dA (m×k) += α·Wt·op(B)ᵀ        ta: dA (k×m) += α·op(B)·Wtᵀ
//   !tb: dB (k×n) += α·op(A)ᵀ·Wt        tb: dB (n×k) += α·Wtᵀ·op(A)
// Leading dimensions are padded; the padding's gradient is 0 on both sides.
TEST(FiniteDiff_gemm, OperandGradientsAllTransposes) {
  const int64_t m = 5, n = 4, k = 3, pad = 2;
  const double alpha = 0.7, beta = 0.3;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      SCOPED_TRACE(std::string("trans_a=") + (ta ? "1" : "0") + " trans_b=" + (tb ? "1" : "0"));
      const Stored sa = stored_a(ta, m, k), sb = stored_b(tb, k, n);
      const int64_t lda = sa.cols + pad, ldb = sb.cols + pad, ldc = n;
      auto A = random_vec<double>(sa.rows * lda, 11 + ta), B = random_vec<double>(sb.rows * ldb, 13 + tb);
      const auto C0 = random_vec<double>(m * n, 15), Wt = random_vec<double>(m * n, 17);
      std::vector<double> C(m * n);
      auto f = [&] {
        C = C0;
        ref::gemm<double>(ta, tb, m, n, k, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
        return test::project(C, Wt);
      };
      const auto fA = test::fd_gradient(f, A), fB = test::fd_gradient(f, B);
      std::vector<double> dA(A.size(), 0.25), dB(B.size(), 0.25);
      if (!ta)
        ref::gemm<double>(false, !tb, m, k, n, alpha, Wt.data(), n, B.data(), ldb, 1.0, dA.data(), lda);
      else
        ref::gemm<double>(tb, true, k, m, n, alpha, B.data(), ldb, Wt.data(), n, 1.0, dA.data(), lda);
      if (!tb)
        ref::gemm<double>(!ta, false, k, n, m, alpha, A.data(), lda, Wt.data(), n, 1.0, dB.data(), ldb);
      else
        ref::gemm<double>(true, ta, n, k, m, alpha, Wt.data(), n, A.data(), lda, 1.0, dB.data(), ldb);
      for (auto& v : dA) v -= 0.25;
      for (auto& v : dB) v -= 0.25;
      EXPECT_TRUE(allclose(dA, fA, test::kTolFd, "dA"));
      EXPECT_TRUE(allclose(dB, fB, test::kTolFd, "dB"));
    }
}

TEST(FiniteDiff_linear, BackwardAccumulatesXWb) {
  const int64_t N = 6, in = 5, out = 4;
  auto X = random_vec<double>(N * in, 21), W = random_vec<double>(in * out, 22), b = random_vec<double>(out, 23);
  const auto Wt = random_vec<double>(N * out, 24);
  std::vector<double> Y(N * out);
  auto f = [&] {
    ref::linear_forward<double>(Mat<const double>(X.data(), N, in), Mat<const double>(W.data(), in, out),
                                Vec<const double>(b.data(), out), Mat<double>(Y.data(), N, out));
    return test::project(Y, Wt);
  };
  const auto fX = test::fd_gradient(f, X), fW = test::fd_gradient(f, W), fb = test::fd_gradient(f, b);
  std::vector<double> dX(X.size(), 0.25), dW(W.size(), -0.5), db(b.size(), 1.5);  // accumulate
  ref::linear_backward<double>(Mat<const double>(X.data(), N, in), Mat<const double>(W.data(), in, out),
                               Mat<const double>(Wt.data(), N, out), Mat<double>(dX.data(), N, in),
                               Mat<double>(dW.data(), in, out), Vec<double>(db.data(), out));
  for (auto& v : dX) v -= 0.25;
  for (auto& v : dW) v += 0.5;
  for (auto& v : db) v -= 1.5;
  EXPECT_TRUE(allclose(dX, fX, test::kTolFd, "dX"));
  EXPECT_TRUE(allclose(dW, fW, test::kTolFd, "dW"));
  EXPECT_TRUE(allclose(db, fb, test::kTolFd, "db"));
}

TEST(FiniteDiff_linear, NullGradientsAreSkipped) {
  const int64_t N = 3, in = 2, out = 2;
  auto X = random_vec<double>(N * in, 1), W = random_vec<double>(in * out, 2), dY = random_vec<double>(N * out, 3);
  std::vector<double> db(out, 0.0);
  EXPECT_NO_THROW(ref::linear_backward<double>(Mat<const double>(X.data(), N, in), Mat<const double>(W.data(), in, out),
                                               Mat<const double>(dY.data(), N, out), Mat<double>(), Mat<double>(),
                                               Vec<double>(db.data(), out)));
  EXPECT_NEAR(db[0], dY[0] + dY[2] + dY[4], 1e-15);
}

// ---- CPU float GEMM -------------------------------------------------------------------------
struct GemmShape {
  int64_t m, n, k;
};
// Crosses the micro-tiles (6×16, 6×64), MC (96), KC (256) and NC (2048) boundaries.
const std::vector<GemmShape> kCpuShapes = {{1, 1, 1},     {6, 16, 1},      {7, 17, 3},     {33, 65, 17},
                                           {97, 31, 257}, {200, 130, 600}, {13, 2100, 40}, {250, 7, 513},
                                           {12, 64, 256}, {101, 200, 70},
                                           // one column of C: the AVX-512 path's row-vector kernel
                                           // (16 rows a register, several k blocks, partial blocks)
                                           {37, 1, 600},  {300, 1, 64},    {16, 1, 5},
                                           // a transposed A this wide is packed by the AVX-512 path
                                           {600, 70, 300}};

// C lives in a guarded buffer with ldc = n + 3; the 3 padding columns hold a sentinel that must
// survive.
void check_cpu_gemm(bool ta, bool tb, GemmShape s, float alpha, float beta, uint64_t seed,
                    ref::SgemmPath path = ref::SgemmPath::Auto) {
  const Stored sa = stored_a(ta, s.m, s.k), sb = stored_b(tb, s.k, s.n);
  const int64_t lda = sa.cols + 1, ldb = sb.cols + 2, ldc = s.n + 3;
  const auto A = random_vec<float>(sa.rows * lda, seed), B = random_vec<float>(sb.rows * ldb, seed + 1);
  auto C0 = random_vec<float>(s.m * ldc, seed + 2);
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = s.n; j < ldc; ++j) C0[i * ldc + j] = 12345.f;
  Guarded<float> C(C0);
  if (path == ref::SgemmPath::Auto)
    ref::gemm<float>(ta, tb, s.m, s.n, s.k, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
  else
    ref::sgemm(path, ta, tb, s.m, s.n, s.k, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
  const auto want = naive_gemm<float>(ta, tb, s.m, s.n, s.k, alpha, A, lda, B, ldb, beta, C0, ldc);
  const auto got = C.get();
  // Float accumulation over k terms of size ≤ 1: the error grows with k.
  const test::Tol tol{1e-5 * std::max(1.0, double(s.k) / 16.0), 1e-4};
  EXPECT_TRUE(allclose(got, want, tol, "C"));
  EXPECT_TRUE(C.guards_intact()) << "write outside C";
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = s.n; j < ldc; ++j) ASSERT_EQ(got[i * ldc + j], 12345.f) << "write into ldc padding";
}

TEST(Ref_gemm, MatchesPlainLoopAllTransposesAndBlockBoundaries) {
  uint64_t seed = 100;
  for (auto s : kCpuShapes)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        SCOPED_TRACE(test::case_name(std::string("gemm_ta") + (ta ? "1" : "0") + "_tb" + (tb ? "1" : "0"),
                                     {s.m, s.n, s.k}, seed));
        check_cpu_gemm(ta, tb, s, 1.f, 0.f, seed);
        check_cpu_gemm(ta, tb, s, -0.75f, 0.5f, seed + 7);
        seed += 10;
      }
}

// The two CPU paths (kernels/gemm_cpu.h), each against the plain loop; the AVX-512 one only where
// the CPU runs it.
TEST(Ref_gemm, EachCpuPathMatchesPlainLoop) {
  std::vector<ref::SgemmPath> paths = {ref::SgemmPath::Packed6x16};
  if (cpu::avx512_available()) paths.push_back(ref::SgemmPath::Avx512);
  uint64_t seed = 300;
  for (auto path : paths)
    for (auto s : kCpuShapes)
      for (bool ta : {false, true})
        for (bool tb : {false, true}) {
          SCOPED_TRACE(test::case_name(std::string(path == ref::SgemmPath::Avx512 ? "avx512" : "packed") + "_ta" +
                                           (ta ? "1" : "0") + "_tb" + (tb ? "1" : "0"),
                                       {s.m, s.n, s.k}, seed));
          check_cpu_gemm(ta, tb, s, 0.5f, 0.f, seed, path);
          check_cpu_gemm(ta, tb, s, 1.f, 1.f, seed + 3, path);
          seed += 10;
        }
}

// The AVX-512 path performs every element's operations in the 6×16 path's order, epilogue
// included: the results are the same bits, so a machine's answers do not depend on its path.
TEST(Ref_gemm, Avx512PathEqualsPacked6x16BitForBit) {
  if (!cpu::avx512_available()) GTEST_SKIP() << "this CPU has no AVX-512: only the 6x16 path runs here";
  uint64_t seed = 500;
  for (auto s : kCpuShapes)
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (auto [alpha, beta] : {std::pair{1.f, 0.f}, {1.f, 1.f}, {-0.75f, 0.5f}}) {
          SCOPED_TRACE(test::case_name(std::string("bits_ta") + (ta ? "1" : "0") + "_tb" + (tb ? "1" : "0"),
                                       {s.m, s.n, s.k}, seed));
          const Stored sa = stored_a(ta, s.m, s.k), sb = stored_b(tb, s.k, s.n);
          const auto A = random_vec<float>(sa.rows * sa.cols, seed), B = random_vec<float>(sb.rows * sb.cols, seed + 1);
          std::vector<float> C1 = random_vec<float>(s.m * s.n, seed + 2), C2 = C1;
          ref::sgemm(ref::SgemmPath::Packed6x16, ta, tb, s.m, s.n, s.k, alpha, A.data(), sa.cols, B.data(), sb.cols,
                     beta, C1.data(), s.n);
          ref::sgemm(ref::SgemmPath::Avx512, ta, tb, s.m, s.n, s.k, alpha, A.data(), sa.cols, B.data(), sb.cols, beta,
                     C2.data(), s.n);
          ASSERT_EQ(0, std::memcmp(C1.data(), C2.data(), C1.size() * sizeof(float)));
          ++seed;
        }
}

// sgemm_adam (a feature table's dX = dY·Wᵀ applied by Adam as it is computed) gives every
// element the bits of the stored product followed by adam_step, for any thread count.
TEST(Ref_gemm, AdamEpilogueEqualsStoredProductThenAdamBitForBit) {
  if (!cpu::avx512_available()) GTEST_SKIP() << "this CPU has no AVX-512: the fused path never runs here";
  AdamHp hp;
  hp.lr = 1e-3;
  hp.step = 5;
  const double bc1 = 1.0 - std::pow(hp.beta1, 5.0), bc2 = 1.0 - std::pow(hp.beta2, 5.0);
  const ref::AdamF32 f = ref::adam_f32_factors(hp, hp.lr / bc1, std::sqrt(bc2));
  uint64_t seed = 700;
  for (auto [m, n, k] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 1, 1}, {5, 63, 7}, {6, 64, 64}, {13, 130, 64}, {301, 1024, 64}, {50, 200, 256}, {7, 4096, 64}}) {
    for (int threads : {1, 2}) {
      SCOPED_TRACE(test::case_name("sgemm_adam_t" + std::to_string(threads), {m, n, k}, seed));
      const auto A = random_vec<float>(m * k, seed), B = random_vec<float>(n * k, seed + 1);
      auto P1 = random_vec<float>(m * n, seed + 2), M1 = random_vec<float>(m * n, seed + 3, -0.1, 0.1),
           V1 = random_vec<float>(m * n, seed + 4, 0, 0.1);
      auto P2 = P1, M2 = M1, V2 = V1;
      std::vector<float> G(static_cast<size_t>(m * n));
      ref::sgemm(ref::SgemmPath::Avx512, false, true, m, n, k, 1.f, A.data(), k, B.data(), k, 0.f, G.data(), n);
      ref::adam_step<float>(P1.data(), G.data(), M1.data(), V1.data(), m * n, hp, nullptr, SegScale{});
      const int before = omp_get_max_threads();
      omp_set_num_threads(threads);
      const bool fused = ref::sgemm_adam(m, n, k, A.data(), k, B.data(), k, P2.data(), M2.data(), V2.data(), f);
      omp_set_num_threads(before);
      ASSERT_TRUE(fused);
      EXPECT_EQ(0, std::memcmp(P1.data(), P2.data(), P1.size() * sizeof(float))) << "parameters";
      EXPECT_EQ(0, std::memcmp(M1.data(), M2.data(), M1.size() * sizeof(float))) << "first moments";
      EXPECT_EQ(0, std::memcmp(V1.data(), V2.data(), V1.size() * sizeof(float))) << "second moments";
      ++seed;
    }
  }
  // Outside its range (k above one k block, k = 0) it declines and touches nothing.
  std::vector<float> A(10 * 300), B(4 * 300), P(40, 1.f), M(40), V(40);
  EXPECT_FALSE(ref::sgemm_adam(10, 4, 300, A.data(), 300, B.data(), 300, P.data(), M.data(), V.data(), f));
  EXPECT_FALSE(ref::sgemm_adam(10, 4, 0, A.data(), 300, B.data(), 300, P.data(), M.data(), V.data(), f));
  EXPECT_EQ(P, std::vector<float>(40, 1.f));
}

// sgemm_nt_rows (InfoNCE's similarities a block of rows at a time) hands every block the bits of
// the AVX-512 path's C = α·A·Bᵀ with β = 0, every row exactly once, for any block height and
// thread count; lda and ldb larger than k are honoured.
TEST(Ref_gemm, RowBlocksEqualStoredProductBitForBit) {
  if (!cpu::avx512_available()) GTEST_SKIP() << "this CPU has no AVX-512: the row-block path never runs here";
  uint64_t seed = 900;
  for (auto [m, n, k] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 1, 1}, {7, 5, 3}, {37, 130, 64}, {200, 2048, 64}, {61, 77, 256}}) {
    for (int64_t rows : {1, 6, 13, 30})
      for (int threads : {1, 2}) {
        SCOPED_TRACE(test::case_name("nt_rows_r" + std::to_string(rows) + "_t" + std::to_string(threads), {m, n, k},
                                     seed));
        const int64_t lda = k + 1, ldb = k + 2;
        const auto A = random_vec<float>(m * lda, seed), B = random_vec<float>(n * ldb, seed + 1);
        std::vector<float> want(static_cast<size_t>(m * n)), got(static_cast<size_t>(m * n), 7.f);
        std::vector<int> seen(static_cast<size_t>(m), 0);
        ref::sgemm(ref::SgemmPath::Avx512, false, true, m, n, k, 0.25f, A.data(), lda, B.data(), ldb, 0.f,
                   want.data(), n);
        const int before = omp_get_max_threads();
        omp_set_num_threads(threads);
        const bool ran = ref::sgemm_nt_rows(m, n, k, 0.25f, A.data(), lda, B.data(), ldb, rows,
                                            [&](int64_t i0, int64_t nr, float* blk) {
                                              for (int64_t r = 0; r < nr; ++r) ++seen[static_cast<size_t>(i0 + r)];
                                              std::memcpy(got.data() + i0 * n, blk, size_t(nr * n) * sizeof(float));
                                            });
        omp_set_num_threads(before);
        ASSERT_TRUE(ran);
        EXPECT_EQ(seen, std::vector<int>(static_cast<size_t>(m), 1)) << "each row visited once";
        EXPECT_EQ(0, std::memcmp(want.data(), got.data(), want.size() * sizeof(float)));
        ++seed;
      }
  }
  // Outside its range (k above one k block, k = 0) it declines without visiting anything.
  std::vector<float> A(10 * 300), B(4 * 300);
  int visits = 0;
  const auto count = [&](int64_t, int64_t, float*) { ++visits; };
  EXPECT_FALSE(ref::sgemm_nt_rows(10, 4, 300, 1.f, A.data(), 300, B.data(), 300, 6, count));
  EXPECT_FALSE(ref::sgemm_nt_rows(10, 4, 0, 1.f, A.data(), 300, B.data(), 300, 6, count));
  EXPECT_EQ(visits, 0);
}

TEST(Ref_gemm, BetaZeroIgnoresNaNInC) {
  const int64_t m = 9, n = 20, k = 5;
  const auto A = random_vec<float>(m * k, 1), B = random_vec<float>(k * n, 2);
  Guarded<float> C(m * n);  // poisoned with NaN
  ref::gemm<float>(false, false, m, n, k, 1.f, A.data(), k, B.data(), n, 0.f, C.data(), n);
  for (float v : C.get()) ASSERT_TRUE(std::isfinite(v));
}

TEST(Ref_gemm, KZeroAndAlphaZeroOnlyScaleC) {
  const int64_t m = 4, n = 3;
  std::vector<float> C(m * n, 2.f);
  ref::gemm<float>(false, false, m, n, 0, 1.f, nullptr, 0, nullptr, n, 0.5f, C.data(), n);
  for (float v : C) EXPECT_EQ(v, 1.f);
  Guarded<float> C2(m * n);  // NaN, β = 0: zeros
  ref::gemm<float>(false, false, m, n, 0, 1.f, nullptr, 0, nullptr, n, 0.f, C2.data(), n);
  for (float v : C2.get()) EXPECT_EQ(v, 0.f);
  // α = 0: A and B are not read (NaN there must not leak), C = β·C.
  std::vector<float> A(m * 2, std::nanf("")), B(2 * n, std::nanf("")), C3(m * n, 4.f);
  ref::gemm<float>(false, false, m, n, 2, 0.f, A.data(), 2, B.data(), n, 0.25f, C3.data(), n);
  for (float v : C3) EXPECT_EQ(v, 1.f);
  // m = 0 / n = 0: nothing happens, null pointers allowed.
  EXPECT_NO_THROW(ref::gemm<float>(false, false, 0, 5, 3, 1.f, nullptr, 3, nullptr, 5, 0.f, nullptr, 5));
}

TEST(Ref_gemm, ResultDoesNotDependOnThreadCount) {
  const int64_t m = 301, n = 530, k = 700;
  const auto A = random_vec<float>(m * k, 5), B = random_vec<float>(k * n, 6);
  const int keep = omp_get_max_threads();
  std::vector<std::vector<float>> out;
  for (int t : {1, 2, 3, 5}) {
    omp_set_num_threads(t);
    std::vector<float> C(m * n, 0.5f);
    ref::gemm<float>(false, true, m, n, k, 1.f, A.data(), k, B.data(), k, 1.f, C.data(), n);
    out.push_back(C);
  }
  omp_set_num_threads(keep);
  for (size_t i = 1; i < out.size(); ++i)
    EXPECT_EQ(0, std::memcmp(out[0].data(), out[i].data(), out[0].size() * sizeof(float))) << "thread count " << i;
}

TEST(Ref_gemm, BadArgumentsThrow) {
  std::vector<float> A(12), B(12), C(12);
  EXPECT_THROW(ref::gemm<float>(false, false, 3, 4, 3, 1.f, A.data(), 2, B.data(), 4, 0.f, C.data(), 4), Error);
  EXPECT_THROW(ref::gemm<float>(true, false, 3, 4, 3, 1.f, A.data(), 3, B.data(), 3, 0.f, C.data(), 4), Error);
  EXPECT_THROW(ref::gemm<float>(false, false, 3, 4, 3, 1.f, A.data(), 3, B.data(), 4, 0.f, C.data(), 3), Error);
  EXPECT_THROW(ref::gemm<float>(false, false, -1, 4, 3, 1.f, A.data(), 3, B.data(), 4, 0.f, C.data(), 4), Error);
  std::vector<float> X(6), W(6), Y(6), b(2);
  EXPECT_THROW(ref::linear_forward<float>(Mat<const float>(X.data(), 3, 2), Mat<const float>(W.data(), 3, 2),
                                          Vec<const float>(), Mat<float>(Y.data(), 3, 2)),
               Error);
  EXPECT_THROW(ref::linear_forward<float>(Mat<const float>(X.data(), 3, 2), Mat<const float>(W.data(), 2, 3),
                                          Vec<const float>(b.data(), 2), Mat<float>(Y.data(), 2, 3)),
               Error);
}

TEST(Ref_linear, ForwardIsGemmPlusBias) {
  const int64_t N = 37, in = 19, out = 21;
  const auto X = random_vec<float>(N * in, 31), W = random_vec<float>(in * out, 32), b = random_vec<float>(out, 33);
  Guarded<float> Y(N * out), Y0(N * out);
  ref::linear_forward<float>(Mat<const float>(X.data(), N, in), Mat<const float>(W.data(), in, out),
                             Vec<const float>(b.data(), out), Y.mat(N, out));
  ref::linear_forward<float>(Mat<const float>(X.data(), N, in), Mat<const float>(W.data(), in, out),
                             Vec<const float>(), Y0.mat(N, out));
  std::vector<float> zero(N * out, 0.f);
  const auto want = naive_gemm<float>(false, false, N, out, in, 1.0, X, in, W, out, 0.0, zero, out);
  std::vector<double> want_b(want);
  for (int64_t r = 0; r < N; ++r)
    for (int64_t c = 0; c < out; ++c) want_b[r * out + c] += b[c];
  EXPECT_TRUE(allclose(Y0.get(), want, test::kTolSum, "Y without bias"));
  EXPECT_TRUE(allclose(Y.get(), want_b, test::kTolSum, "Y with bias"));
  EXPECT_TRUE(Y.guards_intact() && Y0.guards_intact());
}

// ---- CUDA vs reference ----------------------------------------------------------------------
struct CudaGemmCase {
  int64_t m, n, k;
  int64_t pad;  // added to every leading dimension
};
const std::vector<CudaGemmCase> kCudaShapes = {
    {1, 1, 1, 0},     {1, 1, 1, 3},     {33, 65, 17, 0},  {33, 65, 17, 5},   {257, 31, 129, 1},
    {7050, 64, 384, 0}, {7050, 64, 128, 7}, {64, 7050, 33, 2}, {5, 4, 0, 1},  // k = 0
    {0, 7, 3, 0},  // m = 0
};

TEST(CudaVsRef_gemm, ShapesTransposesLeadingDims) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  uint64_t seed = 500;
  for (const auto& s : kCudaShapes)
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (float beta : {0.f, 0.5f}) {
          ++seed;
          SCOPED_TRACE(test::case_name(std::string("gemm_ta") + (ta ? "1" : "0") + "_tb" + (tb ? "1" : "0") +
                                           (beta == 0.f ? "_b0" : "_b05"),
                                       {s.m, s.n, s.k, s.pad}, seed));
          const Stored sa = stored_a(ta, s.m, s.k), sb = stored_b(tb, s.k, s.n);
          const int64_t lda = sa.cols + s.pad, ldb = sb.cols + s.pad, ldc = s.n + s.pad;
          const auto A = random_vec<float>(sa.rows * lda, seed), B = random_vec<float>(sb.rows * ldb, seed + 1);
          const auto C0 = random_vec<float>(s.m * ldc, seed + 2);
          std::vector<float> Cref = C0;
          ref::gemm<float>(ta, tb, s.m, s.n, s.k, 1.25f, A.data(), lda, B.data(), ldb, beta, Cref.data(), ldc);
          test::DeviceGuarded<float> Ad(ctx, A), Bd(ctx, B), Cd(ctx, s.m * ldc);
          if (beta != 0.f) Cd.upload(C0);  // β = 0: C stays poisoned (NaN) and must be ignored
          else {
            // keep the padding columns comparable: they must not be written
            for (int64_t i = 0; i < s.m; ++i)
              for (int64_t j = s.n; j < ldc; ++j) Cref[i * ldc + j] = std::nanf("");
          }
          cuda::gemm(ta, tb, s.m, s.n, s.k, 1.25f, Ad.data(), lda, Bd.data(), ldb, beta, Cd.data(), ldc, ctx.exec());
          ctx.sync();
          const auto got = Cd.download();
          std::vector<float> got_body, ref_body;
          for (int64_t i = 0; i < s.m; ++i)
            for (int64_t j = 0; j < ldc; ++j) {
              if (j < s.n) {
                got_body.push_back(got[i * ldc + j]);
                ref_body.push_back(Cref[i * ldc + j]);
              } else if (beta != 0.f) {
                ASSERT_EQ(got[i * ldc + j], C0[i * ldc + j]) << "write into ldc padding";
              } else {
                ASSERT_TRUE(std::isnan(got[i * ldc + j])) << "write into ldc padding";
              }
            }
          // Summation order differs from the CPU's; the error grows with k.
          const test::Tol tol{1e-5 * std::max(1.0, double(s.k) / 16.0), 1e-4};
          EXPECT_TRUE(allclose(got_body, ref_body, tol, "C"));
          EXPECT_TRUE(Cd.guards_intact());
        }
}

TEST(CudaVsRef_linear_forward, Shapes) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (auto [N, in, out] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 1, 1}, {33, 17, 65}, {7050, 384, 64}, {100, 0, 8}}) {
    for (bool bias : {false, true}) {
      SCOPED_TRACE(test::case_name(bias ? "linear_forward_bias" : "linear_forward", {N, in, out}, 61));
      const auto X = random_vec<float>(N * in, 61), W = random_vec<float>(in * out, 62), b = random_vec<float>(out, 63);
      std::vector<float> Y(N * out);
      ref::linear_forward<float>(Mat<const float>(X.data(), N, in), Mat<const float>(W.data(), in, out),
                                 bias ? Vec<const float>(b.data(), out) : Vec<const float>(), Mat<float>(Y.data(), N, out));
      test::DeviceGuarded<float> Xd(ctx, X), Wd(ctx, W), bd(ctx, b), Yd(ctx, N * out);
      cuda::linear_forward(Mat<const float>(Xd.data(), N, in), Mat<const float>(Wd.data(), in, out),
                           bias ? Vec<const float>(bd.data(), out) : Vec<const float>(), Yd.mat(N, out), ctx.exec());
      const test::Tol tol{1e-5 * std::max(1.0, double(in) / 16.0), 1e-4};  // k = in terms, order differs
      EXPECT_TRUE(allclose(Yd.download(), Y, tol, "Y"));
      EXPECT_TRUE(Yd.guards_intact());
    }
  }
}

TEST(CudaVsRef_linear_backward, ShapesAccumulate) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (auto [N, in, out] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 1, 1}, {33, 17, 65}, {7050, 384, 64}, {3000, 64, 100},
           // MGCN's tall layers (U + I rows): the bias gradient over 64 row chunks, and n = 1.
           {26495, 64, 64}, {26495, 64, 1}}) {
    SCOPED_TRACE(test::case_name("linear_backward", {N, in, out}, 71));
    const auto X = random_vec<float>(N * in, 71), W = random_vec<float>(in * out, 72), dY = random_vec<float>(N * out, 73);
    auto dX = random_vec<float>(N * in, 74), dW = random_vec<float>(in * out, 75), db = random_vec<float>(out, 76);
    test::DeviceGuarded<float> Xd(ctx, X), Wd(ctx, W), dYd(ctx, dY), dXd(ctx, dX), dWd(ctx, dW), dbd(ctx, db);
    ref::linear_backward<float>(Mat<const float>(X.data(), N, in), Mat<const float>(W.data(), in, out),
                                Mat<const float>(dY.data(), N, out), Mat<float>(dX.data(), N, in),
                                Mat<float>(dW.data(), in, out), Vec<float>(db.data(), out));
    cuda::linear_backward(Mat<const float>(Xd.data(), N, in), Mat<const float>(Wd.data(), in, out),
                          Mat<const float>(dYd.data(), N, out), dXd.mat(N, in), dWd.mat(in, out), dbd.vec(), ctx.exec());
    // dX sums over out terms, dW over N terms (order differs from the CPU's); db sums in double
    // on both sides, so it agrees to float rounding.
    EXPECT_TRUE(allclose(dXd.download(), dX, test::Tol{1e-5 * std::max(1.0, double(out) / 16.0), 1e-4}, "dX"));
    EXPECT_TRUE(allclose(dWd.download(), dW, test::Tol{1e-5 * std::max(1.0, double(N) / 16.0), 1e-4}, "dW"));
    EXPECT_TRUE(allclose(dbd.download(), db, test::kTolMap, "db"));
    EXPECT_TRUE(dXd.guards_intact() && dWd.guards_intact() && dbd.guards_intact());
  }
}

}  // namespace
}  // namespace lethe
