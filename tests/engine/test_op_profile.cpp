// tests/engine/test_op_profile.cpp — the step profile's accounting (engine/op_profile.h): ops
// declare the cost their maths implies (GEMM 2mnk, an accumulating axpy reads and writes its
// output), nothing is recorded without a recorder, host transfers are counted where the CUDA
// backend would make them, a whole training step of every backbone is accounted op by op, and
// the roofline prediction and the ceilings file behave as documented.
#include <cstdio>
#include <fstream>

#include "engine/op_profile.h"
#include "engine/ops.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "tests/io/io_test_util.h"
#include "tests/models/tiny_data.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

TEST(OpProfile, GemmAndAxpyDeclareTheirCost) {
  Ctx ctx(Device::CPU);
  OwnedTensor A(ctx, DType::F32, 5, 3), B(ctx, DType::F32, 3, 7), C(ctx, DType::F32, 5, 7);
  ops::fill(ctx, A, 1.0);
  ops::fill(ctx, B, 2.0);
  prof::Recorder rec;
  ops::gemm(ctx, false, false, 1.0, A, B, 0.0, C);
  ops::gemm(ctx, false, false, 1.0, A, B, 1.0, C);  // β ≠ 0: C is read too
  ops::axpy(ctx, 2.0, C, C);
  const prof::Profile p = rec.stop();
  ASSERT_EQ(p.ops.count("gemm"), 1u);
  const prof::OpTotals& g = p.ops.at("gemm");
  EXPECT_EQ(g.calls, 2);
  EXPECT_DOUBLE_EQ(g.flops, 2 * (2.0 * 5 * 7 * 3));
  EXPECT_DOUBLE_EQ(g.bytes, 4.0 * ((15 + 21 + 35) + (15 + 21 + 2 * 35)));
  EXPECT_TRUE(g.matrix);
  const prof::OpTotals& a = p.ops.at("axpy");
  EXPECT_DOUBLE_EQ(a.flops, 2.0 * 35);
  EXPECT_DOUBLE_EQ(a.bytes, 4.0 * 3 * 35);
  EXPECT_FALSE(a.matrix);
  EXPECT_EQ(p.op_calls(), 3);
  ASSERT_EQ(p.calls.size(), 3u);
  EXPECT_STREQ(p.calls[2].name, "axpy");
  EXPECT_EQ(p.host_reads, 0);
}

TEST(OpProfile, RecordsNothingWithoutARecorderAndOneAtATime) {
  Ctx ctx(Device::CPU);
  OwnedTensor y(ctx, DType::F32, 4, 4);
  ops::fill(ctx, y, 1.0);  // no recorder: nothing to see, nothing fails
  EXPECT_EQ(prof::active(), nullptr);
  {
    prof::Recorder rec;
    EXPECT_EQ(prof::active(), &rec);
    EXPECT_THROW(prof::Recorder second, Error);
    ops::fill(ctx, y, 2.0);
    const prof::Profile p = rec.stop();
    EXPECT_EQ(prof::active(), nullptr);
    EXPECT_EQ(p.op_calls(), 1);
    ops::fill(ctx, y, 3.0);  // after stop(): not recorded into p
    EXPECT_EQ(p.op_calls(), 1);
  }
  EXPECT_EQ(prof::active(), nullptr);
}

TEST(OpProfile, CountsTheTransfersACudaStepWouldMake) {
  Ctx ctx(Device::CPU);
  ParamStore ps(ctx, DType::F32);
  ps.add("w", 2, 2, "id", 0);
  ps.finalize();
  Tape tape(ctx, ps);
  prof::Recorder rec;
  const IdxTensor i = tape.upload_idx({1, 2, 3});
  const Tensor t = tape.upload({1.0, 2.0}, 2, 1);
  const Var s = tape.sum(tape.constant(t), 1.0);
  EXPECT_DOUBLE_EQ(tape.item(s), 3.0);
  const prof::Profile p = rec.stop();
  EXPECT_EQ(i.n, 3);
  EXPECT_EQ(p.uploads, 2);
  EXPECT_DOUBLE_EQ(p.upload_bytes, 3 * 4 + 2 * 4);
  EXPECT_EQ(p.host_reads, 1);
  EXPECT_DOUBLE_EQ(p.host_read_bytes, 4);
}

class StepProfile : public ::testing::TestWithParam<std::string> {};

// One trainer step of each backbone: every engine op it runs is recorded with a declared
// traffic, the totals add up, and the transfers are the trainer's (two index uploads, a read per
// loss term the model has).
TEST_P(StepProfile, AccountsForAWholeTrainingStep) {
  const std::string model = GetParam();
  const io::Dataset ds = test::tiny_dataset(40, 30, 8, {6, 4}, 7);
  Config cfg;
  cfg.set("dim", "8");
  cfg.set("batch_size", "64");
  cfg.set("mgcn.knn_k", "3");
  Ctx ctx(Device::CPU);
  ModelSession s(ctx, ds, model, cfg, "");
  const TrainOptions opt = TrainOptions::from(cfg, s.model());
  s.init(opt.seed);
  AdamConfig ac;
  Adam adam(s.params(), ac);
  GradSlab grads(s.params());
  Tape tape(ctx, s.params());
  Batch b;
  for (int64_t k = 0; k < 64; ++k) {
    b.users.push_back(ds.train.user[k]);
    b.pos.push_back(ds.train.item[k]);
  }
  prof::Recorder rec;
  train_step(tape, s.model(), s.params(), adam, grads, s.data(), b, opt.seed, 0, 0);
  const prof::Profile p = rec.stop();
  EXPECT_GT(p.op_calls(), 20);
  EXPECT_EQ(static_cast<size_t>(p.op_calls()), p.calls.size());
  for (const auto& [name, t] : p.ops) {
    EXPECT_GT(t.bytes, 0.0) << name << " declared no memory traffic";
    EXPECT_GE(t.flops, 0.0) << name;
  }
  ASSERT_EQ(p.ops.count("adam_step"), 1u);
  EXPECT_DOUBLE_EQ(p.ops.at("adam_step").bytes, 7.0 * 4 * static_cast<double>(s.params().numel()));
  EXPECT_GT(p.ops.count("spmm"), 0u);
  EXPECT_EQ(p.uploads, 2);  // the batch's users and positives
  const int64_t terms = model == "lightgcn" ? 3 : 4;  // total, rank, reg (+ aux)
  EXPECT_EQ(p.host_reads, terms);
  EXPECT_GT(p.flops(), 0.0);
  EXPECT_GE(p.seconds, 0.0);
}

INSTANTIATE_TEST_SUITE_P(Backbones, StepProfile, ::testing::Values("lightgcn", "mgcn", "miggt"));

TEST(OpProfile, RooflinePrediction) {
  prof::Ceilings c;
  c.bandwidth = 1e12;
  c.fp32 = 1e13;
  c.tf32 = 1e14;
  c.op_floor = 1e-6;
  c.sync = 5e-6;
  prof::Profile p;
  p.calls.push_back({"gemm", prof::Cost{1e10, 1e6, true}, 0});      // compute-bound: 1 ms FP32, 0.1 ms TF32
  p.calls.push_back({"axpy", prof::Cost{1e6, 1e9, false}, 0});      // memory-bound: 1 ms
  p.calls.push_back({"fill", prof::Cost{0, 100, false}, 0});        // below the floor: 1 µs
  p.host_reads = 2;
  const prof::Prediction r = prof::predict(p, c);
  EXPECT_DOUBLE_EQ(r.roofline, 1e-3 + 1e-3 + 1e-10);
  EXPECT_DOUBLE_EQ(r.sync, 1e-5);
  EXPECT_DOUBLE_EQ(r.seconds, 1e-3 + 1e-3 + 1e-6 + 1e-5);
  EXPECT_DOUBLE_EQ(r.seconds_tf32, 1e-4 + 1e-3 + 1e-6 + 1e-5);
}

TEST(OpProfile, CeilingsFileReplacesTheConstants) {
  const std::string path = ::testing::TempDir() + "/lethe_ceilings.json";
  {
    std::ofstream f(path);
    f << "{\"bandwidth_bytes_per_s\": 2.5e12, \"tf32_flops_per_s\": 4e14}";
  }
  const prof::Ceilings c = prof::read_ceilings(path);
  EXPECT_DOUBLE_EQ(c.bandwidth, 2.5e12);
  EXPECT_DOUBLE_EQ(c.tf32, 4e14);
  EXPECT_DOUBLE_EQ(c.fp32, prof::Ceilings::kH100Fp32);  // not in the file: the default
  EXPECT_EQ(c.source, path);
  {
    std::ofstream f(path);
    f << "{\"fp32_flops_per_s\": -1}";
  }
  EXPECT_TRUE(test::has_all(test::error_of([&] { prof::read_ceilings(path); }), {path, "fp32_flops_per_s", "positive"}));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace lethe
