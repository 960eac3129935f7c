// graph/miggt_graph.cpp — see miggt_graph.h. Weights are computed in double and rounded once to
// float (graph values are float for every model dtype, kernels/common.h).
#include "graph/miggt_graph.h"

#include <cmath>
#include <limits>
#include <string>

namespace lethe::graph {


MigGraph build_miggt_graph(const HostCsr& train) {
  validate(train, "MIG-GT graph: train pattern");
  const int64_t U = train.rows, I = train.cols, N = U + I;
  const int64_t nnz = 2 * train.nnz() + N;
  LETHE_CHECK(nnz <= std::numeric_limits<int32_t>::max(),
              "MIG-GT graph: " + std::to_string(nnz) + " edges exceed the int32 CSR index range");
  MigGraph g;
  g.n_users = static_cast<int32_t>(U);
  g.n_items = static_cast<int32_t>(I);

  // In-degrees (self-loop included); the graph is symmetric, so in- = out-degree.
  std::vector<double> deg(static_cast<size_t>(N), 1.0);
  for (int64_t u = 0; u < U; ++u) deg[u] += train.row_len(u);
  for (int32_t it : train.col) deg[static_cast<size_t>(U + it)] += 1.0;
  std::vector<double> dinv(static_cast<size_t>(N));
  for (int64_t v = 0; v < N; ++v) dinv[v] = 1.0 / std::sqrt(deg[v]);
  auto w = [&](int64_t src, int64_t dst) { return static_cast<float>(dinv[src] * dinv[dst]); };

  const HostCsr item_users = transpose(train);  // I×U: the users of each item, sorted

  HostCsr& P = g.P;
  P.rows = P.cols = N;
  P.rowptr.assign(static_cast<size_t>(N) + 1, 0);
  P.col.reserve(static_cast<size_t>(nnz));
  P.val.reserve(static_cast<size_t>(nnz));
  // User rows: the self-loop (column u < U) first, then the items (columns U + i, ascending).
  for (int64_t u = 0; u < U; ++u) {
    P.col.push_back(static_cast<int32_t>(u));
    P.val.push_back(w(u, u));
    for (int32_t k = train.rowptr[u]; k < train.rowptr[u + 1]; ++k) {
      const int64_t src = U + train.col[k];
      P.col.push_back(static_cast<int32_t>(src));
      P.val.push_back(w(src, u));
    }
    P.rowptr[u + 1] = static_cast<int32_t>(P.col.size());
  }
  // Item rows: the users (ascending, all < U) first, then the self-loop.
  for (int64_t i = 0; i < I; ++i) {
    const int64_t dst = U + i;
    for (int32_t k = item_users.rowptr[i]; k < item_users.rowptr[i + 1]; ++k) {
      const int64_t src = item_users.col[k];
      P.col.push_back(static_cast<int32_t>(src));
      P.val.push_back(w(src, dst));
    }
    P.col.push_back(static_cast<int32_t>(dst));
    P.val.push_back(w(dst, dst));
    P.rowptr[dst + 1] = static_cast<int32_t>(P.col.size());
  }
  validate(P, "MIG-GT graph");
  g.Pt = transpose(P, &g.t2a);
  return g;
}

}  // namespace lethe::graph
