// tests/unlearn/test_umia.cpp — the user-level membership attack (engine/audit/umia.h): the
// feature of a toy user by hand, the reserved groups, the factorisation behind the item vectors
// (an exact low-rank case), the attack network's gradient against finite differences and its
// training, and the member rates.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <vector>

#include "engine/audit/umia.h"
#include "tests/models/tiny_data.h"
#include "tests/test_util.h"

namespace lethe::audit {
namespace {

TEST(Umia, UserFeatureByHand) {
  // Item vectors (dim 2): v0 = (1, 0), v1 = (0, 1), v2 = (1, 1), v3 = (2, −1).
  const std::vector<double> v = {1, 0, 0, 1, 1, 1, 2, -1};
  // History {0, 1}: centroid (½, ½). List of K = 3: [2, 3, padding]: weights 3/6, 2/6 (the
  // padding's 1/6 is skipped): ½(1, 1) + ⅓(2, −1) = (7/6, 1/6). x = (½ − 7/6, ½ − 1/6).
  const std::vector<int32_t> hist = {0, 1};
  const int32_t list[] = {2, 3, -1};
  double x[2];
  umia_feature(hist, list, 3, v, 2, x);
  EXPECT_NEAR(x[0], 0.5 - 7.0 / 6.0, 1e-15);
  EXPECT_NEAR(x[1], 0.5 - 1.0 / 6.0, 1e-15);
  // The K = 100 weights: rank r weighs (101 − r)/5050; items at ranks 1 and 100 only.
  std::vector<int32_t> l100(100, -1);
  l100[0] = 3;
  l100[99] = 2;
  umia_feature({2}, l100.data(), 100, v, 2, x);
  EXPECT_NEAR(x[0], 1.0 - (100.0 / 5050) * 2.0 - (1.0 / 5050) * 1.0, 1e-15);
  EXPECT_NEAR(x[1], 1.0 + (100.0 / 5050) * 1.0 - (1.0 / 5050) * 1.0, 1e-15);
}

TEST(Umia, ReservedGroupsAreDisjointTenPercentAndSeeded) {
  io::Dataset ds = test::tiny_dataset(200, 50, 8, {}, 3);
  const UserGroups g = reserve_user_groups(ds, 7);
  EXPECT_EQ(g.vectorisation.size(), 20u);
  EXPECT_EQ(g.outsiders.size(), 20u);
  std::set<int32_t> all(g.vectorisation.begin(), g.vectorisation.end());
  for (int32_t u : g.outsiders) EXPECT_TRUE(all.insert(u).second) << "user " << u << " in both groups";
  for (int32_t u = 0; u < ds.n_users; ++u) EXPECT_EQ(g.reserved[u] != 0, all.count(u) > 0);
  const UserGroups g2 = reserve_user_groups(ds, 7), g3 = reserve_user_groups(ds, 8);
  EXPECT_EQ(g2.vectorisation, g.vectorisation);
  EXPECT_EQ(g2.outsiders, g.outsiders);
  EXPECT_NE(g3.vectorisation, g.vectorisation);
  // Held out: no reserved user keeps a row in any split; the returned rows are the loaded ones.
  const int64_t train = ds.train.size();
  UserGroups h;
  const io::Dataset all_rows = hold_out_user_groups(ds, 7, &h);
  EXPECT_EQ(all_rows.train.size(), train);
  EXPECT_TRUE(all_rows.features.empty());
  EXPECT_EQ(h.outsiders, g.outsiders);
  for (const io::Interactions* s : {&ds.train, &ds.valid, &ds.test})
    for (int32_t u : s->user) EXPECT_FALSE(h.reserved[u]) << "reserved user " << u << " kept a row";
  EXPECT_EQ(ds.n_users, 200);  // IDs unchanged
  EXPECT_EQ(ds.users_without_train.size(), 40u);
  io::Dataset few = test::tiny_dataset(2, 10, 4, {}, 1);
  EXPECT_THROW(reserve_user_groups(few, 1), Error);
}

TEST(Umia, ItemVectorsFactoriseTheGroupsMatrix) {
  // Group users 0..4 hold items {0, 1, 2}, users 5..9 items {3, 4}; item 5 belongs to nobody in
  // the group (user 10 is outside it). A is exactly rank 2, so the vectors Q = c·VΣ^{1/2} of a
  // rank-2 factorisation satisfy (QQᵀ)² = c⁴·AᵀA.
  io::Dataset ds;
  ds.n_users = 11;
  ds.n_items = 6;
  for (int32_t u = 0; u < 5; ++u)
    for (int32_t i = 0; i < 3; ++i) ds.train.push(u, i);
  for (int32_t u = 5; u < 10; ++u) {
    ds.train.push(u, 3);
    ds.valid.push(u, 4);  // every split of the group counts
  }
  ds.train.push(10, 5);
  std::vector<int32_t> group;
  for (int32_t u = 0; u < 10; ++u) group.push_back(u);
  const int r = 2;
  const std::vector<double> q = umia_item_vectors(ds, group, r, 5);
  ASSERT_EQ(q.size(), 12u);
  double ata[6][6] = {};
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) ata[i][j] = (i < 3 && j < 3) ? 5.0 : (i >= 3 && i < 5 && j >= 3 && j < 5) ? 5.0 : 0.0;
  double g[6][6] = {}, g2[6][6] = {};
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j)
      for (int c = 0; c < r; ++c) g[i][j] += q[i * r + c] * q[j * r + c];
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j)
      for (int k = 0; k < 6; ++k) g2[i][j] += g[i][k] * g[k][j];
  const double c4 = g2[0][0] / ata[0][0];
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) EXPECT_NEAR(g2[i][j], c4 * ata[i][j], 1e-9) << i << "," << j;
  // Root-mean-square length 1 over the 5 items the group touched; item 5 is zero.
  double ss = 0;
  for (int i = 0; i < 5; ++i) ss += q[i * r] * q[i * r] + q[i * r + 1] * q[i * r + 1];
  EXPECT_NEAR(ss / 5, 1.0, 1e-12);
  EXPECT_EQ(q[10], 0.0);
  EXPECT_EQ(q[11], 0.0);
  EXPECT_EQ(umia_item_vectors(ds, group, r, 5), q);  // deterministic
}

TEST(Umia, MlpGradientMatchesFiniteDifferences) {
  const int in = 6;
  UmiaMlp mlp(in, 3);
  const std::vector<double> X = test::random_vec<double>(5 * in, 9, -2.0, 2.0);
  const std::vector<uint8_t> y = {1, 0, 0, 1, 1};
  const std::vector<double> g = mlp.gradient(X.data(), y.data(), y.size());
  std::vector<double> p = mlp.params();
  ASSERT_EQ(g.size(), p.size());
  ASSERT_EQ(p.size(), static_cast<size_t>(in * 32 + 32 + 32 * 8 + 8 + 8 * 2 + 2));
  std::vector<double> fd(p.size());
  const double eps = 1e-6;
  for (size_t k = 0; k < p.size(); ++k) {
    const double keep = p[k];
    p[k] = keep + eps;
    mlp.set_params(p);
    const double up = mlp.loss(X.data(), y.data(), y.size());
    p[k] = keep - eps;
    mlp.set_params(p);
    const double down = mlp.loss(X.data(), y.data(), y.size());
    p[k] = keep;
    fd[k] = (up - down) / (2 * eps);
  }
  mlp.set_params(p);
  EXPECT_TRUE(test::allclose(g.data(), fd.data(), static_cast<int64_t>(g.size()), test::kTolFd, "mlp gradient"));
}

TEST(Umia, MlpLearnsASeparableProblem) {
  // Members' features are shifted by +0.5 in every coordinate.
  std::mt19937_64 rng(4);
  std::normal_distribution<double> z(0, 1);
  std::vector<double> X;
  std::vector<uint8_t> y;
  for (int k = 0; k < 600; ++k) {
    y.push_back(k % 2);
    for (int c = 0; c < kUmiaRank; ++c) X.push_back(z(rng) + (k % 2 ? 0.5 : -0.5));
  }
  UmiaMlp mlp(kUmiaRank, 1);
  const double before = mlp.loss(X.data(), y.data(), y.size());
  const double after = mlp.train(X, y);
  EXPECT_LT(after, 0.5 * before);
  int right = 0;
  for (size_t k = 0; k < y.size(); ++k) right += (mlp.member_probability(&X[k * kUmiaRank]) >= 0.5) == (y[k] == 1);
  EXPECT_GE(right, 590);
  UmiaMlp again(kUmiaRank, 1);
  again.train(X, y);
  EXPECT_EQ(again.params(), mlp.params());  // deterministic
}

TEST(Umia, MemberRates) {
  // A network that says "member" for everyone (all parameters 0: P = ½), then for no one.
  UmiaAttack a;
  a.vectors.assign(4 * kUmiaRank, 0.0);
  a.history.assign(6, {0});
  a.mlp = std::make_unique<UmiaMlp>(kUmiaRank, 1);
  std::vector<double> p(a.mlp->params().size(), 0.0);
  a.mlp->set_params(p);
  TopLists l;
  l.K = 2;
  l.users = {0, 1, 2, 3, 4, 5};
  l.items.assign(12, 1);
  UmiaResult r = evaluate_umia(a, l, {0, 1}, {2, 3, 4}, {5});
  EXPECT_DOUBLE_EQ(r.deleted_rate, 1.0);
  EXPECT_DOUBLE_EQ(r.outsider_rate, 1.0);
  EXPECT_DOUBLE_EQ(r.bacc, 0.5);
  EXPECT_EQ(r.outsiders, 3);
  p.back() = -1.0;  // the member logit's bias: P(member) = σ(−1)
  a.mlp->set_params(p);
  r = evaluate_umia(a, l, {0, 1}, {2, 3, 4}, {5});
  EXPECT_DOUBLE_EQ(r.deleted_rate, 0.0);
  EXPECT_DOUBLE_EQ(r.retained_rate, 0.0);
  EXPECT_DOUBLE_EQ(r.bacc, 0.5);
  EXPECT_THROW(evaluate_umia(a, l, {7}, {}, {}), Error);  // no list for user 7
}

}  // namespace
}  // namespace lethe::audit
