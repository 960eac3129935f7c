// engine/audit/tuning_signals.cpp — see tuning_signals.h.
#include "engine/audit/tuning_signals.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace lethe::audit {

namespace {

PairQuery pair_of(int32_t u, int32_t i) {
  PairQuery q;
  q.user = u;
  q.item = i;
  return q;
}

// Per-user Recall@20 of a list of pairs (grouped by user, in user order): hits / pairs.
std::map<int32_t, double> user_recalls(const std::vector<PairQuery>& q, const PairStats* st) {
  std::map<int32_t, std::pair<int64_t, int64_t>> hp;
  for (size_t k = 0; k < q.size(); ++k) {
    auto& [hits, n] = hp[q[k].user];
    hits += st[k].rank <= kAuditK ? 1 : 0;
    ++n;
  }
  std::map<int32_t, double> out;
  for (const auto& [u, c] : hp) out[u] = static_cast<double>(c.first) / static_cast<double>(c.second);
  return out;
}

// Mean and the squared standard error of the mean (sample variance / n; NaN below 2 values).
std::pair<double, double> mean_se2(const std::vector<double>& v) {
  if (v.empty()) return {Signals::kNaN, Signals::kNaN};
  double m = 0;
  for (double x : v) m += x;
  m /= static_cast<double>(v.size());
  if (v.size() < 2) return {m, Signals::kNaN};
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return {m, ss / static_cast<double>(v.size() - 1) / static_cast<double>(v.size())};
}

}  // namespace

io::Interactions unseen_population(const io::Dataset& ds, const io::ForgetSplit& split, io::Regime regime,
                                   bool untouched) {
  const bool by_item = regime == io::Regime::kItem;
  const bool flip = untouched && !by_item && regime != io::Regime::kUser;
  std::vector<char> in_pop(static_cast<size_t>(by_item ? ds.n_items : ds.n_users), flip ? 1 : 0);
  const std::vector<int32_t>& who = regime == io::Regime::kUser ? split.deleted_users
                                    : by_item                   ? split.deleted_items
                                                                : split.forget_users;
  for (int32_t x : who) in_pop[static_cast<size_t>(x)] = flip ? 0 : 1;
  if (flip)
    for (int32_t x : split.deleted_users) in_pop[static_cast<size_t>(x)] = 0;
  io::Interactions out;
  for (int64_t k = 0; k < ds.valid.size(); ++k) {
    const int32_t u = ds.valid.user[static_cast<size_t>(k)], i = ds.valid.item[static_cast<size_t>(k)];
    if (in_pop[static_cast<size_t>(by_item ? i : u)]) out.push(u, i);
  }
  return out;
}

std::vector<int64_t> popularity_edges(const std::vector<int64_t>& pop, const std::vector<int32_t>& forget_items, int strata) {
  std::vector<int64_t> fpop;
  for (int32_t i : forget_items) fpop.push_back(pop[static_cast<size_t>(i)]);
  std::sort(fpop.begin(), fpop.end());
  std::vector<int64_t> edges;  // stratum of a count c: the number of edges ≤ c
  for (int b = 1; b < strata && !fpop.empty(); ++b) {
    const int64_t e = fpop[static_cast<size_t>(static_cast<double>(b) / strata * static_cast<double>(fpop.size()))];
    if (edges.empty() || e > edges.back()) edges.push_back(e);
  }
  return edges;
}

TuningSettings tuning_settings(const Config& cfg) {
  TuningSettings ts;
  ts.utility = cfg.f64("unlearn.auto.utility");
  const std::string floor_users = cfg.str("unlearn.auto.floor_users");
  if (floor_users != "untouched" && floor_users != "retained")
    throw Error("unlearn.auto.floor_users must be untouched or retained, got '" + floor_users + "'");
  ts.floor_untouched = floor_users == "untouched";
  ts.parity_tol = cfg.f64("unlearn.auto.parity_tol");
  ts.parity_abs = cfg.f64("unlearn.auto.parity_abs");
  ts.z = cfg.f64("unlearn.auto.z");
  ts.strata = static_cast<int>(cfg.i64("unlearn.auto.strata"));
  const std::string pair_pop = cfg.str("unlearn.auto.pair_population");
  if (pair_pop != "forget" && pair_pop != "untouched")
    throw Error("unlearn.auto.pair_population must be forget or untouched, got '" + pair_pop + "'");
  ts.pair_untouched = pair_pop == "untouched";
  ts.pair_ratio = cfg.f64("unlearn.auto.pair_ratio");
  return ts;
}

TuningSignals::TuningSignals(Ctx& ctx, const io::Dataset& ds, const io::ForgetSplit& split, io::Regime regime,
                             uint64_t seed, const TuningSettings& ts, int64_t tile_users)
    : ts_(ts),
      regime_(effective_regime(ds, split, regime)),
      sp_([&] {
        SplitPatterns p = split_patterns(ds, split);
        p.test = p.valid;  // retain utility on the valid split
        return p;
      }()),
      aud_(ctx, sp_, {kAuditK}, tile_users),
      strata_(ts.strata) {
  LETHE_CHECK(ts.utility > 0 && ts.parity_tol >= 0 && ts.parity_abs >= 0 && ts.z > 0 && ts.strata >= 1 &&
                  ts.pair_ratio > 0,
              "tuning signals: bad settings");
  // The untouched users' V and the ratio apply to requests that delete pairs only.
  const bool pairs = regime_ != io::Regime::kUser && regime_ != io::Regime::kItem;
  untouched_ = pairs && ts.pair_untouched;
  ratio_ = pairs ? ts.pair_ratio : 1.0;
  MiaOptions mo;
  mo.unseen_from_valid = true;
  plan_ = make_mia_plan(ds, split, regime_, seed, mo);

  // V's population: valid rows of the deleted users / deleted items / users with (or without) forget pairs.
  std::vector<PairQuery> fq, vq;
  const io::Interactions unseen = unseen_population(ds, split, regime_, untouched_);
  for (int64_t k = 0; k < unseen.size(); ++k)
    vq.push_back(pair_of(unseen.user[static_cast<size_t>(k)], unseen.item[static_cast<size_t>(k)]));
  for (int64_t k = 0; k < split.forget.size(); ++k)
    fq.push_back(pair_of(split.forget.user[static_cast<size_t>(k)], split.forget.item[static_cast<size_t>(k)]));
  const char* who_name = regime_ == io::Regime::kUser   ? "the deleted users"
                    : regime_ == io::Regime::kItem ? "the deleted items"
                    : untouched_                   ? "the users who lose no pair"
                                                   : "the users with forget pairs";
  population_ = std::string("valid rows of ") + who_name;
  if (ratio_ != 1.0) population_ += " (target " + std::to_string(ratio_).substr(0, 6) + " × V)";
  queries_ = fq;
  at_v_ = queries_.size();
  queries_.insert(queries_.end(), vq.begin(), vq.end());
  at_u_ = queries_.size();
  const graph::HostCsr& uv = sp_.test;  // the retained users' valid rows
  for (int64_t u = 0; u < uv.rows; ++u) {
    if (!sp_.deleted_user.empty() && sp_.deleted_user[static_cast<size_t>(u)]) continue;
    for (int64_t e = uv.rowptr[u]; e < uv.rowptr[u + 1]; ++e) queries_.push_back(pair_of(static_cast<int32_t>(u), uv.col[e]));
  }
  at_a_ = queries_.size();
  // The floor's users: every retained user, or (floor_untouched) those who lose no row — when
  // none of those has a valid row, every retained user after all (said in floor_population()).
  floor_user_.assign(static_cast<size_t>(ds.n_users), 1);
  floor_population_ = "every retained user's valid rows";
  if (ts.floor_untouched) {
    std::vector<char> touched(static_cast<size_t>(ds.n_users), 0);
    for (int32_t u : split.forget_users) touched[static_cast<size_t>(u)] = 1;
    bool any = false;
    for (size_t k = at_u_; k < at_a_ && !any; ++k) any = !touched[static_cast<size_t>(queries_[k].user)];
    if (any) {
      for (size_t u = 0; u < touched.size(); ++u) floor_user_[u] = touched[u] ? 0 : 1;
      floor_population_ = "valid rows of the retained users who lose no row";
    } else {
      floor_population_ = "every retained user's valid rows (every one of them loses a row)";
    }
  }
  // Popularity strata matched to D_f (popularity_edges).
  std::vector<int64_t> pop(static_cast<size_t>(ds.n_items), 0);
  for (int32_t i : split.retain.item) ++pop[static_cast<size_t>(i)];
  const std::vector<int64_t> edges = popularity_edges(pop, split.forget.item, strata_);
  for (size_t k = 0; k < at_u_; ++k)
    pair_stratum_.push_back(popularity_stratum(edges, pop[static_cast<size_t>(queries_[k].item)]));
  std::map<int32_t, int64_t> nf, nv;  // pairs per user on each side
  for (size_t k = 0; k < at_u_; ++k) ++(k < at_v_ ? nf : nv)[queries_[k].user];
  for (size_t k = 0; k < at_u_; ++k) pair_weight_.push_back(1.0 / static_cast<double>((k < at_v_ ? nf : nv)[queries_[k].user]));
  queries_.insert(queries_.end(), plan_.a_members.begin(), plan_.a_members.end());
  queries_.insert(queries_.end(), plan_.a_nonmembers.begin(), plan_.a_nonmembers.end());
}

Signals TuningSignals::compute(const Tensor& users, const Tensor& items, std::map<int32_t, double>* keep_utility) const {
  ScoreRequest req;
  req.metrics = false;
  req.lists = false;
  req.pairs = &queries_;
  const ModelScores ms = aud_.score(users, items, req);
  Signals s;
  const std::vector<PairQuery> uq(queries_.begin() + static_cast<std::ptrdiff_t>(at_u_),
                                  queries_.begin() + static_cast<std::ptrdiff_t>(at_a_));
  const std::map<int32_t, double> ur = user_recalls(uq, ms.pairs.data() + at_u_);
  {
    std::vector<double> all, x, dx;
    for (const auto& [u, r] : ur) {
      all.push_back(r);
      if (!floor_user_[static_cast<size_t>(u)]) continue;
      x.push_back(r);
      const auto it = utility0_.find(u);
      if (it != utility0_.end()) dx.push_back(r - it->second);
    }
    s.utility = mean_se2(x).first;
    s.utility_retained = mean_se2(all).first;
    if (!utility0_.empty()) s.utility_se = std::sqrt(mean_se2(dx).second);
    if (keep_utility) *keep_utility = ur;
  }

  // Forget parity: D_f's per-user Recall@20 against the population's valid pairs, each pair
  // weighted 1 / (its user's pairs on its side) so that every user counts once, as in a per-user
  // Recall; the valid side reweighted stratum by stratum to the popularity mix of D_f.
  const size_t B = static_cast<size_t>(strata_);
  std::vector<double> fw(B, 0), fhw(B, 0), vw(B, 0), vhw(B, 0);
  for (size_t k = 0; k < at_u_; ++k) {
    const double h = ms.pairs[k].rank <= kAuditK ? 1.0 : 0.0, w = pair_weight_[k];
    const size_t b = static_cast<size_t>(pair_stratum_[k]);
    (k < at_v_ ? fw : vw)[b] += w;
    (k < at_v_ ? fhw : vhw)[b] += w * h;
  }
  std::vector<double> fvar(B, 0), vvar(B, 0);  // Σ w²(h − mean)² per stratum
  for (size_t k = 0; k < at_u_; ++k) {
    const size_t b = static_cast<size_t>(pair_stratum_[k]);
    const bool f = k < at_v_;
    const double tot = (f ? fw : vw)[b];
    if (!(tot > 0)) continue;
    const double mean = (f ? fhw : vhw)[b] / tot, h = ms.pairs[k].rank <= kAuditK ? 1.0 : 0.0, w = pair_weight_[k];
    (f ? fvar : vvar)[b] += w * w * (h - mean) * (h - mean);
  }
  double mass = 0, fs = 0, vs = 0, var = 0;
  for (size_t b = 0; b < B; ++b)
    if (fw[b] > 0 && vw[b] > 0) mass += fw[b];
  for (size_t b = 0; b < B && mass > 0; ++b) {
    if (!(fw[b] > 0 && vw[b] > 0)) continue;
    const double pi = fw[b] / mass;
    fs += pi * fhw[b] / fw[b];
    vs += pi * vhw[b] / vw[b];
    var += pi * pi * (fvar[b] / (fw[b] * fw[b]) + ratio_ * ratio_ * vvar[b] / (vw[b] * vw[b]));
  }
  s.parity_users = static_cast<int64_t>(std::llround(mass));
  if (mass > 0) {
    s.forget = fs;
    s.valid = vs;
    s.target = ratio_ * vs;
    s.parity_se = std::sqrt(var);
    s.parity_band = std::max({ts_.parity_tol * s.target, ts_.parity_abs, ts_.z * s.parity_se});
    s.parity_ok = std::fabs(s.forget - s.target) <= s.parity_band;
  }

  const size_t m = plan_.a_members.size();
  if (m > 0) {
    const AttackStats a = evaluate_family_a(plan_, ms.pairs.data() + at_a_, ms.pairs.data() + at_a_ + m);
    s.mia_auc = a.auc.mean;
    s.mia_se = a.se_auc;
    s.mia_n = a.n_pos;
    s.mia_ok = std::fabs(s.mia_auc - 0.5) <= ts_.z * s.mia_se;
  } else {
    s.mia_ok = true;  // no pair to attack: the signal cannot object
  }
  s.parity_dev = std::isnan(s.parity_band) ? 0.0 : std::fabs(s.forget - s.target) / s.parity_band;
  s.mia_dev = m > 0 && s.mia_se > 0 ? std::fabs(s.mia_auc - 0.5) / (ts_.z * s.mia_se) : 0.0;
  s.distance = std::max(s.parity_dev, s.mia_dev);
  if (std::isnan(s.parity_band)) s.parity_ok = true;  // no D_f row with a valid counterpart: nothing to compare
  s.floor_ok = !std::isnan(floor_) && s.utility >= floor_;
  return s;
}

Signals TuningSignals::measure_reference(const Tensor& users, const Tensor& items) {
  utility0_.clear();
  Signals s = compute(users, items, &utility0_);
  floor_ = ts_.utility * s.utility;
  s.floor_ok = true;
  return s;
}

Signals TuningSignals::measure(const Tensor& users, const Tensor& items) const {
  LETHE_CHECK(!std::isnan(floor_), "TuningSignals: the reference must be measured first (it sets the utility floor)");
  return compute(users, items, nullptr);
}

}  // namespace lethe::audit
