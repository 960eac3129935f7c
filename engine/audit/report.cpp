// engine/audit/report.cpp — see report.h.
#include "engine/audit/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <tuple>

#include "kernels/common.h"

namespace lethe::audit {

namespace {

constexpr double kNaN = AuditRow::kNaN;

// JSON numbers: NaN → null (io::Json does it for doubles); −1 counters → null.
io::Json count_or_null(int64_t v) { return v < 0 ? io::Json() : io::Json(v); }
int64_t count_from(const io::Json* j) { return (j && j->is_number()) ? j->as_int() : -1; }
double num_from(const io::Json* j) { return (j && j->is_number()) ? j->as_double() : kNaN; }
std::string str_from(const io::Json* j) { return (j && j->is_string()) ? j->as_string() : std::string(); }

}  // namespace

const std::vector<std::string>& required_result_keys() {
  static const std::vector<std::string> k = {"method",           "regime",         "ratio",
                                             "seed",             "retain_recall@20", "retain_ndcg@20",
                                             "forget_recall@20", "exposure@20",    "overlap@20_retrain",
                                             "seconds",          "speedup_vs_retrain"};
  return k;
}

const std::vector<std::string>& extra_result_keys() {
  static const std::vector<std::string> k = {
      "status",          "error",          "retain_recall@10",   "retain_recall@50",        "retain_ndcg@10",
      "retain_ndcg@50",  "retain_precision@20", "forget_ndcg@20", "exposure_reduction", "noise_floor_overlap@20",
      "peak_bytes",      "epochs",         "selected_layers",    "device",                  "forget_rows",
      "retain_users",    "method_stats",   "notes"};
  return k;
}

io::Json AuditRow::to_json() const {
  io::Json j = io::Json::object();
  j["method"] = method;
  j["regime"] = regime;
  j["ratio"] = ratio;
  j["seed"] = seed;
  j["retain_recall@20"] = retain_recall20;
  j["retain_ndcg@20"] = retain_ndcg20;
  j["forget_recall@20"] = forget_recall20;
  j["exposure@20"] = exposure20;
  j["overlap@20_retrain"] = overlap20;
  j["seconds"] = seconds;
  j["speedup_vs_retrain"] = speedup;
  j["status"] = status;
  j["error"] = error;
  j["retain_recall@10"] = retain_recall10;
  j["retain_recall@50"] = retain_recall50;
  j["retain_ndcg@10"] = retain_ndcg10;
  j["retain_ndcg@50"] = retain_ndcg50;
  j["retain_precision@20"] = retain_precision20;
  j["forget_ndcg@20"] = forget_ndcg20;
  j["exposure_reduction"] = exposure_reduction;
  j["noise_floor_overlap@20"] = noise_floor20;
  j["peak_bytes"] = count_or_null(peak_bytes);
  j["epochs"] = count_or_null(epochs);
  io::Json layers = io::Json::array();
  for (const auto& l : selected_layers) layers.push_back(l);
  j["selected_layers"] = layers;
  j["device"] = device;
  j["forget_rows"] = count_or_null(forget_rows);
  j["retain_users"] = count_or_null(retain_users);
  io::Json st = io::Json::object();
  for (const auto& [k, v] : method_stats) st[k] = v;
  j["method_stats"] = st;
  io::Json nt = io::Json::array();
  for (const auto& n : notes) nt.push_back(n);
  j["notes"] = nt;
  meta.put(j);  // the comparability block (engine/result_meta.h)
  for (const auto& [k, v] : audit)
    LETHE_CHECK(std::find(audit_result_keys().begin(), audit_result_keys().end(), k) != audit_result_keys().end(),
                "results row: unknown audit key '" + k + "'");
  for (const auto& k : audit_result_keys())
    if (auto it = audit.find(k); it != audit.end()) j[k] = it->second;
  return j;
}

double AuditRow::metric(const std::string& key) const {
  auto it = audit.find(key);
  return it == audit.end() ? kNaN : it->second;
}

AuditRow AuditRow::from_json(const io::Json& j) {
  if (!j.is_object()) LETHE_FAIL("results row is not a JSON object");
  for (const auto& k : required_result_keys())
    if (!j.contains(k)) LETHE_FAIL("results row lacks the key '" + k + "'");
  AuditRow r;
  r.method = j.at("method").as_string();
  r.regime = j.at("regime").as_string();
  r.ratio = num_from(j.find("ratio"));
  r.seed = j.at("seed").as_int();
  r.retain_recall20 = num_from(j.find("retain_recall@20"));
  r.retain_ndcg20 = num_from(j.find("retain_ndcg@20"));
  r.forget_recall20 = num_from(j.find("forget_recall@20"));
  r.exposure20 = num_from(j.find("exposure@20"));
  r.overlap20 = num_from(j.find("overlap@20_retrain"));
  r.seconds = num_from(j.find("seconds"));
  r.speedup = num_from(j.find("speedup_vs_retrain"));
  if (const io::Json* s = j.find("status"); s && s->is_string()) r.status = s->as_string();
  r.error = str_from(j.find("error"));
  r.retain_recall10 = num_from(j.find("retain_recall@10"));
  r.retain_recall50 = num_from(j.find("retain_recall@50"));
  r.retain_ndcg10 = num_from(j.find("retain_ndcg@10"));
  r.retain_ndcg50 = num_from(j.find("retain_ndcg@50"));
  r.retain_precision20 = num_from(j.find("retain_precision@20"));
  r.forget_ndcg20 = num_from(j.find("forget_ndcg@20"));
  r.exposure_reduction = num_from(j.find("exposure_reduction"));
  r.noise_floor20 = num_from(j.find("noise_floor_overlap@20"));
  r.peak_bytes = count_from(j.find("peak_bytes"));
  r.epochs = count_from(j.find("epochs"));
  if (const io::Json* l = j.find("selected_layers"); l && l->is_array())
    for (const auto& e : l->elements()) r.selected_layers.push_back(e.as_string());
  r.device = str_from(j.find("device"));
  r.forget_rows = count_from(j.find("forget_rows"));
  r.retain_users = count_from(j.find("retain_users"));
  r.meta = RunMeta::from_json(j);
  if (const io::Json* m = j.find("method_stats"); m && m->is_object())
    for (const auto& [k, v] : m->members()) r.method_stats[k] = num_from(&v);
  if (const io::Json* n = j.find("notes"); n && n->is_array())
    for (const auto& e : n->elements()) r.notes.push_back(e.as_string());
  for (const auto& k : audit_result_keys())
    if (const io::Json* v = j.find(k)) r.audit[k] = num_from(v);
  return r;
}

const std::vector<std::string>& reference_keys() {
  static const std::vector<std::string> k = {"mia_a_auc", "mia_a_bacc", "mia_b_auc", "mia_b_bacc", "mia_c_auc",
                                             "umia_deleted_rate"};
  return k;
}

const std::vector<std::string>& audit_result_keys() {
  static const std::vector<std::string> k = [] {
    std::vector<std::string> v = {
        "mia_a_auc", "mia_a_auc_sd", "mia_a_bacc", "mia_a_bacc_sd", "mia_a_se_auc", "mia_a_se_bacc", "mia_a_n",
        "mia_b_auc", "mia_b_auc_sd", "mia_b_bacc", "mia_b_bacc_sd", "mia_b_se_auc", "mia_b_se_bacc", "mia_b_n_members",
        "mia_b_n_nonmembers", "mia_c_auc", "mia_c_auc_sd", "mia_c_se_auc", "mia_c_n", "umia_deleted_rate",
        "umia_outsider_rate", "umia_retained_rate", "umia_bacc", "umia_deleted_users", "umia_outsiders",
        "umia_retained_users", "backdoor_asr@20", "backdoor_er@20", "backdoor_target_rank", "backdoor_asr_gap",
        "backdoor_tolerance", "backdoor_pass", "backdoor_attack_size", "backdoor_fake_users",
        "backdoor_trigger_holders", "backdoor_retain_ratio", "audit_seconds"};
    for (const auto& r : reference_keys())
      for (const char* suffix : {"_retrain", "_gap", "_spread"}) v.push_back(r + suffix);
    // The forget criteria (attach_retrain_references): Retrain's forget level, the gap to it,
    // its noise (second Retrain, on Retrain's row), the tolerance, the verdict, the gap as a
    // fraction of θ₀'s distance to Retrain.
    for (const char* f : {"forget_recall@20_retrain", "forget_recall@20_gap", "forget_recall@20_spread",
                          "forget_tolerance", "forget_within", "forget_gap_ratio", "retain_recall@20_spread"})
      v.push_back(f);
    return v;
  }();
  return k;
}

double forget_tolerance(double retrain_forget, double retrain_spread) {
  double tol = std::max(0.2 * retrain_forget, 0.01);
  if (!std::isnan(retrain_spread)) tol = std::max(tol, retrain_spread);
  return tol;
}

void attach_retrain_references(std::vector<AuditRow>& rows) {
  for (auto& r : rows) {
    const AuditRow* ref = nullptr;
    const AuditRow* orig = nullptr;
    for (const auto& q : rows) {
      if (q.method == "retrain" && q.seed == r.seed && q.ok()) ref = &q;
      if (q.method == "original" && q.seed == r.seed && q.ok()) orig = &q;
    }
    for (const char* k : {"forget_recall@20_retrain", "forget_recall@20_gap", "forget_tolerance", "forget_within",
                          "forget_gap_ratio"})
      r.audit.erase(k);
    if (ref && !std::isnan(ref->forget_recall20) && r.ok() && r.method != "original" && r.method != "retrain" &&
        !std::isnan(r.forget_recall20)) {
      const double gap = std::fabs(r.forget_recall20 - ref->forget_recall20);
      const double tol = forget_tolerance(ref->forget_recall20, ref->metric("forget_recall@20_spread"));
      r.audit["forget_recall@20_retrain"] = ref->forget_recall20;
      r.audit["forget_recall@20_gap"] = gap;
      r.audit["forget_tolerance"] = tol;
      r.audit["forget_within"] = gap <= tol ? 1.0 : 0.0;
      const double span = orig ? orig->forget_recall20 - ref->forget_recall20 : kNaN;
      if (span > 0) r.audit["forget_gap_ratio"] = gap / span;
    }
    for (const auto& k : reference_keys()) {
      r.audit.erase(k + "_retrain");
      r.audit.erase(k + "_gap");
      const double v = r.metric(k), rv = ref ? ref->metric(k) : kNaN;
      if (!ref || std::isnan(rv) || r.audit.find(k) == r.audit.end()) continue;
      r.audit[k + "_retrain"] = rv;
      r.audit[k + "_gap"] = std::isnan(v) ? kNaN : std::fabs(v - rv);
    }
  }
}

io::Json rows_to_json(const std::vector<AuditRow>& rows) {
  io::Json a = io::Json::array();
  for (const auto& r : rows) a.push_back(r.to_json());
  return a;
}

std::vector<AuditRow> rows_from_json(const io::Json& j) {
  if (!j.is_array()) LETHE_FAIL("results: expected a JSON list of rows");
  std::vector<AuditRow> out;
  for (const auto& e : j.elements()) out.push_back(AuditRow::from_json(e));
  return out;
}

io::Table results_table(const std::vector<AuditRow>& rows) {
  std::vector<std::string> header = required_result_keys();
  for (const auto& k : extra_result_keys()) header.push_back(k);
  for (const auto& k : run_meta_keys()) header.push_back(k);
  for (const auto& k : audit_result_keys())
    if (std::any_of(rows.begin(), rows.end(), [&](const AuditRow& r) { return r.audit.count(k) > 0; })) header.push_back(k);
  io::Table t(header);
  for (const auto& r : rows) {
    const io::Json j = r.to_json();
    std::vector<io::Cell> cells;
    for (const auto& k : header) {
      if (!j.contains(k)) {  // an audit this row did not run
        cells.emplace_back("");
        continue;
      }
      const io::Json& v = j.at(k);
      if (v.is_array()) {
        std::string s;
        for (const auto& e : v.elements()) s += (s.empty() ? "" : ";") + e.as_string();
        cells.emplace_back(s);
      } else if (v.is_object()) {  // key=value;key=value
        std::string s;
        for (const auto& [mk, mv] : v.members())
          s += (s.empty() ? "" : ";") + mk + "=" + (mv.is_number() ? io::format_double(mv.as_double()) : std::string());
        cells.emplace_back(s);
      } else if (v.is_string()) {
        cells.emplace_back(v.as_string());
      } else if (v.is_null() || (v.is_number() && std::isnan(v.as_double()))) {
        cells.emplace_back("");  // not measured
      } else if (v.type() == io::Json::Type::kInt) {
        cells.emplace_back(v.as_int());
      } else {
        cells.emplace_back(v.as_double());
      }
    }
    t.add_row(std::move(cells));
  }
  return t;
}

Stat stat_of(const std::vector<double>& values) {
  Stat s;
  double sum = 0;
  for (double v : values)
    if (!std::isnan(v)) { sum += v; ++s.n; }
  if (s.n == 0) return s;
  s.mean = sum / static_cast<double>(s.n);
  if (s.n >= 2) {
    double ss = 0;
    for (double v : values)
      if (!std::isnan(v)) ss += (v - s.mean) * (v - s.mean);
    s.std = std::sqrt(ss / static_cast<double>(s.n - 1));
  }
  return s;
}

std::vector<MethodSummary> summarize(const std::vector<AuditRow>& rows) {
  std::vector<std::string> order;
  auto add = [&](const std::string& m) {
    if (std::find(order.begin(), order.end(), m) == order.end()) order.push_back(m);
  };
  for (const char* first : {"original", "retrain"})
    for (const auto& r : rows)
      if (r.method == first) { add(first); break; }
  for (const auto& r : rows) add(r.method);

  std::vector<MethodSummary> out;
  for (const auto& m : order) {
    MethodSummary s;
    s.method = m;
    std::map<std::string, std::vector<double>> v;
    for (const auto& r : rows) {
      if (r.method != m) continue;
      ++s.runs;
      if (!r.ok()) { ++s.failed; continue; }
      v["rr"].push_back(r.retain_recall20);
      v["rn"].push_back(r.retain_ndcg20);
      v["fr"].push_back(r.forget_recall20);
      v["fn"].push_back(r.forget_ndcg20);
      v["ex"].push_back(r.exposure20);
      v["er"].push_back(r.exposure_reduction);
      v["ov"].push_back(r.overlap20);
      v["s"].push_back(r.seconds);
      v["su"].push_back(r.speedup);
      v["pb"].push_back(r.peak_bytes < 0 ? kNaN : static_cast<double>(r.peak_bytes));
      v["nf"].push_back(r.noise_floor20);
    }
    s.retain_recall20 = stat_of(v["rr"]);
    s.retain_ndcg20 = stat_of(v["rn"]);
    s.forget_recall20 = stat_of(v["fr"]);
    s.forget_ndcg20 = stat_of(v["fn"]);
    s.exposure20 = stat_of(v["ex"]);
    s.exposure_reduction = stat_of(v["er"]);
    s.overlap20 = stat_of(v["ov"]);
    s.seconds = stat_of(v["s"]);
    s.speedup = stat_of(v["su"]);
    s.peak_bytes = stat_of(v["pb"]);
    s.noise_floor20 = stat_of(v["nf"]);
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

std::string fmt(double v, int decimals) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

// "0.1234 ± 0.0012", "0.1234" (one value), "–" (none).
std::string pm(const Stat& s, int decimals, double scale = 1.0, const std::string& suffix = "") {
  if (s.n == 0 || std::isnan(s.mean)) return "–";
  std::string t = fmt(s.mean * scale, decimals);
  if (!std::isnan(s.std)) t += " ± " + fmt(s.std * scale, decimals);
  return t + suffix;
}

// A right-aligned (numeric) Markdown cell holding formatted text.
io::Cell numeric_cell(std::string text) {
  io::Cell c(std::move(text));
  c.numeric = true;
  return c;
}

std::string display_name(const std::string& m) {
  if (m == "original") return "original θ₀ (before unlearning)";
  if (m == "retrain") return "**retrain** (reference)";
  return m;
}

bool any_metric(const std::vector<AuditRow>& rows, const std::string& key) {
  return std::any_of(rows.begin(), rows.end(), [&](const AuditRow& r) { return r.ok() && !std::isnan(r.metric(key)); });
}

// One audit value of one method over its successful rows (one per seed).
Stat method_stat(const std::vector<AuditRow>& rows, const std::string& method, const std::string& key) {
  std::vector<double> v;
  for (const auto& r : rows)
    if (r.method == method && r.ok()) v.push_back(r.metric(key));
  return stat_of(v);
}

// A Markdown table of audit values: one row per method (summarize's order), one column per key.
std::string audit_table(const std::vector<AuditRow>& rows, const std::vector<std::pair<std::string, std::string>>& cols,
                        int decimals) {
  std::vector<std::string> header = {"Method"};
  for (const auto& c : cols) header.push_back(c.second);
  io::Table t(header);
  for (const auto& s : summarize(rows)) {
    if (s.runs == s.failed) continue;
    std::vector<io::Cell> cells = {display_name(s.method)};
    for (const auto& c : cols) cells.push_back(numeric_cell(pm(method_stat(rows, s.method, c.first), decimals)));
    t.add_row(std::move(cells));
  }
  return t.to_markdown();
}

// "A AUC 0.012, B AUC 0.030" for the keys some Retrain row has a spread of.
std::string spread_line(const std::vector<AuditRow>& rows, const std::vector<std::pair<std::string, std::string>>& keys) {
  std::string out;
  int64_t pairs = 0;
  for (const auto& [k, label] : keys) {
    const Stat st = method_stat(rows, "retrain", k + "_spread");
    if (st.n == 0) continue;
    pairs = std::max(pairs, st.n);
    out += (out.empty() ? "" : ", ") + label + " " + pm(st, 3);
  }
  if (out.empty()) return "";
  return "Retrain-vs-Retrain spread (|second Retrain's value − Retrain's| on the same request, the noise floor of every "
         "|… − Retrain's| column): " + out + " over " + std::to_string(pairs) + " pair(s).\n\n";
}

std::string mia_section(const std::vector<AuditRow>& rows) {
  std::string md = "## Membership inference, interaction level\n\n";
  md += audit_table(rows,
                    {{"mia_a_auc", "A: AUC"},
                     {"mia_a_bacc", "A: bal. acc."},
                     {"mia_a_auc_gap", "A: |AUC − Retrain's|"},
                     {"mia_b_auc", "B: AUC"},
                     {"mia_b_bacc", "B: bal. acc."},
                     {"mia_b_auc_gap", "B: |AUC − Retrain's|"},
                     {"mia_c_auc", "C: AUC"},
                     {"mia_c_auc_gap", "C: |AUC − Retrain's|"}},
                    3);
  md += "\n";
  md += spread_line(rows, {{"mia_a_auc", "A AUC"}, {"mia_a_bacc", "A bal. acc."}, {"mia_b_auc", "B AUC"},
                           {"mia_b_bacc", "B bal. acc."}, {"mia_c_auc", "C AUC"}});
  // The null-noise standard errors are the same for every model of a request: Retrain's row (or
  // the first that has them) gives them.
  std::string se;
  for (const auto& r : rows) {
    if (!r.ok() || std::isnan(r.metric("mia_a_se_auc"))) continue;
    se = "Null-noise standard errors of one split (what chance alone moves a value by): A: AUC ±" +
         fmt(r.metric("mia_a_se_auc"), 3) + ", bal. acc. ±" + fmt(r.metric("mia_a_se_bacc"), 3) + " (" +
         fmt(r.metric("mia_a_n"), 0) + " pairs per class)";
    if (!std::isnan(r.metric("mia_b_se_auc")))
      se += "; B: AUC ±" + fmt(r.metric("mia_b_se_auc"), 3) + ", bal. acc. ±" + fmt(r.metric("mia_b_se_bacc"), 3) + " (" +
            fmt(r.metric("mia_b_n_members"), 0) + " members, " + fmt(r.metric("mia_b_n_nonmembers"), 0) + " non-members)";
    se += "; C: AUC ±" + fmt(r.metric("mia_c_se_auc"), 3) + " (" + fmt(r.metric("mia_c_n"), 0) + " pairs per class)";
    if (r.method == "retrain") break;
  }
  if (!se.empty()) md += se + "; first request.\n\n";
  const Stat cost = [&] {
    std::vector<double> v;
    for (const auto& r : rows)
      if (r.ok()) v.push_back(r.metric("audit_seconds"));
    return stat_of(v);
  }();
  if (cost.n > 0) {
    std::vector<double> rt;
    for (const auto& r : rows)
      if (r.ok() && r.method == "retrain") rt.push_back(r.seconds);
    const Stat rs = stat_of(rt);
    md += "Cost: every audit of one model (one scoring pass, the attacks) took " + pm(cost, 2) + " s";
    if (rs.n > 0) md += ", against " + pm(rs, 1) + " s for one Retrain";
    md += ".\n\n";
  }
  md += "A: one model; forget pairs against unseen positives (test rows) of the same users or items; features from "
        "the model's scores; logistic-regression attack (target: Retrain's value, near 0.5). B: θ₀'s and the model's "
        "scores of forget pairs against random unobserved pairs (target: Retrain's value, well above 0.5, since Retrain "
        "differs from θ₀ exactly on D_f). C: the model's scores of retained train pairs against forget pairs, no "
        "attack model (target: Retrain's value). Each value is the mean over 5 attack splits (A, B) or 5 resamples "
        "(C), then mean ± sd over request seeds. A value below Retrain's in A or C means over-forgetting.\n\n";
  return md;
}

std::string umia_section(const std::vector<AuditRow>& rows) {
  std::string md = "## Membership inference, user level\n\n";
  md += audit_table(rows,
                    {{"umia_deleted_rate", "Deleted users' member rate"},
                     {"umia_outsider_rate", "Outsiders' member rate"},
                     {"umia_retained_rate", "Retained users' member rate"},
                     {"umia_bacc", "Bal. acc. retained vs outsiders"},
                     {"umia_deleted_rate_gap", "|deleted − Retrain's|"}},
                    3);
  md += "\n";
  md += spread_line(rows, {{"umia_deleted_rate", "deleted users' member rate"}});
  for (const auto& r : rows)
    if (r.ok() && !std::isnan(r.metric("umia_outsiders"))) {
      md += "Users: " + fmt(r.metric("umia_deleted_users"), 0) + " deleted, " + fmt(r.metric("umia_outsiders"), 0) +
            " outsiders, " + fmt(r.metric("umia_retained_users"), 0) + " retained (first request).\n\n";
      break;
    }
  md += "The attack (a 64→32→8→2 network trained on a shadow model's members and non-members) reads a user's history "
        "and its top-100 recommendations and says \"member\" or not. Goal: the deleted users' member rate under a "
        "method ≈ Retrain's ≈ the outsiders' rate (users no model ever trained on); θ₀'s rate shows the attack "
        "works.\n\n";
  return md;
}

// What every report ends with: the failed runs, the runs' and the report's notes, the command,
// the device and the date.
std::string report_footer(const std::vector<AuditRow>& rows, const ReportInfo& info) {
  std::string md;
  for (const auto& r : rows)
    if (!r.ok()) md += "- failed: " + r.method + " seed " + std::to_string(r.seed) + ": " + r.error + "\n";
  for (const auto& r : rows)
    for (const auto& n : r.notes) md += "- " + r.method + " seed " + std::to_string(r.seed) + ": " + n + "\n";
  for (const auto& n : info.notes) md += "- " + n + "\n";
  if (!info.command.empty()) md += "\nCommand: `" + info.command + "`\n";
  if (!info.device.empty()) md += "\nDevice: " + info.device + "\n";
  md += "\nDate: " + (info.date.empty() ? utc_now() : info.date) + "\n";
  return md;
}

}  // namespace

std::string results_markdown(const std::vector<AuditRow>& rows, const ReportInfo& info) {
  const std::vector<MethodSummary> sums = summarize(rows);
  io::Table t({"Method", "Runs", "Retain R@20 ↑", "Retain N@20 ↑", "Forget R@20 (→ Retrain)", "Forget within reach",
               "Forget error / gap", "Exposure@20", "Exposure reduction", "Overlap@20 vs Retrain", "Time (s)", "Speed-up",
               "Peak MiB"});
  for (const auto& s : sums) {
    std::string runs = std::to_string(s.runs - s.failed);
    if (s.failed) runs += " (+" + std::to_string(s.failed) + " failed)";
    std::vector<io::Cell> cells = {display_name(s.method), numeric_cell(runs)};
    // The forget criteria, per request seed: within Retrain's reach (k of n seeds), and the
    // gap to Retrain as a fraction of θ₀'s distance to it.
    int64_t within = 0, judged = 0;
    for (const auto& r : rows)
      if (r.method == s.method && r.ok() && !std::isnan(r.metric("forget_within"))) {
        ++judged;
        within += r.metric("forget_within") > 0 ? 1 : 0;
      }
    const std::string reach = judged == 0 ? "–" : std::to_string(within) + "/" + std::to_string(judged);
    for (std::string v : {pm(s.retain_recall20, 4), pm(s.retain_ndcg20, 4), pm(s.forget_recall20, 4), reach,
                          pm(method_stat(rows, s.method, "forget_gap_ratio"), 3), pm(s.exposure20, 4),
                          pm(s.exposure_reduction, 1, 100.0, "%"), pm(s.overlap20, 3), pm(s.seconds, 2),
                          pm(s.speedup, 1, 1.0, "×"), pm(s.peak_bytes, 1, 1.0 / (1024.0 * 1024.0))})
      cells.push_back(numeric_cell(std::move(v)));
    t.add_row(std::move(cells));
  }
  std::string md = "# " + info.title + "\n\n";
  std::string setup;
  if (!info.dataset.empty()) setup += "data **" + info.dataset + "**";
  if (!info.model.empty()) setup += (setup.empty() ? "" : ", ") + std::string("model **") + info.model + "**";
  if (!info.regime.empty()) setup += (setup.empty() ? "" : ", ") + std::string("regime **") + info.regime + "**";
  if (!std::isnan(info.ratio)) setup += ", ratio " + io::format_double(info.ratio);
  if (!info.selection.empty()) setup += ", selection " + info.selection;
  if (info.seeds > 0) setup += ", " + std::to_string(info.seeds) + " seed(s) (mean ± std over seeds)";
  if (!setup.empty()) md += setup + ".\n\n";
  md += t.to_markdown();
  md += "\n";
  for (const auto& s : sums)
    if (s.method == "retrain" && s.noise_floor20.n > 0)
      md += "Noise floor (overlap@20 between two Retrain runs with different seeds, the best agreement any method "
            "can be expected to reach): **" + pm(s.noise_floor20, 3) + "** over " + std::to_string(s.noise_floor20.n) +
            " pair(s).\n\n";
  if (const Stat rs = method_stat(rows, "retrain", "retain_recall@20_spread"); rs.n > 0)
    md += "Retain R@20 of two Retrain runs of the same request differs by **" + pm(rs, 4) + "** over " +
          std::to_string(rs.n) + " pair(s) (Retrain's own run-to-run noise on the utility).\n\n";
  md += "Retain metrics: retain " + info.retain_split +
        " split, deleted users excluded, D_r masked. Forget R@20: D_f as ground truth, "
        "D_r masked (target: Retrain's value, not zero). Forget within reach: the request seeds on which "
        "|forget − Retrain's| ≤ max(0.2 × Retrain's, |Retrain − second Retrain| when a second Retrain ran, 0.01) — a "
        "model that forgot as well as retraining lands where Retrain itself might have; forget error / gap: "
        "|forget − Retrain's| / (θ₀'s forget − Retrain's), the older rule (≤ 0.1). Exposure@20: fraction of forget pairs in "
        "the user's top-20; "
        "its reduction is relative to θ₀. Overlap@20: mean per-user |top-20 ∩ Retrain's top-20| / 20 over retained "
        "users. Speed-up: Retrain's wall time / the method's, same device.\n\n";
  if (any_metric(rows, "mia_a_auc") || any_metric(rows, "mia_c_auc")) md += mia_section(rows);
  if (any_metric(rows, "umia_deleted_rate")) md += umia_section(rows);
  return md + report_footer(rows, info);
}

std::string backdoor_markdown(const std::vector<AuditRow>& rows, const ReportInfo& info) {
  io::Table t({"Method", "Runs", "ASR@20", "ER@20", "Target mean rank", "Retain R@20", "|ASR − θ_clean's|",
               "Tolerance", "Passes", "Time (s)"});
  for (const auto& s : summarize(rows)) {
    std::string runs = std::to_string(s.runs - s.failed);
    if (s.failed) runs += " (+" + std::to_string(s.failed) + " failed)";
    std::string name = s.method == "original"  ? std::string("θ₀ (trained with the fake users)")
                       : s.method == "retrain" ? std::string("**θ_clean** (trained without them: Retrain)")
                                               : s.method;
    int64_t passed = 0, judged = 0;
    for (const auto& r : rows)
      if (r.method == s.method && r.ok() && !std::isnan(r.metric("backdoor_pass"))) {
        ++judged;
        passed += r.metric("backdoor_pass") > 0.5;
      }
    const bool reference = s.method == "original" || s.method == "retrain";
    std::vector<io::Cell> cells = {name, numeric_cell(runs)};
    for (std::string v : {pm(method_stat(rows, s.method, "backdoor_asr@20"), 4), pm(method_stat(rows, s.method, "backdoor_er@20"), 4),
                          pm(method_stat(rows, s.method, "backdoor_target_rank"), 1), pm(s.retain_recall20, 4),
                          pm(method_stat(rows, s.method, "backdoor_asr_gap"), 4),
                          pm(method_stat(rows, s.method, "backdoor_tolerance"), 4),
                          reference || judged == 0 ? std::string("–") : std::to_string(passed) + "/" + std::to_string(judged),
                          pm(s.seconds, 2)})
      cells.push_back(numeric_cell(std::move(v)));
    t.add_row(std::move(cells));
  }
  std::string md = "# " + info.title + "\n\n";
  if (!info.dataset.empty())
    md += "data **" + info.dataset + "**" + (info.model.empty() ? "" : ", model **" + info.model + "**") + ", " +
          std::to_string(info.seeds) + " injection seed(s) (mean ± std over seeds).\n\n";
  md += t.to_markdown();
  md += "\nASR@20: the fraction of the genuine users holding a trigger item whose top-20 (own train items masked) "
        "contains the target; ER@20: the same over all genuine users; target mean rank: over the trigger holders "
        "(1 = top). A method passes on a seed when |ASR@20 − θ_clean's| ≤ max(0.01, 2 binomial standard errors of "
        "θ_clean's ASR) (the tolerance column) and its retain Recall@20 is at least 0.97 × θ_clean's. θ_clean is "
        "the Retrain of \"delete every fake user\"; every other method starts from θ₀ and is asked to forget exactly "
        "the fake users.\n\n";
  return md + report_footer(rows, info);
}

// ---- SVG ---------------------------------------------------------------------------------

namespace {

std::string xml_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string num(double v) { return fmt(v, 2); }  // pixel coordinates

// A "nice" tick step (1, 2 or 5 × 10^k) giving about `target` intervals over `range`.
double nice_step(double range, int target) {
  const double raw = range / target;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / p;
  const double m = f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10;
  return m * p;
}

struct Axis {
  double lo = 0, hi = 1, step = 0.2;
  int decimals = 1;
};

Axis make_axis(double lo, double hi) {
  if (!(hi > lo)) {  // one value (or none): a small window around it
    const double c = std::isnan(lo) ? 0.5 : lo, pad = std::max(std::abs(c) * 0.1, 0.01);
    lo = c - pad;
    hi = c + pad;
  } else {
    const double pad = (hi - lo) * 0.08;
    lo -= pad;
    hi += pad;
  }
  Axis a;
  a.step = nice_step(hi - lo, 5);
  a.lo = std::floor(lo / a.step) * a.step;
  a.hi = std::ceil(hi / a.step) * a.step;
  a.decimals = std::max(0, static_cast<int>(-std::floor(std::log10(a.step) + 1e-9)));
  return a;
}

const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
                          "#7f7f7f", "#aec7e8", "#ffbb78", "#98df8a"};

}  // namespace

namespace {

struct Pt {
  std::string method, color;
  Stat x, y;
};

// One scatter panel of the plot at horizontal offset ox: grid, ticks, frame, axis labels, the
// guide lines (value, colour, dash pattern) and the points (whiskers, then the marker; Retrain
// last, so no other point hides it).
std::string draw_panel(const std::vector<Pt>& pts, const std::string& panel, double ox, double pw, double ph, double T,
                       const std::string& xlabel, const std::string& ylabel,
                       const std::vector<std::tuple<double, std::string, std::string>>& guides) {
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  for (const auto& p : pts) {
    const double sx = std::isnan(p.x.std) ? 0 : p.x.std, sy = std::isnan(p.y.std) ? 0 : p.y.std;
    xlo = std::min(xlo, p.x.mean - sx);
    xhi = std::max(xhi, p.x.mean + sx);
    ylo = std::min(ylo, p.y.mean - sy);
    yhi = std::max(yhi, p.y.mean + sy);
  }
  for (const auto& g : guides)
    if (!std::isnan(std::get<0>(g))) {
      ylo = std::min(ylo, std::get<0>(g));
      yhi = std::max(yhi, std::get<0>(g));
    }
  if (pts.empty()) xlo = xhi = ylo = yhi = kNaN;
  const Axis ax = make_axis(xlo, xhi), ay = make_axis(ylo, yhi);
  const double L = ox;
  auto X = [&](double v) { return L + (v - ax.lo) / (ax.hi - ax.lo) * pw; };
  auto Y = [&](double v) { return T + ph - (v - ay.lo) / (ay.hi - ay.lo) * ph; };

  std::string s = "<g class=\"panel\" data-panel=\"" + panel + "\">\n";
  s += "<g class=\"axes\" stroke=\"#dddddd\" stroke-width=\"1\">\n";
  const int nx = static_cast<int>(std::lround((ax.hi - ax.lo) / ax.step));
  const int ny = static_cast<int>(std::lround((ay.hi - ay.lo) / ay.step));
  for (int k = 0; k <= nx; ++k) {
    const double v = ax.lo + k * ax.step;
    s += "<line x1=\"" + num(X(v)) + "\" y1=\"" + num(T) + "\" x2=\"" + num(X(v)) + "\" y2=\"" + num(T + ph) + "\"/>\n";
  }
  for (int k = 0; k <= ny; ++k) {
    const double v = ay.lo + k * ay.step;
    s += "<line x1=\"" + num(L) + "\" y1=\"" + num(Y(v)) + "\" x2=\"" + num(L + pw) + "\" y2=\"" + num(Y(v)) + "\"/>\n";
  }
  s += "</g>\n<g class=\"ticks\" fill=\"#333333\">\n";
  for (int k = 0; k <= nx; ++k) {
    const double v = ax.lo + k * ax.step;
    s += "<text x=\"" + num(X(v)) + "\" y=\"" + num(T + ph + 18) + "\" text-anchor=\"middle\">" + fmt(v, ax.decimals) +
         "</text>\n";
  }
  for (int k = 0; k <= ny; ++k) {
    const double v = ay.lo + k * ay.step;
    s += "<text x=\"" + num(L - 8) + "\" y=\"" + num(Y(v) + 4) + "\" text-anchor=\"end\">" + fmt(v, ay.decimals) +
         "</text>\n";
  }
  s += "</g>\n";
  s += "<rect x=\"" + num(L) + "\" y=\"" + num(T) + "\" width=\"" + num(pw) + "\" height=\"" + num(ph) +
       "\" fill=\"none\" stroke=\"#333333\"/>\n";
  s += "<text class=\"xlabel\" x=\"" + num(L + pw / 2) + "\" y=\"" + num(T + ph + 48) + "\" text-anchor=\"middle\">" +
       xml_escape(xlabel) + "</text>\n";
  s += "<text class=\"ylabel\" transform=\"translate(" + num(L - 60) + "," + num(T + ph / 2) +
       ") rotate(-90)\" text-anchor=\"middle\">" + xml_escape(ylabel) + "</text>\n";
  for (const auto& [v, colour, dash] : guides)
    if (!std::isnan(v))
      s += "<line class=\"target\" x1=\"" + num(L) + "\" y1=\"" + num(Y(v)) + "\" x2=\"" + num(L + pw) + "\" y2=\"" +
           num(Y(v)) + "\" stroke=\"" + colour + "\" stroke-dasharray=\"" + dash + "\" stroke-opacity=\"0.6\"/>\n";

  std::vector<const Pt*> draw;
  for (const auto& p : pts)
    if (p.method != "retrain") draw.push_back(&p);
  for (const auto& p : pts)
    if (p.method == "retrain") draw.push_back(&p);
  for (const Pt* pp : draw) {
    const Pt& p = *pp;
    const double cx = X(p.x.mean), cy = Y(p.y.mean);
    s += "<g class=\"point\" data-method=\"" + xml_escape(p.method) + "\" stroke=\"" + p.color + "\" fill=\"" + p.color +
         "\">\n";
    if (!std::isnan(p.x.std) && p.x.std > 0) {
      const double a = X(p.x.mean - p.x.std), b = X(p.x.mean + p.x.std);
      s += "<line x1=\"" + num(a) + "\" y1=\"" + num(cy) + "\" x2=\"" + num(b) + "\" y2=\"" + num(cy) + "\"/>";
      s += "<line x1=\"" + num(a) + "\" y1=\"" + num(cy - 4) + "\" x2=\"" + num(a) + "\" y2=\"" + num(cy + 4) + "\"/>";
      s += "<line x1=\"" + num(b) + "\" y1=\"" + num(cy - 4) + "\" x2=\"" + num(b) + "\" y2=\"" + num(cy + 4) + "\"/>\n";
    }
    if (!std::isnan(p.y.std) && p.y.std > 0) {
      const double a = Y(p.y.mean - p.y.std), b = Y(p.y.mean + p.y.std);
      s += "<line x1=\"" + num(cx) + "\" y1=\"" + num(a) + "\" x2=\"" + num(cx) + "\" y2=\"" + num(b) + "\"/>";
      s += "<line x1=\"" + num(cx - 4) + "\" y1=\"" + num(a) + "\" x2=\"" + num(cx + 4) + "\" y2=\"" + num(a) + "\"/>";
      s += "<line x1=\"" + num(cx - 4) + "\" y1=\"" + num(b) + "\" x2=\"" + num(cx + 4) + "\" y2=\"" + num(b) + "\"/>\n";
    }
    if (p.method == "retrain") {
      s += "<path d=\"M" + num(cx) + " " + num(cy - 9) + " L" + num(cx + 9) + " " + num(cy) + " L" + num(cx) + " " +
           num(cy + 9) + " L" + num(cx - 9) + " " + num(cy) + " Z\" stroke=\"black\" stroke-width=\"1.5\"/>\n";
    } else if (p.method == "original") {
      s += "<path d=\"M" + num(cx - 6) + " " + num(cy - 6) + " L" + num(cx + 6) + " " + num(cy + 6) + " M" +
           num(cx - 6) + " " + num(cy + 6) + " L" + num(cx + 6) + " " + num(cy - 6) + "\" stroke-width=\"2.5\"/>\n";
    } else {
      s += "<circle cx=\"" + num(cx) + "\" cy=\"" + num(cy) + "\" r=\"5\" fill-opacity=\"0.85\"/>\n";
    }
    s += "<title>" + xml_escape(p.method) + ": " + xml_escape(xlabel) + " " + fmt(p.x.mean, 4) + ", " +
         xml_escape(ylabel) + " " + fmt(p.y.mean, 4) + "</title>\n</g>\n";
  }
  s += "</g>\n";
  return s;
}

}  // namespace

std::string tradeoff_svg(const std::vector<AuditRow>& rows, const std::string& title) {
  // Colours by method, shared by the panels and the legend.
  std::map<std::string, std::string> colour_of;
  std::vector<std::string> order;
  size_t colour = 0;
  for (const auto& s : summarize(rows)) {
    if (s.runs == s.failed) continue;  // nothing measured (failed)
    order.push_back(s.method);
    colour_of[s.method] = s.method == "retrain"    ? std::string("#d62728")
                          : s.method == "original" ? std::string("#333333")
                                                   : std::string(kPalette[colour++ % (sizeof kPalette / sizeof kPalette[0])]);
  }
  std::vector<Pt> forget, mia;
  double retrain_forget = kNaN, retrain_mia = kNaN;
  for (const auto& s : summarize(rows)) {
    if (s.retain_recall20.n == 0) continue;
    if (s.forget_recall20.n > 0) {
      forget.push_back({s.method, colour_of[s.method], s.retain_recall20, s.forget_recall20});
      if (s.method == "retrain") retrain_forget = s.forget_recall20.mean;
    }
    const Stat a = method_stat(rows, s.method, "mia_a_auc");
    if (a.n > 0) {
      mia.push_back({s.method, colour_of[s.method], s.retain_recall20, a});
      if (s.method == "retrain") retrain_mia = a.mean;
    }
  }
  const bool two = !mia.empty();
  const double L = 80, R = 220, T = 50, B = 70, gap = 100, pw = 460, ph = 380;
  const double W = L + pw + (two ? gap + pw : 0) + R, H = T + ph + B;

  std::string s;
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(W) + "\" height=\"" + num(H) + "\" viewBox=\"0 0 " +
       num(W) + " " + num(H) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s += "<title>" + xml_escape(title) + "</title>\n";
  s += "<rect x=\"0\" y=\"0\" width=\"" + num(W) + "\" height=\"" + num(H) + "\" fill=\"white\"/>\n";
  s += "<text x=\"" + num((W - R) / 2) + "\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">" + xml_escape(title) +
       "</text>\n";
  s += draw_panel(forget, "forget", L, pw, ph, T, "Retain Recall@20 (higher is better)", "Forget Recall@20 (target: Retrain)",
                  {{retrain_forget, "#d62728", "5,4"}});
  if (two)
    s += draw_panel(mia, "mia", L + pw + gap, pw, ph, T, "Retain Recall@20 (higher is better)",
                    "Membership inference A: AUC (target: Retrain)", {{retrain_mia, "#d62728", "5,4"}, {0.5, "#555555", "2,3"}});

  // Legend.
  s += "<g class=\"legend\">\n";
  const double lx = W - R + 20;
  double ly = T + 10;
  for (const auto& m : order) {
    const std::string& c = colour_of[m];
    const std::string label = m == "original" ? "original θ₀" : m == "retrain" ? "retrain (reference)" : m;
    if (m == "retrain")
      s += "<path d=\"M" + num(lx) + " " + num(ly - 6) + " L" + num(lx + 6) + " " + num(ly) + " L" + num(lx) + " " +
           num(ly + 6) + " L" + num(lx - 6) + " " + num(ly) + " Z\" fill=\"" + c + "\" stroke=\"black\"/>";
    else if (m == "original")
      s += "<path d=\"M" + num(lx - 5) + " " + num(ly - 5) + " L" + num(lx + 5) + " " + num(ly + 5) + " M" + num(lx - 5) +
           " " + num(ly + 5) + " L" + num(lx + 5) + " " + num(ly - 5) + "\" stroke=\"" + c + "\" stroke-width=\"2.5\"/>";
    else
      s += "<circle cx=\"" + num(lx) + "\" cy=\"" + num(ly) + "\" r=\"5\" fill=\"" + c + "\"/>";
    s += "<text x=\"" + num(lx + 14) + "\" y=\"" + num(ly + 4) + "\">" + xml_escape(label) + "</text>\n";
    ly += 20;
  }
  s += "<text x=\"" + num(lx - 12) + "\" y=\"" + num(ly + 12) +
       "\" font-size=\"10\" fill=\"#555555\">whiskers: ±1 std over seeds</text>\n";
  if (!std::isnan(retrain_forget))
    s += "<text x=\"" + num(lx - 12) + "\" y=\"" + num(ly + 26) +
         "\" font-size=\"10\" fill=\"#555555\">dashed: Retrain's level</text>\n";
  if (two)
    s += "<text x=\"" + num(lx - 12) + "\" y=\"" + num(ly + 40) +
         "\" font-size=\"10\" fill=\"#555555\">dotted: chance (AUC 0.5)</text>\n";
  s += "</g>\n</svg>\n";
  return s;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[64];
  std::strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return b;
}

}  // namespace lethe::audit
