// engine/audit/audit.cpp — see audit.h.
#include "engine/audit/audit.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lethe::audit {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

double list_overlap(const int32_t* a, const int32_t* b, int K) {
  int na = 0, nb = 0, common = 0;
  for (int k = 0; k < K; ++k) {
    if (a[k] >= 0) ++na;
    if (b[k] >= 0) ++nb;
  }
  // K ≤ 1024 and the lists are short: a quadratic scan keeps it obvious (and exact).
  for (int x = 0; x < K; ++x) {
    if (a[x] < 0) continue;
    for (int y = 0; y < K; ++y)
      if (b[y] == a[x]) { ++common; break; }
  }
  const int den = std::max(na, nb);
  return den == 0 ? 1.0 : static_cast<double>(common) / static_cast<double>(den);
}

double mean_overlap(const TopLists& a, const TopLists& b) {
  LETHE_CHECK(a.K == b.K, "mean_overlap: lists of different K (" + std::to_string(a.K) + " vs " + std::to_string(b.K) + ")");
  LETHE_CHECK(a.users == b.users, "mean_overlap: the two top-K lists cover different users");
  if (a.users.empty()) return kNaN;
  double sum = 0;  // fixed (increasing user) order: deterministic
  for (size_t r = 0; r < a.users.size(); ++r) sum += list_overlap(a.row(r), b.row(r), a.K);
  return sum / static_cast<double>(a.users.size());
}

std::vector<int32_t> retained_users(const SplitPatterns& sp) {
  std::vector<int32_t> out;
  const graph::HostCsr& r = sp.retain_train;
  for (int64_t u = 0; u < r.rows; ++u) {
    const bool deleted = u < static_cast<int64_t>(sp.deleted_user.size()) && sp.deleted_user[u];
    if (!deleted && r.row_len(u) > 0) out.push_back(static_cast<int32_t>(u));
  }
  return out;
}

double exposure_reduction(double exp0, double exp) {
  if (std::isnan(exp0) || std::isnan(exp) || exp0 == 0) return kNaN;
  return (exp0 - exp) / exp0;
}

double speedup(double retrain_seconds, double seconds) {
  if (std::isnan(retrain_seconds) || std::isnan(seconds) || !(seconds > 0)) return kNaN;
  return retrain_seconds / seconds;
}

Auditor::Auditor(Ctx& ctx, const SplitPatterns& sp, std::vector<int64_t> ks, int64_t tile_users)
    : ctx_(ctx), sp_(sp), ks_(std::move(ks)), tile_(tile_users), mask_(ctx, sp.retain_train),
      retained_(retained_users(sp)) {
  LETHE_CHECK(std::find(ks_.begin(), ks_.end(), int64_t{kAuditK}) != ks_.end(),
              "Auditor: the retain cut-offs must include K = " + std::to_string(kAuditK));
  const graph::HostCsr* pats[] = {&sp.retain_train, &sp.forget, &sp.test};
  for (const graph::HostCsr* p : pats)
    LETHE_CHECK(p->rows == sp.retain_train.rows && p->cols == sp.retain_train.cols,
                "Auditor: split patterns of different shapes");
  LETHE_CHECK(sp.deleted_user.empty() || static_cast<int64_t>(sp.deleted_user.size()) == sp.retain_train.rows,
              "Auditor: deleted-user flags do not match the user count");
}

Auditor::~Auditor() = default;

ModelScores Auditor::score(const Tensor& users, const Tensor& items, const ScoreRequest& req) const {
  const int64_t U = sp_.retain_train.rows, I = sp_.retain_train.cols;
  LETHE_CHECK(users.rows == U && items.rows == I && users.cols == items.cols,
              "Auditor: embeddings of " + shape_str(users.rows, items.rows) + " for a split of " + shape_str(U, I));
  ModelScores out;
  const std::vector<char>* excl = sp_.deleted_user.empty() ? nullptr : &sp_.deleted_user;
  // Retain utility: retain test, D_r masked, deleted users excluded. Forget efficacy: D_f as the
  // truth, D_r masked, D_f itself not masked. Both read the same D_r-masked lists.
  RankingMetrics retain(sp_.test, ks_, excl);
  RankingMetrics forget(sp_.forget, {kAuditK});
  const int kcore = std::max(retain.max_k(), kAuditK);

  // Who needs what, by user.
  std::vector<char> list_user(static_cast<size_t>(U), 0), extra_user(static_cast<size_t>(U), 0);
  if (req.lists)
    for (int32_t u : retained_) list_user[u] = 1;
  const ListSpec* ex = req.extra;
  if (ex) {
    LETHE_CHECK(ex->K >= 1 && ex->K <= 1024, "Auditor: extra lists need K in [1, 1024]");
    LETHE_CHECK(!ex->mask || (ex->mask->rows() == U && ex->mask->cols() == I), "Auditor: extra-list mask of another shape");
    for (size_t k = 0; k < ex->users.size(); ++k) {
      const int32_t u = ex->users[k];
      LETHE_CHECK(u >= 0 && u < U && (k == 0 || u > ex->users[k - 1]), "Auditor: extra-list users must be ascending ids in range");
      extra_user[u] = 1;
    }
    out.extra.K = ex->K;
    out.extra.users = ex->users;
    out.extra.items.assign(ex->users.size() * static_cast<size_t>(ex->K), -1);
  }
  // Pair queries grouped by user (stable: query order within a user).
  const size_t npairs = req.pairs ? req.pairs->size() : 0;
  std::vector<int64_t> pstart(static_cast<size_t>(U) + 1, 0);
  std::vector<size_t> porder(npairs);
  for (size_t q = 0; q < npairs; ++q) {
    const PairQuery& p = (*req.pairs)[q];
    LETHE_CHECK(p.user >= 0 && p.user < U && p.item >= 0 && p.item < I,
                "Auditor: pair (" + std::to_string(p.user) + ", " + std::to_string(p.item) + ") out of range");
    ++pstart[static_cast<size_t>(p.user) + 1];
  }
  for (int64_t u = 0; u < U; ++u) pstart[u + 1] += pstart[u];
  {
    std::vector<int64_t> fill(pstart.begin(), pstart.end() - 1);
    for (size_t q = 0; q < npairs; ++q) porder[static_cast<size_t>(fill[(*req.pairs)[q].user]++)] = q;
  }
  out.pairs.resize(npairs);

  // The scoring buffers: made at the first model, remade only when a request needs longer
  // lists or the embeddings change dtype.
  LETHE_CHECK(users.dtype == items.dtype, "Auditor: user and item embeddings of different dtypes");
  const int kmax = std::max(kcore, ex ? ex->K : 1);
  const int64_t tile = std::max<int64_t>(1, std::min(tile_, U));
  if (!scorer_ || scorer_->dtype() != users.dtype || scorer_->max_k() < std::min<int64_t>(kmax, std::max<int64_t>(I, 1)))
    scorer_ = std::make_unique<TileScorer>(ctx_, users.dtype, tile, I, kmax);
  TileScorer& ts = *scorer_;
  if (req.lists) {
    out.core.top.K = kAuditK;
    out.core.top.users = retained_;
    out.core.top.items.assign(retained_.size() * static_cast<size_t>(kAuditK), -1);
  }

  size_t list_row = 0, extra_row = 0;
  std::vector<double> vals, row;
  std::vector<char> masked(static_cast<size_t>(I), 0);
  for (int64_t u0 = 0; u0 < U; u0 += ts.tile()) {
    const int64_t n = std::min(ts.tile(), U - u0);
    bool core = false, extra = false, pairs = false;
    for (int64_t u = u0; u < u0 + n; ++u) {
      core = core || (req.metrics && (retain.wants(u) || forget.wants(u))) || list_user[u];
      extra = extra || extra_user[u];
      pairs = pairs || pstart[u + 1] > pstart[u];
    }
    if (!core && !extra && !pairs) continue;
    ts.score(users, items, u0, n);
    if (core || pairs) {
      const std::vector<int32_t>& top = ts.topk(&mask_, kcore, pairs ? &vals : nullptr);
      const int K = ts.last_k();
      for (int64_t r = 0; r < n; ++r) {
        const int64_t u = u0 + r;
        const int32_t* t = top.data() + r * K;
        if (req.metrics) {
          retain.add(u, t, K);
          forget.add(u, t, K);
        }
        if (list_user[u]) {
          LETHE_CHECK(list_row < retained_.size() && retained_[list_row] == u, "Auditor: top-K lists arrived out of order");
          std::copy(t, t + std::min(K, kAuditK), out.core.top.items.begin() + static_cast<std::ptrdiff_t>(list_row * kAuditK));
          ++list_row;
        }
        if (pstart[u + 1] == pstart[u]) continue;
        // Pair statistics from the user's full score row (copied to the host once per user).
        ts.row(r, row);
        const graph::HostCsr& m = sp_.retain_train;
        for (int64_t e = m.rowptr[u]; e < m.rowptr[u + 1]; ++e) masked[m.col[e]] = 1;
        double sum = 0;
        for (int64_t j = 0; j < I; ++j) sum += row[j];
        const double mean = sum / static_cast<double>(I);
        double thr = -std::numeric_limits<double>::infinity();
        for (int k = 0; k < std::min(K, kAuditK); ++k)
          if (t[k] >= 0) thr = vals[static_cast<size_t>(r * K + k)];
        for (int64_t q = pstart[u]; q < pstart[u + 1]; ++q) {
          const size_t qi = porder[static_cast<size_t>(q)];
          const int32_t i = (*req.pairs)[qi].item;
          const double s = row[i];
          int64_t above = 0, others = 0;
          for (int64_t j = 0; j < I; ++j) {
            if (masked[j] || j == i) continue;
            ++others;
            if (row[j] > s || (row[j] == s && j < i)) ++above;
          }
          PairStats& ps = out.pairs[qi];
          ps.score = s;
          ps.row_mean = mean;
          ps.rank = above + 1;
          ps.percentile = others == 0 ? 1.0 : 1.0 - static_cast<double>(above) / static_cast<double>(others);
          ps.threshold = std::isinf(thr) ? s : thr;
        }
        for (int64_t e = m.rowptr[u]; e < m.rowptr[u + 1]; ++e) masked[m.col[e]] = 0;
      }
    }
    if (extra) {
      const std::vector<int32_t>& top = ts.topk(ex->mask, ex->K);
      const int K = ts.last_k();
      for (int64_t r = 0; r < n; ++r) {
        const int64_t u = u0 + r;
        if (!extra_user[u]) continue;
        std::copy(top.data() + r * K, top.data() + r * K + K,
                  out.extra.items.begin() + static_cast<std::ptrdiff_t>(extra_row * static_cast<size_t>(ex->K)));
        ++extra_row;
      }
    }
  }
  if (req.lists) LETHE_CHECK(list_row == retained_.size(), "Auditor: top-K lists missing for some users");
  if (req.metrics) {
    out.core.retain = retain.result();
    out.core.forget = forget.result();
    out.core.exposure = out.core.forget.exposure(kAuditK);
  }
  return out;
}

CoreAudit Auditor::audit(const Tensor& users, const Tensor& items, bool keep_lists) const {
  ScoreRequest r;
  r.lists = keep_lists;
  return score(users, items, r).core;
}

TopLists Auditor::top_lists(const Tensor& users, const Tensor& items, int K) const {
  ListSpec ls;
  ls.mask = &mask_;
  ls.K = K;
  ls.users = retained_;
  ScoreRequest r;
  r.metrics = false;
  r.lists = false;
  r.extra = &ls;
  return score(users, items, r).extra;
}

}  // namespace lethe::audit
