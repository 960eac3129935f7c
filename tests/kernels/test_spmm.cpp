// tests/kernels/test_spmm.cpp — spmm family: the backward dX = Aᵀ·dY (computed with spmm on an
// explicitly built transpose CSR, accumulating) against finite differences; the CPU reference
// against a dense double product (empty rows, accumulate flag, bad CSRs, thread-count
// independence); and both CUDA versions (hand-written, cuSPARSE) against the reference over
// matrices with empty rows, a power-law degree matrix, a single row, no nonzeros, and widths
// d ∈ {1, 3, 64, 65, 128} (aligned and misaligned dense operands).
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <set>

#include "kernels/spmm.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

using test::allclose;
using test::Guarded;
using test::random_vec;

// An owning CSR (host) with a view.
struct HostCsr {
  int64_t rows = 0, cols = 0;
  std::vector<int32_t> rowptr, col;
  std::vector<float> val;
  Csr view() const {
    return Csr{rowptr.data(), col.data(), val.data(), rows, cols, static_cast<int64_t>(col.size())};
  }
};

// Builds a CSR from per-row degrees: each row draws `deg` distinct columns (sorted), weights in
// [0.1, 1]. Column choice is skewed when `skew` (popular columns, like items).
HostCsr make_csr(int64_t rows, int64_t cols, const std::vector<int64_t>& deg, bool skew, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  HostCsr A;
  A.rows = rows;
  A.cols = cols;
  A.rowptr.push_back(0);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t want = std::min(deg[r], cols);
    std::set<int32_t> cs;
    while (static_cast<int64_t>(cs.size()) < want) {
      const double x = u(rng);
      const int64_t c = skew ? static_cast<int64_t>(std::pow(x, 3.0) * cols) : static_cast<int64_t>(x * cols);
      cs.insert(static_cast<int32_t>(std::min(c, cols - 1)));
    }
    for (int32_t c : cs) {
      A.col.push_back(c);
      A.val.push_back(static_cast<float>(0.1 + 0.9 * u(rng)));
    }
    A.rowptr.push_back(static_cast<int32_t>(A.col.size()));
  }
  return A;
}

// Uniform degrees in [0, 2·avg], a fraction `empty` of rows forced empty.
HostCsr random_csr(int64_t rows, int64_t cols, int64_t avg, double empty, uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0x9e37);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<int64_t> deg(rows);
  for (auto& d : deg) d = u(rng) < empty ? 0 : static_cast<int64_t>(u(rng) * (2 * avg + 1));
  return make_csr(rows, cols, deg, false, seed);
}

// Power-law degrees: row r has about maxdeg / (r+1)^0.8 nonzeros (a few rows with hundreds,
// most with one or two, some empty), rows shuffled.
HostCsr powerlaw_csr(int64_t rows, int64_t cols, int64_t maxdeg, uint64_t seed) {
  std::vector<int64_t> deg(rows);
  for (int64_t r = 0; r < rows; ++r) deg[r] = static_cast<int64_t>(double(maxdeg) / std::pow(double(r + 1), 0.8));
  std::mt19937_64 rng(seed);
  std::shuffle(deg.begin(), deg.end(), rng);
  return make_csr(rows, cols, deg, true, seed + 1);
}

HostCsr transpose(const HostCsr& A) {
  HostCsr T;
  T.rows = A.cols;
  T.cols = A.rows;
  T.rowptr.assign(T.rows + 1, 0);
  for (int32_t c : A.col) ++T.rowptr[c + 1];
  for (int64_t r = 0; r < T.rows; ++r) T.rowptr[r + 1] += T.rowptr[r];
  T.col.resize(A.col.size());
  T.val.resize(A.val.size());
  std::vector<int32_t> next(T.rowptr.begin(), T.rowptr.end() - 1);
  for (int64_t r = 0; r < A.rows; ++r)  // increasing r: T's rows come out sorted
    for (int32_t e = A.rowptr[r]; e < A.rowptr[r + 1]; ++e) {
      const int32_t p = next[A.col[e]]++;
      T.col[p] = static_cast<int32_t>(r);
      T.val[p] = A.val[e];
    }
  return T;
}

std::vector<double> dense_spmm(const HostCsr& A, const std::vector<float>& X, int64_t d) {
  std::vector<double> Y(A.rows * d, 0.0);
  for (int64_t r = 0; r < A.rows; ++r)
    for (int32_t e = A.rowptr[r]; e < A.rowptr[r + 1]; ++e)
      for (int64_t c = 0; c < d; ++c) Y[r * d + c] += double(A.val[e]) * double(X[A.col[e] * d + c]);
  return Y;
}

// ---- finite differences (double) ------------------------------------------------------------
TEST(FiniteDiff_spmm, BackwardIsTransposeSpmm) {
  const int64_t rows = 9, cols = 7, d = 3;
  const HostCsr A = random_csr(rows, cols, 3, 0.25, 41);  // includes empty rows
  const HostCsr AT = transpose(A);
  auto X = random_vec<double>(cols * d, 42);
  const auto W = random_vec<double>(rows * d, 43);
  std::vector<double> Y(rows * d);
  auto f = [&] {
    ref::spmm<double>(A.view(), Mat<const double>(X.data(), cols, d), Mat<double>(Y.data(), rows, d), false);
    return test::project(Y, W);
  };
  const auto fX = test::fd_gradient(f, X);
  std::vector<double> dX(cols * d, 0.25);  // backward accumulates
  ref::spmm<double>(AT.view(), Mat<const double>(W.data(), rows, d), Mat<double>(dX.data(), cols, d), true);
  for (auto& v : dX) v -= 0.25;
  EXPECT_TRUE(allclose(dX, fX, test::kTolFd, "dX"));
}

// ---- CPU reference --------------------------------------------------------------------------
TEST(Ref_spmm, MatchesDenseProductWithEmptyRowsAndAccumulate) {
  for (int64_t d : {1, 3, 64, 65}) {
    SCOPED_TRACE(test::case_name("spmm_ref", {d}, 51));
    const HostCsr A = random_csr(120, 80, 5, 0.3, 51 + d);
    const auto X = random_vec<float>(80 * d, 52);
    Guarded<float> Y(120 * d);  // poisoned: every element must be written, empty rows too
    ref::spmm<float>(A.view(), Mat<const float>(X.data(), 80, d), Y.mat(120, d), false);
    const auto want = dense_spmm(A, X, d);
    EXPECT_TRUE(allclose(Y.get(), want, test::kTolSum, "Y"));
    EXPECT_TRUE(Y.guards_intact());
    const auto Y0 = random_vec<float>(120 * d, 53);
    Guarded<float> Ya(Y0);
    ref::spmm<float>(A.view(), Mat<const float>(X.data(), 80, d), Ya.mat(120, d), true);
    std::vector<double> want_a(want);
    for (size_t i = 0; i < want_a.size(); ++i) want_a[i] += Y0[i];
    EXPECT_TRUE(allclose(Ya.get(), want_a, test::kTolSum, "Y accumulate"));
  }
}

TEST(Ref_spmm, ResultDoesNotDependOnThreadCount) {
  const HostCsr A = powerlaw_csr(5000, 3000, 800, 61);
  const int64_t d = 64;
  const auto X = random_vec<float>(3000 * d, 62);
  const int keep = omp_get_max_threads();
  std::vector<std::vector<float>> out;
  for (int t : {1, 2, 3}) {
    omp_set_num_threads(t);
    std::vector<float> Y(5000 * d);
    ref::spmm<float>(A.view(), Mat<const float>(X.data(), 3000, d), Mat<float>(Y.data(), 5000, d), false);
    out.push_back(Y);
  }
  omp_set_num_threads(keep);
  for (size_t i = 1; i < out.size(); ++i)
    EXPECT_EQ(0, std::memcmp(out[0].data(), out[i].data(), out[0].size() * sizeof(float)));
}

TEST(Ref_spmm, BadInputsThrow) {
  HostCsr A = random_csr(10, 6, 2, 0.0, 71);
  std::vector<float> X(6 * 4), Y(10 * 4);
  EXPECT_THROW(ref::spmm<float>(A.view(), Mat<const float>(X.data(), 5, 4), Mat<float>(Y.data(), 10, 4), false), Error);
  EXPECT_THROW(ref::spmm<float>(A.view(), Mat<const float>(X.data(), 6, 4), Mat<float>(Y.data(), 10, 3), false), Error);
  HostCsr B = A;
  B.col[0] = 6;  // out of range
  EXPECT_THROW(ref::spmm<float>(B.view(), Mat<const float>(X.data(), 6, 4), Mat<float>(Y.data(), 10, 4), false), Error);
  Csr bad = A.view();
  bad.nnz += 1;  // rowptr[rows] != nnz
  EXPECT_THROW(ref::spmm<float>(bad, Mat<const float>(X.data(), 6, 4), Mat<float>(Y.data(), 10, 4), false), Error);
}

// ---- CUDA vs reference ----------------------------------------------------------------------
struct SpmmCase {
  std::string name;
  HostCsr A;
};

std::vector<SpmmCase> spmm_cases() {
  std::vector<SpmmCase> cs;
  cs.push_back({"random_empty_rows", random_csr(300, 200, 6, 0.3, 81)});
  cs.push_back({"powerlaw", powerlaw_csr(2000, 1500, 1200, 82)});
  cs.push_back({"single_row", random_csr(1, 50, 20, 0.0, 83)});
  cs.push_back({"no_nonzeros", random_csr(5, 7, 3, 1.0, 84)});
  cs.push_back({"one_by_one", random_csr(1, 1, 1, 0.0, 85)});
  return cs;
}

// Runs the op on guarded device copies; `offset` shifts X and Y by that many floats from the
// allocation start (offset 1 breaks 16-byte alignment and forces the scalar path).
template <class GpuOp>
void cuda_vs_ref_spmm(const char* op, GpuOp gpu_op, test::Tol tol) {
  cuda::Context ctx;
  uint64_t seed = 900;
  for (const auto& c : spmm_cases()) {
    const HostCsr& A = c.A;
    test::DeviceGuarded<int32_t> rp(ctx, A.rowptr), ci(ctx, A.col.empty() ? std::vector<int32_t>{0} : A.col);
    test::DeviceGuarded<float> va(ctx, A.val.empty() ? std::vector<float>{0.f} : A.val);
    const Csr dA{rp.data(), ci.data(), va.data(), A.rows, A.cols, static_cast<int64_t>(A.col.size())};
    for (int64_t d : {1, 3, 64, 65, 128})
      for (int64_t offset : {0, 1})
        for (bool acc : {false, true}) {
          if (offset == 1 && d % 4 != 0) continue;  // already the scalar path
          ++seed;
          SCOPED_TRACE(test::case_name(std::string(op) + "_" + c.name + (acc ? "_acc" : "") + (offset ? "_misaligned" : ""),
                                       {A.rows, A.cols, static_cast<int64_t>(A.col.size()), d}, seed));
          const auto X = random_vec<float>(A.cols * d, seed);
          const auto Y0 = random_vec<float>(A.rows * d, seed + 1);
          std::vector<float> Yref = Y0;
          ref::spmm<float>(A.view(), Mat<const float>(X.data(), A.cols, d), Mat<float>(Yref.data(), A.rows, d), acc);
          std::vector<float> Xpad(offset), Ypad(offset, 7.f);
          Xpad.insert(Xpad.end(), X.begin(), X.end());
          test::DeviceGuarded<float> Xd(ctx, Xpad), Yd(ctx, offset + A.rows * d);
          if (acc) {
            std::vector<float> Yinit(offset, 7.f);
            Yinit.insert(Yinit.end(), Y0.begin(), Y0.end());
            Yd.upload(Yinit);
          }
          const Mat<const float> Xv(Xd.data() + offset, A.cols, d);
          const Mat<float> Yv(Yd.data() + offset, A.rows, d);
          gpu_op(dA, Xv, Yv, acc, ctx.exec());
          ctx.sync();
          auto got = Yd.download();
          got.erase(got.begin(), got.begin() + offset);
          EXPECT_TRUE(allclose(got, Yref, tol, "Y"));
          EXPECT_TRUE(Yd.guards_intact()) << "write outside Y";
          // Deterministic: a second run gives the same bits.
          if (acc) {
            std::vector<float> Yinit(offset, 7.f);
            Yinit.insert(Yinit.end(), Y0.begin(), Y0.end());
            Yd.upload(Yinit);
          }
          gpu_op(dA, Xv, Yv, acc, ctx.exec());
          ctx.sync();
          auto again = Yd.download();
          again.erase(again.begin(), again.begin() + offset);
          EXPECT_EQ(0, std::memcmp(got.data(), again.data(), got.size() * sizeof(float))) << "not bit-reproducible";
          ctx.arena().reset();
        }
  }
}

TEST(CudaVsRef_spmm, MatricesAndWidths) {
  LETHE_REQUIRE_GPU();
  // Same summation order as the CPU (nnz order); only FMA contraction may differ.
  cuda_vs_ref_spmm("spmm", [](const Csr& A, Mat<const float> X, Mat<float> Y, bool acc, const GpuExec& g) {
    cuda::spmm(A, X, Y, acc, g);
  }, test::kTolSum);
}

TEST(CudaVsRef_spmm_cusparse, MatricesAndWidths) {
  LETHE_REQUIRE_GPU();
  // cuSPARSE's own summation order (the power-law rows have ~1000 terms of size ≤ 1).
  cuda_vs_ref_spmm("spmm_cusparse", [](const Csr& A, Mat<const float> X, Mat<float> Y, bool acc, const GpuExec& g) {
    cuda::spmm_cusparse(A, X, Y, acc, g);
  }, test::Tol{1e-4, 1e-4});
}

}  // namespace
}  // namespace lethe
