// tests/models/test_step.cpp — the trainer's step (engine/step.h) against the step it replaced:
//  * an epoch of StepRunner steps (batches taken on the device from one upload, negatives keyed
//    by the device state, Adam reading t and lr there, a feature table's Adam fused into its
//    gradient's GEMM on the CPU, losses summed on the device) leaves exactly the parameters, Adam
//    moments and loss sums of the same epoch stepped with train_step (host batches, by-value
//    scalars, the gradient stored and Adam run over the slab), for every backbone, with the
//    fusion on and off;
//  * a step makes no host read and no upload; an epoch makes one of each;
//  * a warmed-up step allocates nothing;
//  * a diverging run names the first bad batch;
//  * on a GPU (skipped here): steps captured as CUDA graphs and replayed give exactly the
//    parameters and losses of eager steps — full batches and the smaller last one — and the
//    declared kernel launches of a step match the captured graph's kernel nodes.
#include <cmath>
#include <cstring>
#include <string>

#include "engine/op_profile.h"
#include "engine/session.h"
#include "engine/step.h"
#include "engine/trainer.h"
#include "graph/bipartite.h"
#include "tests/models/tiny_data.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

Config tiny_config() {
  Config cfg;
  cfg.set("dim", "8");
  cfg.set("batch_size", "64");
  cfg.set("lr", "0.01");
  cfg.set("mgcn.knn_k", "3");
  return cfg;
}

// 40 users × 8 rows, minus valid/test: 240 train rows = 3 full batches of 64 and one of 48.
io::Dataset data() { return test::tiny_dataset(40, 30, 8, {6, 4}, 7); }

struct Result {
  std::vector<char> params, m, v;
  std::vector<double> sums;  // per epoch: Σ total, Σ rank, Σ reg, Σ aux (as the device adds them)
};

// Two epochs stepped the old way: host batches through train_step.
Result legacy(Device dev, const std::string& model) {
  const io::Dataset ds = data();
  const Config cfg = tiny_config();
  Ctx ctx(dev);
  ModelSession s(ctx, ds, model, cfg, "");
  const TrainOptions opt = TrainOptions::from(cfg, s.model());
  s.init(opt.seed);
  Adam adam(s.params(), AdamConfig{opt.lr});
  Tape tape(ctx, s.params());
  GradSlab g(s.params());
  Result r;
  const int64_t n = ds.train.size();
  for (uint32_t epoch = 0; epoch < 2; ++epoch) {
    adam.set_lr(opt.lr * (epoch + 1));  // a learning rate that changes between epochs
    const auto perm = epoch_permutation(n, opt.seed, epoch);
    double sums[4] = {0, 0, 0, 0};
    uint32_t step = 0;
    for (int64_t lo = 0; lo < n; lo += opt.batch_size, ++step) {
      Batch b;
      for (int64_t k = lo; k < std::min(n, lo + opt.batch_size); ++k) {
        b.users.push_back(ds.train.user[perm[k]]);
        b.pos.push_back(ds.train.item[perm[k]]);
      }
      const StepLoss l = train_step(tape, s.model(), s.params(), adam, g, s.data(), b, opt.seed, epoch, step);
      // The device sums float terms in double; train_step returns them widened the same way.
      sums[0] += l.total;
      sums[1] += l.rank;
      sums[2] += l.reg;
      sums[3] += l.aux;
    }
    r.sums.insert(r.sums.end(), sums, sums + 4);
  }
  r.params = s.params().slab_bytes();
  r.m = adam.m_bytes();
  r.v = adam.v_bytes();
  return r;
}

// The same two epochs through StepRunner.
Result runner(Device dev, const std::string& model, bool fused, bool graphs) {
  const io::Dataset ds = data();
  const Config cfg = tiny_config();
  Ctx ctx(dev);
  ModelSession s(ctx, ds, model, cfg, "");
  const TrainOptions opt = TrainOptions::from(cfg, s.model());
  s.init(opt.seed);
  Adam adam(s.params(), AdamConfig{opt.lr});
  StepOptions so;
  so.batch_size = opt.batch_size;
  so.seed = opt.seed;
  so.fused_adam = fused;
  so.graphs = graphs;
  StepRunner run(ctx, s.model(), s.params(), adam, s.data(), ds.train, so);
  Result r;
  for (uint32_t epoch = 0; epoch < 2; ++epoch) {
    adam.set_lr(opt.lr * (epoch + 1));
    run.begin_epoch(epoch);
    for (int64_t b = 0; b < run.steps_per_epoch(); ++b) {
      run.step();
      // MGCN's two trainable feature tables are updated inside their gradients' products;
      // nothing else qualifies.
      EXPECT_EQ(run.fused_updates(), fused && model == "mgcn" ? 2 : 0) << model;
    }
    const EpochLoss l = run.end_epoch();
    EXPECT_EQ(l.steps, run.steps_per_epoch());
    EXPECT_EQ(l.bad_step, -1);
    const double k = static_cast<double>(l.steps);
    for (double x : {l.total, l.rank, l.reg, l.aux}) r.sums.push_back(x * k);
  }
  EXPECT_EQ(adam.steps(), 2 * run.steps_per_epoch());
  if (graphs) {
    EXPECT_GT(run.graph_replays(), 0);
    EXPECT_EQ(run.graph_captures(), 2) << "one graph for the full batches, one for the last";
  }
  r.params = s.params().slab_bytes();
  r.m = adam.m_bytes();
  r.v = adam.v_bytes();
  return r;
}

void expect_same(const Result& a, const Result& b, const std::string& what) {
  EXPECT_TRUE(a.params == b.params) << what << ": parameters differ";
  EXPECT_TRUE(a.m == b.m) << what << ": first moments differ";
  EXPECT_TRUE(a.v == b.v) << what << ": second moments differ";
  ASSERT_EQ(a.sums.size(), b.sums.size());
  for (size_t i = 0; i < a.sums.size(); ++i) {
    // Sums of the same float terms in the same order: equal, up to the mean's division and
    // multiplication back (one rounding each way).
    EXPECT_NEAR(a.sums[i], b.sums[i], 1e-12 * std::max(1.0, std::abs(b.sums[i]))) << what << ": loss sum " << i;
  }
}

class StepRunnerCpu : public ::testing::TestWithParam<std::string> {};

TEST_P(StepRunnerCpu, EqualsTheHostSteppedEpochBitForBit) {
  const std::string model = GetParam();
  const Result want = legacy(Device::CPU, model);
  expect_same(runner(Device::CPU, model, /*fused=*/true, false), want, model + " (fused Adam)");
  expect_same(runner(Device::CPU, model, /*fused=*/false, false), want, model + " (unfused Adam)");
}

TEST_P(StepRunnerCpu, StepsMakeNoTransferAndAnEpochOneEachWay) {
  const std::string model = GetParam();
  const io::Dataset ds = data();
  const Config cfg = tiny_config();
  Ctx ctx(Device::CPU);
  ModelSession s(ctx, ds, model, cfg, "");
  const TrainOptions opt = TrainOptions::from(cfg, s.model());
  s.init(opt.seed);
  Adam adam(s.params(), AdamConfig{opt.lr});
  StepOptions so;
  so.batch_size = opt.batch_size;
  so.seed = opt.seed;
  StepRunner run(ctx, s.model(), s.params(), adam, s.data(), ds.train, so);
  int64_t reads = 0, uploads = 0, launches = 0;
  for (uint32_t epoch = 0; epoch < 2; ++epoch) {
    {
      prof::Recorder rec;
      run.begin_epoch(epoch);
      const prof::Profile p = rec.stop();
      reads += p.host_reads;
      uploads += p.uploads;
    }
    for (int64_t b = 0; b < run.steps_per_epoch(); ++b) {
      prof::Recorder rec;
      run.step();
      const prof::Profile p = rec.stop();
      EXPECT_EQ(p.host_reads, 0) << "a step read from the device";
      EXPECT_EQ(p.uploads, 0) << "a step uploaded";
      launches = p.launches();
      EXPECT_GT(p.op_calls(), 10);
    }
    prof::Recorder rec;
    run.end_epoch();
    const prof::Profile p = rec.stop();
    reads += p.host_reads;
    uploads += p.uploads;
  }
  EXPECT_EQ(reads, 2) << "one read per epoch";
  EXPECT_EQ(uploads, 2) << "one upload per epoch";
  EXPECT_GT(launches, 10);
}

TEST_P(StepRunnerCpu, AWarmedUpStepAllocatesNothing) {
  const std::string model = GetParam();
  const io::Dataset ds = data();
  const Config cfg = tiny_config();
  Ctx ctx(Device::CPU);
  ModelSession s(ctx, ds, model, cfg, "");
  s.init(3);
  Adam adam(s.params(), AdamConfig{});
  StepOptions so;
  so.batch_size = 64;
  StepRunner run(ctx, s.model(), s.params(), adam, s.data(), ds.train, so);
  run.begin_epoch(0);
  run.step();
  run.step();
  const int64_t allocs = memstat::allocations();
  run.step();
  run.step();  // the smaller last batch
  EXPECT_EQ(memstat::allocations(), allocs) << model << ": a warmed-up step allocated";
  run.end_epoch();
}

INSTANTIATE_TEST_SUITE_P(Backbones, StepRunnerCpu, ::testing::Values("lightgcn", "mgcn", "miggt"));

TEST(StepRunner, ADivergingRunNamesTheFirstBadBatch) {
  const io::Dataset ds = data();
  Config cfg = tiny_config();
  cfg.set("lr", "1e30");
  cfg.set("epochs", "2");
  Ctx ctx(Device::CPU);
  ModelSession s(ctx, ds, "lightgcn", cfg, "");
  TrainOptions opt = TrainOptions::from(cfg, s.model());
  opt.progress = opt.epoch_lines = false;
  s.init(opt.seed);
  Adam adam(s.params(), AdamConfig{opt.lr});
  const auto v = graph::interaction_pattern(ds.n_users, ds.n_items, ds.valid);
  try {
    train(ctx, s.model(), s.params(), adam, s.data(), ds.train, v, v, opt);
    ADD_FAILURE() << "a learning rate of 1e30 trained without diverging";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("training diverged"), std::string::npos) << m;
    EXPECT_NE(m.find("epoch 1, batch "), std::string::npos) << m;
    EXPECT_NE(m.find("try a smaller lr"), std::string::npos) << m;
    EXPECT_EQ(m.find("batch 1 "), std::string::npos) << "the first step's loss is finite: " << m;
  }
}

TEST(StepRunner, GraphsAreRefusedWithAReasonWhereTheyCannotRun) {
  const io::Dataset ds = data();
  const Config cfg = tiny_config();
  Ctx ctx(Device::CPU);
  for (const char* model : {"lightgcn", "miggt"}) {
    ModelSession s(ctx, ds, model, cfg, "");
    Adam adam(s.params(), AdamConfig{});
    StepOptions so;
    so.graphs = true;
    StepRunner run(ctx, s.model(), s.params(), adam, s.data(), ds.train, so);
    EXPECT_FALSE(run.graphs()) << model;
    EXPECT_NE(run.graphs_reason().find("CUDA"), std::string::npos) << run.graphs_reason();
  }
}

// ---- on a GPU ---------------------------------------------------------------------------------
class StepRunnerCuda : public ::testing::TestWithParam<std::string> {};

// The claim cuda.graphs rests on: a replayed graph computes exactly what eager steps compute.
TEST_P(StepRunnerCuda, GraphsReplayEagerBitForBit) {
  LETHE_REQUIRE_GPU();
  const std::string model = GetParam();
  for (bool fused : {false, true})
    expect_same(runner(Device::CUDA, model, fused, /*graphs=*/true), runner(Device::CUDA, model, fused, false),
                model + (fused ? " (fused Adam)" : "") + ": graphs vs eager on CUDA");
}

// The feature tables' fused update on a GPU sums each gradient element in the CPU GEMM's order,
// not cuBLAS's: after two epochs the parameters agree with the unfused update to rounding.
TEST_P(StepRunnerCuda, FusedFeatureTableUpdateAgreesWithTheUnfusedOne) {
  LETHE_REQUIRE_GPU();
  const std::string model = GetParam();
  const Result a = runner(Device::CUDA, model, /*fused=*/true, false), b = runner(Device::CUDA, model, false, false);
  const auto floats = [](const std::vector<char>& bytes) {
    std::vector<float> f(bytes.size() / sizeof(float));
    std::memcpy(f.data(), bytes.data(), f.size() * sizeof(float));
    return f;
  };
  // Rounding differences compounded over 8 Adam steps (the CpuVsCuda tolerance).
  EXPECT_TRUE(test::allclose(floats(a.params), floats(b.params), test::Tol{1e-5, 1e-3}, model + " parameters"));
  for (size_t i = 0; i < a.sums.size(); ++i)
    EXPECT_NEAR(a.sums[i], b.sums[i], 1e-5 + 1e-3 * std::abs(b.sums[i])) << model << ": loss sum " << i;
}

// The eager CUDA step against the host-stepped one: the same kernels, the same values.
TEST_P(StepRunnerCuda, EqualsTheHostSteppedEpochBitForBit) {
  LETHE_REQUIRE_GPU();
  const std::string model = GetParam();
  expect_same(runner(Device::CUDA, model, false, false), legacy(Device::CUDA, model), model + " on CUDA");
}

// The step profile's launch counts (declared per op) against the kernels CUDA really runs: the
// captured graph's kernel nodes. Recorded as test properties; cuBLAS and CUB may run a kernel
// more or fewer than declared per call, so the two must agree within a quarter.
TEST_P(StepRunnerCuda, DeclaredLaunchesMatchTheCapturedGraph) {
  LETHE_REQUIRE_GPU();
  const std::string model = GetParam();
  const io::Dataset ds = data();
  const Config cfg = tiny_config();
  Ctx ctx(Device::CUDA);
  ModelSession s(ctx, ds, model, cfg, "");
  s.init(3);
  Adam adam(s.params(), AdamConfig{});
  StepOptions so;
  so.batch_size = 64;
  so.graphs = true;
  StepRunner run(ctx, s.model(), s.params(), adam, s.data(), ds.train, so);
  run.begin_epoch(0);
  int64_t declared = 0;
  {
    prof::Recorder rec;  // the first step runs eagerly (the warm-up)
    run.step();
    declared = rec.stop().launches();
  }
  run.step();  // captured here
  run.step();
  run.end_epoch();
  const int64_t nodes = run.graph_kernel_nodes(false);
  ::testing::Test::RecordProperty("declared_launches", static_cast<int>(declared));
  ::testing::Test::RecordProperty("graph_kernel_nodes", static_cast<int>(nodes));
  ASSERT_GT(nodes, 0);
  EXPECT_GE(static_cast<double>(nodes), 0.75 * static_cast<double>(declared)) << "declared " << declared;
  EXPECT_LE(static_cast<double>(nodes), 1.25 * static_cast<double>(declared)) << "declared " << declared;
}

TEST_P(StepRunnerCuda, AWarmedUpStepAllocatesNothing) {
  LETHE_REQUIRE_GPU();
  const std::string model = GetParam();
  const io::Dataset ds = data();
  Ctx ctx(Device::CUDA);
  ModelSession s(ctx, ds, model, tiny_config(), "");
  s.init(3);
  Adam adam(s.params(), AdamConfig{});
  for (bool graphs : {false, true}) {
    StepOptions so;
    so.batch_size = 64;
    so.graphs = graphs;
    StepRunner run(ctx, s.model(), s.params(), adam, s.data(), ds.train, so);
    for (uint32_t e = 0; e < 2; ++e) {  // the first epoch warms up (and captures)
      run.begin_epoch(e);
      const int64_t allocs = memstat::allocations();
      const size_t used = cuda::device_memory_used();
      for (int64_t b = 0; b < run.steps_per_epoch(); ++b) run.step();
      run.end_epoch();
      if (e == 1) {
        EXPECT_EQ(memstat::allocations(), allocs) << model << (graphs ? " (graphs)" : "");
        EXPECT_EQ(cuda::device_memory_used(), used) << model << (graphs ? " (graphs)" : "");
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backbones, StepRunnerCuda, ::testing::Values("lightgcn", "mgcn"));

}  // namespace
}  // namespace lethe
