// tests/unlearn/test_audit_report.cpp — the experiment's result files (engine/audit/report.h)
// from hand-made rows: results.json round-trips with exactly the documented keys, the CSV has
// one line per row, the Markdown table one line per method with mean ± std over seeds, and the
// SVG is well-formed with one point per method. Also the up-front checks of the experiment's
// options (engine/audit/experiment.h).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/audit/experiment.h"
#include "engine/audit/report.h"
#include "io/fs.h"
#include "io/json.h"
#include "tests/io/io_test_util.h"

namespace lethe::audit {
namespace {

AuditRow row(const std::string& method, int64_t seed, double rr, double fr) {
  AuditRow r;
  r.method = method;
  r.regime = "user";
  r.ratio = 0.05;
  r.seed = seed;
  r.retain_recall10 = rr * 0.6;
  r.retain_recall20 = rr;
  r.retain_recall50 = rr * 1.5;
  r.retain_ndcg10 = rr * 0.4;
  r.retain_ndcg20 = rr * 0.5;
  r.retain_ndcg50 = rr * 0.6;
  r.retain_precision20 = rr * 0.1;
  r.forget_recall20 = fr;
  r.forget_ndcg20 = fr * 0.5;
  r.exposure20 = fr * 0.9;
  r.device = "cpu";
  r.forget_rows = 123;
  r.retain_users = 45;
  if (method != "original") {
    r.seconds = method == "retrain" ? 100.0 : 4.0 + static_cast<double>(seed);
    r.overlap20 = method == "retrain" ? 1.0 : 0.5 + 0.01 * static_cast<double>(seed);
    r.speedup = method == "retrain" ? 1.0 : 100.0 / r.seconds;
    r.peak_bytes = 1 << 20;
    r.epochs = 10;
    r.exposure_reduction = 0.5;
  }
  return r;
}

std::vector<AuditRow> sample_rows() {
  std::vector<AuditRow> rows;
  for (int64_t s = 1; s <= 2; ++s) rows.push_back(row("original", s, 0.10, 0.30));
  for (int64_t s = 1; s <= 2; ++s) {
    AuditRow r = row("retrain", s, 0.095 + 0.001 * static_cast<double>(s), 0.05);
    r.noise_floor20 = 0.7 + 0.02 * static_cast<double>(s);
    rows.push_back(r);
    rows.push_back(row("mmrecun", s, 0.08, 0.02 * static_cast<double>(s)));
    AuditRow t = row("tru", s, 0.09, 0.06);
    t.selected_layers = {"E_u", "E_id"};
    rows.push_back(t);
  }
  AuditRow f;
  f.method = "neggrad";
  f.regime = "user";
  f.ratio = 0.05;
  f.seed = 1;
  f.status = "failed";
  f.error = "gradient exploded, \"quoted\", with, commas";
  rows.push_back(f);
  return rows;
}

TEST(AuditReport, ResultsJsonRoundTripsWithExactlyTheDocumentedKeys) {
  test::TempDir dir;
  const std::vector<AuditRow> rows = sample_rows();
  const std::string path = dir.file("results.json");
  io::write_json(path, rows_to_json(rows));
  const io::Json j = io::read_json(path);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), rows.size());
  std::vector<std::string> want = required_result_keys();
  for (const auto& k : extra_result_keys()) want.push_back(k);
  for (const auto& k : run_meta_keys()) want.push_back(k);  // the comparability block, last
  // The issue's keys, in its order, come first.
  const std::vector<std::string> issue = {"method", "regime", "ratio", "seed", "retain_recall@20", "retain_ndcg@20",
                                          "forget_recall@20", "exposure@20", "overlap@20_retrain", "seconds",
                                          "speedup_vs_retrain"};
  ASSERT_EQ(required_result_keys(), issue);
  for (const auto& e : j.elements()) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : e.members()) keys.push_back(k);
    EXPECT_EQ(keys, want);
  }
  const std::vector<AuditRow> back = rows_from_json(j);
  ASSERT_EQ(back.size(), rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    // Every value survives (NaN as null → NaN), so re-serialising gives the same text.
    EXPECT_EQ(back[r].to_json().dump(), rows[r].to_json().dump()) << "row " << r;
    EXPECT_EQ(back[r].selected_layers, rows[r].selected_layers);
  }
  EXPECT_TRUE(std::isnan(back[0].overlap20));  // θ₀'s rows in this sample carry no overlap
  EXPECT_TRUE(j.at(0).at("overlap@20_retrain").is_null());
  EXPECT_EQ(back.back().status, "failed");
  EXPECT_EQ(back.back().peak_bytes, -1);
  // A row without a required key is refused, naming the key.
  io::Json bad = j.at(1);
  io::Json trimmed = io::Json::object();
  for (const auto& [k, v] : bad.members())
    if (k != "exposure@20") trimmed[k] = v;
  try {
    AuditRow::from_json(trimmed);
    ADD_FAILURE() << "a row without exposure@20 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("exposure@20"), std::string::npos) << e.what();
  }
}

TEST(AuditReport, CsvHasEveryKeyAndOneLinePerRow) {
  const std::vector<AuditRow> rows = sample_rows();
  const std::string csv = results_table(rows).to_csv();
  size_t lines = 0;
  for (char c : csv) lines += c == '\n';
  EXPECT_EQ(lines, rows.size() + 1);
  EXPECT_EQ(csv.rfind("method,regime,ratio,seed,retain_recall@20,", 0), 0u) << csv.substr(0, 80);
  EXPECT_NE(csv.find("E_u;E_id"), std::string::npos);
  EXPECT_NE(csv.find("\"gradient exploded, \"\"quoted\"\", with, commas\""), std::string::npos);  // RFC 4180
}

TEST(AuditReport, StatsAreMeanAndSampleStd) {
  const Stat s = stat_of({1.0, 2.0, 3.0, NAN});
  EXPECT_EQ(s.n, 3);
  EXPECT_DOUBLE_EQ(s.mean, 2.0);
  EXPECT_DOUBLE_EQ(s.std, 1.0);
  const Stat one = stat_of({0.5});
  EXPECT_DOUBLE_EQ(one.mean, 0.5);
  EXPECT_TRUE(std::isnan(one.std));
  EXPECT_EQ(stat_of({}).n, 0);

  const std::vector<MethodSummary> sum = summarize(sample_rows());
  ASSERT_EQ(sum.size(), 5u);
  EXPECT_EQ(sum[0].method, "original");
  EXPECT_EQ(sum[1].method, "retrain");
  EXPECT_EQ(sum[2].method, "mmrecun");
  EXPECT_EQ(sum[3].method, "tru");
  EXPECT_EQ(sum[4].method, "neggrad");
  EXPECT_EQ(sum[4].runs, 1);
  EXPECT_EQ(sum[4].failed, 1);
  EXPECT_EQ(sum[4].retain_recall20.n, 0);
  EXPECT_NEAR(sum[1].retain_recall20.mean, 0.0965, 1e-12);
  EXPECT_NEAR(sum[1].noise_floor20.mean, 0.73, 1e-12);
  EXPECT_NEAR(sum[2].forget_recall20.mean, 0.03, 1e-12);
  EXPECT_NEAR(sum[2].forget_recall20.std, std::sqrt(0.0002), 1e-12);  // values 0.02, 0.04
}

TEST(AuditReport, MarkdownHasOneLinePerMethodAndTheContext) {
  ReportInfo info;
  info.title = "Test report";
  info.command = "lethe experiment --data X --methods retrain,mmrecun,tru";
  info.device = "cpu (test)";
  info.dataset = "tiny";
  info.model = "lightgcn";
  info.regime = "user";
  info.ratio = 0.05;
  info.seeds = 2;
  const std::string md = results_markdown(sample_rows(), info);
  EXPECT_EQ(md.rfind("# Test report", 0), 0u);
  auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t p = md.find(needle); p != std::string::npos; p = md.find(needle, p + 1)) ++n;
    return n;
  };
  // Table: header, separator, 5 methods.
  size_t table_lines = 0;
  size_t pos = 0;
  while (pos < md.size()) {
    size_t nl = md.find('\n', pos);
    if (nl == std::string::npos) nl = md.size();
    if (md.compare(pos, 1, "|") == 0) ++table_lines;
    pos = nl + 1;
  }
  EXPECT_EQ(table_lines, 7u);
  EXPECT_EQ(count("| original θ₀"), 1u);
  EXPECT_EQ(count("| **retrain** (reference)"), 1u);
  EXPECT_EQ(count("| mmrecun"), 1u);
  EXPECT_EQ(count("| tru"), 1u);
  EXPECT_EQ(count("| neggrad"), 1u);
  EXPECT_NE(md.find("0.0300 ± 0.0141"), std::string::npos) << md;  // mmrecun forget R@20 over 2 seeds
  EXPECT_NE(md.find("0 (+1 failed)"), std::string::npos);
  EXPECT_NE(md.find("Noise floor"), std::string::npos);
  EXPECT_NE(md.find("0.730 ± 0.014"), std::string::npos);
  EXPECT_NE(md.find("failed: neggrad seed 1: gradient exploded"), std::string::npos);
  EXPECT_NE(md.find(info.command), std::string::npos);
  EXPECT_NE(md.find("cpu (test)"), std::string::npos);
  EXPECT_NE(md.find("Date: "), std::string::npos);
}

// Minimal well-formedness: every <tag> is closed in order (self-closing tags count as closed).
bool balanced_xml(const std::string& s, std::string* why) {
  std::vector<std::string> stack;
  size_t p = 0;
  while ((p = s.find('<', p)) != std::string::npos) {
    const size_t q = s.find('>', p);
    if (q == std::string::npos) { *why = "unterminated tag"; return false; }
    std::string tag = s.substr(p + 1, q - p - 1);
    p = q + 1;
    if (tag.empty() || tag[0] == '?' || tag[0] == '!') continue;
    if (tag[0] == '/') {
      const std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name) { *why = "unexpected </" + name + ">"; return false; }
      stack.pop_back();
      continue;
    }
    if (tag.back() == '/') continue;
    stack.push_back(tag.substr(0, tag.find_first_of(" \t\n")));
  }
  if (!stack.empty()) { *why = "<" + stack.back() + "> never closed"; return false; }
  return true;
}

TEST(AuditReport, SvgHasOnePointPerMethodAndIsWellFormed) {
  const std::string svg = tradeoff_svg(sample_rows(), "retain vs forget <test> & more");
  std::string why;
  EXPECT_TRUE(balanced_xml(svg, &why)) << why;
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  auto count_in = [](const std::string& text, const std::string& needle) {
    size_t n = 0;
    for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
    return n;
  };
  auto count = [&](const std::string& needle) { return count_in(svg, needle); };
  // neggrad only failed: no point. The four measured methods: one point each.
  EXPECT_EQ(count("class=\"point\""), 4u);
  for (const char* m : {"original", "retrain", "mmrecun", "tru"})
    EXPECT_EQ(count(std::string("data-method=\"") + m + "\""), 1u) << m;
  EXPECT_EQ(count("data-method=\"neggrad\""), 0u);
  EXPECT_NE(svg.find("Retain Recall@20"), std::string::npos);
  EXPECT_NE(svg.find("Forget Recall@20"), std::string::npos);
  EXPECT_NE(svg.find("class=\"legend\""), std::string::npos);
  EXPECT_NE(svg.find("&lt;test&gt; &amp; more"), std::string::npos);  // the title is escaped
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  // Point positions are inside the plot frame: parse the circles' centres.
  size_t p = 0;
  int circles = 0;
  while ((p = svg.find("<circle cx=\"", p)) != std::string::npos) {
    p += 12;
    const double cx = std::stod(svg.substr(p));
    const size_t cyp = svg.find("cy=\"", p) + 4;
    const double cy = std::stod(svg.substr(cyp));
    EXPECT_GT(cx, 0.0);
    EXPECT_LT(cx, 760.0);
    EXPECT_GT(cy, 0.0);
    EXPECT_LT(cy, 500.0);
    ++circles;
  }
  EXPECT_GE(circles, 2);  // mmrecun and tru (and their legend entries)
  // One method only, single seed, no whiskers: still a valid plot.
  const std::string one = tradeoff_svg({row("tru", 1, 0.1, 0.1)}, "one");
  EXPECT_TRUE(balanced_xml(one, &why)) << why;
  EXPECT_EQ(one.find("nan"), std::string::npos);
  EXPECT_EQ(count_in(one, "class=\"point\""), 1u);
  const std::string none = tradeoff_svg({}, "empty");
  EXPECT_TRUE(balanced_xml(none, &why)) << why;
}

// sample_rows() with membership values: method m of seed s has family A AUC base + 0.01·s.
std::vector<AuditRow> rows_with_mia() {
  std::vector<AuditRow> rows = sample_rows();
  for (auto& r : rows) {
    if (!r.ok()) continue;
    const double base = r.method == "original" ? 0.8 : r.method == "retrain" ? 0.5 : r.method == "mmrecun" ? 0.45 : 0.6;
    r.audit["mia_a_auc"] = base + 0.01 * static_cast<double>(r.seed);
    r.audit["mia_a_bacc"] = base;
    r.audit["mia_a_se_auc"] = 0.02;
    r.audit["mia_a_se_bacc"] = 0.015;
    r.audit["mia_a_n"] = 400;
    r.audit["mia_c_auc"] = base;
    r.audit["mia_c_se_auc"] = 0.02;
    r.audit["mia_c_n"] = 400;
    if (r.method == "retrain") r.audit["mia_a_auc_spread"] = 0.03;
  }
  return rows;
}

TEST(AuditReport, AuditValuesCarryRetrainsValueGapAndSpread) {
  std::vector<AuditRow> rows = rows_with_mia();
  attach_retrain_references(rows);
  for (const auto& r : rows) {
    if (!r.ok()) continue;
    const double ref = 0.5 + 0.01 * static_cast<double>(r.seed);  // Retrain's, same seed
    EXPECT_DOUBLE_EQ(r.metric("mia_a_auc_retrain"), ref) << r.method;
    EXPECT_DOUBLE_EQ(r.metric("mia_a_auc_gap"), std::fabs(r.metric("mia_a_auc") - ref)) << r.method;
    EXPECT_TRUE(std::isnan(r.metric("mia_b_auc_gap")));  // B was not measured: no reference either
  }
  // Through JSON and back, in audit_result_keys() order after the core keys and the comparability block.
  const io::Json j = rows_to_json(rows);
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.at(2).members()) keys.push_back(k);
  const size_t core = required_result_keys().size() + extra_result_keys().size() + run_meta_keys().size();
  ASSERT_GT(keys.size(), core);
  EXPECT_EQ(keys[core], "mia_a_auc");
  const std::vector<AuditRow> back = rows_from_json(j);
  for (size_t r = 0; r < rows.size(); ++r) EXPECT_EQ(back[r].audit, rows[r].audit) << r;
  // A key outside the documented list is a bug, caught when the row is written.
  AuditRow bad = rows[0];
  bad.audit["mia_z_auc"] = 1;
  EXPECT_THROW(bad.to_json(), Error);
  // results.csv has the audit columns some row has, and only those.
  const std::string csv = results_table(rows).to_csv();
  const std::string header = csv.substr(0, csv.find('\n'));
  EXPECT_NE(header.find(",mia_a_auc,"), std::string::npos);
  EXPECT_NE(header.find("mia_a_auc_spread"), std::string::npos);
  EXPECT_EQ(header.find("umia_"), std::string::npos);
  EXPECT_EQ(results_table(sample_rows()).to_csv().find("mia_"), std::string::npos);
}

TEST(AuditReport, ForgetCriteriaAgainstRetrainsOwnReach) {
  std::vector<AuditRow> rows = sample_rows();  // Retrain forgets to 0.05, θ₀ to 0.30
  for (auto& r : rows)
    if (r.method == "retrain" && r.seed == 2) r.audit["forget_recall@20_spread"] = 0.03;  // a second Retrain
  attach_retrain_references(rows);
  auto find = [&](const std::string& m, int64_t seed) {
    for (const auto& r : rows)
      if (r.method == m && r.seed == seed) return r;
    ADD_FAILURE() << m;
    return AuditRow{};
  };
  EXPECT_DOUBLE_EQ(forget_tolerance(0.05, AuditRow::kNaN), 0.01);  // the 0.01 floor
  EXPECT_DOUBLE_EQ(forget_tolerance(0.5, AuditRow::kNaN), 0.1);    // 0.2 × Retrain's
  EXPECT_DOUBLE_EQ(forget_tolerance(0.05, 0.03), 0.03);            // two Retrains' distance
  // Seed 1 (no second Retrain): tolerance 0.01; mmrecun at 0.02 misses, tru at 0.06 is within.
  EXPECT_DOUBLE_EQ(find("mmrecun", 1).metric("forget_within"), 0.0);
  EXPECT_DOUBLE_EQ(find("tru", 1).metric("forget_within"), 1.0);
  EXPECT_NEAR(find("mmrecun", 1).metric("forget_recall@20_gap"), 0.03, 1e-15);
  // Seed 2: the second Retrain landed 0.03 away, so mmrecun's 0.04 is within Retrain's reach.
  EXPECT_DOUBLE_EQ(find("mmrecun", 2).metric("forget_tolerance"), 0.03);
  EXPECT_DOUBLE_EQ(find("mmrecun", 2).metric("forget_within"), 1.0);
  // The older rule beside it: the gap as a fraction of θ₀'s distance to Retrain (0.25).
  EXPECT_NEAR(find("tru", 1).metric("forget_gap_ratio"), 0.01 / 0.25, 1e-12);
  EXPECT_TRUE(std::isnan(find("retrain", 1).metric("forget_within")));
  EXPECT_TRUE(std::isnan(find("original", 1).metric("forget_within")));
  const std::vector<AuditRow> back = rows_from_json(rows_to_json(rows));
  for (size_t r = 0; r < rows.size(); ++r) EXPECT_EQ(back[r].audit, rows[r].audit) << r;
  ReportInfo info;
  const std::string md = results_markdown(rows, info);
  EXPECT_NE(md.find("Forget within reach"), std::string::npos);
  EXPECT_NE(md.find(" 1/2 |"), std::string::npos) << md;  // mmrecun
  EXPECT_NE(md.find(" 2/2 |"), std::string::npos) << md;  // tru
}

TEST(AuditReport, MarkdownAndSvgShowTheMembershipAudit) {
  std::vector<AuditRow> rows = rows_with_mia();
  attach_retrain_references(rows);
  ReportInfo info;
  const std::string md = results_markdown(rows, info);
  EXPECT_NE(md.find("## Membership inference, interaction level"), std::string::npos);
  EXPECT_EQ(md.find("## Membership inference, user level"), std::string::npos);
  EXPECT_NE(md.find("A AUC 0.030"), std::string::npos) << md;  // the spread, mean over Retrain's rows
  EXPECT_NE(md.find("AUC ±0.020"), std::string::npos) << md;   // the null SE
  // mmrecun's A: 0.46, 0.47 → 0.465 ± 0.007; its gap to Retrain's 0.51, 0.52: 0.050 ± 0.000.
  EXPECT_NE(md.find("0.465 ± 0.007"), std::string::npos) << md;
  EXPECT_NE(md.find("0.050 ± 0.000"), std::string::npos) << md;
  const std::string svg = tradeoff_svg(rows, "t");
  std::string why;
  EXPECT_TRUE(balanced_xml(svg, &why)) << why;
  size_t points = 0;
  for (size_t p = svg.find("class=\"point\""); p != std::string::npos; p = svg.find("class=\"point\"", p + 1)) ++points;
  EXPECT_EQ(points, 8u);  // 4 measured methods × (forget panel + MIA panel)
  EXPECT_NE(svg.find("data-panel=\"mia\""), std::string::npos);
  EXPECT_NE(svg.find("Membership inference A: AUC"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
}

TEST(AuditReport, BackdoorTable) {
  std::vector<AuditRow> rows;
  for (int64_t s = 1; s <= 2; ++s)
    for (const char* m : {"original", "retrain", "tru"}) {
      AuditRow r = row(m, s, 0.1, 0.0);
      r.regime = "backdoor";
      r.audit["backdoor_asr@20"] = std::string(m) == "original" ? 0.4 : 0.01 * static_cast<double>(s);
      r.audit["backdoor_er@20"] = 0.1;
      r.audit["backdoor_target_rank"] = 12.5;
      r.audit["backdoor_asr_gap"] = 0.0;
      r.audit["backdoor_tolerance"] = 0.01;
      if (std::string(m) == "tru") r.audit["backdoor_pass"] = s == 1 ? 1.0 : 0.0;
      rows.push_back(r);
    }
  ReportInfo info;
  info.title = "Backdoor removal";
  info.dataset = "d";
  info.seeds = 2;
  const std::string md = backdoor_markdown(rows, info);
  EXPECT_NE(md.find("θ_clean"), std::string::npos);
  EXPECT_NE(md.find(" 1/2 |"), std::string::npos) << md;  // tru passed on one seed of two
  EXPECT_NE(md.find("0.4000"), std::string::npos);
  EXPECT_NE(md.find("12.5"), std::string::npos);
}

TEST(AuditOptions, AuditListIsValidated) {
  AuditSet a = parse_audits("core,mia");
  EXPECT_TRUE(a.core && a.mia && !a.umia && !a.backdoor);
  EXPECT_EQ(audits_name(a), "core,mia");
  a = parse_audits("umia");  // its columns live in the core table: core comes with it
  EXPECT_TRUE(a.core && a.umia && !a.mia);
  a = parse_audits("backdoor");
  EXPECT_FALSE(a.requests());
  EXPECT_TRUE(a.backdoor);
  EXPECT_TRUE(parse_audits(" core , backdoor ").requests());
  EXPECT_NE(test::error_of([] { parse_audits("core,mai"); }).find("mai"), std::string::npos);
  EXPECT_NE(test::error_of([] { parse_audits("mia,mia"); }).find("twice"), std::string::npos);
  EXPECT_THROW(parse_audits(""), Error);
  // Audit settings: checked up front, never a method's own.
  Config c;
  c.set("backdoor.variant", "fancy");
  EXPECT_NE(test::error_of([&] { validate_settings(c); }).find("backdoor.variant"), std::string::npos);
  Config d;
  d.set("backdoor.attack_size", "0.9");
  EXPECT_NE(test::error_of([&] { validate_settings(d); }).find("attack_size"), std::string::npos);
  test::TempDir dir;
  const std::string f = dir.file("a.cfg");
  test::write_bytes(f, "audit.seed = 3\n");
  EXPECT_NE(test::error_of([&] { parse_method_configs("tru=" + f, Config(), {"tru"}); }).find("audit setting"),
            std::string::npos);
  EXPECT_FALSE(is_training_key("audit.seed"));
  EXPECT_FALSE(is_training_key("backdoor.attack_size"));
}

TEST(AuditOptions, MethodsAreValidatedUpFront) {
  EXPECT_EQ(parse_methods("retrain,mmrecun, tru"), (std::vector<std::string>{"retrain", "mmrecun", "tru"}));
  EXPECT_EQ(parse_methods("neggrad+,tru-no-gate"), (std::vector<std::string>{"neggrad+", "tru-no-gate"}));
  const std::string e = test::error_of([] { parse_methods("retrain,tru2"); });
  EXPECT_NE(e.find("tru2"), std::string::npos) << e;
  EXPECT_NE(e.find("mmrecun"), std::string::npos) << e;  // lists the accepted names
  EXPECT_THROW(parse_methods("tru,tru"), Error);
  EXPECT_THROW(parse_methods(""), Error);
  EXPECT_THROW(parse_methods("retrain,,tru"), Error);
  EXPECT_EQ(parse_noise_floor("all"), NoiseFloor::kAll);
  EXPECT_EQ(parse_noise_floor("off"), NoiseFloor::kOff);
  EXPECT_THROW(parse_noise_floor("some"), Error);
}

TEST(AuditOptions, BadRegimeRatioSelectionFailBeforeWork) {
  ExperimentOptions o;
  o.data_dir = "/nonexistent";
  o.out_dir = "/nonexistent/out";
  o.methods = {"retrain"};
  EXPECT_NO_THROW(validate(o));
  ExperimentOptions a = o;
  a.regime = io::Regime::kExplicit;
  EXPECT_THROW(validate(a), Error);
  ExperimentOptions b = o;
  b.ratio = 1.5;
  EXPECT_THROW(validate(b), Error);
  ExperimentOptions c = o;
  c.regime = io::Regime::kInteraction;
  c.selection = io::Selection::kMostActive;
  EXPECT_THROW(validate(c), Error);
  ExperimentOptions d = o;
  d.seeds = 0;
  EXPECT_THROW(validate(d), Error);
  ExperimentOptions f = o;
  f.methods = {"retrain", "bogus"};
  EXPECT_THROW(validate(f), Error);
  ExperimentOptions g = o;
  g.model = "resnet";
  EXPECT_THROW(validate(g), Error);
  // Settings are parsed up front, not when the method that reads them starts.
  ExperimentOptions h = o;
  h.cfg.set("epochs", "many");
  EXPECT_NE(test::error_of([&] { validate(h); }).find("epochs"), std::string::npos);
  ExperimentOptions k = o;
  k.cfg.set("tru.gate", "maybe");
  EXPECT_NE(test::error_of([&] { validate(k); }).find("tru.gate"), std::string::npos);
  ExperimentOptions l = o;
  l.cfg.set("eval.ks", "10,x");
  EXPECT_THROW(validate(l), Error);
  ExperimentOptions n = o;
  n.cfg.set("unlearn.lr", "fast");  // an "auto" setting given a value must be a number
  EXPECT_NE(test::error_of([&] { validate(n); }).find("unlearn.lr"), std::string::npos);
  ExperimentOptions q = o;
  q.cfg.set("unlearn.adam_state", "stale");  // an enumerated setting is checked up front too
  EXPECT_NE(test::error_of([&] { validate(q); }).find("unlearn.adam_state"), std::string::npos);
  ExperimentOptions m = o;
  m.cfg.set("lr", "0.01");
  m.cfg.set("tru.gate.margin", "0.5");
  m.cfg.set("miggt.k_modality", "text:2,image:1");
  EXPECT_NO_THROW(validate(m));
  // validate() runs first: nothing is created for a bad request.
  EXPECT_THROW(run_experiment(b), Error);
  EXPECT_FALSE(io::path_exists("/nonexistent/out"));
}

TEST(AuditOptions, MethodConfigsApplyUnlearningKeysToOneMethodOnly) {
  test::TempDir dir;
  const std::vector<std::string> methods = {"retrain", "mmrecun", "tru"};
  Config base;
  base.set("unlearn.epochs", "7");
  const std::string good = dir.file("tru.cfg");
  test::write_bytes(good, "# TRU's tuned settings\nunlearn.lr = 0.05\ntru.gate.k = 100\n");
  const auto mc = parse_method_configs("tru=" + good, base, methods);
  ASSERT_EQ(mc.size(), 1u);
  const MethodSettings& t = mc.at("tru");
  EXPECT_EQ(t.file, good);
  EXPECT_EQ(t.cfg.str("unlearn.lr"), "0.05");
  EXPECT_EQ(t.cfg.i64("tru.gate.k"), 100);
  EXPECT_EQ(t.cfg.i64("unlearn.epochs"), 7);  // the shared settings stay underneath
  EXPECT_EQ(t.overrides.size(), 2u);
  EXPECT_EQ(base.str("unlearn.lr"), "auto");  // the shared configuration is untouched

  // A training key would make θ₀ or Retrain differ between methods: refused with FILE:LINE.
  const std::string training = dir.file("train.cfg");
  test::write_bytes(training, "unlearn.lr = 0.01\nlr = 0.01\n");
  std::string e = test::error_of([&] { parse_method_configs("mmrecun=" + training, base, methods); });
  EXPECT_NE(e.find(training + ":2"), std::string::npos) << e;
  EXPECT_NE(e.find("training setting"), std::string::npos) << e;
  const std::string unknown = dir.file("unknown.cfg");
  test::write_bytes(unknown, "tru.gate.kk = 3\n");
  e = test::error_of([&] { parse_method_configs("tru=" + unknown, base, methods); });
  EXPECT_NE(e.find(unknown + ":1"), std::string::npos) << e;
  EXPECT_NE(e.find("tru.gate.kk"), std::string::npos) << e;
  const std::string badval = dir.file("bad.cfg");
  test::write_bytes(badval, "tru.gate.k = many\n");
  EXPECT_NE(test::error_of([&] { parse_method_configs("tru=" + badval, base, methods); }).find("tru.gate.k"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { parse_method_configs("neggrad=" + good, base, methods); }).find("not in --methods"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { parse_method_configs("retrain=" + good, base, methods); }).find("reference"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { parse_method_configs("tru=" + good + ",tru=" + good, base, methods); }).find("twice"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { parse_method_configs("tru", base, methods); }).find("METHOD=FILE"), std::string::npos);
  EXPECT_NE(test::error_of([&] { parse_method_configs("tru=" + dir.file("missing.cfg"), base, methods); })
                .find("missing.cfg"),
            std::string::npos);
}

TEST(AuditOptions, OnlyTrainingKeysDecideWhetherTheOriginalIsReused) {
  EXPECT_TRUE(is_training_key("lr"));
  EXPECT_TRUE(is_training_key("mgcn.cl"));
  EXPECT_FALSE(is_training_key("unlearn.epochs"));
  EXPECT_FALSE(is_training_key("tru.gate.k"));
  EXPECT_FALSE(is_training_key("neggrad_plus.beta"));
  Config a, b;
  EXPECT_EQ(training_config_difference(a, b), "");
  b.set("tru.gate.k", "10");
  EXPECT_EQ(training_config_difference(a, b), "");
  b.set("epochs", "7");
  EXPECT_NE(training_config_difference(a, b).find("epochs"), std::string::npos);
}

}  // namespace
}  // namespace lethe::audit
