// graph/bipartite.cpp — see bipartite.h.
#include "graph/bipartite.h"

#include <cmath>

namespace lethe::graph {

HostCsr interaction_pattern(int32_t n_users, int32_t n_items, const io::Interactions& x) {
  return csr_from_coo(n_users, n_items, x.user, x.item, nullptr, /*sum_duplicates=*/true);
}

UserItemGraph build_user_item_graph(int32_t n_users, int32_t n_items, const io::Interactions& train) {
  UserItemGraph g;
  g.n_users = n_users;
  g.n_items = n_items;
  g.train = interaction_pattern(n_users, n_items, train);
  const int64_t U = n_users, I = n_items;

  std::vector<double> deg(static_cast<size_t>(U + I), 0.0);
  for (int64_t u = 0; u < U; ++u) deg[u] = g.train.row_len(u);
  for (int32_t it : g.train.col) deg[static_cast<size_t>(U + it)] += 1.0;
  auto dinv = [&](int64_t node) { return deg[node] > 0 ? 1.0 / std::sqrt(deg[node]) : 0.0; };

  // R̂: row u holds the user's items with weight deg_u^-1/2 deg_i^-1/2.
  g.R = g.train;
  g.R.val.resize(g.R.col.size());
  for (int64_t u = 0; u < U; ++u)
    for (int32_t k = g.R.rowptr[u]; k < g.R.rowptr[u + 1]; ++k)
      g.R.val[k] = static_cast<float>(dinv(u) * dinv(U + g.R.col[k]));
  g.Rt = transpose(g.R);

  // Â = [[0, R̂], [R̂ᵀ, 0]] assembled row by row (user rows then item rows), columns sorted.
  g.adj.rows = g.adj.cols = U + I;
  g.adj.rowptr.assign(static_cast<size_t>(U + I) + 1, 0);
  g.adj.col.reserve(2 * g.R.col.size());
  g.adj.val.reserve(2 * g.R.col.size());
  for (int64_t u = 0; u < U; ++u) {
    for (int32_t k = g.R.rowptr[u]; k < g.R.rowptr[u + 1]; ++k) {
      g.adj.col.push_back(static_cast<int32_t>(U + g.R.col[k]));
      g.adj.val.push_back(g.R.val[k]);
    }
    g.adj.rowptr[u + 1] = static_cast<int32_t>(g.adj.col.size());
  }
  for (int64_t i = 0; i < I; ++i) {
    for (int32_t k = g.Rt.rowptr[i]; k < g.Rt.rowptr[i + 1]; ++k) {
      g.adj.col.push_back(g.Rt.col[k]);
      g.adj.val.push_back(g.Rt.val[k]);
    }
    g.adj.rowptr[U + i + 1] = static_cast<int32_t>(g.adj.col.size());
  }

  std::vector<char> seen(static_cast<size_t>(I), 0);
  for (int32_t it : g.train.col) seen[it] = 1;
  for (int32_t i = 0; i < n_items; ++i)
    if (seen[i]) g.pool.push_back(i);
  return g;
}

}  // namespace lethe::graph
