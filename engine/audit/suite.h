// engine/audit/suite.h — which audits run (`--audits core,mia,umia,backdoor`) and the audits of
// one deletion request put together for every model an experiment (or `lethe audit`) looks at:
// the core audits (audit.h), the interaction-level membership inference (mia.h) and the
// user-level attack (umia.h), all read from ONE scoring pass per model (Auditor::score).
// θ₀ is audited first: family B compares every later model's scores with θ₀'s.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/audit/audit.h"
#include "engine/audit/mia.h"
#include "engine/audit/report.h"
#include "engine/audit/umia.h"
#include "engine/sparse.h"
#include "io/dataset.h"
#include "io/request.h"

namespace lethe::audit {

// core: the retain/forget/exposure/overlap table (always computed; listing it is optional);
// mia: families A, B, C; umia: the user-level attack (user regime; reserves two user groups
// before anything trains); backdoor: the backdoor experiment (its own table).
struct AuditSet {
  bool core = true, mia = true, umia = false, backdoor = false;
  // Whether the request experiment runs at all: a list of only "backdoor" runs just that.
  bool requests() const { return core || mia || umia; }
};
// A comma-separated list of core, mia, umia, backdoor; throws naming a bad or repeated name.
AuditSet parse_audits(const std::string& list);
std::string audits_name(const AuditSet& a);  // "core,mia"

// What the user-level attack needs across requests: the reserved groups, the data with every
// user's own rows (for histories), the trained attack and the own-history mask on the device.
struct UmiaSetup {
  UserGroups groups;
  io::Dataset all_rows;  // the loaded data's interactions (no features): every user's history
  UmiaAttack attack;
  std::unique_ptr<DevCsr> history_mask;  // U×I: each user's own train items
  std::string note;  // what was built, for the report
};

struct ModelAudit {
  CoreAudit core;
  std::optional<MiaResult> mia;
  std::optional<UmiaResult> umia;
  double seconds = 0;  // wall time of this model's audits (θ₀'s includes drawing the pairs)
};
// The audit fields of a row (the core ones come from row_from_audit).
void put_audits(const ModelAudit& a, AuditRow& row);
// Retrain's row gets <key>_spread = |second Retrain's value − Retrain's| for reference_keys().
void put_spread(const ModelAudit& retrain2, AuditRow& retrain_row);

class RequestAudits {
 public:
  // ds: the data the models train on; split/sp: the request's. umia: null unless the
  // user-level attack runs (user regime only).
  // tuning: family A takes its unseen positives from the valid split (a run that reports on
  // the valid split must not read test).
  RequestAudits(Ctx& ctx, const io::Dataset& ds, const io::ForgetSplit& split, const SplitPatterns& sp, io::Regime regime,
                uint64_t seed, const AuditSet& audits, int64_t tile_users, const UmiaSetup* umia = nullptr,
                bool tuning = false);
  // θ₀ (the model on the original graph): must be audited before any model when mia is on.
  ModelAudit audit_original(const Tensor& users, const Tensor& items);
  ModelAudit audit(const Tensor& users, const Tensor& items) const;
  const Auditor& auditor() const { return aud_; }
  const MiaPlan* plan() const { return plan_ ? &*plan_ : nullptr; }

 private:
  ModelAudit run(const Tensor& users, const Tensor& items, std::vector<PairStats>* keep_pairs) const;
  Auditor aud_;
  std::optional<MiaPlan> plan_;
  double plan_seconds_ = 0;
  std::vector<PairStats> theta0_;
  bool have_theta0_ = false;
  const UmiaSetup* umia_;
  ListSpec lists_;
  std::vector<int32_t> deleted_, retained_;
};

}  // namespace lethe::audit
