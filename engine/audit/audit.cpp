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

CoreAudit Auditor::audit(const Tensor& users, const Tensor& items, bool keep_lists) const {
  CoreAudit a;
  const std::vector<char>* excl = sp_.deleted_user.empty() ? nullptr : &sp_.deleted_user;
  EvalSpec rs;  // retain utility: retain test, D_r masked, deleted users excluded
  rs.truth = &sp_.test;
  rs.mask = &mask_;
  rs.ks = ks_;
  rs.tile_users = tile_;
  rs.exclude_users = excl;
  a.retain = evaluate(ctx_, users, items, rs);

  EvalSpec fs;  // forget efficacy: D_f is the truth, D_r masked, D_f itself not masked
  fs.truth = &sp_.forget;
  fs.mask = &mask_;
  fs.ks = {kAuditK};
  fs.tile_users = tile_;
  a.forget = evaluate(ctx_, users, items, fs);
  a.exposure = a.forget.exposure(kAuditK);

  if (keep_lists) a.top = top_lists(users, items, kAuditK);
  return a;
}

TopLists Auditor::top_lists(const Tensor& users, const Tensor& items, int K) const {
  TopLists t;
  t.K = K;
  t.users = retained_;
  t.items.assign(retained_.size() * static_cast<size_t>(K), -1);
  if (retained_.empty()) return t;
  size_t r = 0;
  topk_lists(ctx_, users, items, &mask_, K, retained_, tile_, [&](int32_t u, const int32_t* it, int k) {
    LETHE_CHECK(r < retained_.size() && retained_[r] == u, "Auditor: top-K lists arrived out of order");
    std::copy(it, it + std::min(k, K), t.items.begin() + static_cast<std::ptrdiff_t>(r * static_cast<size_t>(K)));
    ++r;
  });
  LETHE_CHECK(r == retained_.size(), "Auditor: top-K lists missing for some users");
  return t;
}

}  // namespace lethe::audit
