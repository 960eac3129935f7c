// tests/unlearn/test_audit.cpp — the core audits (engine/audit/audit.h) on hand-made embeddings
// whose rankings are known exactly: items are the identity (I×I), so a user's embedding row IS
// its score vector and every top-K list, hit and overlap can be worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/audit/audit.h"
#include "graph/bipartite.h"
#include "io/request.h"

namespace lethe::audit {
namespace {

constexpr int32_t kI = 30;  // items (> 20, so top-20 lists are proper subsets)

graph::HostCsr pattern(int32_t U, const std::vector<std::pair<int32_t, int32_t>>& pairs) {
  io::Interactions x;
  for (const auto& [u, i] : pairs) x.push(u, i);
  return graph::interaction_pattern(U, kI, x);
}

// Scores: users × kI, row u given as "rank order": order[u][0] is the best item, and so on; the
// remaining items follow in increasing id order below them.
struct Emb {
  OwnedTensor users, items;
};
Emb make_emb(Ctx& ctx, const std::vector<std::vector<int32_t>>& order) {
  const int32_t U = static_cast<int32_t>(order.size());
  Emb e{OwnedTensor(ctx, DType::F32, U, kI), OwnedTensor(ctx, DType::F32, kI, kI)};
  std::vector<double> s(static_cast<size_t>(U) * kI), id(static_cast<size_t>(kI) * kI, 0.0);
  for (int32_t u = 0; u < U; ++u) {
    std::vector<char> placed(kI, 0);
    double v = 100.0;
    for (int32_t i : order[u]) { s[static_cast<size_t>(u) * kI + i] = v; v -= 1.0; placed[i] = 1; }
    for (int32_t i = 0; i < kI; ++i)
      if (!placed[i]) { s[static_cast<size_t>(u) * kI + i] = v; v -= 1.0; }
  }
  for (int32_t i = 0; i < kI; ++i) id[static_cast<size_t>(i) * kI + i] = 1.0;
  e.users.t().from_host(ctx, s);
  e.items.t().from_host(ctx, id);
  return e;
}

std::vector<int32_t> range(int32_t a, int32_t b) {
  std::vector<int32_t> v;
  for (int32_t i = a; i < b; ++i) v.push_back(i);
  return v;
}

TEST(AuditOverlap, IdenticalListsAreOneDisjointAreZero) {
  const std::vector<int32_t> a = range(0, 20), b = range(20, 40);
  EXPECT_DOUBLE_EQ(list_overlap(a.data(), a.data(), 20), 1.0);
  EXPECT_DOUBLE_EQ(list_overlap(a.data(), b.data(), 20), 0.0);
  // Same items in another order: still 1 (overlap is about sets, not positions).
  std::vector<int32_t> r(a.rbegin(), a.rend());
  EXPECT_DOUBLE_EQ(list_overlap(a.data(), r.data(), 20), 1.0);
  // Half shared.
  std::vector<int32_t> h = range(10, 30);
  EXPECT_DOUBLE_EQ(list_overlap(a.data(), h.data(), 20), 0.5);
  // −1 padding (a user with fewer than K unmasked items) is not an item.
  std::vector<int32_t> p1 = {1, 2, 3, -1, -1}, p2 = {3, 2, 1, -1, -1}, p3 = {1, 9, -1, -1, -1};
  EXPECT_DOUBLE_EQ(list_overlap(p1.data(), p2.data(), 5), 1.0);
  EXPECT_DOUBLE_EQ(list_overlap(p1.data(), p3.data(), 5), 1.0 / 3.0);
  std::vector<int32_t> none = {-1, -1};
  EXPECT_DOUBLE_EQ(list_overlap(none.data(), none.data(), 2), 1.0);
}

TEST(AuditOverlap, MeanOverUsersAndShapeChecks) {
  TopLists a, b;
  a.K = b.K = 2;
  a.users = b.users = {3, 5};
  a.items = {1, 2, 7, 8};
  b.items = {2, 1, 9, 10};
  EXPECT_DOUBLE_EQ(mean_overlap(a, b), 0.5);  // user 3: 1, user 5: 0
  TopLists c = b;
  c.users = {3, 6};
  EXPECT_THROW(mean_overlap(a, c), Error);
  TopLists d = b;
  d.K = 1;
  d.items = {2, 9};
  EXPECT_THROW(mean_overlap(a, d), Error);
  TopLists e1, e2;
  e1.K = e2.K = 20;
  EXPECT_TRUE(std::isnan(mean_overlap(e1, e2)));  // no users: undefined, not 0 or 1
}

TEST(AuditHelpers, ExposureReductionAndSpeedup) {
  EXPECT_DOUBLE_EQ(exposure_reduction(0.5, 0.1), 0.8);
  EXPECT_DOUBLE_EQ(exposure_reduction(0.5, 0.5), 0.0);
  EXPECT_DOUBLE_EQ(exposure_reduction(0.25, 0.5), -1.0);  // more exposed than before: negative
  EXPECT_TRUE(std::isnan(exposure_reduction(0.0, 0.1)));
  EXPECT_TRUE(std::isnan(exposure_reduction(NAN, 0.1)));
  EXPECT_DOUBLE_EQ(speedup(100.0, 4.0), 25.0);
  EXPECT_TRUE(std::isnan(speedup(NAN, 4.0)));
  EXPECT_TRUE(std::isnan(speedup(100.0, 0.0)));
}

// The split of the hand-made cases: 4 users, 30 items.
//   user 0: D_r {4, 5}, D_f {0, 1, 2}, test {6}
//   user 1: D_r {8},    D_f {3},       test {9, 10}
//   user 2: D_r {10..29} (20 items),   D_f {0}, test {1}
//   user 3: deleted (no D_r), D_f {12, 13}, test {14} (left in the test pattern on purpose)
SplitPatterns hand_split() {
  SplitPatterns sp;
  std::vector<std::pair<int32_t, int32_t>> r = {{0, 4}, {0, 5}, {1, 8}};
  for (int32_t i = 10; i < 30; ++i) r.push_back({2, i});
  sp.retain_train = pattern(4, r);
  sp.forget = pattern(4, {{0, 0}, {0, 1}, {0, 2}, {1, 3}, {2, 0}, {3, 12}, {3, 13}});
  sp.test = pattern(4, {{0, 6}, {1, 9}, {1, 10}, {2, 1}, {3, 14}});
  sp.valid = pattern(4, {});
  std::vector<std::pair<int32_t, int32_t>> full = r;
  for (auto p : std::vector<std::pair<int32_t, int32_t>>{{0, 0}, {0, 1}, {0, 2}, {1, 3}, {2, 0}, {3, 12}, {3, 13}})
    full.push_back(p);
  sp.full_train = pattern(4, full);
  sp.deleted_user = {0, 0, 0, 1};
  return sp;
}

// Rankings (best first; unlisted items follow in id order):
//   user 0: 4, 5 (masked), 0, 1, 6, then the rest — item 2 forced last.
//   user 1: 8 (masked), 9, then the rest with item 3 and item 10 forced last.
//   user 2: 10..29 (all masked), then 0, 1.
//   user 3: 14, 12, then the rest (13 last).
std::vector<std::vector<int32_t>> hand_order() {
  std::vector<std::vector<int32_t>> o(4);
  auto with_last = [](std::vector<int32_t> head, std::vector<int32_t> last) {
    std::vector<int32_t> v = head;
    for (int32_t i = 0; i < kI; ++i) {
      bool skip = false;
      for (int32_t x : head) skip |= x == i;
      for (int32_t x : last) skip |= x == i;
      if (!skip) v.push_back(i);
    }
    for (int32_t x : last) v.push_back(x);
    return v;
  };
  o[0] = with_last({4, 5, 0, 1, 6}, {2});
  o[1] = with_last({8, 9}, {3, 10});
  std::vector<int32_t> h2 = range(10, 30);
  h2.push_back(0);
  h2.push_back(1);
  o[2] = with_last(h2, {});
  o[3] = with_last({14, 12}, {13});
  return o;
}

TEST(Audit, RetainedUsersSkipDeletedAndEmpty) {
  SplitPatterns sp = hand_split();
  EXPECT_EQ(retained_users(sp), (std::vector<int32_t>{0, 1, 2}));
  sp.deleted_user = {0, 1, 0, 1};
  EXPECT_EQ(retained_users(sp), (std::vector<int32_t>{0, 2}));
}

TEST(Audit, ExposureCountsForgetPairsInTop20) {
  const SplitPatterns sp = hand_split();
  Ctx ctx(Device::CPU);
  const Auditor aud(ctx, sp);
  const Emb e = make_emb(ctx, hand_order());
  const CoreAudit a = aud.audit(e.users, e.items);
  // Forget pairs: (0,0) rank 1, (0,1) rank 2, (0,2) last (rank 28 of 28 unmasked) — 2 of 3;
  // (1,3) second-to-last of 29 unmasked — out; (2,0) rank 1 once D_r is masked — in;
  // (3,12) rank 2, (3,13) rank 30 of 30 — 1 of 2. Hits 2 + 0 + 1 + 1 = 4 of 7 pairs.
  EXPECT_DOUBLE_EQ(a.forget.get("hits@20"), 4.0);
  EXPECT_DOUBLE_EQ(a.forget.get("pairs@20"), 7.0);
  EXPECT_DOUBLE_EQ(a.exposure, 4.0 / 7.0);
  EXPECT_EQ(a.forget.users, 4);  // forget efficacy covers deleted users too (their D_f is the truth)
  // Forget Recall@20: user means 2/3, 0, 1, 1/2.
  EXPECT_NEAR(a.forget.get("recall@20"), (2.0 / 3.0 + 0.0 + 1.0 + 0.5) / 4.0, 1e-12);
}

TEST(Audit, RetainMasksDrOnlyAndForgetIsNotMasked) {
  const SplitPatterns sp = hand_split();
  Ctx ctx(Device::CPU);
  const Auditor aud(ctx, sp);
  const Emb e = make_emb(ctx, hand_order());
  const CoreAudit a = aud.audit(e.users, e.items);
  // User 2's 20 retained items hold its 20 best scores: only when D_r is masked does its
  // forgotten item 0 reach rank 1 (and D_f must not be masked, or it could never be found).
  // User 2 alone: NDCG@20 of a rank-1 hit is 1.
  SplitPatterns only2 = sp;
  only2.forget = pattern(4, {{2, 0}});
  const Auditor aud2(ctx, only2);
  const CoreAudit b = aud2.audit(e.users, e.items);
  EXPECT_DOUBLE_EQ(b.forget.get("recall@20"), 1.0);
  EXPECT_DOUBLE_EQ(b.forget.get("ndcg@20"), 1.0);
  EXPECT_DOUBLE_EQ(b.exposure, 1.0);
  // Without the mask (D_r = nothing) its 20 retained items would fill the top-20 and hide it.
  SplitPatterns nomask = only2;
  nomask.retain_train = pattern(4, {});
  const Auditor aud3(ctx, nomask);
  EXPECT_DOUBLE_EQ(aud3.audit(e.users, e.items).forget.get("recall@20"), 0.0);
  // In the full audit user 2's retain test item 1 sits at rank 2 once D_r is masked.
  EXPECT_EQ(a.retain.users, 3);
}

TEST(Audit, DeletedUsersAreExcludedFromRetainUtility) {
  const SplitPatterns sp = hand_split();
  Ctx ctx(Device::CPU);
  const Auditor aud(ctx, sp);
  const Emb e = make_emb(ctx, hand_order());
  const CoreAudit a = aud.audit(e.users, e.items);
  // Retain test users: 0, 1, 2 (user 3 is deleted even though the pattern holds its row).
  EXPECT_EQ(a.retain.users, 3);
  // user 0: test {6} at rank 3 (4, 5 masked) -> R@10 1, NDCG@10 1/log2(4) = 0.5.
  // user 1: test {9, 10}: 9 at rank 1, 10 last (29th of 29) -> R@10 1/2, R@20 1/2, R@50 1.
  // user 2: test {1} at rank 2 -> R@10 1, NDCG 1/log2(3).
  EXPECT_NEAR(a.retain.get("recall@10"), (1.0 + 0.5 + 1.0) / 3.0, 1e-12);
  EXPECT_NEAR(a.retain.get("recall@20"), (1.0 + 0.5 + 1.0) / 3.0, 1e-12);
  EXPECT_NEAR(a.retain.get("recall@50"), 1.0, 1e-12);
  const double n1 = 1.0 / (1.0 + 1.0 / std::log2(3.0));  // user 1: DCG 1, IDCG over 2 hits
  EXPECT_NEAR(a.retain.get("ndcg@20"), (0.5 + n1 + 1.0 / std::log2(3.0)) / 3.0, 1e-12);
  EXPECT_NEAR(a.retain.get("precision@20"), (1.0 + 1.0 + 1.0) / 20.0 / 3.0, 1e-12);
  // Had user 3 counted (its item 14 at rank 1), the mean recall@10 would be (2.5 + 1) / 4.
  EXPECT_NE(a.retain.get("recall@10"), 3.5 / 4.0);
}

TEST(Audit, TopListsMaskDrAndCoverRetainedUsers) {
  const SplitPatterns sp = hand_split();
  Ctx ctx(Device::CPU);
  const Auditor aud(ctx, sp);
  const Emb e = make_emb(ctx, hand_order());
  const TopLists t = aud.top_lists(e.users, e.items);
  ASSERT_EQ(t.users, (std::vector<int32_t>{0, 1, 2}));
  ASSERT_EQ(t.K, kAuditK);
  EXPECT_EQ(t.row(0)[0], 0);  // 4, 5 masked
  EXPECT_EQ(t.row(0)[1], 1);
  EXPECT_EQ(t.row(0)[2], 6);
  EXPECT_EQ(t.row(1)[0], 9);  // 8 masked
  EXPECT_EQ(t.row(2)[0], 0);  // 10..29 masked: only 10 items left, the rest is padding
  EXPECT_EQ(t.row(2)[9], 9);
  for (int k = 10; k < 20; ++k) EXPECT_EQ(t.row(2)[k], -1);
  for (size_t r = 0; r < t.size(); ++r)
    for (int k = 0; k < t.K; ++k)
      if (t.row(r)[k] >= 0) {
        EXPECT_FALSE(graph::contains(sp.retain_train, t.users[r], t.row(r)[k]));
      }
  // A model against itself: overlap 1. Deterministic: a second pass gives the same lists.
  const TopLists t2 = aud.top_lists(e.users, e.items);
  EXPECT_EQ(t.items, t2.items);
  EXPECT_DOUBLE_EQ(mean_overlap(t, t2), 1.0);
}

TEST(Audit, ReversedRankingHasZeroOverlap) {
  // 2 users, item 29 masked for both: a ranking (0, 1, ..., 29) against its reverse.
  SplitPatterns sp;
  sp.retain_train = pattern(2, {{0, 29}, {1, 29}});  // one retained row each (item 29 masked)
  sp.forget = pattern(2, {});
  sp.test = pattern(2, {});
  sp.deleted_user = {0, 0};
  Ctx ctx(Device::CPU);
  const Auditor aud(ctx, sp);
  std::vector<std::vector<int32_t>> fwd(2), rev(2);
  for (int u = 0; u < 2; ++u) {
    for (int32_t i = 0; i < kI; ++i) fwd[u].push_back(i);
    for (int32_t i = kI - 1; i >= 0; --i) rev[u].push_back(i);
  }
  const Emb a = make_emb(ctx, fwd), b = make_emb(ctx, rev);
  const TopLists la = aud.top_lists(a.users, a.items), lb = aud.top_lists(b.users, b.items);
  // Forward top-20: 0..19. Reverse (29 masked): 28..9 -> shared 9..19 = 11 items.
  EXPECT_DOUBLE_EQ(mean_overlap(la, lb), 11.0 / 20.0);
  // Top-5 lists of the two orders are disjoint.
  const TopLists sa = aud.top_lists(a.users, a.items, 5), sb = aud.top_lists(b.users, b.items, 5);
  EXPECT_DOUBLE_EQ(mean_overlap(sa, sb), 0.0);
}

TEST(Audit, AuditorRejectsBadCutoffs) {
  const SplitPatterns sp = hand_split();
  Ctx ctx(Device::CPU);
  EXPECT_THROW(Auditor(ctx, sp, {10, 50}), Error);  // K = 20 is what every audit reports
}

TEST(Audit, WithResolvedSplitPatterns) {
  // The same audit through io::resolve + split_patterns: a deleted user's test rows never count.
  io::Dataset ds;
  ds.name = "hand";
  ds.n_users = 3;
  ds.n_items = kI;
  for (int32_t i = 0; i < 4; ++i) ds.train.push(0, i);
  for (int32_t i = 4; i < 8; ++i) ds.train.push(1, i);
  for (int32_t i = 8; i < 12; ++i) ds.train.push(2, i);
  ds.valid.push(0, 20);
  ds.valid.push(1, 21);
  ds.valid.push(2, 22);
  ds.test.push(0, 23);
  ds.test.push(1, 24);
  ds.test.push(2, 25);
  io::Request req;
  req.spec.regime = io::Regime::kExplicit;
  req.users = {1};
  const io::ForgetSplit split = io::resolve(ds, req);
  const SplitPatterns sp = split_patterns(ds, split);
  Ctx ctx(Device::CPU);
  const Auditor aud(ctx, sp);
  std::vector<std::vector<int32_t>> order = {{23}, {24}, {}};  // users 0, 1 rank their test item first
  const Emb e = make_emb(ctx, order);
  const CoreAudit a = aud.audit(e.users, e.items);
  EXPECT_EQ(a.retain.users, 2);                              // users 0 and 2
  EXPECT_NEAR(a.retain.get("recall@10"), 0.5, 1e-12);        // user 0 hits, user 2 (item 25 at rank 22) not
  EXPECT_EQ(a.forget.users, 1);                              // user 1's four rows
  EXPECT_DOUBLE_EQ(a.forget.get("pairs@20"), 4.0);
  EXPECT_DOUBLE_EQ(a.exposure, 1.0);                         // its items 4..7 rank 6..9 (no mask left)
  EXPECT_EQ(a.top.users, (std::vector<int32_t>{0, 2}));
}

}  // namespace
}  // namespace lethe::audit
