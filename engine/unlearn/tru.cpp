// engine/unlearn/tru.cpp — see tru.h.
#include "engine/unlearn/tru.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine/audit/tuning_signals.h"
#include "engine/ops.h"

namespace lethe::tru {

GateValues gate_values(Ctx& ctx, Tape& tape, const Tensor& user_emb, const Tensor& item_emb,
                       const std::vector<int32_t>& users, const std::vector<int32_t>& items,
                       const graph::HostCsr& full_train, const GateSettings& gs) {
  const int64_t B = static_cast<int64_t>(users.size()), I = item_emb.rows, d = item_emb.cols;
  GateValues gv;
  if (B == 0) return gv;
  const int K = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(gs.k, I)));
  const IdxTensor iu = tape.upload_idx(users), ii = tape.upload_idx(items);
  Tensor Ub = tape.alloc(B, d), Ib = tape.alloc(B, d), s = tape.alloc(B, 1);
  ops::gather_rows(ctx, user_emb, iu, Ub);
  ops::gather_rows(ctx, item_emb, ii, Ib);
  ops::rowdot(ctx, Ub, Ib, s);

  // t_u: K-th largest score over the items outside D(u), scored in row tiles of ≤ 16M entries.
  std::vector<int32_t> rp(static_cast<size_t>(B) + 1, 0), cols;
  for (int64_t b = 0; b < B; ++b) {
    const int32_t u = users[b];
    cols.insert(cols.end(), full_train.col.begin() + full_train.rowptr[u], full_train.col.begin() + full_train.rowptr[u + 1]);
    rp[b + 1] = static_cast<int32_t>(cols.size());
  }
  const IdxTensor drp = tape.upload_idx(rp), dcol = tape.upload_idx(cols);
  Csr excl;
  excl.rowptr = drp.data;
  excl.col = dcol.data;
  excl.rows = B;
  excl.cols = I;
  excl.nnz = static_cast<int64_t>(cols.size());
  const int64_t tile = std::max<int64_t>(1, std::min<int64_t>(B, (int64_t(1) << 24) / std::max<int64_t>(I, 1)));
  Tensor S = tape.alloc(tile, I), val = tape.alloc(B, K);
  IdxTensor idx = tape.alloc_idx(B * K);
  for (int64_t r0 = 0; r0 < B; r0 += tile) {
    const int64_t n = std::min(tile, B - r0);
    Tensor St = S.slice_rows(0, n);
    ops::gemm(ctx, false, true, 1.0, Ub.slice_rows(r0, n), item_emb, 0.0, St);
    ops::topk_rows(ctx, St, &excl, r0, K, Mat<int32_t>(idx.data + r0 * K, n, K), val.slice_rows(r0, n));
  }
  const std::vector<double> hs = s.to_host(ctx), hv = val.to_host(ctx);
  gv.std = score_std(ctx, tape, Ub, item_emb);
  gv.s = hs;
  gv.t.resize(static_cast<size_t>(B));
  gv.g.resize(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) {
    gv.t[b] = hv[static_cast<size_t>(b * K + K - 1)];
    const double T = std::max(gs.temp * gv.std[b], 1e-12);
    const double z = (gv.s[b] - gv.t[b]) / T;  // t = −∞ (fewer than K candidates) gives g = 1
    gv.g[b] = z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
  }
  return gv;
}

std::vector<double> score_std(Ctx& ctx, Tape& tape, const Tensor& Ub, const Tensor& item_emb) {
  const int64_t B = Ub.rows, I = item_emb.rows, d = item_emb.cols;
  if (B == 0) return {};
  Tensor C = tape.alloc(d, d), mu = tape.alloc(d, 1), ones = tape.alloc(I, 1), V = tape.alloc(B, d), q = tape.alloc(B, 1),
         m = tape.alloc(B, 1);
  ops::fill(ctx, ones, 1.0);
  ops::gemm(ctx, true, false, 1.0 / static_cast<double>(I), item_emb, item_emb, 0.0, C);
  ops::gemm(ctx, true, false, 1.0 / static_cast<double>(I), item_emb, ones, 0.0, mu);
  ops::gemm(ctx, false, false, 1.0, Ub, C, 0.0, V);
  ops::rowdot(ctx, V, Ub, q);
  ops::gemm(ctx, false, false, 1.0, Ub, mu, 0.0, m);
  const std::vector<double> hq = q.to_host(ctx), hm = m.to_host(ctx);
  std::vector<double> out(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) out[b] = std::sqrt(std::max(hq[b] - hm[b] * hm[b], 1e-12));
  return out;
}

std::map<int, double> layer_sqnorms(Ctx& ctx, const ParamStore& ps, const Tensor& grad) {
  const std::vector<double> seg = ops::segmented_sqnorm(ctx, grad, ps.offsets_device(), ps.count());
  std::map<int, double> out;
  for (int i = 0; i < ps.count(); ++i) out[ps.info(i).layer] += seg[static_cast<size_t>(i)];
  return out;
}

std::vector<double> branch_norms(Ctx& ctx, const ParamStore& ps, const Tensor& grad) {
  const std::vector<double> seg = ops::segmented_sqnorm(ctx, grad, ps.offsets_device(), ps.count());
  std::vector<double> out(ps.branches().size(), 0.0);
  for (int i = 0; i < ps.count(); ++i) out[static_cast<size_t>(ps.info(i).branch_id)] += seg[static_cast<size_t>(i)];
  for (double& v : out) v = std::sqrt(v);
  return out;
}

BranchScaler::BranchScaler(const ParamStore& ps, double gamma, double cmin, double cmax, double ema)
    : gamma_(gamma), cmin_(cmin), cmax_(cmax), ema_(ema), c_(ps.branches().size(), 1.0) {
  LETHE_CHECK(cmin > 0 && cmin <= cmax && ema >= 0 && ema < 1, "tru.scaling: need 0 < cmin <= cmax and 0 <= ema < 1");
}

const std::vector<double>& BranchScaler::update(Ctx& ctx, const ParamStore& ps, const Tensor& grad_forget) {
  norms_ = branch_norms(ctx, ps, grad_forget);
  double mean = 0;
  int n = 0;
  for (double g : norms_)
    if (g > 0 && std::isfinite(g)) { mean += g; ++n; }
  if (n == 0) return c_;
  mean /= n;
  for (size_t b = 0; b < c_.size(); ++b) {
    const double g = norms_[b];
    if (!(g > 0) || !std::isfinite(g)) continue;
    const double c_new = std::clamp(std::pow(mean / g, gamma_), cmin_, cmax_);
    c_[b] = started_ ? ema_ * c_[b] + (1.0 - ema_) * c_new : c_new;
  }
  started_ = true;
  return c_;
}

std::vector<float> BranchScaler::segment_scales(const ParamStore& ps) const {
  std::vector<float> s(static_cast<size_t>(ps.count()));
  for (int i = 0; i < ps.count(); ++i) s[static_cast<size_t>(i)] = static_cast<float>(c_[ps.info(i).branch_id]);
  return s;
}

LayerChoice choose_layers(const ParamStore& ps, const std::map<int, double>& fisher_f,
                          const std::map<int, double>& fisher_r, double kappa, int kmax, double alpha,
                          const std::vector<int>& always) {
  LayerChoice lc;
  for (const auto& p : ps.infos()) {
    if (!p.trainable) continue;  // BN running statistics: no gradient, no capacity
    lc.elements[p.layer] += p.numel();
    std::string& nm = lc.name[p.layer];
    nm += (nm.empty() ? "" : "+") + p.name;
  }
  double max_r = 0;
  for (const auto& [l, v] : fisher_r) max_r = std::max(max_r, v);
  const double eps = 1e-12 + 1e-9 * max_r;
  std::vector<int> order;
  for (const auto& [l, n] : lc.elements) {
    const double ff = fisher_f.count(l) ? fisher_f.at(l) : 0.0, fr = fisher_r.count(l) ? fisher_r.at(l) : 0.0;
    lc.fisher_f[l] = ff;
    lc.fisher_r[l] = fr;
    lc.score[l] = (ff / (fr + eps)) / std::pow(static_cast<double>(n), alpha);
    order.push_back(l);
  }
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return lc.score[a] > lc.score[b]; });
  auto forced = [&](int l) { return std::find(always.begin(), always.end(), l) != always.end(); };
  for (int l : order)
    if (forced(l)) lc.layers.push_back(l);
  const int n_forced = static_cast<int>(lc.layers.size());
  const double budget = kappa * static_cast<double>(ps.trainable_elements());
  double used = 0;
  for (int l : order) {
    if (forced(l)) continue;
    if (static_cast<int>(lc.layers.size()) - n_forced >= kmax || used >= budget) break;
    if (!(lc.score[l] > 0)) break;  // a layer the forget loss does not touch is never chosen
    lc.layers.push_back(l);
    used += static_cast<double>(lc.elements[l]);
  }
  return lc;
}

std::vector<uint8_t> layer_mask(const ParamStore& ps, const std::vector<int>& layers) {
  std::vector<uint8_t> m(static_cast<size_t>(ps.numel()), 0);
  for (const auto& p : ps.infos())
    if (p.trainable && std::find(layers.begin(), layers.end(), p.layer) != layers.end())
      std::fill(m.begin() + p.offset, m.begin() + p.offset + p.numel(), uint8_t{1});
  return m;
}

RowWeights row_weights(int32_t n_users, int32_t n_items, const io::Interactions& forget, const io::Interactions& train,
                       double power) {
  LETHE_CHECK(power >= 0 && std::isfinite(power), "tru.rows.power must be a finite number >= 0");
  std::vector<int64_t> fu(static_cast<size_t>(n_users), 0), fi(static_cast<size_t>(n_items), 0),
      tu(static_cast<size_t>(n_users), 0), ti(static_cast<size_t>(n_items), 0);
  for (int64_t k = 0; k < forget.size(); ++k) {
    ++fu[static_cast<size_t>(forget.user[k])];
    ++fi[static_cast<size_t>(forget.item[k])];
  }
  for (int64_t k = 0; k < train.size(); ++k) {
    ++tu[static_cast<size_t>(train.user[k])];
    ++ti[static_cast<size_t>(train.item[k])];
  }
  auto share = [power](int64_t f, int64_t t) {
    if (f == 0) return 0.0;
    LETHE_CHECK(t >= f, "tru rows: a forget row that is not a train row");
    return std::pow(static_cast<double>(f) / static_cast<double>(t), power);
  };
  RowWeights w;
  w.user.resize(static_cast<size_t>(n_users));
  w.item.resize(static_cast<size_t>(n_items));
  for (size_t u = 0; u < w.user.size(); ++u) w.user[u] = share(fu[u], tu[u]);
  for (size_t i = 0; i < w.item.size(); ++i) w.item[i] = share(fi[i], ti[i]);
  return w;
}

namespace {

// Each listed user's scores over every item, a tile of users at a time, on the host (float).
template <class F>
void for_user_scores(Ctx& ctx, const Tensor& user_emb, const Tensor& item_emb, const std::vector<int32_t>& users, F&& f) {
  const int64_t I = item_emb.rows, d = item_emb.cols, n = static_cast<int64_t>(users.size());
  const int64_t tile = std::max<int64_t>(1, std::min<int64_t>(n, (int64_t(1) << 22) / std::max<int64_t>(I, 1)));
  OwnedTensor Ub(ctx, item_emb.dtype, tile, d), S(ctx, item_emb.dtype, tile, I);
  for (int64_t r0 = 0; r0 < n; r0 += tile) {
    const int64_t m = std::min(tile, n - r0);
    const OwnedIdx idx(ctx, std::vector<int32_t>(users.begin() + r0, users.begin() + r0 + m));
    ops::gather_rows(ctx, user_emb, idx, Ub.t().slice_rows(0, m));
    ops::gemm(ctx, false, true, 1.0, Ub.t().slice_rows(0, m), item_emb, 0.0, S.t().slice_rows(0, m));
    const std::vector<double> h = S.t().slice_rows(0, m).to_host(ctx);
    for (int64_t r = 0; r < m; ++r) f(users[static_cast<size_t>(r0 + r)], h.data() + r * I);
  }
}

}  // namespace

MatchTargets match_targets(Ctx& ctx, const Tensor& user_emb, const Tensor& item_emb, const io::Interactions& forget,
                           const io::Interactions& unseen, const graph::HostCsr& retain, int strata) {
  LETHE_CHECK(strata >= 1, "tru.match.strata must be >= 1");
  const int64_t I = item_emb.rows, nf = forget.size(), nu = unseen.size();
  MatchTargets mt;
  mt.anchor.assign(static_cast<size_t>(nf), -1);
  mt.rank.assign(static_cast<size_t>(nf), 0);
  mt.target.assign(static_cast<size_t>(nf), 0);
  mt.unseen_pairs = nu;
  if (nf == 0) return mt;
  LETHE_CHECK(nu > 0, "tru.match: the population has no valid rows to match D_f's ranks to (a valid split is needed)");
  // The pairs of each user: forget pairs as k, unseen pairs as nf + k.
  std::map<int32_t, std::vector<int64_t>> by_user;
  for (int64_t k = 0; k < nf; ++k) by_user[forget.user[static_cast<size_t>(k)]].push_back(k);
  for (int64_t k = 0; k < nu; ++k) by_user[unseen.user[static_cast<size_t>(k)]].push_back(nf + k);
  std::vector<int32_t> users;
  for (const auto& [u, v] : by_user) users.push_back(u);
  auto item_of = [&](int64_t k) { return k < nf ? forget.item[static_cast<size_t>(k)] : unseen.item[static_cast<size_t>(k - nf)]; };

  // Ranks over the items outside D_r(u) (1 = best; the pair's own item is not counted).
  std::vector<int64_t> rank(static_cast<size_t>(nf + nu), 0);
  std::vector<char> masked(static_cast<size_t>(I), 0);
  auto mask_user = [&](int32_t u, char on) {
    for (int64_t e = retain.rowptr[u]; e < retain.rowptr[u + 1]; ++e) masked[static_cast<size_t>(retain.col[e])] = on;
  };
  for_user_scores(ctx, user_emb, item_emb, users, [&](int32_t u, const double* s) {
    mask_user(u, 1);
    for (int64_t k : by_user[u]) {
      const int32_t i = item_of(k);
      int64_t above = 0;
      for (int64_t j = 0; j < I; ++j) above += (!masked[static_cast<size_t>(j)] && j != i && s[j] > s[i]) ? 1 : 0;
      rank[static_cast<size_t>(k)] = above + 1;
    }
    mask_user(u, 0);
  });

  // Popularity strata at the quantiles of D_f's D_r train counts, as V's.
  std::vector<int64_t> pop(static_cast<size_t>(I), 0);
  for (int32_t c : retain.col) ++pop[static_cast<size_t>(c)];
  const std::vector<int64_t> edges = audit::popularity_edges(pop, forget.item, strata);
  const int nb = static_cast<int>(edges.size()) + 1;
  auto stratum = [&](int32_t i) { return audit::popularity_stratum(edges, pop[static_cast<size_t>(i)]); };
  // Unseen ranks per stratum (and pooled), weighted 1 / the user's unseen pairs.
  std::map<int32_t, int64_t> per_user;
  for (int64_t k = 0; k < nu; ++k) ++per_user[unseen.user[static_cast<size_t>(k)]];
  std::vector<std::vector<std::pair<int64_t, double>>> dist(static_cast<size_t>(nb) + 1);
  for (int64_t k = 0; k < nu; ++k) {
    const std::pair<int64_t, double> rw{rank[static_cast<size_t>(nf + k)],
                                        1.0 / static_cast<double>(per_user[unseen.user[static_cast<size_t>(k)]])};
    dist[static_cast<size_t>(stratum(unseen.item[static_cast<size_t>(k)]))].push_back(rw);
    dist[static_cast<size_t>(nb)].push_back(rw);
  }
  for (auto& d : dist) std::sort(d.begin(), d.end());
  auto quantile = [](const std::vector<std::pair<int64_t, double>>& d, double q) {
    double W = 0;
    for (const auto& [r, w] : d) W += w;
    double c = 0;
    for (const auto& [r, w] : d) {
      c += w;
      if (c >= q * W) return r;
    }
    return d.back().first;
  };
  // Within each stratum, D_f's pairs in rank order take the unseen distribution's quantiles.
  std::vector<std::vector<int64_t>> fin(static_cast<size_t>(nb));
  for (int64_t k = 0; k < nf; ++k) fin[static_cast<size_t>(stratum(forget.item[static_cast<size_t>(k)]))].push_back(k);
  for (int b = 0; b < nb; ++b) {
    std::vector<int64_t>& v = fin[static_cast<size_t>(b)];
    std::stable_sort(v.begin(), v.end(), [&](int64_t a, int64_t c) { return rank[static_cast<size_t>(a)] < rank[static_cast<size_t>(c)]; });
    const auto& d = dist[static_cast<size_t>(dist[static_cast<size_t>(b)].empty() ? nb : b)];
    for (size_t j = 0; j < v.size(); ++j)
      mt.target[static_cast<size_t>(v[j])] = quantile(d, (static_cast<double>(j) + 0.5) / static_cast<double>(v.size()));
  }
  for (int64_t k = 0; k < nf; ++k) mt.rank[static_cast<size_t>(k)] = rank[static_cast<size_t>(k)];

  // Anchors: the item at the target rank among the items outside D_r(u) and the pair's own item.
  // The scores are computed again rather than kept from the first pass: a GEMM tile is cheap, the
  // scores of every user involved are not small (users × items).
  std::vector<std::pair<double, int32_t>> cand;
  for_user_scores(ctx, user_emb, item_emb, users, [&](int32_t u, const double* s) {
    mask_user(u, 1);
    for (int64_t k : by_user[u]) {
      if (k >= nf) continue;
      const int32_t i = forget.item[static_cast<size_t>(k)];
      cand.clear();
      for (int32_t j = 0; j < static_cast<int32_t>(I); ++j)
        if (!masked[static_cast<size_t>(j)] && j != i) cand.emplace_back(s[j], j);
      if (cand.empty()) continue;
      const size_t at = static_cast<size_t>(std::min<int64_t>(mt.target[static_cast<size_t>(k)], static_cast<int64_t>(cand.size())) - 1);
      std::nth_element(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(at), cand.end(),
                       [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
      mt.anchor[static_cast<size_t>(k)] = cand[at].second;
    }
    mask_user(u, 0);
  });
  return mt;
}

}  // namespace lethe::tru
