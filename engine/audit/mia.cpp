// engine/audit/mia.cpp — see mia.h.
#include "engine/audit/mia.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <unordered_set>

#include "engine/audit/audit_rng.h"
#include "graph/bipartite.h"

namespace lethe::audit {

namespace {

constexpr double kNaN = AuditRow::kNaN;

double sigmoid(double z) { return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z)); }
// log(1 + e^z) without overflow.
double log1pexp(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

// Cholesky solve of the SPD system A x = g (A n×n row-major, destroyed). False when A is not
// numerically positive definite.
bool cholesky_solve(std::vector<double>& A, int n, const std::vector<double>& g, std::vector<double>& x) {
  for (int j = 0; j < n; ++j) {
    double d = A[static_cast<size_t>(j * n + j)];
    for (int k = 0; k < j; ++k) d -= A[static_cast<size_t>(j * n + k)] * A[static_cast<size_t>(j * n + k)];
    if (!(d > 0)) return false;
    const double l = std::sqrt(d);
    A[static_cast<size_t>(j * n + j)] = l;
    for (int i = j + 1; i < n; ++i) {
      double s = A[static_cast<size_t>(i * n + j)];
      for (int k = 0; k < j; ++k) s -= A[static_cast<size_t>(i * n + k)] * A[static_cast<size_t>(j * n + k)];
      A[static_cast<size_t>(i * n + j)] = s / l;
    }
  }
  x = g;
  for (int i = 0; i < n; ++i) {  // L y = g
    for (int k = 0; k < i; ++k) x[i] -= A[static_cast<size_t>(i * n + k)] * x[k];
    x[i] /= A[static_cast<size_t>(i * n + i)];
  }
  for (int i = n - 1; i >= 0; --i) {  // Lᵀ x = y
    for (int k = i + 1; k < n; ++k) x[i] -= A[static_cast<size_t>(k * n + i)] * x[k];
    x[i] /= A[static_cast<size_t>(i * n + i)];
  }
  return true;
}

PairQuery pq(int32_t u, int32_t i) {
  PairQuery q;
  q.user = u;
  q.item = i;
  return q;
}

uint64_t pair_key(int32_t u, int32_t i) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(u)) << 32) | static_cast<uint32_t>(i);
}

// The indices 0..n−1 in the random order of (seed, stage, sub): sorted by their Philox keys.
std::vector<int64_t> random_order(int64_t n, uint64_t seed, AuditStage stage, uint32_t sub) {
  std::vector<std::pair<uint64_t, int64_t>> k(static_cast<size_t>(n));
  for (int64_t e = 0; e < n; ++e) k[static_cast<size_t>(e)] = {audit_key(seed, stage, sub, static_cast<uint64_t>(e)), e};
  std::sort(k.begin(), k.end());
  std::vector<int64_t> out(static_cast<size_t>(n));
  for (int64_t e = 0; e < n; ++e) out[static_cast<size_t>(e)] = k[static_cast<size_t>(e)].second;
  return out;
}

// The first `take` rows of `rows` (in the random order of (seed, stage, sub)) as pairs.
std::vector<PairQuery> sample_rows(const io::Interactions& rows, int64_t take, uint64_t seed, AuditStage stage,
                                   uint32_t sub) {
  const std::vector<int64_t> ord = random_order(rows.size(), seed, stage, sub);
  std::vector<PairQuery> out;
  for (int64_t k = 0; k < std::min<int64_t>(take, rows.size()); ++k) {
    const size_t e = static_cast<size_t>(ord[static_cast<size_t>(k)]);
    out.push_back(pq(rows.user[e], rows.item[e]));
  }
  return out;
}

}  // namespace

// ---- statistics ---------------------------------------------------------------------------

double auc_mann_whitney(const std::vector<double>& score, const std::vector<uint8_t>& label) {
  LETHE_CHECK(score.size() == label.size(), "auc_mann_whitney: scores and labels differ in length");
  const size_t n = score.size();
  std::vector<size_t> ord(n);
  std::iota(ord.begin(), ord.end(), 0);
  std::stable_sort(ord.begin(), ord.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
  double rank_sum = 0;  // of the positives, 1-based average ranks
  int64_t n1 = 0;
  for (size_t a = 0; a < n;) {
    size_t b = a;
    while (b + 1 < n && score[ord[b + 1]] == score[ord[a]]) ++b;
    const double avg = 0.5 * (static_cast<double>(a + 1) + static_cast<double>(b + 1));
    for (size_t k = a; k <= b; ++k)
      if (label[ord[k]]) rank_sum += avg;
    a = b + 1;
  }
  for (uint8_t l : label) n1 += l ? 1 : 0;
  const int64_t n0 = static_cast<int64_t>(n) - n1;
  if (n1 == 0 || n0 == 0) return kNaN;
  const double u = rank_sum - static_cast<double>(n1) * (static_cast<double>(n1) + 1.0) / 2.0;
  return u / (static_cast<double>(n1) * static_cast<double>(n0));
}

double balanced_accuracy(const std::vector<double>& prob, const std::vector<uint8_t>& label, double threshold) {
  LETHE_CHECK(prob.size() == label.size(), "balanced_accuracy: probabilities and labels differ in length");
  int64_t tp = 0, pos = 0, tn = 0, neg = 0;
  for (size_t k = 0; k < prob.size(); ++k) {
    const bool yes = prob[k] >= threshold;
    if (label[k]) { ++pos; tp += yes; }
    else { ++neg; tn += !yes; }
  }
  if (pos == 0 || neg == 0) return kNaN;
  return 0.5 * (static_cast<double>(tp) / static_cast<double>(pos) + static_cast<double>(tn) / static_cast<double>(neg));
}

double null_se_auc(int64_t n1, int64_t n2) {
  if (n1 <= 0 || n2 <= 0) return kNaN;
  const double a = static_cast<double>(n1), b = static_cast<double>(n2);
  return std::sqrt((a + b + 1.0) / (12.0 * a * b));
}

double null_se_bacc(int64_t n1, int64_t n2) {
  if (n1 <= 0 || n2 <= 0) return kNaN;
  return 0.25 * std::sqrt(1.0 / static_cast<double>(n1) + 1.0 / static_cast<double>(n2));
}

// ---- logistic regression ------------------------------------------------------------------

double Logistic::decision(const double* x) const {
  double z = b;
  for (size_t j = 0; j < w.size(); ++j) z += w[j] * x[j];
  return z;
}

Logistic fit_logistic(const std::vector<double>& X, int d, const std::vector<uint8_t>& y, double l2) {
  LETHE_CHECK(d >= 1 && X.size() == y.size() * static_cast<size_t>(d), "fit_logistic: X is not n×d");
  LETHE_CHECK(l2 >= 0, "fit_logistic: negative L2 weight");
  const size_t n = y.size();
  const int p = d + 1;  // weights, then the intercept
  Logistic m;
  m.w.assign(static_cast<size_t>(d), 0.0);
  if (n == 0) return m;
  const double inv = 1.0 / static_cast<double>(n);
  std::vector<double> theta(static_cast<size_t>(p), 0.0);
  auto objective = [&](const std::vector<double>& t) {
    double f = 0;
    for (size_t r = 0; r < n; ++r) {
      double z = t[static_cast<size_t>(d)];
      for (int j = 0; j < d; ++j) z += t[static_cast<size_t>(j)] * X[r * static_cast<size_t>(d) + static_cast<size_t>(j)];
      f += log1pexp(z) - (y[r] ? z : 0.0);
    }
    double reg = 0;
    for (int j = 0; j < d; ++j) reg += t[static_cast<size_t>(j)] * t[static_cast<size_t>(j)];
    return f * inv + 0.5 * l2 * reg;
  };
  double f = objective(theta);
  std::vector<double> g(static_cast<size_t>(p)), H(static_cast<size_t>(p) * p), step, cand(static_cast<size_t>(p));
  std::vector<double> xr(static_cast<size_t>(p));
  for (int it = 0; it < 100; ++it) {
    std::fill(g.begin(), g.end(), 0.0);
    std::fill(H.begin(), H.end(), 0.0);
    for (size_t r = 0; r < n; ++r) {
      for (int j = 0; j < d; ++j) xr[static_cast<size_t>(j)] = X[r * static_cast<size_t>(d) + static_cast<size_t>(j)];
      xr[static_cast<size_t>(d)] = 1.0;
      double z = 0;
      for (int j = 0; j < p; ++j) z += theta[static_cast<size_t>(j)] * xr[static_cast<size_t>(j)];
      const double pr = sigmoid(z), wgt = pr * (1.0 - pr), res = pr - (y[r] ? 1.0 : 0.0);
      for (int a = 0; a < p; ++a) {
        g[static_cast<size_t>(a)] += res * xr[static_cast<size_t>(a)];
        for (int b = 0; b <= a; ++b) H[static_cast<size_t>(a * p + b)] += wgt * xr[static_cast<size_t>(a)] * xr[static_cast<size_t>(b)];
      }
    }
    for (int a = 0; a < p; ++a) {
      g[static_cast<size_t>(a)] *= inv;
      for (int b = 0; b <= a; ++b) {
        H[static_cast<size_t>(a * p + b)] *= inv;
        H[static_cast<size_t>(b * p + a)] = H[static_cast<size_t>(a * p + b)];
      }
    }
    for (int j = 0; j < d; ++j) {
      g[static_cast<size_t>(j)] += l2 * theta[static_cast<size_t>(j)];
      H[static_cast<size_t>(j * p + j)] += l2;
    }
    // Solve H s = g; a tiny ridge rescues a (numerically) singular intercept direction, as
    // when the classes separate perfectly and every p(1 − p) underflows.
    double ridge = 0;
    for (;;) {
      std::vector<double> A = H;
      for (int a = 0; a < p; ++a) A[static_cast<size_t>(a * p + a)] += ridge;
      if (cholesky_solve(A, p, g, step)) break;
      ridge = ridge == 0 ? 1e-12 : ridge * 100;
      LETHE_CHECK(ridge < 1e6, "fit_logistic: the Hessian cannot be factorised");
    }
    double decrement = 0;
    for (int a = 0; a < p; ++a) decrement += g[static_cast<size_t>(a)] * step[static_cast<size_t>(a)];
    m.iterations = it + 1;
    if (decrement / 2 < 1e-14) break;
    // Backtracking (Armijo) line search along −step.
    double t = 1.0, fc = f;
    bool moved = false;
    for (int ls = 0; ls < 60; ++ls, t *= 0.5) {
      for (int a = 0; a < p; ++a) cand[static_cast<size_t>(a)] = theta[static_cast<size_t>(a)] - t * step[static_cast<size_t>(a)];
      fc = objective(cand);
      if (fc <= f - 1e-4 * t * decrement) { moved = true; break; }
    }
    if (!moved) break;
    theta = cand;
    f = fc;
  }
  for (int j = 0; j < d; ++j) m.w[static_cast<size_t>(j)] = theta[static_cast<size_t>(j)];
  m.b = theta[static_cast<size_t>(d)];
  return m;
}

std::vector<uint8_t> stratified_half(const std::vector<uint8_t>& label, uint64_t seed, uint32_t r) {
  std::vector<uint8_t> train(label.size(), 0);
  for (int cls = 0; cls < 2; ++cls) {
    std::vector<std::pair<uint64_t, size_t>> k;
    for (size_t e = 0; e < label.size(); ++e)
      if ((label[e] != 0) == (cls == 1)) k.push_back({audit_key(seed, AuditStage::kSplit, r, e), e});
    std::sort(k.begin(), k.end());
    for (size_t j = 0; j < k.size() / 2; ++j) train[k[j].second] = 1;
  }
  return train;
}

AttackStats run_attack(const std::vector<double>& X, int d, const std::vector<uint8_t>& label, uint64_t seed, int splits,
                       double l2) {
  LETHE_CHECK(d >= 1 && X.size() == label.size() * static_cast<size_t>(d), "run_attack: X is not n×d");
  LETHE_CHECK(splits >= 1, "run_attack: at least one split");
  AttackStats st;
  for (uint8_t l : label) (l ? st.n_pos : st.n_neg) += 1;
  if (st.n_pos < 2 || st.n_neg < 2) return st;  // nothing to train or test on
  const size_t n = label.size();
  for (int r = 0; r < splits; ++r) {
    const std::vector<uint8_t> tr = stratified_half(label, seed, static_cast<uint32_t>(r));
    // z-scores from the training half (population sd; a constant feature is only centred).
    std::vector<double> mean(static_cast<size_t>(d), 0.0), sd(static_cast<size_t>(d), 0.0);
    size_t ntr = 0;
    for (size_t e = 0; e < n; ++e)
      if (tr[e]) {
        ++ntr;
        for (int j = 0; j < d; ++j) mean[static_cast<size_t>(j)] += X[e * static_cast<size_t>(d) + static_cast<size_t>(j)];
      }
    for (double& m : mean) m /= static_cast<double>(ntr);
    for (size_t e = 0; e < n; ++e)
      if (tr[e])
        for (int j = 0; j < d; ++j) {
          const double v = X[e * static_cast<size_t>(d) + static_cast<size_t>(j)] - mean[static_cast<size_t>(j)];
          sd[static_cast<size_t>(j)] += v * v;
        }
    for (int j = 0; j < d; ++j) {
      double& s = sd[static_cast<size_t>(j)];
      s = std::sqrt(s / static_cast<double>(ntr));
      if (!(s > 1e-12 * (std::fabs(mean[static_cast<size_t>(j)]) + 1e-300))) s = 1.0;
    }
    std::vector<double> Xtr, Xte;
    std::vector<uint8_t> ytr, yte;
    for (size_t e = 0; e < n; ++e) {
      std::vector<double>& dst = tr[e] ? Xtr : Xte;
      for (int j = 0; j < d; ++j)
        dst.push_back((X[e * static_cast<size_t>(d) + static_cast<size_t>(j)] - mean[static_cast<size_t>(j)]) / sd[static_cast<size_t>(j)]);
      (tr[e] ? ytr : yte).push_back(label[e]);
    }
    const Logistic lr = fit_logistic(Xtr, d, ytr, l2);
    std::vector<double> z(yte.size()), p(yte.size());
    for (size_t e = 0; e < yte.size(); ++e) {
      z[e] = lr.decision(&Xte[e * static_cast<size_t>(d)]);
      p[e] = sigmoid(z[e]);
    }
    st.auc_by_split.push_back(auc_mann_whitney(z, yte));
    st.bacc_by_split.push_back(balanced_accuracy(p, yte, 0.5));
    if (r == 0) {
      for (uint8_t l : yte) (l ? st.test_pos : st.test_neg) += 1;
      st.se_auc = null_se_auc(st.test_pos, st.test_neg);
      st.se_bacc = null_se_bacc(st.test_pos, st.test_neg);
    }
  }
  st.auc = stat_of(st.auc_by_split);
  st.bacc = stat_of(st.bacc_by_split);
  return st;
}

// ---- features -----------------------------------------------------------------------------

void family_a_features(const PairStats& p, double* out) {
  out[0] = p.score;
  out[1] = sigmoid(p.score);
  out[2] = p.percentile;
  out[3] = p.score - p.row_mean;
  out[4] = p.score - p.threshold;
}

void family_b_features(double s0, double s1, double* out) {
  out[0] = s0;
  out[1] = s1;
  out[2] = s0 - s1;
  out[3] = std::fabs(s0 - s1);
  out[4] = s0 / (std::fabs(s1) + 1e-8);
  out[5] = s0 + s1;
  out[6] = s0 * s1;
  out[7] = sigmoid(s0);
  out[8] = sigmoid(s1);
  out[9] = sigmoid(s0) - sigmoid(s1);
  out[10] = (s0 - s1) / (std::fabs(s0) + 1e-8);
}

// ---- the plan -----------------------------------------------------------------------------

io::Regime effective_regime(const io::Dataset& ds, const io::ForgetSplit& split, io::Regime regime) {
  if (regime != io::Regime::kExplicit) return regime;
  std::vector<char> du(static_cast<size_t>(ds.n_users), 0), di(static_cast<size_t>(ds.n_items), 0);
  for (int32_t u : split.deleted_users) du[static_cast<size_t>(u)] = 1;
  for (int32_t i : split.deleted_items) di[static_cast<size_t>(i)] = 1;
  bool all_u = split.deleted_items.empty() && !split.deleted_users.empty();
  bool all_i = split.deleted_users.empty() && !split.deleted_items.empty();
  for (int64_t e = 0; e < split.forget.size(); ++e) {
    all_u = all_u && du[static_cast<size_t>(split.forget.user[static_cast<size_t>(e)])];
    all_i = all_i && di[static_cast<size_t>(split.forget.item[static_cast<size_t>(e)])];
  }
  return all_u ? io::Regime::kUser : all_i ? io::Regime::kItem : io::Regime::kInteraction;
}

MiaPlan make_mia_plan(const io::Dataset& ds, const io::ForgetSplit& split, io::Regime regime, uint64_t seed,
                      const MiaOptions& opt) {
  LETHE_CHECK(opt.max_members >= 1 && opt.splits >= 1, "membership audit: bad options");
  MiaPlan p;
  p.seed = seed;
  p.opt = opt;
  const int64_t n = std::min<int64_t>(split.forget.size(), opt.max_members);
  p.members = sample_rows(split.forget, n, seed, AuditStage::kMembers, 0);

  regime = effective_regime(ds, split, regime);
  // Family A: unseen positives of the same population.
  if (regime == io::Regime::kUser || regime == io::Regime::kItem) {
    const bool by_user = regime == io::Regime::kUser;
    std::vector<char> del(static_cast<size_t>(by_user ? ds.n_users : ds.n_items), 0);
    for (int32_t x : by_user ? split.deleted_users : split.deleted_items) del[static_cast<size_t>(x)] = 1;
    auto rows_of = [&](const io::Interactions& s) {
      io::Interactions out;
      for (int64_t e = 0; e < s.size(); ++e)
        if (del[static_cast<size_t>(by_user ? s.user[static_cast<size_t>(e)] : s.item[static_cast<size_t>(e)])])
          out.push(s.user[static_cast<size_t>(e)], s.item[static_cast<size_t>(e)]);
      return out;
    };
    const io::Interactions& unseen = opt.unseen_from_valid ? ds.valid : ds.test;
    const std::string split_name = opt.unseen_from_valid ? "valid" : "test";
    std::vector<PairQuery> nm = sample_rows(rows_of(unseen), n, seed, AuditStage::kNonmembersA, 0);
    p.a_population = split_name + (by_user ? " rows of the deleted users" : " rows of the deleted items");
    if (!by_user && !opt.unseen_from_valid && static_cast<int64_t>(nm.size()) < n) {  // item regime: padded with valid rows
      const std::vector<PairQuery> pad =
          sample_rows(rows_of(ds.valid), n - static_cast<int64_t>(nm.size()), seed, AuditStage::kNonmembersA, 1);
      nm.insert(nm.end(), pad.begin(), pad.end());
      if (!pad.empty()) p.a_population += ", padded with their valid rows";
    }
    const size_t m = std::min(nm.size(), p.members.size());  // balanced classes: M's first draws
    p.a_members.assign(p.members.begin(), p.members.begin() + static_cast<std::ptrdiff_t>(m));
    p.a_nonmembers.assign(nm.begin(), nm.begin() + static_cast<std::ptrdiff_t>(m));
  } else {
    // Per user: as many test rows as the user has pairs in M (when it has that many), and the
    // same number of its M pairs, so both classes come from the same users in the same
    // proportions.
    std::map<int32_t, int64_t> want;
    for (const auto& q : p.members) ++want[q.user];
    const io::Interactions& unseen = opt.unseen_from_valid ? ds.valid : ds.test;
    const std::vector<int64_t> ord = random_order(unseen.size(), seed, AuditStage::kNonmembersA, 0);
    std::map<int32_t, int64_t> got;
    for (int64_t k : ord) {
      const int32_t u = unseen.user[static_cast<size_t>(k)];
      auto w = want.find(u);
      if (w == want.end() || got[u] >= w->second) continue;
      ++got[u];
      p.a_nonmembers.push_back(pq(u, unseen.item[static_cast<size_t>(k)]));
    }
    std::map<int32_t, int64_t> used;
    for (const auto& q : p.members)
      if (used[q.user] < got[q.user]) {
        ++used[q.user];
        p.a_members.push_back(q);
      }
    p.a_population = std::string(opt.unseen_from_valid ? "valid" : "test") +
                     " rows of the users with forget pairs, per user as many as its pairs in the member sample";
  }

  // Family B: random unobserved pairs (not in train), up to 5n draws.
  {
    std::vector<int32_t> users;
    std::vector<char> has(static_cast<size_t>(ds.n_users), 0);
    for (int32_t u : ds.train.user) has[static_cast<size_t>(u)] = 1;
    for (int32_t u = 0; u < ds.n_users; ++u)
      if (has[static_cast<size_t>(u)]) users.push_back(u);
    std::unordered_set<uint64_t> train, taken;
    for (int64_t e = 0; e < ds.train.size(); ++e)
      train.insert(pair_key(ds.train.user[static_cast<size_t>(e)], ds.train.item[static_cast<size_t>(e)]));
    for (int64_t k = 0; k < 5 * n && static_cast<int64_t>(p.b_nonmembers.size()) < n && !users.empty() && ds.n_items > 0; ++k) {
      const U32x4 r = audit_draw(seed, AuditStage::kNonmembersB, 0, static_cast<uint64_t>(k));
      const int32_t u = users[below(r.v[0], static_cast<uint32_t>(users.size()))];
      const int32_t i = static_cast<int32_t>(below(r.v[1], static_cast<uint32_t>(ds.n_items)));
      const uint64_t key = pair_key(u, i);
      if (train.count(key) || !taken.insert(key).second) continue;
      p.b_nonmembers.push_back(pq(u, i));
    }
  }
  // Family C: retained train pairs, one sample per resample.
  for (int r = 0; r < opt.splits; ++r)
    p.c_retained.push_back(sample_rows(split.retain, n, seed, AuditStage::kRetainedC, static_cast<uint32_t>(r)));

  auto append = [&](const std::vector<PairQuery>& v) {
    const size_t at = p.queries.size();
    p.queries.insert(p.queries.end(), v.begin(), v.end());
    return at;
  };
  p.at_members = append(p.members);
  p.at_a_members = append(p.a_members);
  p.at_a_nonmembers = append(p.a_nonmembers);
  p.at_b = append(p.b_nonmembers);
  for (const auto& c : p.c_retained) p.at_c.push_back(append(c));
  return p;
}

// ---- evaluation ---------------------------------------------------------------------------

AttackStats evaluate_family_a(const MiaPlan& plan, const PairStats* members, const PairStats* nonmembers) {
  const size_t m = plan.a_members.size();
  std::vector<double> X((2 * m) * kFamilyAFeatures);
  std::vector<uint8_t> y(2 * m);
  for (size_t k = 0; k < m; ++k) {
    family_a_features(members[k], &X[k * kFamilyAFeatures]);
    y[k] = 1;
    family_a_features(nonmembers[k], &X[(m + k) * kFamilyAFeatures]);
    y[m + k] = 0;
  }
  return run_attack(X, kFamilyAFeatures, y, plan.seed, plan.opt.splits, plan.opt.l2);
}

MiaResult evaluate_mia(const MiaPlan& plan, const std::vector<PairStats>& theta, const std::vector<PairStats>* theta0) {
  LETHE_CHECK(theta.size() == plan.queries.size(), "membership audit: statistics for another pair list");
  LETHE_CHECK(!theta0 || theta0->size() == plan.queries.size(), "membership audit: θ₀'s statistics for another pair list");
  MiaResult out;
  out.a = evaluate_family_a(plan, theta.data() + plan.at_a_members, theta.data() + plan.at_a_nonmembers);
  // B.
  if (theta0) {
    out.has_b = true;
    const size_t m = plan.members.size(), nb = plan.b_nonmembers.size();
    std::vector<double> X((m + nb) * kFamilyBFeatures);
    std::vector<uint8_t> y(m + nb);
    for (size_t k = 0; k < m; ++k) {
      const size_t q = plan.at_members + k;
      family_b_features((*theta0)[q].score, theta[q].score, &X[k * kFamilyBFeatures]);
      y[k] = 1;
    }
    for (size_t k = 0; k < nb; ++k) {
      const size_t q = plan.at_b + k;
      family_b_features((*theta0)[q].score, theta[q].score, &X[(m + k) * kFamilyBFeatures]);
      y[m + k] = 0;
    }
    // Another stream of split seeds than A's: the families are independent experiments.
    out.b = run_attack(X, kFamilyBFeatures, y, plan.seed ^ 0x5A5A5A5A5A5A5A5Aull, plan.opt.splits, plan.opt.l2);
  }
  // C.
  {
    std::vector<double> aucs;
    for (size_t r = 0; r < plan.c_retained.size(); ++r) {
      const size_t m = plan.members.size(), nc = plan.c_retained[r].size();
      std::vector<double> s(m + nc);
      std::vector<uint8_t> y(m + nc);
      for (size_t k = 0; k < m; ++k) { s[k] = theta[plan.at_members + k].score; y[k] = 0; }
      for (size_t k = 0; k < nc; ++k) { s[m + k] = theta[plan.at_c[r] + k].score; y[m + k] = 1; }
      aucs.push_back(auc_mann_whitney(s, y));
      out.c_n_forget = static_cast<int64_t>(m);
      out.c_n_retained = static_cast<int64_t>(nc);
    }
    out.c_auc = stat_of(aucs);
    out.c_se_auc = null_se_auc(out.c_n_forget, out.c_n_retained);
  }
  return out;
}

void put_mia(const MiaResult& m, AuditRow& row) {
  auto& a = row.audit;
  a["mia_a_auc"] = m.a.auc.mean;
  a["mia_a_auc_sd"] = m.a.auc.std;
  a["mia_a_bacc"] = m.a.bacc.mean;
  a["mia_a_bacc_sd"] = m.a.bacc.std;
  a["mia_a_se_auc"] = m.a.se_auc;
  a["mia_a_se_bacc"] = m.a.se_bacc;
  a["mia_a_n"] = static_cast<double>(m.a.n_pos);
  if (m.has_b) {
    a["mia_b_auc"] = m.b.auc.mean;
    a["mia_b_auc_sd"] = m.b.auc.std;
    a["mia_b_bacc"] = m.b.bacc.mean;
    a["mia_b_bacc_sd"] = m.b.bacc.std;
    a["mia_b_se_auc"] = m.b.se_auc;
    a["mia_b_se_bacc"] = m.b.se_bacc;
    a["mia_b_n_members"] = static_cast<double>(m.b.n_pos);
    a["mia_b_n_nonmembers"] = static_cast<double>(m.b.n_neg);
  }
  a["mia_c_auc"] = m.c_auc.mean;
  a["mia_c_auc_sd"] = m.c_auc.std;
  a["mia_c_se_auc"] = m.c_se_auc;
  a["mia_c_n"] = static_cast<double>(m.c_n_forget);
}

}  // namespace lethe::audit
