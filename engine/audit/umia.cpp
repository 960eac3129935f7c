// engine/audit/umia.cpp — see umia.h.
#include "engine/audit/umia.h"

#include <algorithm>
#include <cmath>

#include "engine/audit/audit_rng.h"
#include "engine/models/model.h"
#include "io/synth.h"

namespace lethe::audit {

UserGroups reserve_user_groups(const io::Dataset& ds, uint64_t seed, double fraction) {
  LETHE_CHECK(fraction > 0 && fraction < 0.5, "reserved user groups: the fraction must be in (0, 0.5)");
  std::vector<char> has(static_cast<size_t>(ds.n_users), 0);
  for (int32_t u : ds.train.user) has[static_cast<size_t>(u)] = 1;
  std::vector<std::pair<uint64_t, int32_t>> cand;
  for (int32_t u = 0; u < ds.n_users; ++u)
    if (has[static_cast<size_t>(u)]) cand.push_back({audit_key(seed, AuditStage::kGroups, 0, static_cast<uint64_t>(u)), u});
  if (cand.size() < 3)
    throw Error("the user-level membership audit reserves two groups of users, but only " + std::to_string(cand.size()) +
                " user(s) have train rows");
  std::sort(cand.begin(), cand.end());
  const size_t k = std::max<size_t>(1, static_cast<size_t>(std::llround(fraction * static_cast<double>(cand.size()))));
  UserGroups g;
  g.reserved.assign(static_cast<size_t>(ds.n_users), 0);
  for (size_t j = 0; j < 2 * k && j < cand.size(); ++j) {
    (j < k ? g.vectorisation : g.outsiders).push_back(cand[j].second);
    g.reserved[static_cast<size_t>(cand[j].second)] = 1;
  }
  std::sort(g.vectorisation.begin(), g.vectorisation.end());
  std::sort(g.outsiders.begin(), g.outsiders.end());
  return g;
}

io::Dataset keep_users(io::Dataset ds, const std::vector<char>& keep) {
  LETHE_CHECK(static_cast<int64_t>(keep.size()) == ds.n_users, "keep_users: one flag per user");
  for (io::Interactions* s : {&ds.train, &ds.valid, &ds.test}) {
    io::Interactions out;
    for (int64_t e = 0; e < s->size(); ++e)
      if (keep[static_cast<size_t>(s->user[static_cast<size_t>(e)])]) out.push(s->user[static_cast<size_t>(e)], s->item[static_cast<size_t>(e)]);
    *s = std::move(out);
  }
  std::vector<char> has(static_cast<size_t>(ds.n_users), 0);
  for (int32_t u : ds.train.user) has[static_cast<size_t>(u)] = 1;
  ds.users_without_train.clear();
  for (int32_t u = 0; u < ds.n_users; ++u)
    if (!has[static_cast<size_t>(u)]) ds.users_without_train.push_back(u);
  return ds;
}

io::Dataset hold_out_user_groups(io::Dataset& ds, uint64_t seed, UserGroups* groups, double fraction) {
  *groups = reserve_user_groups(ds, seed, fraction);
  io::Dataset all;
  all.name = ds.name;
  all.dir = ds.dir;
  all.n_users = ds.n_users;
  all.n_items = ds.n_items;
  all.train = ds.train;
  all.valid = ds.valid;
  all.test = ds.test;
  std::vector<char> keep(groups->reserved.size());
  for (size_t u = 0; u < keep.size(); ++u) keep[u] = !groups->reserved[u];
  ds = keep_users(std::move(ds), keep);
  return all;
}

std::vector<double> umia_item_vectors(const io::Dataset& ds, const std::vector<int32_t>& group, int rank, uint64_t seed) {
  std::vector<char> in(static_cast<size_t>(ds.n_users), 0);
  for (int32_t u : group) in[static_cast<size_t>(u)] = 1;
  io::Interactions rows;
  for (const io::Interactions* s : {&ds.train, &ds.valid, &ds.test})
    for (int64_t e = 0; e < s->size(); ++e)
      if (in[static_cast<size_t>(s->user[static_cast<size_t>(e)])]) rows.push(s->user[static_cast<size_t>(e)], s->item[static_cast<size_t>(e)]);
  const std::vector<double> ones(static_cast<size_t>(rows.size()), 1.0);
  std::vector<double> v = io::truncated_svd_items(ds.n_users, ds.n_items, rows, ones, rank, 0, seed);
  // One scale for all: root-mean-square length 1 over the items the group touched.
  std::vector<char> touched(static_cast<size_t>(ds.n_items), 0);
  for (int32_t i : rows.item) touched[static_cast<size_t>(i)] = 1;
  double ss = 0;
  int64_t n = 0;
  for (int32_t i = 0; i < ds.n_items; ++i) {
    if (!touched[static_cast<size_t>(i)]) continue;
    ++n;
    for (int c = 0; c < rank; ++c) ss += v[static_cast<size_t>(i) * rank + c] * v[static_cast<size_t>(i) * rank + c];
  }
  if (n > 0 && ss > 0) {
    const double s = 1.0 / std::sqrt(ss / static_cast<double>(n));
    for (double& x : v) x *= s;
  }
  return v;
}

void umia_feature(const std::vector<int32_t>& history, const int32_t* list, int K, const std::vector<double>& vectors,
                  int dim, double* out) {
  std::fill(out, out + dim, 0.0);
  if (!history.empty()) {
    const double w = 1.0 / static_cast<double>(history.size());
    for (int32_t i : history)
      for (int c = 0; c < dim; ++c) out[c] += w * vectors[static_cast<size_t>(i) * dim + c];
  }
  const double total = static_cast<double>(K) * (K + 1) / 2.0;
  for (int r = 1; r <= K; ++r) {
    const int32_t i = list[r - 1];
    if (i < 0) continue;
    const double w = static_cast<double>(K + 1 - r) / total;
    for (int c = 0; c < dim; ++c) out[c] -= w * vectors[static_cast<size_t>(i) * dim + c];
  }
}

// ---- the attack network ---------------------------------------------------------------------

UmiaMlp::UmiaMlp(int in, uint64_t seed) : dims_{in, 32, 8, 2}, seed_(seed) {
  LETHE_CHECK(in >= 1, "UmiaMlp: input width must be positive");
  for (size_t l = 0; l + 1 < dims_.size(); ++l) {
    const int a = dims_[l], b = dims_[l + 1];
    // Tensor ids 0xA0.. keep these draws apart from any model's.
    W_.push_back(linear_uniform(a, b, a, seed, 0xA0u + 2 * static_cast<uint32_t>(l)));
    b_.push_back(linear_uniform(1, b, a, seed, 0xA1u + 2 * static_cast<uint32_t>(l)));
  }
}

void UmiaMlp::forward(const double* x, std::vector<std::vector<double>>& act) const {
  const size_t L = W_.size();
  act.resize(L + 1);
  act[0].assign(x, x + dims_[0]);
  for (size_t l = 0; l < L; ++l) {
    const int a = dims_[l], b = dims_[l + 1];
    std::vector<double>& y = act[l + 1];
    y = b_[l];
    for (int i = 0; i < a; ++i) {
      const double xi = act[l][static_cast<size_t>(i)];
      if (xi == 0) continue;
      const double* w = &W_[l][static_cast<size_t>(i) * b];
      for (int j = 0; j < b; ++j) y[static_cast<size_t>(j)] += xi * w[j];
    }
    if (l + 1 < L)
      for (double& v : y) v = std::max(v, 0.0);
  }
}

double UmiaMlp::member_probability(const double* x) const {
  std::vector<std::vector<double>> act;
  forward(x, act);
  const std::vector<double>& z = act.back();
  return 1.0 / (1.0 + std::exp(z[0] - z[1]));  // softmax's member entry
}

std::vector<double> UmiaMlp::params() const {
  std::vector<double> p;
  for (size_t l = 0; l < W_.size(); ++l) {
    p.insert(p.end(), W_[l].begin(), W_[l].end());
    p.insert(p.end(), b_[l].begin(), b_[l].end());
  }
  return p;
}

void UmiaMlp::set_params(const std::vector<double>& p) {
  size_t at = 0;
  for (size_t l = 0; l < W_.size(); ++l) {
    LETHE_CHECK(at + W_[l].size() + b_[l].size() <= p.size(), "UmiaMlp::set_params: too few values");
    std::copy(p.begin() + static_cast<std::ptrdiff_t>(at), p.begin() + static_cast<std::ptrdiff_t>(at + W_[l].size()), W_[l].begin());
    at += W_[l].size();
    std::copy(p.begin() + static_cast<std::ptrdiff_t>(at), p.begin() + static_cast<std::ptrdiff_t>(at + b_[l].size()), b_[l].begin());
    at += b_[l].size();
  }
  LETHE_CHECK(at == p.size(), "UmiaMlp::set_params: too many values");
}

double UmiaMlp::loss(const double* X, const uint8_t* y, size_t n) const {
  std::vector<std::vector<double>> act;
  double sum = 0;
  for (size_t r = 0; r < n; ++r) {
    forward(X + r * static_cast<size_t>(dims_[0]), act);
    const std::vector<double>& z = act.back();
    const double m = std::max(z[0], z[1]);
    const double lse = m + std::log(std::exp(z[0] - m) + std::exp(z[1] - m));
    sum += lse - z[y[r] ? 1 : 0];
  }
  return n ? sum / static_cast<double>(n) : 0.0;
}

std::vector<double> UmiaMlp::gradient(const double* X, const uint8_t* y, size_t n) const {
  const size_t L = W_.size();
  std::vector<std::vector<double>> gW, gb, act, delta(L + 1);
  for (size_t l = 0; l < L; ++l) {
    gW.emplace_back(W_[l].size(), 0.0);
    gb.emplace_back(b_[l].size(), 0.0);
  }
  for (size_t r = 0; r < n; ++r) {
    forward(X + r * static_cast<size_t>(dims_[0]), act);
    const std::vector<double>& z = act[L];
    const double m = std::max(z[0], z[1]);
    const double e0 = std::exp(z[0] - m), e1 = std::exp(z[1] - m), p1 = e1 / (e0 + e1);
    delta[L] = {(1.0 - p1) - (y[r] ? 0.0 : 1.0), p1 - (y[r] ? 1.0 : 0.0)};  // softmax − one-hot
    for (size_t l = L; l-- > 0;) {
      const int a = dims_[l], bb = dims_[l + 1];
      const std::vector<double>& x = act[l];
      const std::vector<double>& d = delta[l + 1];
      for (int i = 0; i < a; ++i) {
        const double xi = x[static_cast<size_t>(i)];
        if (xi == 0) continue;
        double* g = &gW[l][static_cast<size_t>(i) * bb];
        for (int j = 0; j < bb; ++j) g[j] += xi * d[static_cast<size_t>(j)];
      }
      for (int j = 0; j < bb; ++j) gb[l][static_cast<size_t>(j)] += d[static_cast<size_t>(j)];
      if (l == 0) break;
      std::vector<double>& dp = delta[l];
      dp.assign(static_cast<size_t>(a), 0.0);
      for (int i = 0; i < a; ++i) {
        if (x[static_cast<size_t>(i)] <= 0) continue;  // ReLU's gate (x is post-ReLU)
        const double* w = &W_[l][static_cast<size_t>(i) * bb];
        double s = 0;
        for (int j = 0; j < bb; ++j) s += w[j] * d[static_cast<size_t>(j)];
        dp[static_cast<size_t>(i)] = s;
      }
    }
  }
  std::vector<double> g;
  const double inv = n ? 1.0 / static_cast<double>(n) : 0.0;
  for (size_t l = 0; l < L; ++l) {
    for (double v : gW[l]) g.push_back(v * inv);
    for (double v : gb[l]) g.push_back(v * inv);
  }
  return g;
}

double UmiaMlp::train(const std::vector<double>& X, const std::vector<uint8_t>& y, int epochs, double lr, double momentum,
                      int batch) {
  const size_t in = static_cast<size_t>(dims_[0]);
  LETHE_CHECK(X.size() == y.size() * in, "UmiaMlp::train: X is not n × in");
  LETHE_CHECK(epochs >= 1 && batch >= 1 && lr > 0, "UmiaMlp::train: bad schedule");
  const size_t n = y.size();
  if (n == 0) return AuditRow::kNaN;
  std::vector<double> theta = params(), vel(theta.size(), 0.0), bx;
  std::vector<uint8_t> by;
  for (int ep = 0; ep < epochs; ++ep) {
    std::vector<std::pair<uint64_t, size_t>> ord(n);
    for (size_t r = 0; r < n; ++r) ord[r] = {audit_key(seed_, AuditStage::kMlp, static_cast<uint32_t>(ep) + 1, r), r};
    std::sort(ord.begin(), ord.end());
    for (size_t b0 = 0; b0 < n; b0 += static_cast<size_t>(batch)) {
      const size_t b1 = std::min(n, b0 + static_cast<size_t>(batch));
      bx.clear();
      by.clear();
      for (size_t k = b0; k < b1; ++k) {
        const size_t r = ord[k].second;
        bx.insert(bx.end(), X.begin() + static_cast<std::ptrdiff_t>(r * in), X.begin() + static_cast<std::ptrdiff_t>((r + 1) * in));
        by.push_back(y[r]);
      }
      const std::vector<double> g = gradient(bx.data(), by.data(), by.size());
      for (size_t e = 0; e < theta.size(); ++e) {  // PyTorch's SGD: v ← μv + g, θ ← θ − lr·v
        vel[e] = momentum * vel[e] + g[e];
        theta[e] -= lr * vel[e];
      }
      set_params(theta);
    }
  }
  return loss(X.data(), y.data(), n);
}

// ---- the attack -----------------------------------------------------------------------------

void UmiaAttack::input(int32_t user, const int32_t* list, int K, double* out) const {
  umia_feature(history[static_cast<size_t>(user)], list, K, vectors, kUmiaRank, out);
  if (mean.empty()) return;
  for (int c = 0; c < kUmiaRank; ++c) out[c] = (out[c] - mean[static_cast<size_t>(c)]) / sd[static_cast<size_t>(c)];
}

std::vector<double> UmiaAttack::features(const TopLists& lists) const {
  std::vector<double> X(lists.size() * static_cast<size_t>(kUmiaRank));
  for (size_t r = 0; r < lists.size(); ++r) input(lists.users[r], lists.row(r), lists.K, &X[r * static_cast<size_t>(kUmiaRank)]);
  return X;
}

UmiaAttack build_umia_attack(const io::Dataset& full, const UserGroups& groups, const TopLists& shadow_lists,
                             const std::vector<char>& member, uint64_t seed) {
  UmiaAttack a;
  a.vectors = umia_item_vectors(full, groups.vectorisation, kUmiaRank, seed);
  a.history.assign(static_cast<size_t>(full.n_users), {});
  for (int64_t e = 0; e < full.train.size(); ++e)
    a.history[static_cast<size_t>(full.train.user[static_cast<size_t>(e)])].push_back(full.train.item[static_cast<size_t>(e)]);
  // The network's inputs are standardised with the shadow users' feature means and standard
  // deviations (one scaler, kept with the attack and applied to every model's users): x_u is a
  // difference of two centroids, small and unevenly spread over its 64 coordinates, and plain
  // SGD at lr 0.01 does not learn from such inputs in 20 epochs.
  std::vector<double> X = a.features(shadow_lists);
  const size_t n = shadow_lists.size();
  a.mean.assign(kUmiaRank, 0.0);
  a.sd.assign(kUmiaRank, 0.0);
  for (size_t r = 0; r < n; ++r)
    for (int c = 0; c < kUmiaRank; ++c) a.mean[static_cast<size_t>(c)] += X[r * kUmiaRank + static_cast<size_t>(c)] / static_cast<double>(n);
  for (size_t r = 0; r < n; ++r)
    for (int c = 0; c < kUmiaRank; ++c) {
      const double d = X[r * kUmiaRank + static_cast<size_t>(c)] - a.mean[static_cast<size_t>(c)];
      a.sd[static_cast<size_t>(c)] += d * d / static_cast<double>(n);
    }
  for (double& v : a.sd) v = v > 1e-300 ? std::sqrt(v) : 1.0;  // a constant coordinate is only centred
  for (size_t r = 0; r < n; ++r)
    for (int c = 0; c < kUmiaRank; ++c) {
      double& v = X[r * kUmiaRank + static_cast<size_t>(c)];
      v = (v - a.mean[static_cast<size_t>(c)]) / a.sd[static_cast<size_t>(c)];
    }
  std::vector<uint8_t> y(shadow_lists.size());
  for (size_t r = 0; r < y.size(); ++r) {
    y[r] = member[static_cast<size_t>(shadow_lists.users[r])] ? 1 : 0;
    (y[r] ? a.shadow_members : a.shadow_nonmembers) += 1;
  }
  a.mlp = std::make_unique<UmiaMlp>(kUmiaRank, seed);
  a.mlp->train(X, y);
  int64_t right = 0;
  for (size_t r = 0; r < y.size(); ++r)
    right += (a.mlp->member_probability(&X[r * static_cast<size_t>(kUmiaRank)]) >= 0.5) == (y[r] == 1);
  if (!y.empty()) a.shadow_train_accuracy = static_cast<double>(right) / static_cast<double>(y.size());
  return a;
}

UmiaResult evaluate_umia(const UmiaAttack& attack, const TopLists& lists, const std::vector<int32_t>& deleted,
                         const std::vector<int32_t>& outsiders, const std::vector<int32_t>& retained) {
  LETHE_CHECK(attack.mlp != nullptr, "evaluate_umia: the attack is not trained");
  std::vector<double> x(static_cast<size_t>(kUmiaRank));
  auto rate = [&](const std::vector<int32_t>& users, int64_t* count) {
    int64_t members = 0, n = 0;
    for (int32_t u : users) {
      const auto it = std::lower_bound(lists.users.begin(), lists.users.end(), u);
      LETHE_CHECK(it != lists.users.end() && *it == u, "evaluate_umia: no list for user " + std::to_string(u));
      const size_t r = static_cast<size_t>(it - lists.users.begin());
      attack.input(u, lists.row(r), lists.K, x.data());
      members += attack.mlp->member_probability(x.data()) >= 0.5;
      ++n;
    }
    *count = n;
    return n > 0 ? static_cast<double>(members) / static_cast<double>(n) : AuditRow::kNaN;
  };
  UmiaResult r;
  r.deleted_rate = rate(deleted, &r.deleted);
  r.outsider_rate = rate(outsiders, &r.outsiders);
  r.retained_rate = rate(retained, &r.retained);
  r.bacc = 0.5 * (r.retained_rate + 1.0 - r.outsider_rate);
  return r;
}

void put_umia(const UmiaResult& r, AuditRow& row) {
  row.audit["umia_deleted_rate"] = r.deleted_rate;
  row.audit["umia_outsider_rate"] = r.outsider_rate;
  row.audit["umia_retained_rate"] = r.retained_rate;
  row.audit["umia_bacc"] = r.bacc;
  row.audit["umia_deleted_users"] = static_cast<double>(r.deleted);
  row.audit["umia_outsiders"] = static_cast<double>(r.outsiders);
  row.audit["umia_retained_users"] = static_cast<double>(r.retained);
}

}  // namespace lethe::audit
