// graph/bipartite.h — the user–item graph of docs/MODELS.md, "Graphs" built from a set of train interactions:
//   A   (U+I)×(U+I) symmetric bipartite adjacency (weights 1, no self-loops),
//   Â = D^{-1/2} A D^{-1/2} (a zero-degree node has a zero row),
//   R̂   the user→item block of Â (U×I) and R̂ᵀ (I×U),
//   the train pattern (U×I, sorted items per user; masks and negative sampling),
//   the pool of items seen in train (sorted; the negative sampler draws from it).
// Unlearning rebuilds all of it from the retain set D_r so deleted edges stop propagating.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/csr.h"
#include "io/dataset.h"

namespace lethe::graph {

struct UserItemGraph {
  int32_t n_users = 0, n_items = 0;
  HostCsr adj;    // Â, nodes 0..U-1 users, U..U+I-1 items
  HostCsr R, Rt;  // R̂ (U×I) and R̂ᵀ (I×U)
  HostCsr train;  // U×I pattern of the interactions the graph was built from (no values)
  std::vector<int32_t> pool;  // items with ≥ 1 interaction, ascending
  int64_t edges() const { return train.nnz(); }
};

// Duplicate (u, i) pairs count once. Out-of-range ids are an error.
UserItemGraph build_user_item_graph(int32_t n_users, int32_t n_items, const io::Interactions& train);

// The pattern of one split (U×I, sorted, duplicates merged): ground truth for evaluation.
HostCsr interaction_pattern(int32_t n_users, int32_t n_items, const io::Interactions& x);

}  // namespace lethe::graph
