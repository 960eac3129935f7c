// graph/miggt_graph.h — MIG-GT's propagation graph (docs/MODELS.md, "The three backbones"), built from train interactions:
// U + I nodes (users 0..U−1, items U..U+I−1), directed edges u→i and i→u for every interaction
// and a self-loop on every node, weighted
//     w(src→dst) = deg_src^{-1/2} · deg_dst^{-1/2},   deg = in-degree, the self-loop included
// (so every node has degree ≥ 1 and no weight is infinite; an isolated node keeps its self-loop
// with weight 1). Propagation is h' = P h with P[dst, src] = w(src→dst): row = destination, as
// DGL's update_all(u_mul_e, sum) in the reference code.
// The pattern is symmetric and so are the weights, so P = Pᵀ as matrices — but edge dropout
// drops directed edges independently (u→i and i→u are different edges), after which the dropped
// matrix is not symmetric. Pt is stored explicitly with `t2a`, the position in P of each Pt
// entry's edge, so that kernels/edgedrop.h can drop the same edges from both (the backward of
// Y = P' X is dX += P'ᵀ dY on Pt with the same mask).
// Edge ids are positions in P. Duplicate (u, i) interactions count once (the train pattern has
// them merged), like the user–item graph of graph/bipartite.h.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/csr.h"

namespace lethe::graph {

struct MigGraph {
  int32_t n_users = 0, n_items = 0;
  HostCsr P;                  // (U+I)×(U+I), rows = destinations, sorted columns
  HostCsr Pt;                 // Pᵀ, sorted columns
  std::vector<int32_t> t2a;   // Pt.nnz() entries: Pt entry k is the edge at P position t2a[k]
  int64_t edges() const { return P.nnz(); }  // 2·|train| + U + I
};

// train: the U×I pattern of the train interactions (graph::UserItemGraph::train).
MigGraph build_miggt_graph(const HostCsr& train);

}  // namespace lethe::graph
