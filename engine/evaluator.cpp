// engine/evaluator.cpp — see evaluator.h.
#include "engine/evaluator.h"

#include <algorithm>
#include <cmath>

#include "engine/ops.h"

namespace lethe {

double Metrics::get(const std::string& k) const {
  auto it = v.find(k);
  if (it == v.end()) LETHE_FAIL("metric '" + k + "' was not computed");
  return it->second;
}

double Metrics::exposure(int K) const {
  const double pairs = get("pairs@" + std::to_string(K));
  return pairs > 0 ? get("hits@" + std::to_string(K)) / pairs : 0.0;
}

namespace {

// Scores a contiguous block of users [u0, u0+n) against all items, masks, and takes the top-K;
// returns the K ids per user on the host (−1 padded).
std::vector<int32_t> tile_topk(Ctx& ctx, const Tensor& users, const Tensor& items, const DevCsr* mask, int64_t u0,
                               int64_t n, int K, Tensor& scores, Tensor& vals, Buffer& idx) {
  const int64_t I = items.rows;
  Tensor ut = users.slice_rows(u0, n);
  Tensor s = scores.slice_rows(0, n);
  ops::gemm(ctx, false, true, 1.0, ut, items, 0.0, s);
  const Csr m = mask ? mask->view() : Csr();
  Tensor v = vals.slice_rows(0, n);
  ops::topk_rows(ctx, s, mask ? &m : nullptr, u0, K, Mat<int32_t>(static_cast<int32_t*>(idx.data()), n, K), v);
  std::vector<int32_t> host(static_cast<size_t>(n * K));
  ctx.sync();
  idx.download(host.data(), host.size() * sizeof(int32_t));
  (void)I;
  return host;
}

}  // namespace

Metrics evaluate(Ctx& ctx, const Tensor& users, const Tensor& items, const EvalSpec& spec) {
  LETHE_CHECK(spec.truth != nullptr, "evaluate: no ground truth");
  LETHE_CHECK(users.cols == items.cols, "evaluate: user and item embeddings differ in width");
  const graph::HostCsr& gt = *spec.truth;
  LETHE_CHECK(gt.rows == users.rows && gt.cols == items.rows, "evaluate: ground truth is " +
                                                                  shape_str(gt.rows, gt.cols) + " for " +
                                                                  shape_str(users.rows, items.rows) + " scores");
  LETHE_CHECK(!spec.ks.empty(), "evaluate: no cut-offs");
  const int Kmax = static_cast<int>(*std::max_element(spec.ks.begin(), spec.ks.end()));
  LETHE_CHECK(Kmax >= 1 && Kmax <= 1024, "evaluate: K must be in [1, 1024]");
  const int64_t U = users.rows, I = items.rows;
  const int K = static_cast<int>(std::min<int64_t>(Kmax, std::max<int64_t>(I, 1)));
  const int64_t tile = std::max<int64_t>(1, std::min(spec.tile_users, U));

  std::vector<double> idcg(static_cast<size_t>(Kmax) + 1, 0.0);
  for (int k = 1; k <= Kmax; ++k) idcg[k] = idcg[k - 1] + 1.0 / std::log2(k + 1.0);

  const size_t nk = spec.ks.size();
  std::vector<double> rec(nk, 0), ndcg(nk, 0), prec(nk, 0), hits_tot(nk, 0), pairs_tot(nk, 0);
  int64_t n_users = 0;

  Buffer sbuf(ctx, static_cast<size_t>(tile * I) * dtype_size(users.dtype));
  Buffer vbuf(ctx, static_cast<size_t>(tile * K) * dtype_size(users.dtype));
  Buffer ibuf(ctx, static_cast<size_t>(tile * K) * sizeof(int32_t));
  Tensor scores(sbuf.data(), users.dtype, ctx.device(), tile, I), vals(vbuf.data(), users.dtype, ctx.device(), tile, K);

  std::vector<char> hit(static_cast<size_t>(K));
  for (int64_t u0 = 0; u0 < U; u0 += tile) {
    const int64_t n = std::min(tile, U - u0);
    bool any = false;
    for (int64_t u = u0; u < u0 + n && !any; ++u)
      any = gt.row_len(u) > 0 && !(spec.exclude_users && (*spec.exclude_users)[u]);
    if (!any) continue;
    const std::vector<int32_t> top = tile_topk(ctx, users, items, spec.mask, u0, n, K, scores, vals, ibuf);
    for (int64_t r = 0; r < n; ++r) {
      const int64_t u = u0 + r;
      const int64_t ng = gt.row_len(u);
      if (ng == 0 || (spec.exclude_users && (*spec.exclude_users)[u])) continue;
      ++n_users;
      for (int k = 0; k < K; ++k) {
        const int32_t it = top[static_cast<size_t>(r * K + k)];
        hit[k] = it >= 0 && graph::contains(gt, u, it);
      }
      for (size_t j = 0; j < nk; ++j) {
        const int64_t Kj = spec.ks[j];
        double h = 0, dcg = 0;
        for (int k = 0; k < std::min<int64_t>(Kj, K); ++k)
          if (hit[k]) { h += 1; dcg += 1.0 / std::log2(k + 2.0); }
        rec[j] += h / static_cast<double>(ng);
        ndcg[j] += dcg / idcg[static_cast<size_t>(std::min<int64_t>(ng, Kj))];
        prec[j] += h / static_cast<double>(Kj);
        hits_tot[j] += h;
        pairs_tot[j] += static_cast<double>(ng);
      }
    }
  }
  Metrics out;
  out.users = n_users;
  const double inv = n_users > 0 ? 1.0 / static_cast<double>(n_users) : 0.0;
  for (size_t j = 0; j < nk; ++j) {
    const std::string k = std::to_string(spec.ks[j]);
    out.v["recall@" + k] = rec[j] * inv;
    out.v["ndcg@" + k] = ndcg[j] * inv;
    out.v["precision@" + k] = prec[j] * inv;
    out.v["hits@" + k] = hits_tot[j];
    out.v["pairs@" + k] = pairs_tot[j];
  }
  return out;
}

void topk_lists(Ctx& ctx, const Tensor& users, const Tensor& items, const DevCsr* mask, int K,
                const std::vector<int32_t>& which, int64_t tile_users,
                const std::function<void(int32_t, const int32_t*, int)>& sink) {
  LETHE_CHECK(K >= 1 && K <= 1024, "topk_lists: K must be in [1, 1024]");
  const int64_t U = users.rows, I = items.rows;
  const int Ke = static_cast<int>(std::min<int64_t>(K, std::max<int64_t>(I, 1)));
  const int64_t tile = std::max<int64_t>(1, std::min(tile_users, U));
  std::vector<char> want(static_cast<size_t>(U), which.empty() ? 1 : 0);
  for (int32_t u : which) {
    LETHE_CHECK(u >= 0 && u < U, "topk_lists: user " + std::to_string(u) + " out of range");
    want[u] = 1;
  }
  Buffer sbuf(ctx, static_cast<size_t>(tile * I) * dtype_size(users.dtype));
  Buffer vbuf(ctx, static_cast<size_t>(tile * Ke) * dtype_size(users.dtype));
  Buffer ibuf(ctx, static_cast<size_t>(tile * Ke) * sizeof(int32_t));
  Tensor scores(sbuf.data(), users.dtype, ctx.device(), tile, I), vals(vbuf.data(), users.dtype, ctx.device(), tile, Ke);
  for (int64_t u0 = 0; u0 < U; u0 += tile) {
    const int64_t n = std::min(tile, U - u0);
    if (std::none_of(want.begin() + u0, want.begin() + u0 + n, [](char c) { return c != 0; })) continue;
    const std::vector<int32_t> top = tile_topk(ctx, users, items, mask, u0, n, Ke, scores, vals, ibuf);
    for (int64_t r = 0; r < n; ++r)
      if (want[u0 + r]) sink(static_cast<int32_t>(u0 + r), top.data() + r * Ke, Ke);
  }
}

}  // namespace lethe
