// tests/unlearn/test_result_meta.cpp — the comparability block every result row carries
// (engine/result_meta.h, docs/SCHEMA.md): present in results.json rows and results.csv columns,
// read back from JSON, this build's version and commit, the dataset's fingerprint, and a
// settings hash that changes with any setting.
#include <gtest/gtest.h>

#include "engine/audit/report.h"
#include "engine/result_meta.h"
#include "io/hash.h"
#include "lethe/version.h"
#include "tests/models/tiny_data.h"

namespace lethe {
namespace {

TEST(ResultMeta, RowsCarryTheBlockInJsonAndCsv) {
  const io::Dataset ds = test::tiny_dataset(12, 9, 5, {4}, 3);
  Config cfg;
  audit::AuditRow r;
  r.method = "tru";
  r.regime = "user";
  r.meta = run_meta(ds, "mgcn", "tru", cfg);
  const io::Json j = r.to_json();
  EXPECT_EQ(j.at("schema_version").as_int(), kResultSchemaVersion);
  EXPECT_EQ(j.at("lethe_version").as_string(), LETHE_VERSION);
  EXPECT_EQ(j.at("git_commit").as_string(), LETHE_GIT_COMMIT);
  EXPECT_EQ(j.at("dataset").as_string(), "tiny");
  EXPECT_EQ(j.at("dataset_fingerprint").as_string(), io::hex64(ds.fingerprint()));
  EXPECT_EQ(j.at("model").as_string(), "mgcn");
  EXPECT_EQ(j.at("method").as_string(), "tru");
  EXPECT_EQ(j.at("settings_hash").as_string(), cfg.hash());
  const audit::AuditRow back = audit::AuditRow::from_json(j);
  EXPECT_EQ(back.meta.dataset_fingerprint, r.meta.dataset_fingerprint);
  EXPECT_EQ(back.meta.settings_hash, r.meta.settings_hash);
  EXPECT_EQ(back.meta.schema_version, kResultSchemaVersion);

  const std::string csv = audit::results_table({r}).to_csv();
  const std::string header = csv.substr(0, csv.find('\n'));
  for (const auto& k : run_meta_keys()) EXPECT_NE(header.find(k), std::string::npos) << k;
  EXPECT_NE(csv.find(r.meta.settings_hash), std::string::npos);
}

TEST(ResultMeta, OldRowsReadWithEmptyBlockAndSettingsChangeTheHash) {
  io::Json j = io::Json::object();
  for (const auto& k : audit::required_result_keys()) j[k] = io::Json();
  j["method"] = "retrain";
  j["regime"] = "item";
  j["seed"] = int64_t{1};
  const audit::AuditRow r = audit::AuditRow::from_json(j);
  EXPECT_EQ(r.meta.schema_version, 0);
  EXPECT_EQ(r.meta.git_commit, "");
  const io::Dataset ds = test::tiny_dataset(12, 9, 5, {4}, 3);
  Config a, b;
  b.set("tru.gate.k", "10");
  EXPECT_NE(run_meta(ds, "mgcn", "tru", a).settings_hash, run_meta(ds, "mgcn", "tru", b).settings_hash);
  EXPECT_FALSE(lethe_git_commit().empty());
}

}  // namespace
}  // namespace lethe
