// engine/audit/calibration.cpp — see calibration.h.
#include "engine/audit/calibration.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "engine/audit/mia.h"
#include "engine/audit/report.h"

namespace lethe::audit {

CalibrationRow calibration_row(Ctx& ctx, const io::Dataset& ds, const io::ForgetSplit& split, uint64_t seed,
                               const TuningSettings& ts, const Tensor& original_users, const Tensor& original_items,
                               const Tensor& retrain_users, const Tensor& retrain_items, int64_t tile_users) {
  CalibrationRow r;
  const io::Regime regime = effective_regime(ds, split, io::Regime::kExplicit);
  r.regime = io::regime_name(regime);
  r.pairs_only = regime != io::Regime::kUser && regime != io::Regime::kItem;
  r.forget_rows = split.forget.size();
  r.forget_users = static_cast<int64_t>(split.forget_users.size());
  // θ₀'s and Retrain's signals with V over the forget users' (untouched = false) or the untouched
  // users' valid rows; the raw V: the share is what is being measured, so none is applied here.
  auto both = [&](bool untouched) {
    TuningSettings t = ts;
    t.pair_untouched = untouched;
    t.pair_ratio = 1.0;
    TuningSignals sig(ctx, ds, split, regime, seed, t, tile_users);
    const Signals o = sig.measure_reference(original_users, original_items);
    return std::make_pair(o, sig.measure(retrain_users, retrain_items));
  };
  const auto [o_own, r_own] = both(false);
  r.forget_original = o_own.forget;
  r.forget_retrain = r_own.forget;
  r.valid_forget_original = o_own.valid;
  r.valid_forget_retrain = r_own.valid;
  r.retrain_parity = r_own.forget / r_own.valid;
  if (r.pairs_only) {
    // F as the tuner compares it with the untouched users' V (the strata where they have pairs).
    const auto [o_unt, r_unt] = both(true);
    r.forget_original = o_unt.forget;
    r.forget_retrain = r_unt.forget;
    r.valid_untouched_original = o_unt.valid;
    r.valid_untouched_retrain = r_unt.valid;
  }
  return r;
}

namespace {

// Mean and sd as report.h's stat_of (NaN skipped), with the range.
ShareStat share_stat(const std::vector<double>& v) {
  const Stat st = stat_of(v);
  ShareStat s;
  s.n = st.n;
  s.mean = st.mean;
  s.sd = st.std;
  for (double x : v)
    if (!std::isnan(x)) {
      s.min = std::isnan(s.min) ? x : std::min(s.min, x);
      s.max = std::isnan(s.max) ? x : std::max(s.max, x);
    }
  return s;
}

io::Json stat_json(const ShareStat& s) {
  io::Json j = io::Json::object();
  j["n"] = s.n;
  j["mean"] = s.mean;
  j["sd"] = s.sd;
  j["min"] = s.min;
  j["max"] = s.max;
  return j;
}

}  // namespace

CalibrationSummary summarize_calibration(std::vector<CalibrationRow>& rows) {
  CalibrationSummary s;
  std::vector<double> shares, parities;
  for (const auto& r : rows) {
    if (!r.pairs_only) {
      ++s.excluded;
      continue;
    }
    // A share or parity without a finite value (no valid hit in its population) says nothing.
    if (std::isfinite(r.share())) shares.push_back(r.share());
    if (std::isfinite(r.retrain_parity)) parities.push_back(r.retrain_parity);
  }
  s.share = share_stat(shares);
  s.retrain_parity = share_stat(parities);
  if (s.share.n > 0) s.suggested_ratio = std::round(s.share.mean * 100.0) / 100.0;
  for (auto& r : rows) {
    r.loo_share = r.loo_target = CalibrationRow::kNaN;
    r.loo_within = false;
    if (!r.pairs_only || !std::isfinite(r.share()) || s.share.n < 2) continue;
    r.loo_share = (s.share.mean * static_cast<double>(s.share.n) - r.share()) / static_cast<double>(s.share.n - 1);
    r.loo_target = r.loo_share * r.valid_untouched_original;
    r.loo_within = std::fabs(r.loo_target - r.forget_retrain) <= forget_tolerance(r.forget_retrain, CalibrationRow::kNaN);
    ++s.loo_judged;
    s.loo_within += r.loo_within ? 1 : 0;
  }
  return s;
}

io::Json calibration_json(const std::vector<CalibrationRow>& rows, const CalibrationSummary& s) {
  io::Json out = io::Json::object();
  io::Json list = io::Json::array();
  for (const auto& r : rows) {
    io::Json j = io::Json::object();
    j["request"] = r.request;
    j["regime"] = r.regime;
    j["pairs_only"] = r.pairs_only;
    j["forget_rows"] = r.forget_rows;
    j["forget_users"] = r.forget_users;
    j["forget_original"] = r.forget_original;
    j["forget_retrain"] = r.forget_retrain;
    j["valid_untouched_original"] = r.valid_untouched_original;
    j["valid_untouched_retrain"] = r.valid_untouched_retrain;
    j["valid_forget_original"] = r.valid_forget_original;
    j["valid_forget_retrain"] = r.valid_forget_retrain;
    j["share"] = r.pairs_only ? r.share() : CalibrationRow::kNaN;
    j["retrain_parity"] = r.retrain_parity;
    j["loo_share"] = r.loo_share;
    j["loo_target"] = r.loo_target;
    j["loo_within"] = std::isfinite(r.loo_target) ? io::Json(r.loo_within) : io::Json(nullptr);
    list.push_back(j);
  }
  out["rows"] = list;
  io::Json sum = io::Json::object();
  sum["share"] = stat_json(s.share);
  sum["retrain_parity"] = stat_json(s.retrain_parity);
  sum["loo_within"] = s.loo_within;
  sum["loo_judged"] = s.loo_judged;
  sum["excluded"] = s.excluded;
  sum["suggested_pair_population"] = s.share.n > 0 ? io::Json("untouched") : io::Json(nullptr);
  sum["suggested_pair_ratio"] = s.suggested_ratio;
  out["summary"] = sum;
  return out;
}

}  // namespace lethe::audit
