// tests/graph/test_graphs.cpp — the host CSR layer (graph/csr.h) and the normalised user–item
// graph of docs/MODELS.md, "Graphs" (graph/bipartite.h).
// CSR: csr_from_coo sorts columns, sums or rejects duplicates and names out-of-range entries;
// transpose matches a dense transpose and is an involution; validate names each kind of damage.
// Bipartite: Â = D^{-1/2} A D^{-1/2} against hand-computed values and against an independent
// dense construction (double precision), R̂ = Â's user→item block, R̂ᵀ its transpose, Â
// symmetric, zero-degree nodes with empty rows, duplicates counted once, the train-item pool;
// and the unlearning edit: rebuilding from a retain set (a subset of train) drops exactly the
// removed edges and renormalises the degrees they touched.
// The kNN graph has its own file (test_knn.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "graph/bipartite.h"
#include "graph/csr.h"

namespace lethe::graph {
namespace {

// Whether `text` contains `part` (the failure shows both).
::testing::AssertionResult has(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

// The message of the lethe::Error that `f` throws ("" and a test failure when it throws none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a lethe::Error";
  return "";
}

// Dense copy of a CSR (row-major, double); absent entries are 0.
std::vector<double> dense(const HostCsr& A) {
  std::vector<double> D(static_cast<size_t>(A.rows * A.cols), 0.0);
  for (int64_t r = 0; r < A.rows; ++r)
    for (int32_t k = A.rowptr[r]; k < A.rowptr[r + 1]; ++k)
      D[static_cast<size_t>(r * A.cols + A.col[k])] += A.val.empty() ? 1.0 : A.val[k];
  return D;
}

// ---------------------------------------------------------------------------------------------
// csr_from_coo / transpose / validate
// ---------------------------------------------------------------------------------------------

TEST(Csr, FromCooSortsColumnsAndKeepsValuesWithTheirEntries) {
  // 3×5, entries given out of order; row 1 empty.
  const std::vector<int32_t> r = {2, 0, 2, 0, 0, 2};
  const std::vector<int32_t> c = {4, 3, 0, 1, 4, 2};
  const std::vector<float> v = {1, 2, 3, 4, 5, 6};
  const HostCsr A = csr_from_coo(3, 5, r, c, &v, false);
  EXPECT_EQ(A.rows, 3);
  EXPECT_EQ(A.cols, 5);
  EXPECT_EQ(A.rowptr, (std::vector<int32_t>{0, 3, 3, 6}));
  EXPECT_EQ(A.col, (std::vector<int32_t>{1, 3, 4, 0, 2, 4}));
  EXPECT_EQ(A.val, (std::vector<float>{4, 2, 5, 3, 6, 1}));
  EXPECT_EQ(A.row_len(1), 0);
  EXPECT_NO_THROW(validate(A, "A"));
  EXPECT_TRUE(contains(A, 0, 3));
  EXPECT_FALSE(contains(A, 0, 2));
  EXPECT_FALSE(contains(A, 1, 0));
  EXPECT_TRUE(contains(A, 2, 4));
  // The view points into the object.
  const Csr view = A.view();
  EXPECT_EQ(view.rowptr, A.rowptr.data());
  EXPECT_EQ(view.col, A.col.data());
  EXPECT_EQ(view.val, A.val.data());
  EXPECT_EQ(view.nnz, 6);
}

TEST(Csr, FromCooDuplicatesAreSummedOrRejected) {
  const std::vector<int32_t> r = {1, 0, 1, 1, 0};
  const std::vector<int32_t> c = {2, 0, 2, 0, 0};
  const std::vector<float> v = {1.5f, 1.f, 2.f, 7.f, 0.25f};
  const HostCsr A = csr_from_coo(2, 3, r, c, &v, true);
  EXPECT_EQ(A.rowptr, (std::vector<int32_t>{0, 1, 3}));
  EXPECT_EQ(A.col, (std::vector<int32_t>{0, 0, 2}));
  EXPECT_EQ(A.val, (std::vector<float>{1.25f, 7.f, 3.5f}));
  EXPECT_NO_THROW(validate(A, "summed"));
  // Pattern only: duplicates merge into one entry and there are no values.
  const HostCsr P = csr_from_coo(2, 3, r, c, nullptr, true);
  EXPECT_EQ(P.col, A.col);
  EXPECT_EQ(P.rowptr, A.rowptr);
  EXPECT_TRUE(P.val.empty());
  EXPECT_TRUE(P.view().val == nullptr);
  // Rejected: the message names the first duplicate (row 0's (0, 0) comes first in row order).
  EXPECT_TRUE(has(error_of([&] { csr_from_coo(2, 3, r, c, &v, false); }), "duplicate entry (0, 0)"));
  EXPECT_TRUE(has(error_of([&] { csr_from_coo(2, 3, r, c, nullptr, false); }), "duplicate entry (0, 0)"));
}

TEST(Csr, FromCooRejectsBadCoordinatesWithTheirPosition) {
  const std::vector<float> v = {1, 2, 3};
  auto coo_error = [&](const std::vector<int32_t>& r, const std::vector<int32_t>& c, const std::vector<float>* vals) {
    return error_of([&] { csr_from_coo(2, 3, r, c, vals, true); });
  };
  EXPECT_TRUE(has(coo_error({0, 2, 1}, {0, 1, 1}, &v), "entry 1 (2, 1) is outside a 2x3 matrix"));
  EXPECT_TRUE(has(coo_error({0, 1, 1}, {0, 1, 3}, &v), "entry 2 (1, 3) is outside a 2x3 matrix"));
  EXPECT_TRUE(has(coo_error({-1, 1, 1}, {0, 1, 2}, &v), "entry 0 (-1, 0) is outside a 2x3 matrix"));
  EXPECT_TRUE(has(coo_error({0, 1, 1}, {0, -4, 2}, &v), "entry 1 (1, -4) is outside"));
  EXPECT_TRUE(has(coo_error({0, 1}, {0, 1, 2}, nullptr), "row and column lists differ in length"));
  EXPECT_TRUE(has(coo_error({0, 1}, {0, 1}, &v), "value list length differs"));
  EXPECT_TRUE(has(error_of([] { csr_from_coo(int64_t(1) << 31, 3, {}, {}, nullptr, true); }), "int32 range"));
  // Empty inputs are fine: all rows empty.
  const HostCsr E = csr_from_coo(4, 0, {}, {}, nullptr, false);
  EXPECT_EQ(E.rowptr, (std::vector<int32_t>(5, 0)));
  EXPECT_EQ(E.nnz(), 0);
  EXPECT_NO_THROW(validate(E, "empty"));
  const HostCsr Z = csr_from_coo(0, 0, {}, {}, nullptr, false);
  EXPECT_EQ(Z.rowptr, (std::vector<int32_t>{0}));
}

TEST(Csr, TransposeMatchesTheDenseTransposeAndTwiceIsTheIdentity) {
  for (const auto& [rows, cols, n, seed] : std::vector<std::tuple<int64_t, int64_t, int, uint64_t>>{
           {1, 1, 1, 1}, {7, 3, 15, 2}, {40, 65, 300, 3}, {100, 5, 40, 4}, {5, 200, 0, 5}}) {
    SCOPED_TRACE("rows " + std::to_string(rows) + " cols " + std::to_string(cols) + " seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    std::vector<int32_t> r, c;
    std::vector<float> v;
    for (int k = 0; k < n; ++k) {
      r.push_back(static_cast<int32_t>(rng() % rows));
      c.push_back(static_cast<int32_t>(rng() % cols));
      v.push_back(static_cast<float>(static_cast<int>(rng() % 17) - 8) / 4.f);
    }
    const HostCsr A = csr_from_coo(rows, cols, r, c, &v, true);
    const HostCsr T = transpose(A);
    ASSERT_NO_THROW(validate(T, "T"));
    ASSERT_EQ(T.rows, cols);
    ASSERT_EQ(T.cols, rows);
    const std::vector<double> DA = dense(A), DT = dense(T);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) ASSERT_EQ(DA[i * cols + j], DT[j * rows + i]) << i << "," << j;
    const HostCsr TT = transpose(T);
    EXPECT_EQ(TT.rows, A.rows);
    EXPECT_EQ(TT.cols, A.cols);
    EXPECT_EQ(TT.rowptr, A.rowptr);
    EXPECT_EQ(TT.col, A.col);
    EXPECT_EQ(TT.val, A.val);
    // Pattern-only matrices stay pattern-only.
    const HostCsr P = csr_from_coo(rows, cols, r, c, nullptr, true);
    const HostCsr PT = transpose(P);
    EXPECT_TRUE(PT.val.empty());
    EXPECT_EQ(PT.col, T.col);
    EXPECT_EQ(transpose(PT).col, P.col);
  }
}

TEST(Csr, ValidateNamesEachInconsistency) {
  HostCsr good;
  good.rows = 3;
  good.cols = 4;
  good.rowptr = {0, 2, 2, 3};
  good.col = {1, 3, 0};
  good.val = {1, 2, 3};
  EXPECT_NO_THROW(validate(good, "good"));

  HostCsr b = good;
  b.rowptr = {0, 2, 3};
  EXPECT_TRUE(has(error_of([&] { validate(b, "M1"); }), "M1: rowptr has the wrong length"));
  b = good;
  b.rowptr = {0, 2, 2, 2};
  EXPECT_TRUE(has(error_of([&] { validate(b, "M2"); }), "M2: rowptr does not span the entries"));
  b = good;
  b.rowptr = {1, 2, 2, 3};
  EXPECT_TRUE(has(error_of([&] { validate(b, "M3"); }), "M3: rowptr does not span the entries"));
  b = good;
  b.val = {1, 2};
  EXPECT_TRUE(has(error_of([&] { validate(b, "M4"); }), "M4: values and columns differ in length"));
  b = good;
  b.rowptr = {0, 2, 1, 3};
  EXPECT_TRUE(has(error_of([&] { validate(b, "M5"); }), "M5: rowptr decreases at row 1"));
  b = good;
  b.col = {1, 4, 0};
  EXPECT_TRUE(has(error_of([&] { validate(b, "M6"); }), "M6: column 4 out of range in row 0"));
  b = good;
  b.col = {1, 3, -1};
  EXPECT_TRUE(has(error_of([&] { validate(b, "M7"); }), "M7: column -1 out of range in row 2"));
  b = good;
  b.col = {3, 1, 0};
  EXPECT_TRUE(has(error_of([&] { validate(b, "M8"); }), "M8: columns not sorted and unique in row 0"));
  b = good;
  b.col = {3, 3, 0};
  EXPECT_TRUE(has(error_of([&] { validate(b, "M9"); }), "M9: columns not sorted and unique in row 0"));
  // A pattern-only matrix (no values) is valid.
  b = good;
  b.val.clear();
  EXPECT_NO_THROW(validate(b, "pattern"));
}

// ---------------------------------------------------------------------------------------------
// The normalised user–item graph
// ---------------------------------------------------------------------------------------------

io::Interactions rows_of(const std::vector<std::pair<int32_t, int32_t>>& ui) {
  io::Interactions x;
  for (auto [u, i] : ui) x.push(u, i);
  return x;
}

// The docs/MODELS.md, "Graphs" definition built densely and independently, in double: A over U+I nodes (users
// first), deg = row sums of A, Â = D^{-1/2} A D^{-1/2} with 0 for zero-degree nodes.
std::vector<double> dense_ahat(int32_t U, int32_t I, const io::Interactions& x) {
  const int64_t N = U + I;
  std::vector<double> A(static_cast<size_t>(N * N), 0.0);
  for (int64_t k = 0; k < x.size(); ++k) {
    const int64_t u = x.user[k], i = U + x.item[k];
    A[u * N + i] = A[i * N + u] = 1.0;  // duplicates count once
  }
  std::vector<double> deg(static_cast<size_t>(N), 0.0);
  for (int64_t a = 0; a < N; ++a)
    for (int64_t b = 0; b < N; ++b) deg[a] += A[a * N + b];
  for (int64_t a = 0; a < N; ++a)
    for (int64_t b = 0; b < N; ++b)
      if (A[a * N + b] != 0) A[a * N + b] /= std::sqrt(deg[a] * deg[b]);
  return A;
}

// Every part of g against the dense definition: Â's pattern is exactly A's nonzeros, values
// within float rounding of the double ones; R̂ is Â's user→item block and R̂ᵀ its transpose
// (bit for bit: one float per edge); Â symmetric bit for bit; the train pattern and the pool.
void check_graph(const UserItemGraph& g, int32_t U, int32_t I, const io::Interactions& x) {
  ASSERT_EQ(g.n_users, U);
  ASSERT_EQ(g.n_items, I);
  const int64_t N = U + I;
  ASSERT_NO_THROW(validate(g.adj, "adj"));
  ASSERT_NO_THROW(validate(g.R, "R"));
  ASSERT_NO_THROW(validate(g.Rt, "Rt"));
  ASSERT_NO_THROW(validate(g.train, "train"));
  ASSERT_EQ(g.adj.rows, N);
  ASSERT_EQ(g.adj.cols, N);
  ASSERT_EQ(g.R.rows, U);
  ASSERT_EQ(g.R.cols, I);
  ASSERT_EQ(g.Rt.rows, I);
  ASSERT_EQ(g.Rt.cols, U);
  ASSERT_EQ(g.train.rows, U);
  ASSERT_EQ(g.train.cols, I);
  EXPECT_TRUE(g.train.val.empty());

  const std::vector<double> ref = dense_ahat(U, I, x);
  int64_t ref_nnz = 0;
  for (int64_t a = 0; a < N; ++a)
    for (int64_t b = 0; b < N; ++b) {
      const double want = ref[a * N + b];
      ref_nnz += want != 0;
      const bool present = contains(g.adj, a, static_cast<int32_t>(b));
      ASSERT_EQ(present, want != 0) << "Â(" << a << ", " << b << ")";
    }
  ASSERT_EQ(g.adj.nnz(), ref_nnz);
  for (int64_t a = 0; a < N; ++a)
    for (int32_t k = g.adj.rowptr[a]; k < g.adj.rowptr[a + 1]; ++k)
      EXPECT_FLOAT_EQ(g.adj.val[k], static_cast<float>(ref[a * N + g.adj.col[k]]))
          << "Â(" << a << ", " << g.adj.col[k] << ")";

  // Â is symmetric: its transpose is itself, values included.
  const HostCsr At = transpose(g.adj);
  EXPECT_EQ(At.rowptr, g.adj.rowptr);
  EXPECT_EQ(At.col, g.adj.col);
  EXPECT_EQ(At.val, g.adj.val);

  // R̂ = the user→item block: row u of R̂ is row u of Â shifted by U (user rows hold items only).
  for (int32_t u = 0; u < U; ++u) {
    ASSERT_EQ(g.R.row_len(u), g.adj.row_len(u)) << "user " << u;
    for (int32_t k = 0; k < g.R.row_len(u); ++k) {
      EXPECT_EQ(g.R.col[g.R.rowptr[u] + k] + U, g.adj.col[g.adj.rowptr[u] + k]);
      EXPECT_EQ(g.R.val[g.R.rowptr[u] + k], g.adj.val[g.adj.rowptr[u] + k]);
    }
  }
  // R̂ᵀ = transpose(R̂) exactly, and the item rows of Â are R̂ᵀ's rows.
  const HostCsr Rt = transpose(g.R);
  EXPECT_EQ(g.Rt.rowptr, Rt.rowptr);
  EXPECT_EQ(g.Rt.col, Rt.col);
  EXPECT_EQ(g.Rt.val, Rt.val);
  for (int32_t i = 0; i < I; ++i) {
    ASSERT_EQ(g.Rt.row_len(i), g.adj.row_len(U + i)) << "item " << i;
    for (int32_t k = 0; k < g.Rt.row_len(i); ++k) {
      EXPECT_EQ(g.Rt.col[g.Rt.rowptr[i] + k], g.adj.col[g.adj.rowptr[U + i] + k]);
      EXPECT_EQ(g.Rt.val[g.Rt.rowptr[i] + k], g.adj.val[g.adj.rowptr[U + i] + k]);
    }
  }
  // Train pattern = R̂'s pattern = the distinct pairs; the pool = items with ≥ 1 pair.
  std::set<std::pair<int32_t, int32_t>> pairs;
  std::set<int32_t> items;
  for (int64_t k = 0; k < x.size(); ++k) {
    pairs.insert({x.user[k], x.item[k]});
    items.insert(x.item[k]);
  }
  EXPECT_EQ(g.edges(), static_cast<int64_t>(pairs.size()));
  EXPECT_EQ(g.train.rowptr, g.R.rowptr);
  EXPECT_EQ(g.train.col, g.R.col);
  for (auto [u, i] : pairs) EXPECT_TRUE(contains(g.train, u, i)) << u << "," << i;
  EXPECT_EQ(g.pool, std::vector<int32_t>(items.begin(), items.end()));
}

TEST(UserItemGraph, HandComputedNormalisation) {
  // U = 3, I = 4. Train: u0–i0, u0–i1, u1–i1, u1–i2, and (u1, i1) again (counts once).
  // u2 and i3 have no interactions. Nodes: u0 0, u1 1, u2 2, i0 3, i1 4, i2 5, i3 6.
  // Degrees: u0 2, u1 2, u2 0, i0 1, i1 2, i2 1, i3 0.
  const io::Interactions x = rows_of({{0, 0}, {0, 1}, {1, 1}, {1, 2}, {1, 1}});
  const UserItemGraph g = build_user_item_graph(3, 4, x);
  const float r2 = static_cast<float>(1.0 / std::sqrt(2.0));
  EXPECT_EQ(g.edges(), 4);
  EXPECT_EQ(g.adj.rowptr, (std::vector<int32_t>{0, 2, 4, 4, 5, 7, 8, 8}));
  EXPECT_EQ(g.adj.col, (std::vector<int32_t>{3, 4, /**/ 4, 5, /**/ /**/ 0, /**/ 0, 1, /**/ 1 /**/}));
  const std::vector<float> want = {r2, 0.5f, /**/ 0.5f, r2, /**/ /**/ r2, /**/ 0.5f, 0.5f, /**/ r2};
  ASSERT_EQ(g.adj.val.size(), want.size());
  for (size_t k = 0; k < want.size(); ++k) EXPECT_FLOAT_EQ(g.adj.val[k], want[k]) << "entry " << k;
  // Zero-degree nodes (u2 = node 2, i3 = node 6) have empty rows in Â, R̂ and R̂ᵀ.
  EXPECT_EQ(g.adj.row_len(2), 0);
  EXPECT_EQ(g.adj.row_len(6), 0);
  EXPECT_EQ(g.R.row_len(2), 0);
  EXPECT_EQ(g.Rt.row_len(3), 0);
  // R̂ (3×4) and R̂ᵀ (4×3).
  EXPECT_EQ(g.R.rowptr, (std::vector<int32_t>{0, 2, 4, 4}));
  EXPECT_EQ(g.R.col, (std::vector<int32_t>{0, 1, 1, 2}));
  EXPECT_EQ(g.Rt.rowptr, (std::vector<int32_t>{0, 1, 3, 4, 4}));
  EXPECT_EQ(g.Rt.col, (std::vector<int32_t>{0, 0, 1, 1}));
  EXPECT_EQ(g.pool, (std::vector<int32_t>{0, 1, 2}));
  check_graph(g, 3, 4, x);
}

TEST(UserItemGraph, RebuildFromARetainSetDropsExactlyTheRemovedEdges) {
  const io::Interactions x = rows_of({{0, 0}, {0, 1}, {1, 1}, {1, 2}, {1, 1}});
  const UserItemGraph g = build_user_item_graph(3, 4, x);
  // Forget (0, 1) and (1, 2) (every copy of a forgotten pair goes). Retained: u0–i0, u1–i1.
  const io::Interactions keep = rows_of({{0, 0}, {1, 1}, {1, 1}});
  const UserItemGraph h = build_user_item_graph(3, 4, keep);
  EXPECT_EQ(h.edges(), 2);
  // Every degree touched by a removed edge is renormalised: now all degrees are 1 (or 0).
  EXPECT_EQ(h.adj.rowptr, (std::vector<int32_t>{0, 1, 2, 2, 3, 4, 4, 4}));
  EXPECT_EQ(h.adj.col, (std::vector<int32_t>{3, 4, 0, 1}));
  EXPECT_EQ(h.adj.val, (std::vector<float>{1.f, 1.f, 1.f, 1.f}));
  EXPECT_FALSE(contains(h.adj, 0, 4));
  EXPECT_FALSE(contains(h.adj, 4, 0));
  EXPECT_FALSE(contains(h.adj, 1, 5));
  EXPECT_FALSE(contains(h.adj, 5, 1));
  EXPECT_EQ(h.adj.row_len(5), 0);                   // i2 lost its only edge: empty row
  EXPECT_EQ(h.pool, (std::vector<int32_t>{0, 1}));  // and left the pool
  // Pairs: old minus new = exactly the forgotten ones.
  for (int32_t u = 0; u < 3; ++u)
    for (int32_t i = 0; i < 4; ++i) {
      const bool forgotten = (u == 0 && i == 1) || (u == 1 && i == 2);
      EXPECT_EQ(contains(h.train, u, i), contains(g.train, u, i) && !forgotten) << u << "," << i;
    }
  check_graph(h, 3, 4, keep);
}

TEST(UserItemGraph, RandomGraphsAndRetainSetsMatchTheDenseDefinition) {
  for (const auto& [U, I, n, seed] : std::vector<std::tuple<int32_t, int32_t, int, uint64_t>>{
           {1, 1, 1, 11}, {5, 9, 30, 12}, {23, 17, 150, 13}, {40, 60, 90, 14}, {8, 3, 40, 15}}) {
    SCOPED_TRACE("U " + std::to_string(U) + " I " + std::to_string(I) + " seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    io::Interactions x;
    for (int k = 0; k < n; ++k) {
      // A skewed item distribution, so duplicates and zero-degree nodes both occur.
      const int32_t u = static_cast<int32_t>(rng() % U);
      const int32_t i = static_cast<int32_t>((rng() % I) * (rng() % I) / I);
      x.push(u, i);
    }
    const UserItemGraph g = build_user_item_graph(U, I, x);
    check_graph(g, U, I, x);
    // A retain set: drop every copy of ~30% of the distinct pairs.
    std::set<std::pair<int32_t, int32_t>> forgotten;
    for (int64_t k = 0; k < x.size(); ++k)
      if (rng() % 10 < 3) forgotten.insert({x.user[k], x.item[k]});
    io::Interactions keep;
    for (int64_t k = 0; k < x.size(); ++k)
      if (!forgotten.count({x.user[k], x.item[k]})) keep.push(x.user[k], x.item[k]);
    const UserItemGraph h = build_user_item_graph(U, I, keep);
    check_graph(h, U, I, keep);
    // Edges: exactly the forgotten pairs disappear, in both directions of Â.
    EXPECT_EQ(h.edges(), g.edges() - static_cast<int64_t>(forgotten.size()));
    EXPECT_EQ(h.adj.nnz(), g.adj.nnz() - 2 * static_cast<int64_t>(forgotten.size()));
    for (int32_t u = 0; u < U; ++u)
      for (int32_t i = 0; i < I; ++i) {
        const bool gone = forgotten.count({u, i}) > 0;
        EXPECT_EQ(contains(h.train, u, i), contains(g.train, u, i) && !gone);
        EXPECT_EQ(contains(h.adj, u, U + i), contains(g.adj, u, U + i) && !gone);
        EXPECT_EQ(contains(h.adj, U + i, u), contains(g.adj, U + i, u) && !gone);
      }
  }
}

TEST(UserItemGraph, EmptyTrainAndOutOfRangeIds) {
  const UserItemGraph e = build_user_item_graph(2, 3, io::Interactions{});
  EXPECT_EQ(e.edges(), 0);
  EXPECT_EQ(e.adj.nnz(), 0);
  EXPECT_EQ(e.adj.rowptr, (std::vector<int32_t>(6, 0)));
  EXPECT_TRUE(e.pool.empty());
  check_graph(e, 2, 3, io::Interactions{});
  auto graph_error = [](const std::vector<std::pair<int32_t, int32_t>>& ui) {
    return error_of([&] { build_user_item_graph(2, 3, rows_of(ui)); });
  };
  EXPECT_TRUE(has(graph_error({{0, 1}, {1, 3}}), "entry 1 (1, 3) is outside a 2x3 matrix"));
  EXPECT_TRUE(has(graph_error({{2, 0}}), "outside a 2x3 matrix"));
  EXPECT_TRUE(has(graph_error({{0, -1}}), "outside a 2x3 matrix"));
}

TEST(UserItemGraph, InteractionPatternMergesDuplicates) {
  const HostCsr P = interaction_pattern(3, 4, rows_of({{2, 3}, {0, 1}, {2, 0}, {2, 3}, {0, 1}}));
  EXPECT_EQ(P.rowptr, (std::vector<int32_t>{0, 1, 1, 3}));
  EXPECT_EQ(P.col, (std::vector<int32_t>{1, 0, 3}));
  EXPECT_TRUE(P.val.empty());
}

}  // namespace
}  // namespace lethe::graph
