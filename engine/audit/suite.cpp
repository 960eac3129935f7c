// engine/audit/suite.cpp — see suite.h (and prepare_umia in experiment.h).
#include "engine/audit/suite.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "engine/audit/audit_rng.h"
#include "engine/audit/experiment.h"
#include "engine/checkpointing.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "graph/bipartite.h"
#include "io/fs.h"

namespace lethe::audit {

AuditSet parse_audits(const std::string& list) {
  AuditSet a;
  a.core = a.mia = a.umia = a.backdoor = false;
  std::stringstream ss(list);
  std::string m;
  std::vector<std::string> seen;
  while (std::getline(ss, m, ',')) {
    const auto b = m.find_first_not_of(" \t"), e = m.find_last_not_of(" \t");
    m = b == std::string::npos ? "" : m.substr(b, e - b + 1);
    if (std::find(seen.begin(), seen.end(), m) != seen.end()) throw Error("--audits: '" + m + "' is listed twice");
    seen.push_back(m);
    if (m == "core") a.core = true;
    else if (m == "mia") a.mia = true;
    else if (m == "umia") a.umia = true;
    else if (m == "backdoor") a.backdoor = true;
    else throw Error("--audits: unknown audit '" + m + "' in '" + list + "' (accepted: core, mia, umia, backdoor)");
  }
  if (seen.empty()) throw Error("--audits: no audit given (accepted: core, mia, umia, backdoor)");
  if (a.mia || a.umia) a.core = true;  // their columns live in the core table's rows
  return a;
}

std::string audits_name(const AuditSet& a) {
  std::string s;
  for (const auto& [on, name] : {std::pair<bool, const char*>{a.core, "core"}, {a.mia, "mia"}, {a.umia, "umia"},
                                 {a.backdoor, "backdoor"}})
    if (on) s += (s.empty() ? "" : ",") + std::string(name);
  return s;
}

void put_audits(const ModelAudit& a, AuditRow& row) {
  if (a.mia) put_mia(*a.mia, row);
  if (a.umia) put_umia(*a.umia, row);
  row.audit["audit_seconds"] = a.seconds;
}

void put_spread(const ModelAudit& retrain2, AuditRow& r) {
  const auto f2 = retrain2.core.forget.v.find("recall@" + std::to_string(kAuditK));
  if (f2 != retrain2.core.forget.v.end() && !std::isnan(f2->second) && !std::isnan(r.forget_recall20))
    r.audit["forget_recall@20_spread"] = std::fabs(f2->second - r.forget_recall20);
  // Retrain's own run-to-run noise on the retain utility: how far two Retrains of one request
  // differ (training seed, early stopping), beside which a method's distance to Retrain is read.
  const auto r2 = retrain2.core.retain.v.find("recall@" + std::to_string(kAuditK));
  if (r2 != retrain2.core.retain.v.end() && !std::isnan(r2->second) && !std::isnan(r.retain_recall20))
    r.audit["retain_recall@20_spread"] = std::fabs(r2->second - r.retain_recall20);
  AuditRow second;
  put_audits(retrain2, second);
  for (const auto& k : reference_keys()) {
    const double v2 = second.metric(k), v = r.metric(k);
    if (!std::isnan(v2) && !std::isnan(v)) r.audit[k + "_spread"] = std::fabs(v2 - v);
  }
}

RequestAudits::RequestAudits(Ctx& ctx, const io::Dataset& ds, const io::ForgetSplit& split, const SplitPatterns& sp,
                             io::Regime regime, uint64_t seed, const AuditSet& audits, int64_t tile_users,
                             const UmiaSetup* umia, bool tuning)
    : aud_(ctx, sp, {10, 20, 50}, tile_users), umia_(umia) {
  const auto t0 = std::chrono::steady_clock::now();
  MiaOptions mo;
  mo.unseen_from_valid = tuning;
  if (audits.mia) plan_ = make_mia_plan(ds, split, regime, seed, mo);
  plan_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (umia_) {
    LETHE_CHECK(umia_->history_mask != nullptr, "RequestAudits: the user-level attack has no history mask");
    deleted_ = split.deleted_users;
    retained_ = aud_.retained();
    std::vector<int32_t> u = deleted_;
    u.insert(u.end(), umia_->groups.outsiders.begin(), umia_->groups.outsiders.end());
    u.insert(u.end(), retained_.begin(), retained_.end());
    std::sort(u.begin(), u.end());
    u.erase(std::unique(u.begin(), u.end()), u.end());
    lists_.mask = umia_->history_mask.get();
    lists_.K = kUmiaListK;
    lists_.users = std::move(u);
  }
}

ModelAudit RequestAudits::run(const Tensor& users, const Tensor& items, std::vector<PairStats>* keep_pairs) const {
  const auto start = std::chrono::steady_clock::now();
  ScoreRequest req;
  req.lists = true;
  req.pairs = plan_ ? &plan_->queries : nullptr;
  req.extra = umia_ ? &lists_ : nullptr;
  ModelScores s = aud_.score(users, items, req);
  ModelAudit a;
  a.core = std::move(s.core);
  if (plan_) {
    const std::vector<PairStats>* t0 = have_theta0_ ? &theta0_ : &s.pairs;  // θ₀ against itself
    a.mia = evaluate_mia(*plan_, s.pairs, t0);
  }
  if (umia_) a.umia = evaluate_umia(umia_->attack, s.extra, deleted_, umia_->groups.outsiders, retained_);
  if (keep_pairs) *keep_pairs = std::move(s.pairs);
  a.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return a;
}

ModelAudit RequestAudits::audit_original(const Tensor& users, const Tensor& items) {
  have_theta0_ = false;
  ModelAudit a = run(users, items, &theta0_);
  have_theta0_ = true;
  a.seconds += plan_seconds_;
  return a;
}

ModelAudit RequestAudits::audit(const Tensor& users, const Tensor& items) const {
  LETHE_CHECK(!plan_ || have_theta0_, "RequestAudits: θ₀ must be audited first (family B compares with its scores)");
  return run(users, items, nullptr);
}

std::unique_ptr<UmiaSetup> prepare_umia(const ExperimentOptions& o, const io::Dataset& remaining, UserGroups groups,
                                        io::Dataset all_rows, Ctx& ctx, const std::string& cache,
                                        const std::function<void(const std::string&)>& say) {
  const uint64_t seed = static_cast<uint64_t>(o.cfg.i64("audit.seed"));
  auto u = std::make_unique<UmiaSetup>();
  u->groups = std::move(groups);
  u->all_rows = std::move(all_rows);
  u->all_rows.features.clear();
  const int32_t U = remaining.n_users;
  u->history_mask = std::make_unique<DevCsr>(ctx, graph::interaction_pattern(U, remaining.n_items, u->all_rows.train));

  // The shadow: a random half of the remaining users (those with train rows) trains it.
  std::vector<char> has(static_cast<size_t>(U), 0), member(static_cast<size_t>(U), 0);
  for (int32_t x : remaining.train.user) has[static_cast<size_t>(x)] = 1;
  std::vector<std::pair<uint64_t, int32_t>> cand;
  for (int32_t x = 0; x < U; ++x)
    if (has[static_cast<size_t>(x)]) cand.push_back({audit_key(seed, AuditStage::kShadow, 0, static_cast<uint64_t>(x)), x});
  std::sort(cand.begin(), cand.end());
  std::vector<int32_t> shadow_users;
  for (size_t j = 0; j < cand.size(); ++j) {
    if (j < cand.size() / 2) member[static_cast<size_t>(cand[j].second)] = 1;
    shadow_users.push_back(cand[j].second);
  }
  std::sort(shadow_users.begin(), shadow_users.end());
  ExperimentOptions so = o;
  so.original_dir = (o.original_dir.empty() ? io::path_join(o.out_dir, "original") : o.original_dir) + "-shadow";
  OriginalRun shadow;
  double attack_seconds = 0;
  {
    const io::Dataset sds = keep_users(remaining, member);
    say("user-level attack: shadow model on " + std::to_string(cand.size() / 2) + " of the " + std::to_string(cand.size()) +
        " remaining users (" + so.original_dir + ")");
    shadow = ensure_original(so, sds, ctx, cache, say);
    ModelSession s(ctx, sds, o.model, o.cfg, cache);
    restore_model_checkpoint(shadow.ckpt, shadow.path, s.params(), nullptr, nullptr);
    const Embeddings e = embed(ctx, s.model(), s.params());
    TopLists lists;
    lists.K = kUmiaListK;
    lists.users = shadow_users;
    lists.items.assign(shadow_users.size() * static_cast<size_t>(kUmiaListK), -1);
    size_t r = 0;
    topk_lists(ctx, e.users, e.items, u->history_mask.get(), kUmiaListK, shadow_users, o.cfg.i64("eval.tile_users"),
               [&](int32_t, const int32_t* it, int k) {
                 std::copy(it, it + std::min(k, kUmiaListK), lists.items.begin() + static_cast<std::ptrdiff_t>(r * kUmiaListK));
                 ++r;
               });
    const auto t0 = std::chrono::steady_clock::now();
    u->attack = build_umia_attack(u->all_rows, u->groups, lists, member, seed);
    attack_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  u->note = "user-level attack: V = " + std::to_string(u->groups.vectorisation.size()) + " users (item vectors), O = " +
            std::to_string(u->groups.outsiders.size()) + " outsiders, reserved before training (audit.seed " +
            std::to_string(seed) + "); shadow model on " + std::to_string(u->attack.shadow_members) + " members / " +
            std::to_string(u->attack.shadow_nonmembers) + " non-members (trained in " +
            io::format_double(std::round(shadow.train_seconds * 10) / 10) + " s), the attack's accuracy on them " +
            io::format_double(std::round(u->attack.shadow_train_accuracy * 1000) / 1000) + " (item vectors and attack fitted in " +
            io::format_double(std::round(attack_seconds * 100) / 100) + " s).";
  say(u->note);
  return u;
}

}  // namespace lethe::audit
