// tests/unlearn/test_experiment_eta.cpp — the ETA of `lethe experiment`'s stage lines
// (ExperimentEta): Retrain estimated from θ₀'s training until one has run, approximate methods
// from those measured, a lower bound while a kind has no estimate, skipped runs leaving the plan,
// and what plan_runs() counts (methods × seeds, the noise floor's Retrains).
#include <gtest/gtest.h>

#include <string>

#include "engine/audit/experiment.h"

namespace lethe::audit {
namespace {

std::string eta_part(const ExperimentEta& e) {
  const std::string t = e.text();
  const auto p = t.find(", ETA ");
  return p == std::string::npos ? "" : t.substr(p + 2);
}

TEST(ExperimentEta, EstimatesByKindAndSaysWhenItIsALowerBound) {
  ExperimentEta e;
  e.plan("original", 1);
  e.plan("retrain", 2);
  e.plan("tru", 2);
  EXPECT_EQ(e.text().rfind("elapsed ", 0), 0u);
  EXPECT_EQ(eta_part(e), "");  // nothing measured yet
  e.done("original", 100);      // Retrain ≈ θ₀'s training; TRU unknown
  EXPECT_EQ(eta_part(e), "ETA ≥ 3m20s");
  e.done("retrain", 60);        // Retrain's own time now
  EXPECT_EQ(eta_part(e), "ETA ≥ 1m00s");
  e.done("tru", 10);
  EXPECT_EQ(eta_part(e), "ETA 1m10s");
  e.done("tru", -1);  // kept by --resume: leaves the plan, teaches nothing
  EXPECT_EQ(eta_part(e), "ETA 1m00s");
  e.done("retrain", 50);
  EXPECT_EQ(eta_part(e), "");  // nothing left
  e.done("retrain", 50);       // unplanned: learnt from, never below zero left
  EXPECT_EQ(eta_part(e), "");
}

TEST(ExperimentEta, AnApproximateMethodIsEstimatedFromTheOthersMeasured) {
  ExperimentEta e;
  e.plan("mmrecun", 1);
  e.plan("tru", 1);
  e.done("mmrecun", 4);
  EXPECT_EQ(eta_part(e), "ETA 4.0s");  // TRU ≈ the approximate methods' mean so far
}

TEST(ExperimentEta, PlanRunsCountsMethodsSeedsAndNoiseFloors) {
  ExperimentOptions o;
  o.methods = {"retrain", "tru"};
  o.seeds = 3;
  o.first_seed = 1;
  o.noise_floor = NoiseFloor::kFirst;
  ExperimentEta e;
  plan_runs(o, e);
  e.done("retrain", 10);
  e.done("tru", 1);
  // Left: 2 + 1 (noise floor of seed 1) Retrains at 10 s, 2 TRU at 1 s.
  EXPECT_EQ(eta_part(e), "ETA 32s");
  ExperimentEta f;
  o.noise_floor = NoiseFloor::kAll;
  plan_runs(o, f);
  f.done("retrain", 10);
  f.done("tru", 1);
  EXPECT_EQ(eta_part(f), "ETA 52s");  // 5 Retrains, 2 TRU
  ExperimentEta g;
  o.noise_floor = NoiseFloor::kFirst;
  o.first_seed = 101;  // tuning seeds: seed 1 is not among them, no noise floor
  plan_runs(o, g);
  g.done("retrain", 10);
  g.done("tru", 1);
  EXPECT_EQ(eta_part(g), "ETA 22s");
}

}  // namespace
}  // namespace lethe::audit
