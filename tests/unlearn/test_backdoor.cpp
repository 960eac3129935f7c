// tests/unlearn/test_backdoor.cpp — the backdoor audit (engine/audit/backdoor.h): the injection
// follows its recipe and is a pure function of the seed, the multimodal target is the item
// nearest the triggers' features, and the metrics, tolerance and escalation rules on hand-made
// inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "engine/audit/backdoor.h"
#include "tests/models/tiny_data.h"

namespace lethe::audit {
namespace {

io::Dataset data() { return test::tiny_dataset(200, 60, 10, {8, 4}, 13, 3); }

// How many items with train rows are strictly less / at most as popular as item i.
struct Pop {
  std::vector<int64_t> count;
  int64_t n = 0;
  explicit Pop(const io::Dataset& d) : count(static_cast<size_t>(d.n_items), 0) {
    for (int32_t i : d.train.item) ++count[static_cast<size_t>(i)];
    for (int64_t c : count) n += c > 0;
  }
  int64_t below(int32_t i) const {
    int64_t k = 0;
    for (int64_t c : count) k += c > 0 && c < count[static_cast<size_t>(i)];
    return k;
  }
  int64_t at_most(int32_t i) const {
    int64_t k = 0;
    for (int64_t c : count) k += c > 0 && c <= count[static_cast<size_t>(i)];
    return k;
  }
};

TEST(Backdoor, InjectionFollowsTheRecipeAndIsDeterministic) {
  const io::Dataset ds = data();
  const Pop pop(ds);
  const Injection a = make_injection(ds, 0.02, 5, false), b = make_injection(ds, 0.02, 5, false);
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.triggers, b.triggers);
  EXPECT_EQ(a.rows.user, b.rows.user);
  EXPECT_EQ(a.rows.item, b.rows.item);
  const Injection c = make_injection(ds, 0.02, 6, false);
  EXPECT_TRUE(c.rows.item != a.rows.item || c.target != a.target) << "another seed, another injection";
  EXPECT_FALSE(a.multimodal);

  // Target: least popular fifth; triggers: three of the 50–80th percentile band.
  EXPECT_LT(pop.below(a.target), static_cast<int64_t>(std::ceil(0.2 * pop.n)));
  ASSERT_EQ(a.triggers.size(), 3u);
  for (int32_t t : a.triggers) {
    EXPECT_LT(pop.below(t), static_cast<int64_t>(std::ceil(0.8 * pop.n))) << t;
    EXPECT_GT(pop.at_most(t), pop.n / 2) << t;
  }
  // m = ⌈a·|U_g|⌉ new users after the genuine ones, each {t} ∪ T_g ∪ filler from the top tenth.
  EXPECT_EQ(a.fakes, 4);
  EXPECT_EQ(a.first_fake, ds.n_users);
  std::vector<int64_t> len(static_cast<size_t>(ds.n_users), 0);
  for (int32_t u : ds.train.user) ++len[static_cast<size_t>(u)];
  std::sort(len.begin(), len.end());
  EXPECT_EQ(a.profile_length, std::max<int64_t>(5, len[(len.size() - 1) / 2]));
  EXPECT_EQ(a.rows.size(), static_cast<int64_t>(a.fakes) * a.profile_length);
  for (int32_t j = 0; j < a.fakes; ++j) {
    std::set<int32_t> prof;
    for (int64_t e = 0; e < a.rows.size(); ++e)
      if (a.rows.user[static_cast<size_t>(e)] == a.first_fake + j) {
        EXPECT_TRUE(prof.insert(a.rows.item[static_cast<size_t>(e)]).second);
      }
    EXPECT_EQ(static_cast<int>(prof.size()), a.profile_length);
    EXPECT_TRUE(prof.count(a.target));
    for (int32_t t : a.triggers) EXPECT_TRUE(prof.count(t));
    for (int32_t i : prof)
      if (i != a.target && !std::binary_search(a.triggers.begin(), a.triggers.end(), i)) {
        EXPECT_GE(pop.at_most(i), pop.n - static_cast<int64_t>(std::ceil(0.1 * pop.n))) << "filler " << i << " is not popular";
      }
  }
  // D ∪ D_inj: the fake rows are train rows of new users; nothing else moves.
  const io::Dataset inj = inject(ds, a);
  EXPECT_EQ(inj.n_users, ds.n_users + a.fakes);
  EXPECT_EQ(inj.train.size(), ds.train.size() + a.rows.size());
  EXPECT_EQ(inj.test.size(), ds.test.size());
  EXPECT_EQ(inj.valid.size(), ds.valid.size());
  // Raising a keeps the target and the triggers.
  const Injection big = make_injection(ds, 0.05, 5, false);
  EXPECT_EQ(big.target, a.target);
  EXPECT_EQ(big.triggers, a.triggers);
  EXPECT_EQ(big.fakes, 10);
}

TEST(Backdoor, MultimodalTargetIsNearestTheTriggers) {
  io::Dataset ds = data();
  const Injection plain = make_injection(ds, 0.01, 2, true);  // features exist: multimodal
  EXPECT_TRUE(plain.multimodal);
  // Give a least-popular item exactly the triggers' mean direction in every modality: it must
  // become the target.
  const Pop pop(ds);
  int32_t pick = -1;
  for (int32_t i = 0; i < ds.n_items && pick < 0; ++i)
    if (pop.count[static_cast<size_t>(i)] > 0 && pop.at_most(i) <= static_cast<int64_t>(std::ceil(0.2 * pop.n) / 2) &&
        i != plain.target)
      pick = i;
  ASSERT_GE(pick, 0);
  for (auto& f : ds.features) {
    std::vector<double> c(static_cast<size_t>(f.cols), 0.0);
    for (int32_t t : plain.triggers) {
      double ss = 0;
      for (int64_t k = 0; k < f.cols; ++k) ss += double(f.data[t * f.cols + k]) * f.data[t * f.cols + k];
      for (int64_t k = 0; k < f.cols; ++k) c[k] += f.data[t * f.cols + k] / std::sqrt(ss);
    }
    for (int64_t k = 0; k < f.cols; ++k) f.data[pick * f.cols + k] = static_cast<float>(c[k]);
  }
  const Injection mm = make_injection(ds, 0.01, 2, true);
  EXPECT_EQ(mm.triggers, plain.triggers);
  EXPECT_EQ(mm.target, pick);
  // Without features the variant falls back to the uniform choice.
  ds.features.clear();
  EXPECT_FALSE(make_injection(ds, 0.01, 2, true).multimodal);
}

TEST(Backdoor, MetricsByHand) {
  // Target 7; four genuine users with lists; holders {1, 3}: user 1 has 7 in its top-20,
  // user 3 does not; user 0 (no trigger) has it too.
  BackdoorProbe p;
  p.target = 7;
  p.holders = {1, 3};
  p.queries = {{1, 7}, {3, 7}};
  ModelScores s;
  s.core.top.K = 20;
  s.core.top.users = {0, 1, 2, 3};
  s.core.top.items.assign(80, -1);
  s.core.top.items[0 * 20 + 4] = 7;
  s.core.top.items[1 * 20 + 0] = 7;
  s.core.top.items[3 * 20 + 0] = 9;
  s.pairs.resize(2);
  s.pairs[0].rank = 1;
  s.pairs[1].rank = 40;
  s.core.retain.v["recall@20"] = 0.25;
  const BackdoorMetrics m = backdoor_metrics(p, s);
  EXPECT_DOUBLE_EQ(m.asr, 0.5);
  EXPECT_DOUBLE_EQ(m.er, 0.5);
  EXPECT_DOUBLE_EQ(m.mean_rank, 20.5);
  EXPECT_DOUBLE_EQ(m.retain_recall20, 0.25);
  EXPECT_EQ(m.holders, 2);
  s.pairs.pop_back();
  EXPECT_THROW(backdoor_metrics(p, s), Error);  // the pass must have scored every probe pair
}

TEST(Backdoor, RulesOfTheAttackAndThePass) {
  EXPECT_TRUE(backdoor_attack_works(0.30, 0.02));
  EXPECT_FALSE(backdoor_attack_works(0.19, 0.0));   // below 0.20
  EXPECT_FALSE(backdoor_attack_works(0.30, 0.031));  // not 10 × θ_clean's
  EXPECT_EQ(backdoor_escalation(0.01), (std::vector<double>{0.02, 0.05}));
  EXPECT_EQ(backdoor_escalation(0.02), (std::vector<double>{0.05}));
  EXPECT_TRUE(backdoor_escalation(0.05).empty());
  EXPECT_DOUBLE_EQ(backdoor_tolerance(0.0, 100), 0.01);
  EXPECT_DOUBLE_EQ(backdoor_tolerance(0.5, 100), 2 * std::sqrt(0.25 / 100));
}

}  // namespace
}  // namespace lethe::audit
