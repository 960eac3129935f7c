// tests/engine/test_evaluator_reuse.cpp — the trainer's Evaluator (engine/evaluator.h): the same
// metrics as evaluate() whatever its tile, nothing allocated after its first call, and on a GPU
// tiles as large as its score budget allows (the CPU's follows eval.tile_users).
#include <random>

#include "engine/evaluator.h"
#include "engine/sparse.h"
#include "graph/csr.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

struct Problem {
  int64_t U = 70, I = 45, d = 8;
  std::vector<double> users, items;
  graph::HostCsr truth, train;
};

Problem problem() {
  Problem p;
  p.users = test::random_vec<double>(p.U * p.d, 1);
  p.items = test::random_vec<double>(p.I * p.d, 2);
  std::mt19937_64 rng(3);
  std::vector<std::vector<int32_t>> gt(static_cast<size_t>(p.U)), tr(static_cast<size_t>(p.U));
  for (int64_t u = 0; u < p.U; ++u)
    for (int32_t i = 0; i < p.I; ++i) {
      const auto r = rng() % 10;
      if (r == 0 && u % 7 != 3) gt[u].push_back(i);  // every 7th user has no ground truth
      else if (r == 1) tr[u].push_back(i);
    }
  const auto csr = [&](const std::vector<std::vector<int32_t>>& rows) {
    graph::HostCsr c;
    c.rows = p.U;
    c.cols = p.I;
    c.rowptr.push_back(0);
    for (const auto& r : rows) {
      c.col.insert(c.col.end(), r.begin(), r.end());
      c.rowptr.push_back(static_cast<int32_t>(c.col.size()));
    }
    c.val.assign(c.col.size(), 1.0f);
    return c;
  };
  p.truth = csr(gt);
  p.train = csr(tr);
  return p;
}

TEST(Evaluator, SameMetricsAsEvaluateForAnyTileAndNothingAllocatedOnceWarm) {
  const Problem p = problem();
  Ctx ctx(Device::CPU);
  OwnedTensor U(ctx, DType::F32, p.U, p.d), I(ctx, DType::F32, p.I, p.d);
  U.t().from_host(ctx, p.users);
  I.t().from_host(ctx, p.items);
  const DevCsr mask(ctx, p.train);
  EvalSpec spec;
  spec.truth = &p.truth;
  spec.mask = &mask;
  spec.ks = {5, 20};
  spec.tile_users = 16;
  const Metrics want = evaluate(ctx, U, I, spec);
  ASSERT_GT(want.users, 0);
  Evaluator ev(ctx);
  EXPECT_EQ(ev.tile_for(p.U, p.I, 16), 16) << "on the CPU the tile is eval.tile_users";
  for (int64_t tile : {int64_t(16), int64_t(1), int64_t(70), int64_t(1000)}) {
    spec.tile_users = tile;
    const Metrics got = ev.evaluate(U, I, spec);
    EXPECT_EQ(got.users, want.users) << tile;
    EXPECT_EQ(got.v, want.v) << "tile " << tile;
  }
  spec.tile_users = 16;
  (void)ev.evaluate(U, I, spec);
  const int64_t allocs = memstat::allocations();
  const Metrics again = ev.evaluate(U, I, spec);
  EXPECT_EQ(memstat::allocations(), allocs) << "a warmed-up evaluation allocated";
  EXPECT_EQ(again.v, want.v);
}

TEST(Evaluator, OnAGpuATileHoldsItsScoreBudget) {
  LETHE_REQUIRE_GPU();
  Ctx ctx(Device::CUDA);
  Evaluator ev(ctx);
  const int64_t per_gib = Evaluator::kGpuTileScoreBytes / (7050 * 4);
  EXPECT_EQ(ev.tile_for(19445, 7050, 2048), std::min<int64_t>(19445, per_gib));
  EXPECT_EQ(ev.tile_for(100, 7050, 2048), 100);
  EXPECT_EQ(ev.tile_for(10'000'000, 7050, 2048), per_gib);
}

}  // namespace
}  // namespace lethe
