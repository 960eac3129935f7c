// engine/audit/mia.h — membership inference at the interaction level: can an attacker who sees a
// model's scores tell the forgotten pairs from pairs the model never trained on? Three
// families, each run identically on θ₀, every method's model and Retrain (docs/AUDITS.md):
//   A  one model; members = a uniform sample of D_f, non-members = unseen positives (test rows)
//      of the same population; five features of the pair read from the model's scores; a
//      logistic-regression attack. Retrain's value sits near 0.5, θ₀'s above (the headline).
//   B  two models (θ₀ on the original graph and θ on the edited one); members = the same
//      sample of D_f, non-members = random unobserved pairs; eleven features of (s₀, s₁); the
//      same attack. Retrain's value is well above 0.5: the target is Retrain's, not 0.5.
//   C  no attack model: the AUC of θ's scores separating retained train pairs (label 1) from
//      the forget sample (label 0), over five resamples of the retained pairs.
// Reported: AUC (Mann–Whitney, ties count ½) and balanced accuracy ½(TPR + TNR) at probability
// 0.5, mean ± sd over 5 stratified 50 % splits (A, B) or resamples (C), with the null-noise
// standard errors √((n₁+n₂+1)/(12 n₁ n₂)) and ¼√(1/n₁ + 1/n₂) (= √(0.125/n) for n₁ = n₂ = n)
// of the evaluated half. The attack is written here: z-scoring on the attack-train half, L2-
// regularised logistic regression fitted by damped Newton steps in double (deterministic).
// Every draw comes from audit_rng.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/audit/audit.h"
#include "engine/audit/report.h"
#include "io/dataset.h"
#include "io/request.h"

namespace lethe::audit {

// ---- statistics ---------------------------------------------------------------------------

// P(score of a positive > score of a negative) + ½ P(tie), from average ranks (Mann–Whitney U).
// label 1 = positive. NaN when either class is empty.
double auc_mann_whitney(const std::vector<double>& score, const std::vector<uint8_t>& label);
// ½(TPR + TNR) with "positive" predicted when prob ≥ threshold. NaN when a class is empty.
double balanced_accuracy(const std::vector<double>& prob, const std::vector<uint8_t>& label, double threshold = 0.5);
// The standard errors of AUC and balanced accuracy under the null (no signal) for n1 positives
// and n2 negatives: √((n1+n2+1)/(12 n1 n2)) and ¼√(1/n1 + 1/n2). NaN when a class is empty.
double null_se_auc(int64_t n1, int64_t n2);
double null_se_bacc(int64_t n1, int64_t n2);

// ---- the attack ---------------------------------------------------------------------------

// Logistic regression p = σ(w·x + b) minimising mean log-loss + (λ/2)‖w‖² (b not penalised),
// by Newton steps with a backtracking line search, in double. X is n×d row-major.
struct Logistic {
  std::vector<double> w;
  double b = 0;
  int iterations = 0;
  double decision(const double* x) const;  // w·x + b
};
Logistic fit_logistic(const std::vector<double>& X, int d, const std::vector<uint8_t>& y, double l2);

// The stratified 50 % split of split seed r: per class, a random order (keyed by seed, r and
// the row index) whose first ⌊n_c/2⌋ rows train the attack; the rest test it. 1 = train.
std::vector<uint8_t> stratified_half(const std::vector<uint8_t>& label, uint64_t seed, uint32_t r);

struct AttackStats {
  Stat auc, bacc;            // over the splits
  int64_t n_pos = 0, n_neg = 0;          // rows per class (both halves)
  int64_t test_pos = 0, test_neg = 0;    // rows per class in the tested half
  double se_auc = AuditRow::kNaN, se_bacc = AuditRow::kNaN;  // null-noise SEs of one split
  std::vector<double> auc_by_split, bacc_by_split;
};
// For each of `splits` split seeds: z-score the d features on the training half, fit the
// logistic attack (l2), and measure AUC (of w·x + b) and balanced accuracy (p ≥ 0.5) on the
// other half. Label 1 = member.
AttackStats run_attack(const std::vector<double>& X, int d, const std::vector<uint8_t>& label, uint64_t seed,
                       int splits = 5, double l2 = 1e-4);

// ---- the families -------------------------------------------------------------------------

constexpr int kFamilyAFeatures = 5;
constexpr int kFamilyBFeatures = 11;
// A: s, σ(s), the rank percentile (D_r masked), s − mean_j s_uj, s − t_u.
void family_a_features(const PairStats& p, double* out);
// B: s₀, s₁, s₀−s₁, |s₀−s₁|, s₀/(|s₁|+1e-8), s₀+s₁, s₀·s₁, σ(s₀), σ(s₁), σ(s₀)−σ(s₁),
// (s₀−s₁)/(|s₀|+1e-8).
void family_b_features(double s0, double s1, double* out);

struct MiaOptions {
  int64_t max_members = 10000;  // n = min(|D_f|, this)
  int splits = 5;               // split seeds (A, B) and resamples (C)
  double l2 = 1e-4;
  // Where family A's unseen positives come from: the test split (reporting), or the valid split
  // for a tuning run that must not look at test (then the item regime is not padded).
  bool unseen_from_valid = false;
};

// The pairs of one request's membership audits, drawn once (seeded) so that every model is
// attacked on the same pairs.
struct MiaPlan {
  std::vector<PairQuery> members;                   // M, in draw order
  std::vector<PairQuery> a_members, a_nonmembers;   // family A (equal sizes)
  std::vector<PairQuery> b_nonmembers;              // family B
  std::vector<std::vector<PairQuery>> c_retained;   // family C, one sample per resample
  std::string a_population;  // how A's non-members were chosen, for the report
  uint64_t seed = 0;
  MiaOptions opt;
  // Everything above concatenated (the pair list of the scoring pass), and where each part starts.
  std::vector<PairQuery> queries;
  size_t at_members = 0, at_a_members = 0, at_a_nonmembers = 0, at_b = 0;
  std::vector<size_t> at_c;
};

// The regime a request's membership audit treats it as: `regime` itself, except that an explicit
// (hand-written) request counts as a user (item) request when every forgotten row belongs to a
// deleted user (item), and as an interaction request otherwise.
io::Regime effective_regime(const io::Dataset& ds, const io::ForgetSplit& split, io::Regime regime);

// Draws the plan for a request. `ds` is the data the models were trained on (train = D),
// `split` the request's D_f / D_r; `regime` decides A's population (user: the deleted users'
// test rows; item: the deleted items' test rows, then their valid rows; interaction and mixed
// requests: per user as many test rows as the user has pairs in M, when it has that many).
MiaPlan make_mia_plan(const io::Dataset& ds, const io::ForgetSplit& split, io::Regime regime, uint64_t seed,
                      const MiaOptions& opt = {});

struct MiaResult {
  AttackStats a, b;
  Stat c_auc;
  int64_t c_n_forget = 0, c_n_retained = 0;
  double c_se_auc = AuditRow::kNaN;
  bool has_b = false;
};
// Family A alone: the statistics of plan.a_members and plan.a_nonmembers (in their order), e.g.
// from a scoring pass that asked for those pairs only (the tuner of `--method tru-auto`).
AttackStats evaluate_family_a(const MiaPlan& plan, const PairStats* members, const PairStats* nonmembers);
// theta: the audited model's statistics of plan.queries; theta0: θ₀'s (null: no family B).
MiaResult evaluate_mia(const MiaPlan& plan, const std::vector<PairStats>& theta, const std::vector<PairStats>* theta0);

// The row fields of a result (keys of mia_result_keys(), report.h).
void put_mia(const MiaResult& m, AuditRow& row);

}  // namespace lethe::audit
