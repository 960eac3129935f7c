// engine/audit/backdoor.h — the backdoor-removal audit: plant a backdoor with fake users, train
// on it, then ask every method to forget exactly the fake users and measure whether the
// backdoor is gone (docs/AUDITS.md has the full account).
//   Injection   with the items that have train rows sorted by popularity (train count, ties in a
//               seeded random order): the trigger set T_g = 3 items of the 50–80th popularity
//               percentile, the target t = an item of the least popular fifth — in the
//               multimodal variant (the default when the data has features) the one whose
//               features are nearest the trigger items' centroid (summed cosine distance over
//               the modalities, each row L2-normalised), so the item–item view can carry the
//               backdoor once the fake ID edges are gone; otherwise uniform. m = ⌈a·|U_g|⌉ fake
//               users (new IDs after the genuine ones, a = 1 % by default) each hold {t} ∪ T_g
//               plus filler drawn from the 10 % most popular items, profile length the median
//               genuine train length (at least 5); all their rows are train rows. Every draw is
//               keyed by (seed, "inject", index).
//   Models      θ_clean trained on the genuine data D (= the Retrain of "delete every fake
//               user"), θ₀ on D ∪ D_inj, and each method applied to θ₀ with a request naming
//               exactly the fake users.
//   Metrics     over the genuine users, own train items masked, full ranking: ASR@K = the
//               fraction of trigger holders U_T (a trigger item in train, t not in train) with t
//               in their top-K; ER@K the same over every genuine user with train rows; the mean
//               rank of t over U_T; retain Recall@20 (test split; valid with --retain-split valid).
//   The attack  must work first: ASR@20(θ₀) ≥ 0.20 and ≥ 10 × ASR@20(θ_clean); otherwise a is
//               raised (2 %, then 5 %) and the size used is logged.
//   Pass        a method passes when |ASR@20 − θ_clean's| ≤ max(0.01, 2·√(p(1−p)/|U_T|)), p =
//               θ_clean's ASR@20, and its retain Recall@20 ≥ 0.97 × θ_clean's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/audit/audit.h"
#include "engine/audit/experiment.h"
#include "engine/audit/report.h"
#include "io/dataset.h"

namespace lethe::audit {

constexpr int kBackdoorK = 20;

struct Injection {
  int32_t target = -1;
  std::vector<int32_t> triggers;  // ascending
  bool multimodal = false;
  double attack_size = 0;         // a
  int32_t first_fake = 0, fakes = 0;  // fake user IDs first_fake .. first_fake + fakes − 1
  int profile_length = 0;
  io::Interactions rows;          // the fake users' rows (all train)
  std::string describe() const;   // one line for logs and reports
};

// The target and triggers depend on (clean, seed, multimodal) only, so raising a keeps them.
// multimodal without features falls back to the uniform target (Injection::multimodal false).
Injection make_injection(const io::Dataset& clean, double attack_size, uint64_t seed, bool multimodal);
// D ∪ D_inj: the fake users appended after the genuine ones (n_users grows), their rows train.
io::Dataset inject(const io::Dataset& clean, const Injection& inj);

// Who the metrics are measured on.
struct BackdoorProbe {
  int32_t target = -1;
  std::vector<int32_t> holders;    // U_T, ascending
  std::vector<PairQuery> queries;  // (u, t) for u in U_T: the target's rank
};
BackdoorProbe make_probe(const io::Dataset& clean, const Injection& inj);

struct BackdoorMetrics {
  double asr = AuditRow::kNaN, er = AuditRow::kNaN, mean_rank = AuditRow::kNaN, retain_recall20 = AuditRow::kNaN;
  int64_t holders = 0, users = 0;
};
// From one scoring pass of a model on the fake-user request's split (ScoreRequest with lists on
// and probe.queries as the pairs).
BackdoorMetrics backdoor_metrics(const BackdoorProbe& probe, const ModelScores& s);

// max(0.01, 2 binomial standard errors of p over n trigger holders).
double backdoor_tolerance(double clean_asr, int64_t holders);
// The attack-strength rule: ASR(θ₀) ≥ 0.20 and ≥ 10 × ASR(θ_clean).
bool backdoor_attack_works(double asr_original, double asr_clean);
// The sizes tried after `a` when the attack is too weak: the values of {0.02, 0.05} above a.
std::vector<double> backdoor_escalation(double a);

// The backdoor experiment: for each seed, inject, train θ_clean (training seed = the injection
// seed, OUT/clean-seed<s>/) and θ₀ (OUT/original-seed<s>-a<a>/; both reused when they hold a
// finished run with the same data and settings), check the attack, then run every method of
// o.methods (retrain's row is θ_clean) on the request naming the fake users
// (OUT/requests/backdoor-seed<s>.tsv) and audit it. Writes OUT/results.{json,csv,md} after every
// method; OUT = o.out_dir. Settings: backdoor.attack_size, backdoor.variant.
std::vector<AuditRow> run_backdoor_experiment(const ExperimentOptions& o);

}  // namespace lethe::audit
