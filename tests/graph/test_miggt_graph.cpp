// tests/graph/test_miggt_graph.cpp — MIG-GT's propagation graph (graph/miggt_graph.h): weights
// against a hand-computed example, the transpose and its edge-id map, isolated nodes (self-loop
// of weight 1), duplicate interactions counted once, and the transpose-with-ids helper.
#include <gtest/gtest.h>

#include <cmath>

#include "graph/bipartite.h"
#include "graph/miggt_graph.h"

namespace lethe::graph {
namespace {

HostCsr pattern(int32_t U, int32_t I, const std::vector<std::pair<int32_t, int32_t>>& ui) {
  io::Interactions x;
  for (auto [u, i] : ui) x.push(u, i);
  return interaction_pattern(U, I, x);
}

TEST(MigGTGraph, HandComputedWeights) {
  // U = 2, I = 3; u0–i0, u0–i2, u1–i2. Nodes: u0 0, u1 1, i0 2, i1 3, i2 4.
  // In-degrees with the self-loop: u0 3, u1 2, i0 2, i1 1 (isolated), i2 3.
  const MigGraph g = build_miggt_graph(pattern(2, 3, {{0, 0}, {0, 2}, {1, 2}}));
  EXPECT_EQ(g.edges(), 2 * 3 + 5);
  const double s6 = 1.0 / std::sqrt(6.0);
  const std::vector<int32_t> rowptr = {0, 3, 5, 7, 8, 11};
  const std::vector<int32_t> col = {0, 2, 4, /**/ 1, 4, /**/ 0, 2, /**/ 3, /**/ 0, 1, 4};
  const std::vector<double> val = {1.0 / 3, s6, 1.0 / 3, /**/ 0.5, s6, /**/ s6, 0.5, /**/ 1.0, /**/ 1.0 / 3, s6, 1.0 / 3};
  EXPECT_EQ(g.P.rowptr, rowptr);
  EXPECT_EQ(g.P.col, col);
  ASSERT_EQ(g.P.val.size(), val.size());
  for (size_t k = 0; k < val.size(); ++k) EXPECT_FLOAT_EQ(g.P.val[k], static_cast<float>(val[k])) << "entry " << k;
  // Symmetric weights: Pᵀ has the same pattern and values, but its entries are other edges.
  EXPECT_EQ(g.Pt.rowptr, rowptr);
  EXPECT_EQ(g.Pt.col, col);
  EXPECT_EQ(g.Pt.val, g.P.val);
  ASSERT_EQ(g.t2a.size(), col.size());
  // Pt entry k = (r, c) is the edge r→c, stored in P at (row c, column r).
  for (int64_t r = 0; r < g.Pt.rows; ++r)
    for (int32_t k = g.Pt.rowptr[r]; k < g.Pt.rowptr[r + 1]; ++k) {
      const int32_t e = g.t2a[k];
      EXPECT_EQ(g.P.col[e], r);
      EXPECT_TRUE(e >= g.P.rowptr[g.Pt.col[k]] && e < g.P.rowptr[g.Pt.col[k] + 1]) << "Pt entry " << k;
    }
  // Self-loops map to themselves; u0→i0 (Pt row 0, column 2, entry 1) is P's (row 2, column 0), entry 5.
  EXPECT_EQ(g.t2a[0], 0);
  EXPECT_EQ(g.t2a[1], 5);
  EXPECT_EQ(g.t2a[7], 7);
}

TEST(MigGTGraph, IsolatedNodesAndDuplicates) {
  // u1 and i1 have no interactions: self-loop of weight 1 only. The duplicate (0, 0) counts once.
  const MigGraph g = build_miggt_graph(pattern(2, 2, {{0, 0}, {0, 0}}));
  EXPECT_EQ(g.edges(), 2 + 4);
  EXPECT_EQ(g.P.row_len(1), 1);
  EXPECT_EQ(g.P.val[g.P.rowptr[1]], 1.f);
  EXPECT_EQ(g.P.row_len(3), 1);
  EXPECT_EQ(g.P.val[g.P.rowptr[3]], 1.f);
  EXPECT_FLOAT_EQ(g.P.val[g.P.rowptr[0] + 1], 0.5f);  // deg 2 · deg 2
  // No interactions at all: the identity.
  const MigGraph e = build_miggt_graph(pattern(3, 2, {}));
  EXPECT_EQ(e.edges(), 5);
  for (float v : e.P.val) EXPECT_EQ(v, 1.f);
}

TEST(MigGTGraph, TransposeWithIds) {
  HostCsr A;
  A.rows = 2;
  A.cols = 3;
  A.rowptr = {0, 2, 3};
  A.col = {0, 2, 1};
  A.val = {1, 2, 3};
  std::vector<int32_t> ids;
  const HostCsr T = transpose(A, &ids);
  EXPECT_EQ(T.rowptr, (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(T.col, (std::vector<int32_t>{0, 1, 0}));
  EXPECT_EQ(T.val, (std::vector<float>{1, 3, 2}));
  EXPECT_EQ(ids, (std::vector<int32_t>{0, 2, 1}));
}

}  // namespace
}  // namespace lethe::graph
