// tests/kernels/test_topk.cpp — topk family: the reference on a hand-checked row and against a
// brute-force oracle (full sort, std::set exclusions) over a table of awkward cases, and CUDA
// against the reference with exact equality of indices and values: ties (few distinct values),
// NaN / ±inf / ±0, rows with every column excluded, K above the eligible count, K = 1 and 1024,
// N = 1, 50,000 and 100,000, an offset into the exclusion CSR, and no exclusions at all; on the
// GPU also an exclusion bitmap just under 48 KB (N = 380,000: only with the kernel's static
// shared memory added does a block need more than the default) and one over it (N = 500,000).
#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

#include "kernels/topk.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

enum class Values { kUniform, kTies, kSpecial };
enum class Excl { kNone, kFew, kHeavy, kAll };

struct TopkCase {
  const char* name;
  int64_t R, N;
  int K;
  int64_t row0;
  Excl excl;
  Values values;
};

const std::vector<TopkCase> kCases = {
    {"k1", 37, 1000, 1, 0, Excl::kFew, Values::kUniform},
    {"ties_k50", 64, 7050, 50, 0, Excl::kFew, Values::kTies},
    {"special_heavy", 50, 3000, 100, 0, Excl::kHeavy, Values::kSpecial},
    {"k1024_ties", 8, 5000, 1024, 0, Excl::kHeavy, Values::kTies},
    {"k1024_special", 6, 3000, 1024, 0, Excl::kFew, Values::kSpecial},
    {"k_above_eligible", 20, 300, 512, 0, Excl::kHeavy, Values::kUniform},
    {"all_excluded", 5, 200, 10, 0, Excl::kAll, Values::kUniform},
    {"n1", 9, 1, 5, 0, Excl::kHeavy, Values::kUniform},
    {"n1_k1_null", 4, 1, 1, 0, Excl::kNone, Values::kUniform},
    {"n50000", 12, 50000, 100, 0, Excl::kFew, Values::kSpecial},
    {"n50000_ties", 4, 50000, 777, 0, Excl::kHeavy, Values::kTies},
    {"row0_offset", 33, 2000, 20, 17, Excl::kHeavy, Values::kUniform},
    {"knn_null_exclude", 100, 700, 10, 0, Excl::kNone, Values::kUniform},
    {"n100k_k1024", 3, 100000, 1024, 0, Excl::kFew, Values::kSpecial},
    {"block_edge_1023", 5, 1023, 257, 0, Excl::kFew, Values::kTies},
    {"bitmap_47500B", 2, 380000, 64, 0, Excl::kFew, Values::kUniform},  // + static > 48 KB
    {"bitmap_62500B", 2, 500000, 300, 1, Excl::kHeavy, Values::kTies},   // dynamic alone > 48 KB
};

std::vector<float> make_values(const TopkCase& c, uint64_t seed) {
  const int64_t n = c.R * c.N;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::uniform_int_distribution<int> small(0, 3), pick(0, 99);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) {
    switch (c.values) {
      case Values::kUniform: x = u(rng); break;
      case Values::kTies: x = 0.5f * static_cast<float>(small(rng)); break;
      case Values::kSpecial: {
        const int k = pick(rng);
        x = k < 5 ? kNaN : k < 8 ? kInf : k < 11 ? -kInf : k < 14 ? 0.0f : k < 17 ? -0.0f : u(rng);
        break;
      }
    }
  }
  return v;
}

// Exclusion CSR with row0 + R + 3 rows; rows are sorted and unique.
struct HostCsr {
  std::vector<int32_t> rowptr, col;
  Csr view(int64_t cols) const {
    Csr c;
    c.rowptr = rowptr.data();
    c.col = col.empty() ? nullptr : col.data();
    c.rows = static_cast<int64_t>(rowptr.size()) - 1;
    c.cols = cols;
    c.nnz = static_cast<int64_t>(col.size());
    return c;
  }
};
HostCsr make_exclusions(const TopkCase& c, uint64_t seed) {
  HostCsr h;
  std::mt19937_64 rng(seed);
  const int64_t rows = c.row0 + c.R + 3;
  h.rowptr.push_back(0);
  for (int64_t r = 0; r < rows; ++r) {
    std::set<int32_t> s;
    const int64_t N = c.N;
    std::uniform_int_distribution<int64_t> col(0, N - 1);
    int mode = 0;  // 0 few, 1 none, 2 all, 3 all but 3, 4 half
    if (c.excl == Excl::kAll) mode = 2;
    if (c.excl == Excl::kHeavy) mode = static_cast<int>((r * 7 + 3) % 5);
    switch (mode) {
      case 0: for (int k = 0; k < 6; ++k) s.insert(static_cast<int32_t>(col(rng))); break;
      case 1: break;
      case 2: for (int64_t j = 0; j < N; ++j) s.insert(static_cast<int32_t>(j)); break;
      case 3: {
        for (int64_t j = 0; j < N; ++j) s.insert(static_cast<int32_t>(j));
        for (int k = 0; k < 3; ++k) s.erase(static_cast<int32_t>(col(rng)));
        break;
      }
      case 4: for (int64_t j = 0; j < N; ++j) if (rng() & 1) s.insert(static_cast<int32_t>(j)); break;
    }
    for (int32_t x : s) h.col.push_back(x);
    h.rowptr.push_back(static_cast<int32_t>(h.col.size()));
  }
  return h;
}

// Brute force: every eligible column, NaN as −∞, full sort by (value desc, column asc).
void oracle(const std::vector<float>& S, const TopkCase& c, const HostCsr* ex, std::vector<int32_t>& idx,
            std::vector<float>& val) {
  idx.assign(c.R * c.K, -1);
  val.assign(c.R * c.K, -kInf);
  for (int64_t r = 0; r < c.R; ++r) {
    std::set<int32_t> bad;
    if (ex)
      for (int32_t j = ex->rowptr[c.row0 + r]; j < ex->rowptr[c.row0 + r + 1]; ++j) bad.insert(ex->col[j]);
    std::vector<std::pair<float, int32_t>> all;
    for (int64_t j = 0; j < c.N; ++j)
      if (!bad.count(static_cast<int32_t>(j))) {
        const float v = S[r * c.N + j];
        all.emplace_back(std::isnan(v) ? -kInf : v, static_cast<int32_t>(j));
      }
    std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    for (int64_t k = 0; k < c.K && k < static_cast<int64_t>(all.size()); ++k) {
      idx[r * c.K + k] = all[k].second;
      val[r * c.K + k] = all[k].first;
    }
  }
}

::testing::AssertionResult same_bits(const std::vector<float>& a, const std::vector<float>& b, const char* what) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << what << ": size differs";
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0)
      return ::testing::AssertionFailure() << what << ": first difference at " << i << ": " << a[i] << " vs " << b[i];
  return ::testing::AssertionSuccess();
}

// Row [1, 3, 3(excluded), NaN, −inf, 2, +inf, 3]: the order is +inf(6), 3(1), 3(7), 2(5), 1(0),
// then NaN(3) and −inf(4) tie as −∞ (smaller column first), then padding.
void hand_checked_row(int64_t K) {
  SCOPED_TRACE(K);
  const std::vector<float> S = {1, 3, 3, kNaN, -kInf, 2, kInf, 3};
  const std::vector<int32_t> rowptr = {0, 1}, col = {2};
  Csr ex;
  ex.rowptr = rowptr.data();
  ex.col = col.data();
  ex.rows = 1;
  ex.cols = 8;
  ex.nnz = 1;
  test::Guarded<int32_t> idx(8);
  test::Guarded<float> val(8);
  ref::topk_rows<float>(Mat<const float>(S.data(), 1, 8), &ex, 0, static_cast<int>(K), Mat<int32_t>(idx.data(), 1, K),
                        Mat<float>(val.data(), 1, K));
  const std::vector<int32_t> want_idx = {6, 1, 7, 5, 0, 3, 4, -1};
  const std::vector<float> want_val = {kInf, 3, 3, 2, 1, -kInf, -kInf, -kInf};
  const auto gi = idx.get();
  const auto gv = val.get();
  EXPECT_EQ(std::vector<int32_t>(gi.begin(), gi.begin() + K), std::vector<int32_t>(want_idx.begin(), want_idx.begin() + K));
  EXPECT_TRUE(same_bits(std::vector<float>(gv.begin(), gv.begin() + K),
                        std::vector<float>(want_val.begin(), want_val.begin() + K), "val"));
  EXPECT_TRUE(idx.guards_intact() && val.guards_intact());
}

TEST(TopkRef, HandCheckedRow) {
  hand_checked_row(5);
  hand_checked_row(7);
  hand_checked_row(8);
}

TEST(TopkRef, MatchesBruteForceOracle) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(test::case_name(c.name, {c.R, c.N, c.K}, 11));
    const auto S = make_values(c, 11);
    const HostCsr ex = make_exclusions(c, 12);
    const Csr exv = ex.view(c.N);
    const HostCsr* exp = c.excl == Excl::kNone ? nullptr : &ex;
    test::Guarded<int32_t> idx(c.R * c.K);
    test::Guarded<float> val(c.R * c.K);
    ref::topk_rows<float>(Mat<const float>(S.data(), c.R, c.N), exp ? &exv : nullptr, c.row0, c.K, idx.mat(c.R, c.K),
                          val.mat(c.R, c.K));
    std::vector<int32_t> oi;
    std::vector<float> ov;
    oracle(S, c, exp, oi, ov);
    EXPECT_EQ(idx.get(), oi);
    EXPECT_TRUE(same_bits(val.get(), ov, "val"));
    EXPECT_TRUE(idx.guards_intact() && val.guards_intact());
  }
}

TEST(TopkRef, DoubleInstantiationAgrees) {
  const TopkCase c{"double", 10, 500, 30, 2, Excl::kHeavy, Values::kSpecial};
  const auto S = make_values(c, 21);
  const auto Sd = test::cast_vec<double>(S);
  const HostCsr ex = make_exclusions(c, 22);
  const Csr exv = ex.view(c.N);
  std::vector<int32_t> i1(c.R * c.K), i2(c.R * c.K);
  std::vector<float> v1(c.R * c.K);
  std::vector<double> v2(c.R * c.K);
  ref::topk_rows<float>(Mat<const float>(S.data(), c.R, c.N), &exv, c.row0, c.K, Mat<int32_t>(i1.data(), c.R, c.K),
                        Mat<float>(v1.data(), c.R, c.K));
  ref::topk_rows<double>(Mat<const double>(Sd.data(), c.R, c.N), &exv, c.row0, c.K, Mat<int32_t>(i2.data(), c.R, c.K),
                         Mat<double>(v2.data(), c.R, c.K));
  EXPECT_EQ(i1, i2);
  EXPECT_TRUE(test::allclose(v2, v1, test::Tol{0, 0}, "val"));
}

TEST(TopkRef, RejectsBadArguments) {
  std::vector<float> S(20);
  std::vector<int32_t> idx(8);
  std::vector<float> val(8);
  auto call = [&](int K, int64_t row0, const Csr* ex, int64_t idx_cols) {
    ref::topk_rows<float>(Mat<const float>(S.data(), 2, 10), ex, row0, K, Mat<int32_t>(idx.data(), 2, idx_cols),
                          Mat<float>(val.data(), 2, K));
  };
  EXPECT_THROW(call(0, 0, nullptr, 0), Error);
  EXPECT_THROW(call(1025, 0, nullptr, 1025), Error);
  EXPECT_THROW(call(4, 0, nullptr, 3), Error);  // idx shape
  const std::vector<int32_t> rowptr = {0, 2, 3}, col = {5, 1, 0};  // row 0 unsorted
  Csr ex;
  ex.rowptr = rowptr.data();
  ex.col = col.data();
  ex.rows = 2;
  ex.cols = 10;
  ex.nnz = 3;
  EXPECT_THROW(call(4, 0, &ex, 4), Error);  // unsorted exclusion row
  EXPECT_THROW(call(4, 1, &ex, 4), Error);  // rows [1, 3) exceed the CSR
}

// ---- CUDA vs reference ----------------------------------------------------------------------
TEST(CudaVsRef_topk_rows, Cases) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (const auto& c : kCases) {
    SCOPED_TRACE(test::case_name(c.name, {c.R, c.N, c.K}, 31));
    const auto S = make_values(c, 31);
    const HostCsr ex = make_exclusions(c, 32);
    const Csr exv = ex.view(c.N);
    const bool use_ex = c.excl != Excl::kNone;
    std::vector<int32_t> want_idx(c.R * c.K);
    std::vector<float> want_val(c.R * c.K);
    ref::topk_rows<float>(Mat<const float>(S.data(), c.R, c.N), use_ex ? &exv : nullptr, c.row0, c.K,
                          Mat<int32_t>(want_idx.data(), c.R, c.K), Mat<float>(want_val.data(), c.R, c.K));
    test::DeviceGuarded<float> Sd(ctx, S);
    test::DeviceGuarded<int32_t> rp(ctx, ex.rowptr), cl(ctx, ex.col.empty() ? std::vector<int32_t>{0} : ex.col);
    Csr dex = exv;
    dex.rowptr = rp.data();
    dex.col = cl.data();
    test::DeviceGuarded<int32_t> idx(ctx, c.R * c.K);
    test::DeviceGuarded<float> val(ctx, c.R * c.K);
    cuda::topk_rows(Mat<const float>(Sd.data(), c.R, c.N), use_ex ? &dex : nullptr, c.row0, c.K, idx.mat(c.R, c.K),
                    val.mat(c.R, c.K), ctx.exec());
    EXPECT_EQ(idx.download(), want_idx);
    EXPECT_TRUE(same_bits(val.download(), want_val, "val"));
    EXPECT_TRUE(idx.guards_intact() && val.guards_intact());
    ctx.arena().reset();
  }
}

}  // namespace
}  // namespace lethe
