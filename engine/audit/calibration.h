// engine/audit/calibration.h — calibrating the tuner's forget target on pair requests
// (`unlearn.auto.pair_population` / `unlearn.auto.pair_ratio`, docs/TRU.md (g)) from a few
// validation requests that each have a Retrain. This is an offline step, done once per data set
// with requests made only for it: the tuner itself never sees a Retrain. Per request it reads, with
// the tuner's own signals (tuning_signals.h, valid split only):
//   F_R     Retrain's forget signal — D_f's Recall@20 with D_r masked, the level tru-auto aims at;
//   V′₀     θ₀'s valid Recall@20 over the users who lose no pair (on the edited graph) — the
//           tuner's V with pair_population untouched; the update leaves these users alone, so the
//           tuner sees θ₀'s value all along;
//   V_R     the forget users' own valid Recall@20 under Retrain, and F_R / V_R, Retrain's own
//           parity — what the specified target F = V (pair_population forget) assumes to be 1;
//   V₀      the forget users' valid Recall@20 under θ₀, for reference.
// The suggested share is the mean of F_R / V′₀ over the pair requests; each request is also judged
// leave-one-out: would F held exactly at (the mean of the other requests' shares) × V′₀ land within
// Retrain's reach, max(0.2 × F_R, 0.01)?
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "engine/audit/tuning_signals.h"
#include "io/json.h"

namespace lethe::audit {

struct CalibrationRow {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  std::string request;          // the request's name (its file)
  std::string regime;           // the request's effective regime
  bool pairs_only = false;      // deletes pairs only: the pair settings apply to it
  int64_t forget_rows = 0, forget_users = 0;
  double forget_original = kNaN;          // F under θ₀ (edited graph)
  double forget_retrain = kNaN;           // F_R
  double valid_untouched_original = kNaN; // V′₀
  double valid_untouched_retrain = kNaN;  // V′ under Retrain
  double valid_forget_original = kNaN;    // V₀
  double valid_forget_retrain = kNaN;     // V_R
  double retrain_parity = kNaN;           // F_R / V_R, over the strata with valid rows of the forget users
  double share() const { return forget_retrain / valid_untouched_original; }  // F_R / V′₀
  // Leave-one-out (summarize_calibration): the share of the other requests, the F it sets, and
  // whether that F is within Retrain's reach of F_R.
  double loo_share = kNaN, loo_target = kNaN;
  bool loo_within = false;
};

// One request: θ₀'s and Retrain's final embeddings, both on the edited graph (D_r). ds: the data,
// of which only the train and valid splits are read; seed keys the membership plan the signals
// build (not used here).
CalibrationRow calibration_row(Ctx& ctx, const io::Dataset& ds, const io::ForgetSplit& split, uint64_t seed,
                               const TuningSettings& ts, const Tensor& original_users, const Tensor& original_items,
                               const Tensor& retrain_users, const Tensor& retrain_items, int64_t tile_users = 2048);

struct ShareStat {
  int64_t n = 0;
  double mean = CalibrationRow::kNaN, sd = CalibrationRow::kNaN, min = CalibrationRow::kNaN,
         max = CalibrationRow::kNaN;
};

struct CalibrationSummary {
  ShareStat share;           // F_R / V′₀ over the pair requests
  ShareStat retrain_parity;  // F_R / V_R over the pair requests
  int64_t loo_within = 0, loo_judged = 0;  // leave-one-out: requests within reach (needs ≥ 2)
  int64_t excluded = 0;      // requests that delete whole users or items (measured, not used)
  double suggested_ratio = CalibrationRow::kNaN;  // share.mean rounded to two decimals
};

// Fills every pair row's leave-one-out fields and returns the summary.
CalibrationSummary summarize_calibration(std::vector<CalibrationRow>& rows);

// {"rows": [...], "summary": {...}} — the schema of docs/TRU.md (g), "Calibrating the share".
io::Json calibration_json(const std::vector<CalibrationRow>& rows, const CalibrationSummary& s);

}  // namespace lethe::audit
