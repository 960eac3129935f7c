// tests/unlearn/test_experiment.cpp — the experiment runner end to end on a tiny synthetic data
// set (60 users × 40 items, LightGCN, 2 training epochs): θ₀ is trained once, a user request is
// made with seed 1, Retrain (plus the noise-floor Retrain), MMRecUn and TRU run and are audited,
// and every result file is written. A second run with --resume reuses θ₀ and the finished rows
// and records a method that throws as failed without stopping.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <regex>
#include <string>
#include <vector>

#include "engine/audit/backdoor.h"
#include "engine/audit/experiment.h"
#include "engine/checkpointing.h"
#include "io/atomic_file.h"
#include "io/dataset.h"
#include "io/fs.h"
#include "io/json.h"
#include "io/run_folder.h"
#include "tests/io/io_test_util.h"
#include "tests/models/tiny_data.h"

namespace lethe::audit {
namespace {

ExperimentOptions tiny_options(const test::TempDir& dir) {
  const std::string data = dir.file("data");
  io::make_dirs(data);
  io::write_inter(io::path_join(data, "tiny.inter"), test::tiny_dataset(60, 40, 10, {}, 7));
  ExperimentOptions o;
  o.data_dir = data;
  o.cache_dir = dir.file("cache");
  o.out_dir = dir.file("out");
  o.model = "lightgcn";
  o.regime = io::Regime::kUser;
  o.ratio = 0.1;
  o.methods = {"mmrecun", "retrain", "tru"};  // retrain is run first whatever its position
  o.seeds = 1;
  o.noise_floor = NoiseFloor::kFirst;
  o.cfg.set("epochs", "2");
  o.cfg.set("unlearn.epochs", "2");
  o.device = Device::CPU;
  o.progress = false;
  o.command = "lethe experiment (test)";
  return o;
}

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

TEST(Experiment, TinyEndToEndThenResume) {
  test::TempDir dir;
  ExperimentOptions o = tiny_options(dir);
  const std::vector<AuditRow> rows = run_experiment(o);

  // Files.
  for (const char* f : {"original/checkpoint", "original/metrics.json", "requests/user-seed1.tsv", "results.json",
                        "results.csv", "results.md", "tradeoff.svg", "runs/user-seed1/retrain.ckpt",
                        "logs/user-seed1-tru.jsonl"})
    EXPECT_TRUE(io::is_regular_file(io::path_join(o.out_dir, f))) << f;

  // results.json: θ₀'s row first, then retrain, mmrecun, tru; the keys in every row.
  const io::Json j = io::read_json(io::path_join(o.out_dir, "results.json"));
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 4u);
  const std::vector<std::string> methods = {"original", "retrain", "mmrecun", "tru"};
  for (size_t r = 0; r < 4; ++r) {
    const io::Json& row = j.at(r);
    EXPECT_EQ(row.at("method").as_string(), methods[r]);
    for (const auto& k : required_result_keys()) EXPECT_TRUE(row.contains(k)) << methods[r] << " lacks " << k;
    EXPECT_EQ(row.at("status").as_string(), "ok") << row.at("error").as_string();
    EXPECT_EQ(row.at("regime").as_string(), "user");
    EXPECT_DOUBLE_EQ(row.at("ratio").as_double(), 0.1);
    EXPECT_EQ(row.at("seed").as_int(), 1);
    for (const char* k : {"retain_recall@20", "retain_ndcg@20", "forget_recall@20", "exposure@20"}) {
      const double v = row.at(k).as_double();
      EXPECT_TRUE(v >= 0.0 && v <= 1.0) << methods[r] << " " << k << " = " << v;
    }
  }
  ASSERT_EQ(rows.size(), 4u);
  const AuditRow& orig = rows[0];
  const AuditRow& re = rows[1];
  EXPECT_EQ(re.method, "retrain");
  EXPECT_DOUBLE_EQ(re.overlap20, 1.0);  // Retrain against itself
  EXPECT_DOUBLE_EQ(re.speedup, 1.0);
  EXPECT_TRUE(re.noise_floor20 >= 0.0 && re.noise_floor20 <= 1.0) << re.noise_floor20;
  EXPECT_TRUE(orig.overlap20 >= 0.0 && orig.overlap20 <= 1.0);
  EXPECT_DOUBLE_EQ(orig.exposure_reduction, 0.0);
  EXPECT_EQ(orig.forget_rows, re.forget_rows);
  EXPECT_GT(re.forget_rows, 0);
  for (size_t r = 2; r < 4; ++r) {
    EXPECT_TRUE(rows[r].overlap20 >= 0.0 && rows[r].overlap20 <= 1.0) << rows[r].method;
    EXPECT_TRUE(std::isfinite(rows[r].speedup) && rows[r].speedup > 0) << rows[r].method;
    EXPECT_TRUE(std::isfinite(rows[r].seconds) && rows[r].seconds > 0);
    EXPECT_TRUE(std::isfinite(rows[r].exposure_reduction) || orig.exposure20 == 0);
    EXPECT_EQ(rows[r].epochs, 2);
  }
  // The membership audit (on by default): every row has family A, B and C values; each row
  // carries Retrain's value and its gap; Retrain's row the spread of the second Retrain.
  for (const auto& r : rows) {
    for (const char* k : {"mia_a_auc", "mia_a_bacc", "mia_b_auc", "mia_c_auc", "mia_a_auc_retrain", "mia_a_auc_gap"})
      EXPECT_FALSE(std::isnan(r.metric(k))) << r.method << " lacks " << k;
    EXPECT_DOUBLE_EQ(r.metric("mia_a_auc_gap"), std::fabs(r.metric("mia_a_auc") - re.metric("mia_a_auc")));
  }
  EXPECT_DOUBLE_EQ(re.metric("mia_a_auc_gap"), 0.0);
  EXPECT_FALSE(std::isnan(re.metric("mia_a_auc_spread")));
  EXPECT_TRUE(std::isnan(orig.metric("mia_a_auc_spread")));
  // Retrain's own noise on the utility: the second Retrain's retain Recall@20 against Retrain's.
  EXPECT_GE(re.metric("retain_recall@20_spread"), 0.0);
  EXPECT_TRUE(std::isnan(orig.metric("retain_recall@20_spread")));
  EXPECT_TRUE(j.at(0).contains("mia_b_auc"));
  const std::string svg = io::read_file(io::path_join(o.out_dir, "tradeoff.svg"));
  EXPECT_EQ(count_of(svg, "class=\"point\""), 8u);  // 4 methods × 2 panels
  EXPECT_EQ(count_of(svg, "data-panel=\"mia\""), 1u);
  const std::string md = io::read_file(io::path_join(o.out_dir, "results.md"));
  EXPECT_NE(md.find("Noise floor"), std::string::npos);
  EXPECT_NE(md.find("## Membership inference, interaction level"), std::string::npos);
  EXPECT_NE(md.find("Retrain-vs-Retrain spread"), std::string::npos);
  EXPECT_EQ(md.find("user level"), std::string::npos);  // umia was not asked for
  EXPECT_NE(md.find("lethe experiment (test)"), std::string::npos);
  const std::string req = io::read_file(io::path_join(o.out_dir, "requests/user-seed1.tsv"));
  EXPECT_NE(req.find("# regime: user"), std::string::npos);

  // Second run: --resume, one more method that throws (the test hook), with settings of its own
  // (a method added on resume may bring them; the shared settings must not change). θ₀ and the
  // finished rows are reused (same seconds), the failing method is recorded as failed, the run
  // completes.
  ExperimentOptions o2 = o;
  o2.resume = true;
  o2.methods = {"retrain", "mmrecun", "tru", "neggrad"};
  test::write_bytes(dir.file("neggrad.cfg"), "neggrad.clip = 0.5\n");
  o2.method_cfg = parse_method_configs("neggrad=" + dir.file("neggrad.cfg"), o2.cfg, o2.methods);
  o2.inject_failure = "neggrad";
  const std::vector<AuditRow> rows2 = run_experiment(o2);
  ASSERT_EQ(rows2.size(), 5u);
  for (size_t r = 0; r < 4; ++r) {
    EXPECT_EQ(rows2[r].method, rows[r].method);
    EXPECT_EQ(rows2[r].seconds, rows[r].seconds) << rows[r].method << " was run again";
    EXPECT_EQ(rows2[r].retain_recall20, rows[r].retain_recall20);  // deterministic audits
    EXPECT_EQ(rows2[r].overlap20, rows[r].overlap20);
  }
  EXPECT_EQ(rows2[4].method, "neggrad");
  EXPECT_EQ(rows2[4].status, "failed");
  EXPECT_NE(rows2[4].error.find("injected failure"), std::string::npos) << rows2[4].error;
  EXPECT_TRUE(std::isnan(rows2[4].retain_recall20));
  const std::string md2 = io::read_file(io::path_join(o.out_dir, "results.md"));
  EXPECT_NE(md2.find("failed: neggrad seed 1"), std::string::npos);
  EXPECT_EQ(count_of(io::read_file(io::path_join(o.out_dir, "tradeoff.svg")), "class=\"point\""), 8u);
  for (size_t r = 0; r < 4; ++r) EXPECT_EQ(rows2[r].metric("mia_a_auc"), rows[r].metric("mia_a_auc"));  // bit-identical
}

TEST(Experiment, UserLevelAttackHoldsTwoGroupsOut) {
  test::TempDir dir;
  ExperimentOptions o = tiny_options(dir);
  o.audits = parse_audits("core,mia,umia");
  o.methods = {"retrain", "mmrecun"};
  const std::vector<AuditRow> rows = run_experiment(o);
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& r : rows) {
    EXPECT_EQ(r.status, "ok") << r.error;
    for (const char* k : {"umia_deleted_rate", "umia_outsider_rate", "umia_bacc", "umia_deleted_rate_gap"})
      EXPECT_FALSE(std::isnan(r.metric(k))) << r.method << " lacks " << k;
    EXPECT_EQ(r.metric("umia_outsiders"), 6.0);  // 10 % of the 60 users
  }
  EXPECT_TRUE(io::is_regular_file(io::path_join(o.out_dir, "original-shadow/checkpoint")));
  // The reserved users (the same draw as the runner's) train nothing and are never deleted.
  io::Dataset ds = io::load_dataset(o.data_dir);
  UserGroups g;
  hold_out_user_groups(ds, 1, &g);
  const std::string req = io::read_file(io::path_join(o.out_dir, "requests/user-seed1.tsv"));
  for (const auto* grp : {&g.vectorisation, &g.outsiders})
    for (int32_t u : *grp) EXPECT_EQ(req.find("\nuser " + std::to_string(u) + "\n"), std::string::npos) << u;
  const io::Checkpoint c = io::read_checkpoint(io::path_join(o.out_dir, "original/checkpoint"));
  EXPECT_EQ(read_model_checkpoint_info(c, "θ₀").data_fingerprint, ds.fingerprint());
  const std::string md = io::read_file(io::path_join(o.out_dir, "results.md"));
  EXPECT_NE(md.find("## Membership inference, user level"), std::string::npos);
}

TEST(Experiment, BackdoorEndToEnd) {
  test::TempDir dir;
  ExperimentOptions o = tiny_options(dir);
  o.methods = {"retrain", "mmrecun"};
  o.out_dir = dir.file("backdoor");
  o.cfg.set("backdoor.attack_size", "0.05");
  test::write_bytes(dir.file("mmrecun.cfg"), "unlearn.epochs = 3\n");
  o.method_cfg = parse_method_configs("mmrecun=" + dir.file("mmrecun.cfg"), o.cfg, o.methods);
  const std::vector<AuditRow> rows = run_backdoor_experiment(o);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].method, "original");
  EXPECT_EQ(rows[1].method, "retrain");
  EXPECT_EQ(rows[2].method, "mmrecun");
  for (const auto& r : rows) {
    EXPECT_EQ(r.status, "ok") << r.error;
    for (const char* k : {"backdoor_asr@20", "backdoor_er@20", "backdoor_target_rank", "backdoor_tolerance"})
      EXPECT_FALSE(std::isnan(r.metric(k))) << r.method << " lacks " << k;
    EXPECT_DOUBLE_EQ(r.metric("backdoor_attack_size"), 0.05);
  }
  EXPECT_FALSE(std::isnan(rows[2].metric("backdoor_pass")));
  EXPECT_DOUBLE_EQ(rows[1].metric("backdoor_asr_gap"), 0.0);  // θ_clean against itself
  // The request names exactly the fake users: IDs 60.. (after the 60 genuine ones).
  const std::string req = io::read_file(io::path_join(o.out_dir, "requests/backdoor-seed1.tsv"));
  EXPECT_EQ(count_of(req, "\nuser "), static_cast<size_t>(rows[0].metric("backdoor_fake_users")));
  EXPECT_NE(req.find("\nuser 60\n"), std::string::npos);
  const std::string md = io::read_file(io::path_join(o.out_dir, "results.md"));
  EXPECT_NE(md.find("ASR@20"), std::string::npos);
  EXPECT_NE(md.find("seed1: "), std::string::npos);
  EXPECT_NE(md.find("Used: target item"), std::string::npos) << md;
  // The finished folder is a run folder: a plain rerun into it is refused; --resume reuses θ₀ and
  // θ_clean and keeps every value.
  EXPECT_THROW(run_backdoor_experiment(o), Error);
  o.resume = true;
  const std::vector<AuditRow> again = run_backdoor_experiment(o);
  ASSERT_EQ(again.size(), 3u);
  for (size_t r = 0; r < 3; ++r) EXPECT_EQ(again[r].metric("backdoor_target_rank"), rows[r].metric("backdoor_target_rank"));
  EXPECT_EQ(again[0].seconds, rows[0].seconds);  // θ₀ was reused, not trained again
  // --resume with another method list: the rows of a method not run now stay, whatever its own
  // settings; the new method is added.
  ExperimentOptions more = o;
  more.methods = {"retrain", "finetune"};
  more.method_cfg.clear();
  const std::vector<AuditRow> added = run_backdoor_experiment(more);
  ASSERT_EQ(added.size(), 4u);
  EXPECT_EQ(added[2].method, "mmrecun");
  EXPECT_EQ(added[2].metric("backdoor_target_rank"), rows[2].metric("backdoor_target_rank"));
  EXPECT_EQ(added[3].method, "finetune");
  EXPECT_EQ(added[3].status, "ok") << added[3].error;
}

TEST(Experiment, MethodSettingsReachOnlyTheirMethod) {
  test::TempDir dir;
  ExperimentOptions o = tiny_options(dir);
  o.methods = {"mmrecun", "tru"};
  const std::string f = dir.file("tru.cfg");
  test::write_bytes(f, "unlearn.epochs = 1\n");
  o.method_cfg = parse_method_configs("tru=" + f, o.cfg, o.methods);
  const std::vector<AuditRow> rows = run_experiment(o);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].method, "mmrecun");
  EXPECT_EQ(rows[1].epochs, 2);  // the shared unlearn.epochs
  EXPECT_EQ(rows[2].method, "tru");
  EXPECT_EQ(rows[2].epochs, 1);  // its own
  const std::string md = io::read_file(io::path_join(o.out_dir, "results.md"));
  EXPECT_NE(md.find("settings of tru (" + f + "): unlearn.epochs = 1"), std::string::npos) << md;
}

// The baselines in an experiment: their settings files take multidelete.* and scalegun.* keys,
// the certified head's ε, δ and retrains reach results.json (and back), results.csv and, with the
// statement that only the head is certified, results.md; bad values fail before any work.
TEST(Experiment, BaselinesReportTheirRunsInTheResults) {
  test::TempDir dir;
  ExperimentOptions o = tiny_options(dir);
  o.methods = {"multidelete", "scalegun-certified"};
  const std::string f = dir.file("md.cfg"), g = dir.file("sc.cfg");
  test::write_bytes(f, "multidelete.ukr = false\nunlearn.epochs = 1\n");
  test::write_bytes(g, "scalegun.cert.lambda = 0.1\n");
  o.method_cfg = parse_method_configs("multidelete=" + f + ",scalegun-certified=" + g, o.cfg, o.methods);
  const std::vector<AuditRow> rows = run_experiment(o);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].method, "multidelete");
  EXPECT_EQ(rows[1].status, "ok") << rows[1].error;
  EXPECT_EQ(rows[1].epochs, 1);
  const AuditRow& c = rows[2];
  EXPECT_EQ(c.method, "scalegun-certified");
  ASSERT_EQ(c.status, "ok") << c.error;
  EXPECT_EQ(c.method_stats.at("epsilon"), 1.0);
  EXPECT_EQ(c.method_stats.at("lambda"), 0.1);
  EXPECT_TRUE(c.method_stats.count("retrains"));
  const std::vector<AuditRow> back = rows_from_json(io::read_json(io::path_join(o.out_dir, "results.json")));
  EXPECT_EQ(back[2].method_stats, c.method_stats);
  EXPECT_EQ(back[2].notes, c.notes);
  const std::string md = io::read_file(io::path_join(o.out_dir, "results.md"));
  EXPECT_NE(md.find("scalegun-certified seed 1: (ε, δ) = (1, 0.0001) certified removal"), std::string::npos) << md;
  EXPECT_NE(md.find("only the logistic head is certified"), std::string::npos);
  const std::string csv = io::read_file(io::path_join(o.out_dir, "results.csv"));
  EXPECT_NE(csv.find("epsilon=1;"), std::string::npos) << csv;

  ExperimentOptions bad = tiny_options(dir);
  bad.cfg.set("multidelete.retain_reference", "raw");
  EXPECT_NE(test::error_of([&] { validate(bad); }).find("edited or original"), std::string::npos);
  bad = tiny_options(dir);
  bad.cfg.set("scalegun.cert.delta", "2");
  EXPECT_NE(test::error_of([&] { validate(bad); }).find("scalegun.cert"), std::string::npos);
}

TEST(Experiment, WithoutRetrainTheComparisonsStayEmpty) {
  test::TempDir dir;
  ExperimentOptions o = tiny_options(dir);
  o.methods = {"finetune"};
  o.cfg.set("unlearn.epochs", "1");
  const std::vector<AuditRow> rows = run_experiment(o);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].method, "finetune");
  EXPECT_EQ(rows[1].status, "ok") << rows[1].error;
  EXPECT_TRUE(std::isnan(rows[1].overlap20));
  EXPECT_TRUE(std::isnan(rows[1].speedup));
  EXPECT_TRUE(std::isnan(rows[0].overlap20));
  const std::string md = io::read_file(io::path_join(o.out_dir, "results.md"));
  EXPECT_NE(md.find("retrain was not in --methods"), std::string::npos);
  // A request that matches a different experiment cannot be resumed into this folder.
  ExperimentOptions o2 = o;
  o2.resume = true;
  o2.ratio = 0.2;
  EXPECT_THROW(run_experiment(o2), Error);
}

// Issue items 4 and 5: re-running an experiment without --resume threw its finished table away
// (10 rows → 2), and --resume with changed unlearning settings mixed old and new rows in one
// table. Both are refused now, naming what differs, and the folder stays as it was.
TEST(Experiment, ItsFolderIsRefusedWithoutResumeOrWithOtherSettings) {
  test::TempDir dir;
  ExperimentOptions o = tiny_options(dir);
  o.methods = {"retrain", "mmrecun"};
  o.noise_floor = NoiseFloor::kOff;
  ASSERT_EQ(run_experiment(o).size(), 3u);
  const std::string results = io::read_file(io::path_join(o.out_dir, "results.json"));
  EXPECT_EQ(io::inspect_run_folder(o.out_dir).state, io::RunState::kFinished);

  EXPECT_TRUE(test::has_all(test::error_of([&] { run_experiment(o); }),
                            {"already holds a finished `lethe experiment` run", "--overwrite"}));
  ExperimentOptions changed = o;
  changed.resume = true;
  changed.cfg.set("mmrecun.alpha", "0.5");
  EXPECT_TRUE(test::has_all(test::error_of([&] { run_experiment(changed); }),
                            {"--resume", "mmrecun.alpha = 1.0", "mmrecun.alpha = 0.5"}));
  changed = o;
  changed.resume = true;
  test::write_bytes(dir.file("mmrecun.cfg"), "mmrecun.beta = 2\n");  // its rows were made without it
  changed.method_cfg = parse_method_configs("mmrecun=" + dir.file("mmrecun.cfg"), changed.cfg, changed.methods);
  EXPECT_TRUE(test::has_all(test::error_of([&] { run_experiment(changed); }), {"mmrecun.beta of method mmrecun"}));
  EXPECT_EQ(io::read_file(io::path_join(o.out_dir, "results.json")), results) << "a refusal changed the table";
  EXPECT_EQ(io::inspect_run_folder(o.out_dir).state, io::RunState::kFinished);

  // --resume with the same settings: nothing to add, the rows stay, the folder is finished again.
  ExperimentOptions same = o;
  same.resume = true;
  EXPECT_EQ(run_experiment(same).size(), 3u);
  EXPECT_EQ(io::inspect_run_folder(o.out_dir).state, io::RunState::kFinished);
  // --overwrite starts a new table (the old one is kept aside until it has finished).
  ExperimentOptions over = o;
  over.overwrite = true;
  over.methods = {"retrain"};
  EXPECT_EQ(run_experiment(over).size(), 2u);
  EXPECT_FALSE(io::path_exists(io::path_join(o.out_dir, ".lethe-previous")));
}

// What a run folder made by an earlier program, before `key` existed, looks like: run.json lacks
// the setting and the manifest is over that (the folder reopened and finished through the API).
void as_if_made_before(const std::string& dir, const std::string& key) {
  const io::RunFolderInfo f = io::inspect_run_folder(dir);
  ASSERT_EQ(f.state, io::RunState::kFinished);
  io::RunSettings older = f.settings;
  ASSERT_EQ(older.erase(key), 1u) << key;
  io::RunFolderOptions ro;
  ro.command = f.command;
  ro.settings = older;
  ro.command_line = "(test)";
  ro.resume = true;
  ro.reopen_finished = true;
  ro.compare = [](const io::RunFolderInfo&) { return io::SettingDiff{}; };
  io::RunFolder rf(dir, ro);
  rf.begin();
  rf.finish();
}

// A θ₀ and an experiment made before a setting existed are reused and continued by a newer
// program only when its value of that setting reproduces what the earlier one did
// (eval.filter_cold_users: it evaluated every user; tru.rows: TRU without row weights), and
// refused otherwise, naming the setting and the earlier behaviour.
TEST(Experiment, RunsFromBeforeASettingExistedAreReusedOnlyWithItsBehaviour) {
  test::TempDir dir;
  ExperimentOptions o = tiny_options(dir);
  o.methods = {"retrain", "mmrecun"};
  o.noise_floor = NoiseFloor::kOff;
  o.original_dir = dir.file("theta0");
  o.cfg.set("eval.filter_cold_users", "false");
  o.cfg.set("tru.rows", "false");
  const std::vector<AuditRow> first = run_experiment(o);
  as_if_made_before(o.original_dir, "config.eval.filter_cold_users");
  as_if_made_before(o.original_dir, "config.cuda.tf32");
  as_if_made_before(o.out_dir, "config.eval.filter_cold_users");
  as_if_made_before(o.out_dir, "config.tru.rows");
  as_if_made_before(o.out_dir, "config.unlearn.auto.utility");
  const std::string theta0_run = io::read_file(io::path_join(o.original_dir, io::kRunFile));

  ExperimentOptions strict = o;
  strict.out_dir = dir.file("out2");
  strict.cfg.set("eval.filter_cold_users", "true");
  EXPECT_TRUE(test::has_all(test::error_of([&] { run_experiment(strict); }),
                            {o.original_dir, "filter_cold_users", "before this setting existed", "false"}));
  ExperimentOptions fresh = o;
  fresh.out_dir = dir.file("out3");
  const std::vector<AuditRow> again = run_experiment(fresh);
  EXPECT_EQ(io::read_file(io::path_join(o.original_dir, io::kRunFile)), theta0_run) << "θ₀ was trained again";
  ASSERT_EQ(again.size(), first.size());
  for (size_t i = 0; i < again.size(); ++i) EXPECT_EQ(again[i].retain_recall20, first[i].retain_recall20) << i;

  // The experiment itself: --resume adding a method, with tru.rows on (the earlier program had no
  // row weights) is refused; with it off the earlier rows stay and the new method is added.
  ExperimentOptions more = o;
  more.resume = true;
  more.methods = {"retrain", "mmrecun", "finetune"};
  more.cfg.set("tru.rows", "true");
  EXPECT_TRUE(test::has_all(test::error_of([&] { run_experiment(more); }), {"--resume", "tru.rows", "false"}));
  more.cfg.set("tru.rows", "false");
  const std::vector<AuditRow> added = run_experiment(more);
  ASSERT_EQ(added.size(), first.size() + 1);
  EXPECT_EQ(added[1].retain_recall20, first[1].retain_recall20);
}

// --redo: a method's rows run again on every seed and replace the old ones (its own settings may
// change); every other row, Retrain's included, stays as it was. Never without --resume, never
// Retrain.
TEST(Experiment, RedoReplacesOneMethodsRowsAndKeepsTheRest) {
  test::TempDir dir;
  ExperimentOptions o = tiny_options(dir);
  o.methods = {"retrain", "mmrecun", "finetune"};
  o.noise_floor = NoiseFloor::kOff;
  const std::vector<AuditRow> first = run_experiment(o);
  ASSERT_EQ(first.size(), 4u);  // θ₀, retrain, mmrecun, finetune

  ExperimentOptions again = o;
  again.resume = true;
  again.redo = {"mmrecun"};
  test::write_bytes(dir.file("mmrecun.cfg"), "unlearn.lr = 0.1\nunlearn.epochs = 4\n");
  again.method_cfg = parse_method_configs("mmrecun=" + dir.file("mmrecun.cfg"), again.cfg, again.methods);
  const std::vector<AuditRow> second = run_experiment(again);
  ASSERT_EQ(second.size(), first.size());
  for (size_t i = 0; i < first.size(); ++i) {
    ASSERT_EQ(second[i].method, first[i].method);
    if (first[i].method == "mmrecun") {
      EXPECT_NE(second[i].seconds, first[i].seconds) << "mmrecun's row was not run again";
      EXPECT_NE(second[i].retain_recall20, first[i].retain_recall20) << "mmrecun ran with its old settings";
    } else {
      EXPECT_EQ(second[i].forget_recall20, first[i].forget_recall20) << first[i].method;
      EXPECT_EQ(second[i].seconds, first[i].seconds) << first[i].method << " was run again";
    }
  }
  const std::string run = io::read_file(io::path_join(o.out_dir, io::kRunFile));
  EXPECT_NE(run.find("method.mmrecun.unlearn.lr"), std::string::npos) << "the new settings are not recorded";

  ExperimentOptions bad = again;
  bad.redo = {"retrain"};
  EXPECT_TRUE(test::has_all(test::error_of([&] { run_experiment(bad); }), {"--redo retrain", "--overwrite"}));
  bad.redo = {"mmrecun"};
  bad.resume = false;
  EXPECT_TRUE(test::has_all(test::error_of([&] { run_experiment(bad); }), {"--redo mmrecun", "--resume"}));
}

// A folder whose noise-floor Retrain predates a spread (its Retrain row has the overlap but no
// forget_recall@20_spread, or no retain_recall@20_spread) gets the second Retrain again on
// --resume, so that every seed has its own Retrain-to-Retrain distances — the ones the first run
// measured.
TEST(Experiment, ANoiseFloorWithoutTheForgetSpreadIsCompletedOnResume) {
  test::TempDir dir;
  ExperimentOptions o = tiny_options(dir);
  o.methods = {"retrain"};
  const std::vector<AuditRow> first = run_experiment(o);
  ASSERT_EQ(first.size(), 2u);
  const AuditRow& re = first[1];
  ASSERT_EQ(re.method, "retrain");
  const std::string path = io::path_join(o.out_dir, "results.json");

  for (const std::string key : {"forget_recall@20_spread", "retain_recall@20_spread"}) {
    SCOPED_TRACE(key);
    ASSERT_TRUE(re.audit.count(key));
    const double spread = re.audit.at(key);
    const std::string text = io::read_file(path);
    const std::string cut = std::regex_replace(text, std::regex(",\\n *\"" + key + "\": [^,\\n]*"), "");
    ASSERT_NE(cut, text);
    {  // as the earlier program left the folder: finished, its manifest describing this results.json
      const io::RunFolderInfo f = io::inspect_run_folder(o.out_dir);
      ASSERT_EQ(f.state, io::RunState::kFinished);
      io::RunFolderOptions ro;
      ro.command = f.command;
      ro.settings = f.settings;
      ro.command_line = "(test)";
      ro.resume = true;
      ro.reopen_finished = true;
      ro.compare = [](const io::RunFolderInfo&) { return io::SettingDiff{}; };
      io::RunFolder rf(o.out_dir, ro);
      rf.begin();
      io::write_file_atomic(path, cut);
      rf.finish();
    }

    ExperimentOptions again = o;
    again.resume = true;
    const std::vector<AuditRow> second = run_experiment(again);
    ASSERT_EQ(second.size(), 2u);
    EXPECT_EQ(second[1].seconds, re.seconds) << "Retrain itself was run again";
    ASSERT_TRUE(second[1].audit.count(key)) << "the spread was not completed";
    EXPECT_EQ(second[1].audit.at(key), spread);  // the same second Retrain (seed + 1000)
    EXPECT_EQ(second[1].noise_floor20, re.noise_floor20);
  }
}

// Issue item 2: while θ₀ was retrained, `checkpoint` changed at every new best epoch while the old
// metrics.json stayed; a run killed then and started again said "reusing the original model"
// (best epoch 4 of 12). Only a θ₀ whose manifest matches is reused now; an interrupted one is
// refused, or continued with --resume to the same θ₀ an uninterrupted run gives.
TEST(Experiment, AnInterruptedOriginalIsNeverReusedAsFinished) {
  test::TempDir dir;
  ExperimentOptions o = tiny_options(dir);
  o.methods = {"mmrecun"};
  o.noise_floor = NoiseFloor::kOff;
  o.original_dir = dir.file("theta0");
  const std::vector<AuditRow> first = run_experiment(o);
  const std::string metrics = io::read_file(io::path_join(o.original_dir, "metrics.json"));
  // As a kill during retraining leaves it: checkpoint, last.ckpt and the old metrics.json, no
  // manifest.
  ASSERT_EQ(::unlink(io::path_join(o.original_dir, io::kManifestFile).c_str()), 0);
  ExperimentOptions again = o;
  again.out_dir = dir.file("out2");
  EXPECT_TRUE(test::has_all(test::error_of([&] { run_experiment(again); }),
                            {o.original_dir, "interrupted `lethe train` run", "--resume"}));
  EXPECT_FALSE(io::path_exists(again.out_dir)) << "the refused run left its folder";
  again.resume = true;
  const std::vector<AuditRow> second = run_experiment(again);
  EXPECT_EQ(io::inspect_run_folder(o.original_dir).state, io::RunState::kFinished);
  ASSERT_EQ(second.size(), first.size());
  EXPECT_EQ(second[0].retain_recall20, first[0].retain_recall20) << "θ₀ differs from the uninterrupted one";
  EXPECT_EQ(second[1].retain_recall20, first[1].retain_recall20);
  EXPECT_EQ(second[0].epochs, first[0].epochs);
}

}  // namespace
}  // namespace lethe::audit
