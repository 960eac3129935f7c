// engine/audit/tuning_signals.h — what the tuner of `--method tru-auto` / `mmrecun-auto`
// (engine/unlearn/auto.h) reads from a model to judge how well it forgot, without a Retrain and
// on the VALID split only (docs/TRU.md, "Tuning without Retrain"). One scoring pass of the
// Auditor per model gives three signals:
//   utility        valid Recall@20 of the users whose data is kept in full — no deleted row of
//                  theirs (`floor_untouched`; otherwise every retained user) — D_r masked; it
//                  must stay at or above `utility` × the reference's — θ₀ as unlearning starts
//                  from it, on the edited graph (the standard error of a model's user-by-user
//                  difference from the reference is reported beside it). A user who lost rows
//                  loses utility in a Retrain too (less data of theirs is learned from), so what
//                  the floor guards is what the update costs the users it must not touch; the
//                  mean over every retained user is reported beside it (utility_retained);
//   forget parity  F = D_f's Recall@20 (D_r masked; per user, averaged over the users with D_f
//                  rows — the audited forget recall) against V = the valid Recall@20 of the same
//                  population: the deleted users' valid rows (user requests), the deleted items'
//                  valid rows (item requests), the forget users' valid rows (interaction
//                  requests). A model that never saw D_f ranks it like any unseen positive, so the
//                  target is F = V: F ≫ V is remembering, F ≪ V is burying the data, which is
//                  itself visible. Held-out positives are less popular than train positives (on
//                  TikTok the median item of a valid row has 17 train rows, of a train row 24) and
//                  every recommender — Retrain too — ranks popular items higher, so V is matched to
//                  D_f's popularity: items are cut into `strata` strata by their D_r train count
//                  at the quantiles of D_f's pairs' counts, each pair weighs 1 / (its user's pairs
//                  on its side) so that every user counts once, as in a per-user Recall, and
//                  V = Σ_b π_b v_b with π_b D_f's weight in stratum b and v_b the valid pairs' weighted
//                  hit rate there (F likewise; strata without valid pairs are left out on both
//                  sides, so F is exactly the audited forget Recall@20 when none is). Parity holds
//                  when |F − V| ≤ max(parity_tol·V, z·SE, parity_abs), SE from the strata's
//                  weighted variances;
//   membership     family A of the membership audits (mia.h) with valid non-members: D_f's pairs
//                  against unseen positives of the same population; it holds when the attack's
//                  AUC is within 0.5 ± z·SE (SE: the AUC's standard error under no signal).
// Each forgetting signal is also given as a deviation in units of its band — parity_dev =
// |F − V| / band, mia_dev = |AUC − 0.5| / (z·SE) — so a signal holds exactly when its deviation
// is ≤ 1; distance is the larger of the two.
// Every value is read from the ranks of the pairs in the scoring pass (a pair is a hit when its
// rank among the unmasked items is ≤ 20, the top-K kernel's order), so the per-user and per-pair
// values behind each mean — and their standard errors — come out of the same pass.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/audit/audit.h"
#include "engine/audit/mia.h"
#include "engine/config.h"
#include "io/dataset.h"
#include "io/request.h"

namespace lethe::audit {

struct TuningSettings {
  double utility = 0.98;     // utility floor as a fraction of θ₀'s valid Recall@20
  bool floor_untouched = true;  // the floor's users: those who lose no row (else every retained user)
  double parity_tol = 0.1;   // relative half-width of the parity band (× V)
  double parity_abs = 0.01;  // absolute half-width the band never goes below
  double z = 2.0;            // standard errors of the parity and membership bands
  int strata = 5;            // item-popularity strata of forget parity
  // Requests that delete pairs only: V's population — the forget users' own valid rows (false)
  // or the valid rows of the users who lose no pair (true) — and the target F = pair_ratio × V.
  bool pair_untouched = false;
  double pair_ratio = 1.0;
};

// The signal settings of a configuration (unlearn.auto.*); bad names are refused in the user's words.
TuningSettings tuning_settings(const Config& cfg);

struct Signals {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  double utility = kNaN;                   // valid Recall@20 of the floor's users
  double utility_retained = kNaN;          // valid Recall@20 of every retained user
  double utility_se = kNaN;                // SE of its user-by-user difference from θ₀'s
  double forget = kNaN, valid = kNaN;      // F and V (see above)
  double target = kNaN;                    // what F is held to: V, or pair_ratio × V (pair requests)
  double parity_se = kNaN;                 // SE of F − target
  double parity_band = kNaN;               // the half-width |F − target| is held to
  int64_t parity_users = 0;                // forget users behind F (in strata with valid pairs)
  double mia_auc = kNaN, mia_se = kNaN;    // family A, valid non-members
  int64_t mia_n = 0;                       // member pairs of the attack
  bool parity_ok = false, mia_ok = false, floor_ok = false;
  double parity_dev = kNaN, mia_dev = kNaN, distance = kNaN;
  bool forgot() const { return parity_ok && mia_ok; }
  double parity() const { return target > 0 ? forget / target : kNaN; }
};

// The unseen positives of D_f's population, V's pairs: the valid rows of the deleted users (user
// requests), of the deleted items (item requests) or of the users who lose pairs (otherwise; with
// `untouched`, of the users who lose none instead); regime: the request's effective regime
// (mia.h). Rank matching (engine/unlearn/tru.h) reads the forget users' pairs.
io::Interactions unseen_population(const io::Dataset& ds, const io::ForgetSplit& split, io::Regime regime,
                                   bool untouched = false);

// Item-popularity strata matched to D_f: an item's count is its D_r train count (`pop`), and the
// edges are the quantiles k/strata of D_f's pairs' counts, so D_f's pairs fill the strata about
// evenly (ties permitting). An item of count c is in stratum popularity_stratum(edges, c).
std::vector<int64_t> popularity_edges(const std::vector<int64_t>& pop, const std::vector<int32_t>& forget_items, int strata);
inline int popularity_stratum(const std::vector<int64_t>& edges, int64_t c) {
  return static_cast<int>(std::upper_bound(edges.begin(), edges.end(), c) - edges.begin());
}

class TuningSignals {
 public:
  // ds: the data the models train on; only its train and valid splits are read. split: the
  // request's D_f / D_r; regime: the request's (explicit requests are classified as in mia.h);
  // seed keys the membership plan.
  TuningSignals(Ctx& ctx, const io::Dataset& ds, const io::ForgetSplit& split, io::Regime regime, uint64_t seed,
                const TuningSettings& ts, int64_t tile_users = 2048);
  TuningSignals(const TuningSignals&) = delete;
  TuningSignals& operator=(const TuningSignals&) = delete;
  // The reference the utility floor is a fraction of — θ₀ on the edited graph, where every
  // method starts: what the update costs is measured, not what dropping the deleted edges costs
  // (Retrain pays that too). Must come before measure().
  Signals measure_reference(const Tensor& users, const Tensor& items);
  // A model on the edited graph (users: U×d, items: I×d embeddings).
  Signals measure(const Tensor& users, const Tensor& items) const;
  double floor() const { return floor_; }
  io::Regime regime() const { return regime_; }
  const std::string& population() const { return population_; }  // what V is measured on
  const std::string& floor_population() const { return floor_population_; }  // what the floor is measured on
  const MiaPlan& plan() const { return plan_; }

 private:
  // keep_utility: receives the per-user valid Recall@20 (θ₀'s, for the paired floor).
  Signals compute(const Tensor& users, const Tensor& items, std::map<int32_t, double>* keep_utility) const;
  TuningSettings ts_;
  io::Regime regime_;
  SplitPatterns sp_;  // test := the retained users' valid rows
  Auditor aud_;
  MiaPlan plan_;
  int strata_ = 5;
  bool untouched_ = false;  // V over the users who lose no pair (pair requests, pair_untouched)
  double ratio_ = 1.0;      // target = ratio_ × V
  std::vector<int> pair_stratum_;     // popularity stratum of every F and V pair
  std::vector<double> pair_weight_;   // 1 / (the pair's user's pairs on its side)
  std::string population_;
  std::string floor_population_;
  std::vector<char> floor_user_;      // 1: the user's valid Recall@20 counts in the floor's utility
  // The pairs of the scoring pass: F's, V's, the retained users' valid rows (utility), then
  // family A's members and non-members.
  std::vector<PairQuery> queries_;
  size_t at_v_ = 0, at_u_ = 0, at_a_ = 0;
  std::map<int32_t, double> utility0_;  // θ₀'s per-user valid Recall@20
  double floor_ = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace lethe::audit
