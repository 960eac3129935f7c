// engine/audit/report.h — the rows an unlearning experiment produces and what a person reads
// from them: results.json (a list of rows), results.csv, results.md (mean ± std over seeds per
// method, Retrain's row, the noise floor, θ₀'s row, how the table was made) and tradeoff.svg
// (retain Recall@20 against forget Recall@20, one point per method).
// The SVG is written by hand (no plotting library on the machines this runs on); every point is
// one <g class="point" data-method="..."> element so that tools and tests can find them.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "engine/result_meta.h"
#include "io/json.h"
#include "io/table.h"

namespace lethe::audit {

// One audited model: the original θ₀ (method "original"), one unlearning method on one request
// (seed), or a failed run (status "failed", error set, metrics NaN). NaN = not measured; JSON
// writes it as null and reads null back as NaN.
struct AuditRow {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  std::string method, regime;
  double ratio = kNaN;
  int64_t seed = 0;
  std::string status = "ok", error;
  double retain_recall10 = kNaN, retain_recall20 = kNaN, retain_recall50 = kNaN;
  double retain_ndcg10 = kNaN, retain_ndcg20 = kNaN, retain_ndcg50 = kNaN, retain_precision20 = kNaN;
  double forget_recall20 = kNaN, forget_ndcg20 = kNaN;
  double exposure20 = kNaN, exposure_reduction = kNaN;
  double overlap20 = kNaN;      // mean per-user overlap@20 with Retrain (same seed)
  double noise_floor20 = kNaN;  // Retrain vs Retrain with another seed (Retrain's row)
  double seconds = kNaN, speedup = kNaN;
  int64_t peak_bytes = -1, epochs = -1;  // −1: unknown
  std::vector<std::string> selected_layers;
  std::string device;
  int64_t forget_rows = -1, retain_users = -1;  // |D_f|; users in the retain test
  RunMeta meta;  // dataset, model, build, settings hash, schema (engine/result_meta.h)
  // What the method reports about its own run (UnlearnResult::stats: ScaleGUN's CG iterations,
  // the certified head's ε, δ, retrains, bound and budget, ...) and statements results.md repeats.
  std::map<std::string, double> method_stats;
  std::vector<std::string> notes;
  // The membership-inference, user-level and backdoor audits (the keys of
  // audit_result_keys(); absent = not measured), written to JSON as top-level keys.
  std::map<std::string, double> audit;

  bool ok() const { return status == "ok"; }
  double metric(const std::string& key) const;  // an audit value; NaN when absent
  // keys: required_result_keys(), extra_result_keys(), run_meta_keys(), then the audit keys measured
  io::Json to_json() const;
  static AuditRow from_json(const io::Json& j);  // throws naming a missing required key
};

// The keys of issue 5 every row carries, in order, then the extra keys this project adds.
const std::vector<std::string>& required_result_keys();
const std::vector<std::string>& extra_result_keys();

// The audit keys a row may carry, in the order results.csv shows them: each family's values and
// sizes, then for every headline value of reference_keys() three more: <key>_retrain (Retrain's
// value on the same request), <key>_gap (|value − Retrain's|) and, on Retrain's row only,
// <key>_spread (|second Retrain's value − Retrain's|: the noise floor of the gap).
const std::vector<std::string>& audit_result_keys();
const std::vector<std::string>& reference_keys();
// Fills <key>_retrain and <key>_gap of every row whose seed has a successful Retrain row, and the
// forget criteria of every method's row: forget_recall@20_gap = |forget − Retrain's|, within
// forget_tolerance = forget_tolerance(Retrain's forget, its forget_recall@20_spread) — then
// forget_within = 1 — and forget_gap_ratio = that gap / (θ₀'s forget − Retrain's) (the older rule:
// within 10 % of θ₀'s distance to Retrain).
void attach_retrain_references(std::vector<AuditRow>& rows);
// How far a forget Recall@20 may be from Retrain's and still be within Retrain's own reach:
// max(0.2 × Retrain's value, the distance between two Retrains of the request (spread; NaN when
// there is no second Retrain), 0.01).
double forget_tolerance(double retrain_forget, double retrain_spread);

io::Json rows_to_json(const std::vector<AuditRow>& rows);
std::vector<AuditRow> rows_from_json(const io::Json& j);  // a JSON list of rows

// All rows, all keys (selected_layers joined with ';'); of the audit keys, those some row has.
io::Table results_table(const std::vector<AuditRow>& rows);

// Mean and sample standard deviation (n − 1; NaN when fewer than 2 values) of a list of values,
// NaN values skipped (e.g. one metric over the successful rows of one method).
struct Stat {
  double mean = AuditRow::kNaN, std = AuditRow::kNaN;
  int64_t n = 0;
};
Stat stat_of(const std::vector<double>& values);

struct MethodSummary {
  std::string method;
  int64_t runs = 0, failed = 0;
  Stat retain_recall20, retain_ndcg20, forget_recall20, forget_ndcg20, exposure20, exposure_reduction, overlap20,
      seconds, speedup, peak_bytes, noise_floor20;
};
// One summary per method in the order: original, retrain, then the others in order of first
// appearance.
std::vector<MethodSummary> summarize(const std::vector<AuditRow>& rows);

// What results.md says about how it was made.
struct ReportInfo {
  std::string title = "Unlearning audit";
  std::string command, device, date, dataset, model, regime, selection;
  double ratio = AuditRow::kNaN;
  int64_t seeds = 0;
  std::string retain_split = "test";  // the split of the retain columns (valid when tuning)
  std::vector<std::string> notes;  // extra lines (e.g. "retrain not run: no speed-up/overlap")
};
// The core table, then (when the rows hold them) the membership-inference and user-level
// tables: each audit's value, Retrain's, |value − Retrain's| and the Retrain-vs-Retrain spread.
std::string results_markdown(const std::vector<AuditRow>& rows, const ReportInfo& info);
// The backdoor experiment's table (backdoor.h): ASR@20, ER@20, the target's mean rank, retain
// Recall@20, |ASR − θ_clean's| against its tolerance, and whether each method passes.
std::string backdoor_markdown(const std::vector<AuditRow>& rows, const ReportInfo& info);

// Scatter of retain Recall@20 (x) against forget Recall@20 (y): one point per method (mean over
// seeds, ±std whiskers on both axes), Retrain highlighted, θ₀ marked with a cross, axis labels,
// ticks and a legend. When the rows hold the membership audit, a second panel beside it plots
// retain Recall@20 against family A's AUC (Retrain's level dashed, chance dotted). Each panel is
// a <g class="panel" data-panel="forget|mia"> element.
std::string tradeoff_svg(const std::vector<AuditRow>& rows, const std::string& title);

// "2026-04-30 12:34:56 UTC"
std::string utc_now();

}  // namespace lethe::audit
