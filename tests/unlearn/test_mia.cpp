// tests/unlearn/test_mia.cpp — the interaction-level membership audit (engine/audit/mia.h):
// the statistics on cases worked out by hand, the attack on data whose answer is known
// (separable: 1; pure noise: 0.5 within its standard error), the logistic fit's optimality, the
// features, the per-pair statistics of the scoring pass, and the pairs each family draws.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "engine/audit/mia.h"
#include "graph/bipartite.h"
#include "io/request.h"
#include "tests/models/tiny_data.h"

namespace lethe::audit {
namespace {

double sig(double z) { return 1.0 / (1.0 + std::exp(-z)); }

TEST(MiaStats, MannWhitneyByHandWithTies) {
  // Positives {0.9, 0.4}, negatives {0.4, 0.4, 0.1}: the 6 pairs score 1, 1, 1 (0.9 beats all),
  // ½, ½ (0.4 ties 0.4 twice), 1 (0.4 beats 0.1): AUC = 5/6.
  const std::vector<double> s = {0.4, 0.9, 0.1, 0.4, 0.4};
  const std::vector<uint8_t> y = {0, 1, 0, 1, 0};
  EXPECT_DOUBLE_EQ(auc_mann_whitney(s, y), 5.0 / 6.0);
  // Order does not matter; flipping the labels gives 1 − AUC.
  const std::vector<double> s2 = {0.1, 0.4, 0.4, 0.9, 0.4};
  const std::vector<uint8_t> y2 = {0, 0, 1, 1, 0};
  EXPECT_DOUBLE_EQ(auc_mann_whitney(s2, y2), 5.0 / 6.0);
  std::vector<uint8_t> flip = y;
  for (auto& v : flip) v = !v;
  EXPECT_DOUBLE_EQ(auc_mann_whitney(s, flip), 1.0 / 6.0);
  // All tied: ½. One class empty: undefined.
  EXPECT_DOUBLE_EQ(auc_mann_whitney({1, 1, 1, 1}, {1, 0, 1, 0}), 0.5);
  EXPECT_TRUE(std::isnan(auc_mann_whitney({1, 2}, {1, 1})));
}

TEST(MiaStats, BalancedAccuracyAndNullErrors) {
  // Positives predicted 2 of 3, negatives 1 of 2 (0.5 counts as "member").
  const std::vector<double> p = {0.9, 0.5, 0.2, 0.7, 0.1};
  const std::vector<uint8_t> y = {1, 1, 1, 0, 0};
  EXPECT_DOUBLE_EQ(balanced_accuracy(p, y), 0.5 * (2.0 / 3.0 + 1.0 / 2.0));
  EXPECT_TRUE(std::isnan(balanced_accuracy({0.1}, {1})));
  EXPECT_DOUBLE_EQ(null_se_auc(100, 100), std::sqrt(201.0 / (12.0 * 100 * 100)));
  EXPECT_DOUBLE_EQ(null_se_auc(3, 7), std::sqrt(11.0 / (12.0 * 21)));
  EXPECT_NEAR(null_se_bacc(400, 400), std::sqrt(0.125 / 400), 1e-15);  // n per class
  EXPECT_TRUE(std::isnan(null_se_auc(0, 5)));
}

TEST(MiaAttack, SeparableFeaturesGiveOne) {
  // Members' first feature in [1, 2], non-members' in [−2, −1]; the second is noise.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> X;
  std::vector<uint8_t> y;
  for (int k = 0; k < 400; ++k) {
    const bool m = k % 2 == 0;
    X.push_back(m ? 1 + u(rng) : -2 + u(rng));
    X.push_back(u(rng));
    y.push_back(m);
  }
  const AttackStats st = run_attack(X, 2, y, 11);
  ASSERT_EQ(st.auc_by_split.size(), 5u);
  for (size_t r = 0; r < 5; ++r) {
    EXPECT_DOUBLE_EQ(st.auc_by_split[r], 1.0);
    EXPECT_DOUBLE_EQ(st.bacc_by_split[r], 1.0);
  }
  EXPECT_DOUBLE_EQ(st.auc.mean, 1.0);
  EXPECT_DOUBLE_EQ(st.bacc.mean, 1.0);
  EXPECT_EQ(st.n_pos, 200);
  EXPECT_EQ(st.test_pos, 100);
  EXPECT_EQ(st.test_neg, 100);
}

TEST(MiaAttack, IidFeaturesGiveChance) {
  // 5,000 rows per class of the same distribution: AUC within 0.5 ± 0.02 for at least 19 of
  // 20 seeds (0.02 is about 2.4 null SEs of one split: 2,500 per class tested).
  int inside = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> z(0, 1);
    std::vector<double> X;
    std::vector<uint8_t> y;
    for (int k = 0; k < 10000; ++k) {
      for (int j = 0; j < 5; ++j) X.push_back(z(rng));
      y.push_back(k < 5000);
    }
    const AttackStats st = run_attack(X, 5, y, seed);
    EXPECT_NEAR(st.se_auc, std::sqrt(5001.0 / (12.0 * 2500 * 2500)), 1e-12);
    inside += std::fabs(st.auc.mean - 0.5) <= 0.02;
    EXPECT_LT(std::fabs(st.bacc.mean - 0.5), 0.05) << "seed " << seed;
  }
  EXPECT_GE(inside, 19);
}

TEST(MiaAttack, LogisticFitIsTheRegularisedOptimum) {
  // At the optimum the gradient of mean log-loss + (λ/2)‖w‖² vanishes.
  std::mt19937_64 rng(5);
  std::normal_distribution<double> z(0, 1);
  const int d = 3, n = 300;
  std::vector<double> X;
  std::vector<uint8_t> y;
  for (int k = 0; k < n; ++k) {
    double lin = 0.3;
    for (int j = 0; j < d; ++j) {
      X.push_back(z(rng));
      lin += (j + 1) * 0.5 * X.back();
    }
    y.push_back(std::uniform_real_distribution<double>(0, 1)(rng) < sig(lin));
  }
  const double l2 = 1e-2;
  const Logistic m = fit_logistic(X, d, y, l2);
  std::vector<double> g(d + 1, 0.0);
  for (int k = 0; k < n; ++k) {
    const double r = sig(m.decision(&X[static_cast<size_t>(k) * d])) - y[k];
    for (int j = 0; j < d; ++j) g[j] += r * X[static_cast<size_t>(k) * d + j] / n;
    g[d] += r / n;
  }
  for (int j = 0; j < d; ++j) EXPECT_NEAR(g[j] + l2 * m.w[j], 0.0, 1e-9) << j;
  EXPECT_NEAR(g[d], 0.0, 1e-9);
  EXPECT_GT(m.w[2], m.w[0]);  // the planted weights' order
  // Deterministic.
  const Logistic m2 = fit_logistic(X, d, y, l2);
  EXPECT_EQ(m.w, m2.w);
  EXPECT_EQ(m.b, m2.b);
}

TEST(MiaAttack, StratifiedHalves) {
  std::vector<uint8_t> y(101, 0);
  for (int k = 0; k < 41; ++k) y[k * 2] = 1;  // 41 members, 60 non-members
  const std::vector<uint8_t> a = stratified_half(y, 9, 0), b = stratified_half(y, 9, 1);
  int pos = 0, neg = 0;
  for (size_t k = 0; k < y.size(); ++k) (y[k] ? pos : neg) += a[k];
  EXPECT_EQ(pos, 20);
  EXPECT_EQ(neg, 30);
  EXPECT_EQ(a, stratified_half(y, 9, 0));  // a rerun draws the same
  EXPECT_NE(a, b);                         // another split seed, another half
}

TEST(MiaFeatures, ByHand) {
  PairStats p;
  p.score = 2.0;
  p.row_mean = 0.5;
  p.percentile = 0.75;
  p.threshold = 1.5;
  double a[kFamilyAFeatures];
  family_a_features(p, a);
  const double want_a[] = {2.0, sig(2.0), 0.75, 1.5, 0.5};
  for (int k = 0; k < kFamilyAFeatures; ++k) EXPECT_DOUBLE_EQ(a[k], want_a[k]) << k;
  double b[kFamilyBFeatures];
  family_b_features(2.0, -1.0, b);
  const double want_b[] = {2.0, -1.0, 3.0, 3.0, 2.0 / (1.0 + 1e-8), 1.0, -2.0, sig(2.0), sig(-1.0), sig(2.0) - sig(-1.0),
                           3.0 / (2.0 + 1e-8)};
  for (int k = 0; k < kFamilyBFeatures; ++k) EXPECT_DOUBLE_EQ(b[k], want_b[k]) << k;
}

TEST(MiaPairs, StatisticsFromTheScoringPass) {
  // Items are the identity (25 × 25), so a user's embedding row is its score row. User 0 scores
  // item j with 25 − j; its retained train items 0 and 1 are masked. User 1 scores all items 1.
  const int32_t I = 25;
  io::Interactions r;
  r.push(0, 0);
  r.push(0, 1);
  r.push(1, 3);
  SplitPatterns sp;
  sp.retain_train = graph::interaction_pattern(3, I, r);
  sp.forget = graph::interaction_pattern(3, I, io::Interactions{});
  sp.test = sp.forget;
  sp.valid = sp.forget;
  sp.deleted_user = {0, 0, 0};
  Ctx ctx(Device::CPU);
  OwnedTensor users(ctx, DType::F32, 3, I), items(ctx, DType::F32, I, I);
  std::vector<double> s(3 * I, 0.0), id(I * I, 0.0);
  for (int j = 0; j < I; ++j) {
    s[j] = 25 - j;
    s[I + j] = 1.0;
    s[2 * I + j] = j % 2;
    id[j * I + j] = 1.0;
  }
  users.t().from_host(ctx, s);
  items.t().from_host(ctx, id);
  const Auditor aud(ctx, sp, {10, 20, 50}, 1);  // one user per tile
  const std::vector<PairQuery> q = {{0, 10}, {1, 5}, {0, 0}, {1, 3}};
  ScoreRequest req;
  req.pairs = &q;
  const ModelScores ms = aud.score(users, items, req);
  ASSERT_EQ(ms.pairs.size(), 4u);
  // (0, 10): s = 15; mean (25 + … + 1)/25 = 13; unmasked others 2..24 except 10: 22 items, of
  // which 2..9 score higher: rank 9, percentile 1 − 8/22; t_u = the 20th unmasked (item 21): 4.
  EXPECT_DOUBLE_EQ(ms.pairs[0].score, 15.0);
  EXPECT_DOUBLE_EQ(ms.pairs[0].row_mean, 13.0);
  EXPECT_EQ(ms.pairs[0].rank, 9);
  EXPECT_DOUBLE_EQ(ms.pairs[0].percentile, 1.0 - 8.0 / 22.0);
  EXPECT_DOUBLE_EQ(ms.pairs[0].threshold, 4.0);
  // (0, 0): a masked item still gets its place among the unmasked ones: first.
  EXPECT_EQ(ms.pairs[2].rank, 1);
  EXPECT_DOUBLE_EQ(ms.pairs[2].percentile, 1.0);
  // User 1: every score ties; ties go to the smaller item id (the top-K kernel's order), item 3
  // is masked: items 0, 1, 2, 4 come before item 5.
  EXPECT_EQ(ms.pairs[1].rank, 5);
  EXPECT_DOUBLE_EQ(ms.pairs[1].percentile, 1.0 - 4.0 / 23.0);
  EXPECT_DOUBLE_EQ(ms.pairs[1].threshold, 1.0);
  EXPECT_DOUBLE_EQ(ms.pairs[1].row_mean, 1.0);
  EXPECT_EQ(ms.pairs[3].rank, 4);
  // The same pass kept the core audit (retained users 0 and 1) and a rerun is identical.
  EXPECT_EQ(ms.core.top.users, (std::vector<int32_t>{0, 1}));
  const ModelScores again = aud.score(users, items, req);
  for (size_t k = 0; k < q.size(); ++k) EXPECT_EQ(again.pairs[k].percentile, ms.pairs[k].percentile);
}

io::Dataset plan_data() { return test::tiny_dataset(80, 40, 12, {}, 21); }

TEST(MiaPlan, UserRegimePairs) {
  const io::Dataset ds = plan_data();
  io::RequestSpec spec;
  spec.regime = io::Regime::kUser;
  spec.ratio = 0.1;
  spec.seed = 4;
  const io::ForgetSplit split = io::resolve(ds, io::make_request(ds, spec));
  MiaOptions opt;
  opt.max_members = 50;
  const MiaPlan p = make_mia_plan(ds, split, io::Regime::kUser, 4, opt);
  const graph::HostCsr f = graph::interaction_pattern(ds.n_users, ds.n_items, split.forget);
  const graph::HostCsr r = graph::interaction_pattern(ds.n_users, ds.n_items, split.retain);
  const graph::HostCsr tr = graph::interaction_pattern(ds.n_users, ds.n_items, ds.train);
  const graph::HostCsr te = graph::interaction_pattern(ds.n_users, ds.n_items, ds.test);
  ASSERT_EQ(p.members.size(), std::min<size_t>(50, static_cast<size_t>(split.forget.size())));
  std::set<std::pair<int32_t, int32_t>> m;
  for (const auto& q : p.members) {
    EXPECT_TRUE(graph::contains(f, q.user, q.item));
    EXPECT_TRUE(m.insert({q.user, q.item}).second) << "sampled without replacement";
  }
  // A: balanced; non-members are test rows of deleted users; members are M's first draws.
  ASSERT_EQ(p.a_members.size(), p.a_nonmembers.size());
  ASSERT_GT(p.a_members.size(), 0u);
  for (size_t k = 0; k < p.a_members.size(); ++k) {
    EXPECT_EQ(p.a_members[k].user, p.members[k].user);
    EXPECT_EQ(p.a_members[k].item, p.members[k].item);
    const auto& nm = p.a_nonmembers[k];
    EXPECT_TRUE(graph::contains(te, nm.user, nm.item));
    EXPECT_TRUE(std::binary_search(split.deleted_users.begin(), split.deleted_users.end(), nm.user));
  }
  // B: unobserved (not in train), distinct, at most n.
  std::set<std::pair<int32_t, int32_t>> b;
  EXPECT_LE(p.b_nonmembers.size(), p.members.size());
  EXPECT_GT(p.b_nonmembers.size(), p.members.size() / 2);
  for (const auto& q : p.b_nonmembers) {
    EXPECT_FALSE(graph::contains(tr, q.user, q.item));
    EXPECT_TRUE(b.insert({q.user, q.item}).second);
  }
  // C: 5 resamples of retained train pairs.
  ASSERT_EQ(p.c_retained.size(), 5u);
  for (const auto& c : p.c_retained) {
    EXPECT_EQ(c.size(), p.members.size());
    for (const auto& q : c) EXPECT_TRUE(graph::contains(r, q.user, q.item));
  }
  // The concatenated query list points at each part.
  EXPECT_EQ(p.queries.size(), p.members.size() + 2 * p.a_members.size() + p.b_nonmembers.size() + 5 * p.members.size());
  EXPECT_EQ(p.queries[p.at_a_nonmembers].item, p.a_nonmembers[0].item);
  EXPECT_EQ(p.queries[p.at_c[4]].user, p.c_retained[4][0].user);
  // Deterministic for a seed; another seed draws another sample.
  const MiaPlan p2 = make_mia_plan(ds, split, io::Regime::kUser, 4, opt), p3 = make_mia_plan(ds, split, io::Regime::kUser, 5, opt);
  ASSERT_EQ(p2.queries.size(), p.queries.size());
  for (size_t k = 0; k < p.queries.size(); ++k) EXPECT_EQ(p2.queries[k].item, p.queries[k].item);
  bool differs = false;
  for (size_t k = 0; k < p.members.size(); ++k) differs |= p3.members[k].item != p.members[k].item || p3.members[k].user != p.members[k].user;
  EXPECT_TRUE(differs);
}

TEST(MiaPlan, TuningRunsDrawUnseenPositivesFromValid) {
  const io::Dataset ds = plan_data();
  io::RequestSpec spec;
  spec.regime = io::Regime::kInteraction;
  spec.ratio = 0.1;
  spec.seed = 2;
  const io::ForgetSplit split = io::resolve(ds, io::make_request(ds, spec));
  MiaOptions opt;
  opt.unseen_from_valid = true;
  const MiaPlan p = make_mia_plan(ds, split, io::Regime::kInteraction, 2, opt);
  const graph::HostCsr va = graph::interaction_pattern(ds.n_users, ds.n_items, ds.valid);
  ASSERT_GT(p.a_nonmembers.size(), 0u);
  for (const auto& q : p.a_nonmembers) EXPECT_TRUE(graph::contains(va, q.user, q.item));
  EXPECT_EQ(p.a_population.rfind("valid rows", 0), 0u) << p.a_population;
}

TEST(MiaPlan, InteractionRegimeMatchesUsers) {
  const io::Dataset ds = plan_data();
  io::RequestSpec spec;
  spec.regime = io::Regime::kInteraction;
  spec.ratio = 0.1;
  spec.seed = 2;
  const io::ForgetSplit split = io::resolve(ds, io::make_request(ds, spec));
  const MiaPlan p = make_mia_plan(ds, split, io::Regime::kInteraction, 2);
  const graph::HostCsr te = graph::interaction_pattern(ds.n_users, ds.n_items, ds.test);
  ASSERT_EQ(p.a_members.size(), p.a_nonmembers.size());
  ASSERT_GT(p.a_members.size(), 0u);
  std::map<int32_t, int> members, nonmembers, in_m;
  for (const auto& q : p.members) ++in_m[q.user];
  for (const auto& q : p.a_members) ++members[q.user];
  for (const auto& q : p.a_nonmembers) {
    ++nonmembers[q.user];
    EXPECT_TRUE(graph::contains(te, q.user, q.item));
  }
  EXPECT_EQ(members, nonmembers);  // the same users, the same count each
  for (const auto& [u, c] : members) EXPECT_LE(c, in_m[u]) << "user " << u;
}

TEST(MiaEvaluate, FamiliesReadTheirPairs) {
  // Scores that make each family's answer certain: members score 1, every other pair 0, for θ;
  // θ₀ scores everything 1. A: members vs unseen: separable (1); B separable (1); C: retained
  // (0) below forget (1): AUC 0.
  const io::Dataset ds = plan_data();
  io::RequestSpec spec;
  spec.regime = io::Regime::kInteraction;
  spec.ratio = 0.2;
  spec.seed = 3;
  const io::ForgetSplit split = io::resolve(ds, io::make_request(ds, spec));
  const MiaPlan p = make_mia_plan(ds, split, io::Regime::kInteraction, 3);
  std::vector<PairStats> th(p.queries.size()), t0(p.queries.size());
  for (size_t k = 0; k < p.queries.size(); ++k) {
    const bool member = (k >= p.at_members && k < p.at_members + p.members.size()) ||
                        (k >= p.at_a_members && k < p.at_a_members + p.a_members.size());
    th[k].score = member ? 1.0 : 0.0;
    th[k].percentile = th[k].score;
    t0[k].score = 1.0;
  }
  const MiaResult r = evaluate_mia(p, th, &t0);
  EXPECT_DOUBLE_EQ(r.a.auc.mean, 1.0);
  EXPECT_DOUBLE_EQ(r.b.auc.mean, 1.0);
  EXPECT_DOUBLE_EQ(r.c_auc.mean, 0.0);
  EXPECT_TRUE(r.has_b);
  AuditRow row;
  put_mia(r, row);
  EXPECT_DOUBLE_EQ(row.metric("mia_a_auc"), 1.0);
  EXPECT_DOUBLE_EQ(row.metric("mia_c_n"), static_cast<double>(p.members.size()));
  EXPECT_FALSE(evaluate_mia(p, th, nullptr).has_b);
  EXPECT_THROW(evaluate_mia(p, std::vector<PairStats>(3), nullptr), Error);
}

}  // namespace
}  // namespace lethe::audit
