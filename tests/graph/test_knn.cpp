// tests/graph/test_knn.cpp — the per-modality item–item kNN graph of docs/MODELS.md, "Graphs" (graph/knn.h):
// the tiled build (float GEMM + top-K, CPU and CUDA) against the brute-force definition on
// seeded random features of several shapes (k = 1, 10, k > I, a zero feature row, exact ties)
// and on TikTok's real image features; the degree normalisation ŵ_ij = deg_i^{-1/2} S_ij
// deg_j^{-1/2} recomputed independently in double; the on-disk cache (build + write, read back
// identical, key change on a feature change, corrupted or stale files rebuilt with a note).
//
// How two kNN graphs are compared (knn_agree below). The tiled build ranks float GEMM
// similarities, the brute force ranks double dot products rounded to float, so two columns
// whose similarities differ by a rounding error may swap at the k-th place. Per row: the same
// number of entries; where the kept column sets are equal the normalised weights must agree
// (|Δ| ≤ 1e-5 + 1e-5·|ref|); where they differ, the kept cosine similarities (recomputed in
// double from the raw features), sorted descending, must agree pairwise within 1e-5 — a wrong
// neighbour that is not a near-tie changes that sorted list and fails the test — and the
// weights of the shared columns must still agree. Exact-tie data (one-hot features, whose
// similarities are exactly 0 or 1 in any precision) is compared index for index instead.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "graph/knn.h"
#include "io/dataset.h"
#include "io/fs.h"
#include "tests/data_dir.h"
#include "tests/test_util.h"

namespace lethe::graph {
namespace {

constexpr double kSimTol = 1e-5;  // float GEMM vs double similarities (|cos| ≤ 1, d ≤ 128)

io::FeatureTable table(int64_t rows, int64_t cols, std::vector<float> data, const std::string& modality = "image") {
  io::FeatureTable f;
  f.modality = modality;
  f.rows = rows;
  f.cols = cols;
  f.data = std::move(data);
  return f;
}

// Seeded features in [lo, hi); `zero_row` (≥ 0) is set to all zeros.
io::FeatureTable random_table(int64_t I, int64_t d, uint64_t seed, double lo, double hi, int64_t zero_row = -1) {
  std::vector<float> x = test::random_vec<float>(I * d, seed, lo, hi);
  if (zero_row >= 0)
    for (int64_t c = 0; c < d; ++c) x[zero_row * d + c] = 0.f;
  return table(I, d, std::move(x));
}

// Unit rows in double, straight from the raw features (independent of knn.cpp's normalisation).
struct Unit {
  int64_t I = 0, d = 0;
  std::vector<double> x;
  explicit Unit(const io::FeatureTable& f) : I(f.rows), d(f.cols), x(f.data.begin(), f.data.end()) {
    for (int64_t r = 0; r < I; ++r) {
      double ss = 0;
      for (int64_t c = 0; c < d; ++c) ss += x[r * d + c] * x[r * d + c];
      const double inv = ss > 0 ? 1.0 / std::sqrt(ss) : 0.0;
      for (int64_t c = 0; c < d; ++c) x[r * d + c] *= inv;
    }
  }
  double sim(int64_t a, int64_t b) const {
    double s = 0;
    for (int64_t c = 0; c < d; ++c) s += x[a * d + c] * x[b * d + c];
    return s;
  }
};

std::vector<int32_t> row_cols(const HostCsr& A, int64_t r) {
  return std::vector<int32_t>(A.col.begin() + A.rowptr[r], A.col.begin() + A.rowptr[r + 1]);
}

bool close(double got, double ref) { return std::abs(got - ref) <= 1e-5 + 1e-5 * std::abs(ref); }

// The comparison rule of the file header. `differing` counts the rows whose column sets differ.
::testing::AssertionResult knn_agree(const HostCsr& got, const HostCsr& ref, const Unit& u, int k,
                                     int64_t* differing = nullptr) {
  if (got.rows != ref.rows || got.cols != ref.cols || got.rows != u.I || got.cols != u.I)
    return ::testing::AssertionFailure() << "shape " << got.rows << "x" << got.cols << " vs " << ref.rows << "x"
                                         << ref.cols << " for " << u.I << " items";
  try {
    validate(got, "got");
    validate(ref, "ref");
  } catch (const Error& e) {
    return ::testing::AssertionFailure() << e.what();
  }
  if (got.val.size() != got.col.size() || ref.val.size() != ref.col.size())
    return ::testing::AssertionFailure() << "a kNN graph without values";
  const int64_t kk = std::min<int64_t>(k, u.I);
  int64_t diff = 0;
  for (int64_t r = 0; r < u.I; ++r) {
    if (got.row_len(r) != kk || ref.row_len(r) != kk)
      return ::testing::AssertionFailure() << "row " << r << ": " << got.row_len(r) << " entries, reference "
                                           << ref.row_len(r) << ", expected " << kk;
    const std::vector<int32_t> gc = row_cols(got, r), rc = row_cols(ref, r);
    if (gc != rc) {
      ++diff;
      std::vector<double> gs, rs;
      for (int32_t c : gc) gs.push_back(u.sim(r, c));
      for (int32_t c : rc) rs.push_back(u.sim(r, c));
      std::sort(gs.begin(), gs.end(), std::greater<double>());
      std::sort(rs.begin(), rs.end(), std::greater<double>());
      for (int64_t j = 0; j < kk; ++j)
        if (std::abs(gs[j] - rs[j]) > kSimTol) {
          std::ostringstream os;
          os.precision(9);
          os << "row " << r << ": kept columns differ and not by a near-tie: the " << j + 1
             << "-th largest kept similarity is " << gs[j] << ", reference " << rs[j] << "; columns";
          for (int32_t c : gc) os << " " << c;
          os << " vs reference";
          for (int32_t c : rc) os << " " << c;
          return ::testing::AssertionFailure() << os.str();
        }
    }
    // Weights at the columns both keep (all of them when the sets agree).
    for (int32_t a = got.rowptr[r]; a < got.rowptr[r + 1]; ++a) {
      const auto b = std::lower_bound(ref.col.begin() + ref.rowptr[r], ref.col.begin() + ref.rowptr[r + 1], got.col[a]);
      if (b == ref.col.begin() + ref.rowptr[r + 1] || *b != got.col[a]) continue;
      const double gv = got.val[a], rv = ref.val[b - ref.col.begin()];
      if (!close(gv, rv))
        return ::testing::AssertionFailure()
               << "row " << r << " column " << got.col[a] << ": weight " << gv << ", reference " << rv;
    }
  }
  if (differing) *differing = diff;
  return ::testing::AssertionSuccess();
}

// The normalisation of docs/MODELS.md, "Graphs" recomputed in double from A's own kept columns:
// deg_i = Σ_{j kept in row i} cos(i, j), ŵ_ij = deg_i^{-1/2} cos(i, j) deg_j^{-1/2} (0 when a
// degree is ≤ 0). `rows` limits the check (empty: every row).
::testing::AssertionResult normalisation_holds(const HostCsr& A, const Unit& u, const std::vector<int64_t>& rows = {}) {
  std::vector<double> deg(static_cast<size_t>(u.I), 0.0);
  for (int64_t r = 0; r < u.I; ++r)
    for (int32_t k = A.rowptr[r]; k < A.rowptr[r + 1]; ++k) deg[r] += u.sim(r, A.col[k]);
  auto check_row = [&](int64_t r) -> ::testing::AssertionResult {
    for (int32_t k = A.rowptr[r]; k < A.rowptr[r + 1]; ++k) {
      const int32_t c = A.col[k];
      const double want = deg[r] > 0 && deg[c] > 0 ? u.sim(r, c) / std::sqrt(deg[r] * deg[c]) : 0.0;
      if (!close(A.val[k], want))
        return ::testing::AssertionFailure() << "ŵ(" << r << ", " << c << ") = " << A.val[k] << ", expected " << want
                                             << " (deg " << deg[r] << ", " << deg[c] << ")";
    }
    return ::testing::AssertionSuccess();
  };
  if (rows.empty()) {
    for (int64_t r = 0; r < u.I; ++r)
      if (auto res = check_row(r); !res) return res;
  } else {
    for (int64_t r : rows)
      if (auto res = check_row(r); !res) return res;
  }
  return ::testing::AssertionSuccess();
}

// Row r's top-k by the definition, directly: every cosine in double, then the k largest (ties
// to the smaller id). Returns the kept columns (sorted ascending) and their similarities.
void definition_row(const Unit& u, int64_t r, int k, std::vector<int32_t>& cols, std::vector<double>& sims) {
  std::vector<double> s(static_cast<size_t>(u.I));
  for (int64_t c = 0; c < u.I; ++c) s[c] = u.sim(r, c);
  std::vector<int32_t> order(static_cast<size_t>(u.I));
  std::iota(order.begin(), order.end(), 0);
  const int64_t kk = std::min<int64_t>(k, u.I);
  std::partial_sort(order.begin(), order.begin() + kk, order.end(),
                    [&](int32_t a, int32_t b) { return s[a] > s[b] || (s[a] == s[b] && a < b); });
  cols.assign(order.begin(), order.begin() + kk);
  sims.clear();
  for (int32_t c : cols) sims.push_back(s[c]);
  std::sort(cols.begin(), cols.end());
}

// The near-tie rule of knn_agree for one row against the direct definition (kept similarity
// lists equal within 1e-5 after sorting).
::testing::AssertionResult row_is_topk(const HostCsr& A, const Unit& u, int64_t r, int k) {
  std::vector<int32_t> dc;
  std::vector<double> ds;
  definition_row(u, r, k, dc, ds);
  const std::vector<int32_t> gc = row_cols(A, r);
  if (gc.size() != dc.size())
    return ::testing::AssertionFailure() << "row " << r << ": " << gc.size() << " entries, expected " << dc.size();
  if (gc == dc) return ::testing::AssertionSuccess();
  std::vector<double> gs;
  for (int32_t c : gc) gs.push_back(u.sim(r, c));
  std::sort(gs.begin(), gs.end(), std::greater<double>());
  std::sort(ds.begin(), ds.end(), std::greater<double>());
  for (size_t j = 0; j < gs.size(); ++j)
    if (std::abs(gs[j] - ds[j]) > kSimTol)
      return ::testing::AssertionFailure() << "row " << r << ": the " << j + 1 << "-th largest kept similarity is "
                                           << gs[j] << ", by definition " << ds[j];
  return ::testing::AssertionSuccess();
}

struct Shape {
  const char* name;
  int64_t I, d;
  int k;
  double lo, hi;     // feature range
  int64_t zero_row;  // −1: none
  uint64_t seed;
};

// Non-negative features (like CNN outputs) keep every degree ≥ 1, so the normalisation is well
// conditioned; the signed shape uses k small enough that the kept similarities stay positive.
const std::vector<Shape>& shapes() {
  static const std::vector<Shape> s = {
      {"I1_k10", 1, 3, 10, 0.0, 1.0, -1, 101},
      {"I7_k10_k_gt_I", 7, 4, 10, 0.0, 1.0, -1, 102},
      {"I12_k12_k_eq_I", 12, 3, 12, 0.0, 1.0, 5, 103},
      {"I50_d1_k10", 50, 1, 10, 0.1, 1.0, -1, 104},  // d = 1: every cosine is exactly 1 (all ties)
      {"I97_d16_k1", 97, 16, 1, 0.0, 1.0, -1, 105},
      {"I97_d16_k10_zero_row", 97, 16, 10, 0.0, 1.0, 40, 106},
      {"I300_d33_k10_signed", 300, 33, 10, -1.0, 1.0, -1, 107},
      {"I513_d64_k10_zero_row0", 513, 64, 10, 0.0, 1.0, 0, 108},
      {"I1000_d128_k10", 1000, 128, 10, 0.0, 1.0, -1, 109},
      {"I4200_d8_k10_two_tiles", 4200, 8, 10, 0.0, 1.0, 4199, 110},  // tile = 2^24 / I = 3994 rows
  };
  return s;
}

TEST(Knn, TiledBuildEqualsBruteForce) {
  for (const Shape& s : shapes()) {
    SCOPED_TRACE(std::string(s.name) + " seed " + std::to_string(s.seed));
    const io::FeatureTable f = random_table(s.I, s.d, s.seed, s.lo, s.hi, s.zero_row);
    const Unit u(f);
    const HostCsr got = build_knn(f, s.k, false);
    const HostCsr ref = build_knn_bruteforce(f, s.k);
    int64_t differing = 0;
    ASSERT_TRUE(knn_agree(got, ref, u, s.k, &differing));
    ASSERT_TRUE(normalisation_holds(got, u));
    ASSERT_TRUE(normalisation_holds(ref, u));
    // The oracle itself against the definition, on every row of the small shapes.
    if (s.I <= 1000) {
      for (int64_t r = 0; r < s.I; ++r) ASSERT_TRUE(row_is_topk(ref, u, r, s.k));
    }
    // A non-zero row keeps itself (cos = 1 is the maximum; the only way to lose it is a tie
    // with a smaller id at cos 1, which random continuous features do not produce unless d = 1).
    if (s.d > 1) {
      for (int64_t r = 0; r < s.I; ++r) {
        if (r == s.zero_row) continue;
        EXPECT_TRUE(contains(got, r, static_cast<int32_t>(r))) << "row " << r;
      }
    }
    std::printf("[ knn      ] %-26s %lld of %lld rows differ by near-ties\n", s.name, static_cast<long long>(differing),
                static_cast<long long>(s.I));
  }
}

TEST(Knn, ZeroFeatureRowGetsZeroWeightsAndTheSmallestIds) {
  // The zero row's cosines are all exactly 0 (a zero row stays zero after normalisation): its
  // top-k is the k smallest ids (ties), its degree 0, so its weights are 0; other rows may keep
  // it only at weight 0 (its degree is 0).
  const io::FeatureTable f = random_table(30, 6, 7, 0.0, 1.0, 4);
  for (const HostCsr& A : {build_knn(f, 5, false), build_knn_bruteforce(f, 5)}) {
    EXPECT_EQ(row_cols(A, 4), (std::vector<int32_t>{0, 1, 2, 3, 4}));
    for (int32_t k = A.rowptr[4]; k < A.rowptr[5]; ++k) EXPECT_EQ(A.val[k], 0.f);
    for (int64_t r = 0; r < A.rows; ++r)
      for (int32_t k = A.rowptr[r]; k < A.rowptr[r + 1]; ++k)
        if (A.col[k] == 4) {
          EXPECT_EQ(A.val[k], 0.f) << "row " << r;
        }
  }
}

TEST(Knn, ExactTiesGoToTheSmallerIdInBothBuilds) {
  // One-hot features: item i is e_{i mod 7} (scaled by a positive factor, which normalisation
  // removes exactly). Cosines are exactly 1 (same class) or 0, in float and in double, so both
  // builds must keep the same columns index for index: the same-class items (cos 1) and then the
  // smallest other ids (cos 0).
  const int64_t I = 60, d = 7;
  std::vector<float> x(static_cast<size_t>(I * d), 0.f);
  for (int64_t i = 0; i < I; ++i) x[i * d + i % d] = static_cast<float>(1 + i % 3);
  const io::FeatureTable f = table(I, d, x);
  const Unit u(f);
  for (int k : {1, 3, 10, 60}) {
    SCOPED_TRACE("k " + std::to_string(k));
    const HostCsr got = build_knn(f, k, false), ref = build_knn_bruteforce(f, k);
    EXPECT_EQ(got.rowptr, ref.rowptr);
    EXPECT_EQ(got.col, ref.col);
    ASSERT_TRUE(knn_agree(got, ref, u, k));
    ASSERT_TRUE(normalisation_holds(got, u));
    for (int64_t r = 0; r < I; ++r) {
      // By definition: the same-class ids ascending, then the other ids ascending, first k.
      std::vector<int32_t> want;
      for (int32_t c = 0; c < I; ++c)
        if (c % d == r % d) want.push_back(c);
      for (int32_t c = 0; c < I; ++c)
        if (c % d != r % d) want.push_back(c);
      want.resize(static_cast<size_t>(std::min<int64_t>(k, I)));
      std::sort(want.begin(), want.end());
      ASSERT_EQ(row_cols(got, r), want) << "row " << r;
    }
  }
  // k = 1: each row keeps the smallest id of its class (not itself unless it is that id).
  const HostCsr one = build_knn(f, 1, false);
  EXPECT_EQ(row_cols(one, 9), (std::vector<int32_t>{2}));
  EXPECT_EQ(row_cols(one, 2), (std::vector<int32_t>{2}));
}

TEST(Knn, DegreeNormalisationHandComputed) {
  // Three items in 2-D: x0 = (1, 0), x1 = (1, 1), x2 = (0, 1). Cosines: c01 = c12 = 1/√2, c02 = 0.
  // k = 2: row 0 keeps {0, 1}, row 1 keeps {0, 1} (tie 0 vs 2 → smaller id), row 2 keeps {1, 2}.
  // deg0 = 1 + 1/√2, deg1 = 1/√2 + 1, deg2 = 1/√2 + 1 (all equal to a = 1 + 1/√2).
  const io::FeatureTable f = table(3, 2, {1, 0, 1, 1, 0, 1});
  const HostCsr A = build_knn(f, 2, false);
  EXPECT_EQ(A.rowptr, (std::vector<int32_t>{0, 2, 4, 6}));
  EXPECT_EQ(A.col, (std::vector<int32_t>{0, 1, 0, 1, 1, 2}));
  const double a = 1 + 1 / std::sqrt(2.0), c = 1 / std::sqrt(2.0);
  const std::vector<double> want = {1 / a, c / a, c / a, 1 / a, c / a, 1 / a};
  for (size_t k = 0; k < want.size(); ++k) EXPECT_NEAR(A.val[k], want[k], 1e-6) << "entry " << k;
  // Directed: ŵ(1, 2) is absent though ŵ(2, 1) is present.
  EXPECT_FALSE(contains(A, 1, 2));
  EXPECT_TRUE(contains(A, 2, 1));
}

// The comparison itself: a near-tie swap passes, a real wrong neighbour, a wrong weight or a
// wrong row length fails. (The builds agree exactly on the data above, so without this test
// the near-tie branch of knn_agree would never run.)
TEST(Knn, ComparisonToleratesNearTiesOnly) {
  // Row 0's second neighbour is item 1 or item 2: cos(0,1) and cos(0,2) differ by ~4e-9.
  // Item 3 is orthogonal to item 0 (cos 0).
  const io::FeatureTable f = table(4, 3, {1, 0, 0, /**/ 1, 0.5f, 0, /**/ 1, 0.5f, 1e-4f, /**/ 0, 1, 0});
  const Unit u(f);
  const HostCsr ref = build_knn_bruteforce(f, 2);
  ASSERT_TRUE(knn_agree(build_knn(f, 2, false), ref, u, 2));
  ASSERT_EQ(row_cols(ref, 0), (std::vector<int32_t>{0, 1}));
  int64_t differing = 0;
  HostCsr swapped = ref;  // the near-tie: 2 in place of 1
  swapped.col[1] = 2;
  EXPECT_TRUE(knn_agree(swapped, ref, u, 2, &differing));
  EXPECT_EQ(differing, 1);
  EXPECT_TRUE(row_is_topk(swapped, u, 0, 2));
  HostCsr wrong = ref;  // a real error: 3 (cos 0) in place of 1 (cos 0.894)
  wrong.col[1] = 3;
  EXPECT_FALSE(knn_agree(wrong, ref, u, 2));
  EXPECT_FALSE(row_is_topk(wrong, u, 0, 2));
  HostCsr weight = ref;  // a weight off by 1e-3
  weight.val[2] += 1e-3f;
  EXPECT_FALSE(knn_agree(weight, ref, u, 2));
  EXPECT_FALSE(normalisation_holds(weight, u));
  HostCsr shorter = ref;  // row 3 lost an entry
  shorter.col.pop_back();
  shorter.val.pop_back();
  shorter.rowptr.back() -= 1;
  EXPECT_FALSE(knn_agree(shorter, ref, u, 2));
}

TEST(Knn, RejectsBadArguments) {
  const io::FeatureTable f = random_table(5, 3, 1, 0.0, 1.0);
  EXPECT_THROW(build_knn(f, 0, false), Error);
  EXPECT_THROW(build_knn(f, 1025, false), Error);
  EXPECT_THROW(build_knn(table(0, 3, {}), 10, false), Error);
}

// TikTok's real 128-d image features (6,710 items, float16 on disk): the tiled build against
// the brute-force oracle at k = 10 under the near-tie rule; the normalisation in double.
TEST(Knn, TikTokImageFeaturesMatchBruteForce) {
  LETHE_REQUIRE_DATASET(dir, "tiktok");
  const io::Dataset ds = io::load_dataset(dir);
  const io::FeatureTable* f = ds.feature("image");
  ASSERT_NE(f, nullptr) << dir << " has no image features";
  ASSERT_EQ(f->rows, 6710);
  ASSERT_EQ(f->cols, 128);
  const Unit u(*f);
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const HostCsr got = build_knn(*f, 10, false);
  const auto t1 = clock::now();
  const HostCsr ref = build_knn_bruteforce(*f, 10);
  const auto t2 = clock::now();
  int64_t differing = 0;
  ASSERT_TRUE(knn_agree(got, ref, u, 10, &differing));
  ASSERT_TRUE(normalisation_holds(got, u));
  std::printf("[ knn      ] tiktok image: tiled %.2f s, brute force %.2f s, %lld of %lld rows differ by near-ties\n",
              std::chrono::duration<double>(t1 - t0).count(), std::chrono::duration<double>(t2 - t1).count(),
              static_cast<long long>(differing), static_cast<long long>(f->rows));
}

// ---------------------------------------------------------------------------------------------
// The on-disk cache
// ---------------------------------------------------------------------------------------------

// A fresh folder under the test temp dir, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "lethe-knn-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    const char* p = ::mkdtemp(buf.data());
    if (!p) throw std::runtime_error("mkdtemp failed for " + tmpl);
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> bin_files(const std::string& dir) {
  std::vector<std::string> out;
  if (!io::is_directory(dir)) return out;
  for (const auto& n : io::list_dir(dir))
    if (io::ends_with(n, ".bin")) out.push_back(n);
  return out;
}

void expect_same(const HostCsr& a, const HostCsr& b) {
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.cols, b.cols);
  EXPECT_EQ(a.rowptr, b.rowptr);
  EXPECT_EQ(a.col, b.col);
  EXPECT_EQ(a.val, b.val);  // bit for bit: the cache stores the floats themselves
}

TEST(KnnCache, BuildsWritesThenReadsTheIdenticalGraph) {
  TempDir tmp;
  const std::string cache = io::path_join(tmp.path(), "cache/sub");  // created on the first write
  const io::FeatureTable f = random_table(60, 8, 21, 0.0, 1.0);
  bool rebuilt = false;
  const KnnGraph a = knn_graph(f, 5, false, cache, &rebuilt);
  EXPECT_TRUE(rebuilt);
  const std::vector<std::string> files = bin_files(cache);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].rfind("knn_image_k5_", 0), 0u) << files[0];
  expect_same(a.S, build_knn(f, 5, false));
  expect_same(a.St, transpose(a.S));

  rebuilt = true;
  const KnnGraph b = knn_graph(f, 5, false, cache, &rebuilt);
  EXPECT_FALSE(rebuilt);
  expect_same(b.S, a.S);
  expect_same(b.St, a.St);
  EXPECT_EQ(bin_files(cache).size(), 1u);

  // No cache folder: always built, nothing written.
  rebuilt = false;
  const KnnGraph c = knn_graph(f, 5, false, "", &rebuilt);
  EXPECT_TRUE(rebuilt);
  expect_same(c.S, a.S);
  // The rebuilt pointer is optional.
  expect_same(knn_graph(f, 5, false, cache).S, a.S);
}

TEST(KnnCache, TheKeyFollowsContentModalityAndK) {
  TempDir tmp;
  const std::string cache = tmp.path();
  const io::FeatureTable f = random_table(40, 6, 22, 0.0, 1.0);
  bool rebuilt = false;
  const KnnGraph a = knn_graph(f, 4, false, cache, &rebuilt);
  ASSERT_TRUE(rebuilt);

  io::FeatureTable g = f;  // one feature value changed
  g.data[17] += 0.25f;
  const KnnGraph b = knn_graph(g, 4, false, cache, &rebuilt);
  EXPECT_TRUE(rebuilt);
  expect_same(b.S, build_knn(g, 4, false));
  EXPECT_EQ(bin_files(cache).size(), 2u);

  knn_graph(f, 3, false, cache, &rebuilt);  // another k
  EXPECT_TRUE(rebuilt);
  io::FeatureTable t = f;  // same values under another modality name
  t.modality = "text";
  knn_graph(t, 4, false, cache, &rebuilt);
  EXPECT_TRUE(rebuilt);
  EXPECT_EQ(bin_files(cache).size(), 4u);

  // The original entry is still there and still valid.
  const KnnGraph again = knn_graph(f, 4, false, cache, &rebuilt);
  EXPECT_FALSE(rebuilt);
  expect_same(again.S, a.S);
}

TEST(KnnCache, CorruptedOrStaleFilesAreRebuiltWithANote) {
  TempDir tmp;
  const std::string cache = tmp.path();
  const io::FeatureTable f = random_table(50, 8, 23, 0.0, 1.0);
  bool rebuilt = false;
  const KnnGraph a = knn_graph(f, 5, false, cache, &rebuilt);
  ASSERT_TRUE(rebuilt);
  ASSERT_EQ(bin_files(cache).size(), 1u);
  const std::string path = io::path_join(cache, bin_files(cache)[0]);

  // A flipped byte in the middle of the file: the checksum fails, a note, a rebuild.
  {
    std::fstream s(path, std::ios::in | std::ios::out | std::ios::binary);
    s.seekg(0, std::ios::end);
    const std::streamoff n = s.tellg();
    ASSERT_GT(n, 100);
    s.seekg(n / 2);
    char byte = 0;
    s.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x5A);
    s.seekp(n / 2);
    s.write(&byte, 1);
  }
  ::testing::internal::CaptureStderr();
  KnnGraph b;
  EXPECT_NO_THROW(b = knn_graph(f, 5, false, cache, &rebuilt));
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(rebuilt);
  EXPECT_NE(err.find("note: ignoring kNN cache"), std::string::npos) << err;
  EXPECT_NE(err.find(path), std::string::npos) << err;
  expect_same(b.S, a.S);
  // ... and the rebuilt file replaced the damaged one.
  knn_graph(f, 5, false, cache, &rebuilt);
  EXPECT_FALSE(rebuilt);

  // A truncated file.
  const std::string whole = io::read_file(path);
  { std::ofstream(path, std::ios::binary | std::ios::trunc) << whole.substr(0, whole.size() / 3); }
  ::testing::internal::CaptureStderr();
  EXPECT_NO_THROW(b = knn_graph(f, 5, false, cache, &rebuilt));
  err = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(rebuilt);
  EXPECT_NE(err.find("note: ignoring kNN cache"), std::string::npos) << err;
  expect_same(b.S, a.S);

  // Not a checkpoint at all (an empty file).
  { std::ofstream(path, std::ios::binary | std::ios::trunc); }
  ::testing::internal::CaptureStderr();
  EXPECT_NO_THROW(b = knn_graph(f, 5, false, cache, &rebuilt));
  err = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(rebuilt);
  EXPECT_NE(err.find("note: ignoring kNN cache"), std::string::npos) << err;
  expect_same(b.S, a.S);

  // A stale file: a sound checkpoint whose metadata names another k (the k = 5 file copied to
  // the k = 6 name). Its metadata does not match, so it is rebuilt, never trusted.
  std::string k6 = path;
  k6.replace(k6.rfind("_k5_"), 4, "_k6_");
  std::filesystem::copy_file(path, k6);
  const KnnGraph c = knn_graph(f, 6, false, cache, &rebuilt);
  EXPECT_TRUE(rebuilt);
  for (int64_t r = 0; r < c.S.rows; ++r) EXPECT_EQ(c.S.row_len(r), 6) << "row " << r;
  expect_same(c.S, build_knn(f, 6, false));
  knn_graph(f, 6, false, cache, &rebuilt);
  EXPECT_FALSE(rebuilt);  // the rebuild replaced the stale file
}

TEST(KnnCache, AnUnwritableCacheOnlyCostsARebuild) {
  TempDir tmp;
  // The cache folder would have to live under a regular file: it cannot be created.
  const std::string blocker = io::path_join(tmp.path(), "file");
  { std::ofstream(blocker) << "x"; }
  const std::string cache = io::path_join(blocker, "cache");
  const io::FeatureTable f = random_table(20, 4, 24, 0.0, 1.0);
  bool rebuilt = false;
  ::testing::internal::CaptureStderr();
  KnnGraph a;
  EXPECT_NO_THROW(a = knn_graph(f, 3, false, cache, &rebuilt));
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(rebuilt);
  EXPECT_NE(err.find("note: could not write the kNN cache"), std::string::npos) << err;
  expect_same(a.S, build_knn(f, 3, false));
}

// ---------------------------------------------------------------------------------------------
// CUDA vs CPU
// ---------------------------------------------------------------------------------------------

TEST(Knn, CudaMatchesCpu) {
  LETHE_REQUIRE_GPU();
  for (const Shape& s : shapes()) {
    SCOPED_TRACE(std::string(s.name) + " seed " + std::to_string(s.seed));
    const io::FeatureTable f = random_table(s.I, s.d, s.seed, s.lo, s.hi, s.zero_row);
    const Unit u(f);
    const HostCsr cpu = build_knn(f, s.k, false);
    const HostCsr gpu = build_knn(f, s.k, true);
    int64_t differing = 0;
    ASSERT_TRUE(knn_agree(gpu, cpu, u, s.k, &differing));
    ASSERT_TRUE(normalisation_holds(gpu, u));
    std::printf("[ knn      ] cuda %-26s %lld of %lld rows differ by near-ties\n", s.name,
                static_cast<long long>(differing), static_cast<long long>(s.I));
  }
  // Exact ties resolve identically on the device (one-hot features: cosines exactly 0 or 1).
  const int64_t I = 60, d = 7;
  std::vector<float> x(static_cast<size_t>(I * d), 0.f);
  for (int64_t i = 0; i < I; ++i) x[i * d + i % d] = 1.f;
  const io::FeatureTable f = table(I, d, x);
  for (int k : {1, 10}) {
    const HostCsr cpu = build_knn(f, k, false), gpu = build_knn(f, k, true);
    EXPECT_EQ(gpu.rowptr, cpu.rowptr);
    EXPECT_EQ(gpu.col, cpu.col);
  }
  // The cached build on the GPU reads a CPU-written file and agrees.
  TempDir tmp;
  const io::FeatureTable g = random_table(200, 16, 31, 0.0, 1.0);
  bool rebuilt = false;
  const KnnGraph a = knn_graph(g, 10, true, tmp.path(), &rebuilt);
  EXPECT_TRUE(rebuilt);
  ASSERT_TRUE(knn_agree(a.S, build_knn(g, 10, false), Unit(g), 10));
}

}  // namespace
}  // namespace lethe::graph
