// tests/engine/test_metrics.cpp — the evaluator's six metrics against hand-computed values
// (MMRec's and RecBole's definitions: MAP@K divides by min(|gt|, K), MRR@K is 1/rank of the
// first hit, Hit@K is 0/1), any cut-offs, the cold-user filter, and the top-K export layouts.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "engine/evaluator.h"
#include "engine/recommend.h"
#include "graph/bipartite.h"
#include "tests/io/io_test_util.h"

namespace lethe {
namespace {

// Two users, six items, d = 1: every user ranks item i at position i + 1 (scores 6, 5, ..., 1).
struct Fixture {
  Ctx ctx{Device::CPU};
  OwnedTensor users{ctx, DType::F32, 2, 1}, items{ctx, DType::F32, 6, 1};
  Fixture() {
    users.t().from_host(ctx, {1.0, 1.0});
    items.t().from_host(ctx, {6, 5, 4, 3, 2, 1});
  }
};

graph::HostCsr truth_of(const io::Interactions& rows) { return graph::interaction_pattern(2, 6, rows); }

TEST(Metrics, SixMetricsMatchHandComputedValues) {
  Fixture f;
  io::Interactions gt;  // user 0: items 1 and 3 (ranks 2 and 4); user 1: item 5 (rank 6)
  gt.push(0, 1);
  gt.push(0, 3);
  gt.push(1, 5);
  const graph::HostCsr truth = truth_of(gt);
  EvalSpec spec;
  spec.truth = &truth;
  spec.ks = {3, 5};
  const Metrics m = evaluate(f.ctx, f.users.t(), f.items.t(), spec);
  EXPECT_EQ(m.users, 2);
  const double l3 = 1.0 / std::log2(3.0), l5 = 1.0 / std::log2(5.0);
  // K = 3: user 0 hits rank 2 only; user 1 nothing.
  EXPECT_NEAR(m.get("recall@3"), (0.5 + 0) / 2, 1e-12);
  EXPECT_NEAR(m.get("precision@3"), (1.0 / 3) / 2, 1e-12);
  EXPECT_NEAR(m.get("ndcg@3"), (l3 / (1 + l3)) / 2, 1e-12);
  EXPECT_NEAR(m.get("map@3"), ((1.0 / 2) / 2) / 2, 1e-12);  // P@2 · 1 / min(2, 3), averaged
  EXPECT_NEAR(m.get("hit@3"), 0.5, 1e-12);
  EXPECT_NEAR(m.get("mrr@3"), (1.0 / 2) / 2, 1e-12);
  // K = 5: user 0 hits ranks 2 and 4.
  EXPECT_NEAR(m.get("recall@5"), 0.5, 1e-12);
  EXPECT_NEAR(m.get("precision@5"), (2.0 / 5) / 2, 1e-12);
  EXPECT_NEAR(m.get("ndcg@5"), ((l3 + l5) / (1 + l3)) / 2, 1e-12);
  EXPECT_NEAR(m.get("map@5"), ((1.0 / 2 + 2.0 / 4) / 2) / 2, 1e-12);
  EXPECT_NEAR(m.get("hit@5"), 0.5, 1e-12);
  EXPECT_NEAR(m.get("mrr@5"), 0.25, 1e-12);
  EXPECT_EQ(m.get("hits@5"), 2);
  EXPECT_EQ(m.get("pairs@5"), 3);
}

TEST(Metrics, MapDividesByTheCutOffWhenTheTruthIsLonger) {
  Fixture f;
  io::Interactions gt;  // user 0: items 0, 1, 2, 3 — all of the top 2 are hits
  for (int32_t i : {0, 1, 2, 3}) gt.push(0, i);
  const graph::HostCsr truth = truth_of(gt);
  EvalSpec spec;
  spec.truth = &truth;
  spec.ks = {2};
  const Metrics m = evaluate(f.ctx, f.users.t(), f.items.t(), spec);
  EXPECT_EQ(m.users, 1);
  EXPECT_NEAR(m.get("map@2"), 1.0, 1e-12);  // (1 + 1) / min(4, 2)
  EXPECT_NEAR(m.get("mrr@2"), 1.0, 1e-12);
  EXPECT_NEAR(m.get("recall@2"), 0.5, 1e-12);
}

TEST(Metrics, ColdUsersAreLeftOutWhenFlagged) {
  Fixture f;
  io::Interactions gt;
  gt.push(0, 0);
  gt.push(1, 0);
  const graph::HostCsr truth = truth_of(gt);
  const std::vector<int32_t> train_users = {0};  // user 1 has no train row
  const std::vector<char> cold = cold_users(2, train_users);
  EXPECT_EQ(cold, (std::vector<char>{0, 1}));
  EvalSpec spec;
  spec.truth = &truth;
  spec.ks = {1};
  EXPECT_EQ(evaluate(f.ctx, f.users.t(), f.items.t(), spec).users, 2);
  spec.exclude_users = &cold;
  EXPECT_EQ(evaluate(f.ctx, f.users.t(), f.items.t(), spec).users, 1);
  const std::vector<char> deleted = {1, 0};  // OR-ed with an existing exclusion list
  EXPECT_EQ(cold_users(2, train_users, &deleted), (std::vector<char>{1, 1}));
}

TEST(Metrics, CutOffListsAreParsedAndChecked) {
  EXPECT_EQ(parse_ks("50, 5,20,10", "--eval.ks"), (std::vector<int64_t>{5, 10, 20, 50}));
  for (const char* bad : {"", "5,,10", "0", "1025", "5,x", "10,10"})
    EXPECT_TRUE(test::has_all(test::error_of([&] { parse_ks(bad, "--eval.ks"); }), {"--eval.ks"})) << bad;
}

TEST(TopKExport, ListsCarryScoresAndBothLayoutsHaveHeaders) {
  Fixture f;
  io::Interactions train;  // user 0 has seen items 0..3: only 4 and 5 are left for a top-3
  for (int32_t i : {0, 1, 2, 3}) train.push(0, i);
  const DevCsr mask(f.ctx, graph::interaction_pattern(2, 6, train));
  const RankedLists t = compute_topk(f.ctx, f.users.t(), f.items.t(), &mask, 3, {}, 1);
  ASSERT_EQ(t.users, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(t.items, (std::vector<int32_t>{4, 5, -1, 0, 1, 2}));
  EXPECT_EQ(t.scores[0], 2.0);
  EXPECT_EQ(t.scores[1], 1.0);
  EXPECT_TRUE(std::isinf(t.scores[2]) && t.scores[2] < 0);
  EXPECT_EQ(t.scores[3], 6.0);
  EXPECT_EQ(topk_text(t, TopKFormat::kLethe),
            "user\trank\titem\tscore\n0\t1\t4\t2\n0\t2\t5\t1\n1\t1\t0\t6\n1\t2\t1\t5\n1\t3\t2\t4\n");
  EXPECT_EQ(topk_text(t, TopKFormat::kMmrec), "id\ttop_0\ttop_1\ttop_2\n0\t4\t5\t-1\n1\t0\t1\t2\n");
  const RankedLists one = compute_topk(f.ctx, f.users.t(), f.items.t(), &mask, 2, {1}, 2048);
  EXPECT_EQ(one.users, (std::vector<int32_t>{1}));
  EXPECT_EQ(parse_topk_format("mmrec"), TopKFormat::kMmrec);
  EXPECT_TRUE(test::has_all(test::error_of([] { parse_topk_format("csv"); }), {"lethe or mmrec", "csv"}));
}

TEST(TopKExport, EvaluatedUsersFollowTheTruthAndTheExclusions) {
  io::Interactions gt;
  gt.push(1, 0);
  gt.push(2, 3);
  const graph::HostCsr truth = graph::interaction_pattern(4, 6, gt);
  EXPECT_EQ(evaluated_users(truth, nullptr), (std::vector<int32_t>{1, 2}));
  const std::vector<char> ex = {0, 0, 1, 0};
  EXPECT_EQ(evaluated_users(truth, &ex), (std::vector<int32_t>{1}));
}

}  // namespace
}  // namespace lethe
