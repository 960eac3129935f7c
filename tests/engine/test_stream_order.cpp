// tests/engine/test_stream_order.cpp — on a GPU, every host read and write the engine makes is
// ordered with the kernels queued before it on the context's stream. Each case queues about a
// tenth of a second of GEMMs on the context's (non-blocking) stream, then a small op that writes
// or reads a value, and then reads or writes that value through the engine's own API: a tensor's
// host copy, the parameter store (values, slab bytes, set, clone), the tape's item() (the
// trainer's loss read), the optimizer's moments (checkpoints) and its reset. A copy issued on the
// legacy stream 0 — what these transfers did before — would run while the GEMMs are still
// queued and see the old value. GPU only: skipped, saying why, without one; so these can fail
// only on a GPU.
#include <cstring>
#include <memory>
#include <vector>

#include "engine/context.h"
#include "engine/ops.h"
#include "engine/optimizer.h"
#include "engine/params.h"
#include "engine/tape.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

// About 0.1 s of work on the stream (40 GEMMs of 4096³, ~5.5 TFLOP), whose result is unused.
class SlowWork {
 public:
  explicit SlowWork(Ctx& ctx)
      : A_(ctx, DType::F32, kN, kN), B_(ctx, DType::F32, kN, kN), C_(ctx, DType::F32, kN, kN) {
    ops::fill(ctx, A_, 1e-3);
    ops::fill(ctx, B_, 1e-3);
    ctx.sync();
  }
  void queue(Ctx& ctx) {
    for (int k = 0; k < 40; ++k) ops::gemm(ctx, false, false, 1.0, A_, B_, 0.0, C_);
  }

 private:
  static constexpr int64_t kN = 4096;
  OwnedTensor A_, B_, C_;
};

std::vector<double> all(double v, size_t n = 4) { return std::vector<double>(n, v); }

// The leading n floats of a slab's raw bytes.
std::vector<double> floats(const std::vector<char>& bytes, size_t n = 4) {
  std::vector<float> f(n);
  std::memcpy(f.data(), bytes.data(), n * sizeof(float));
  return std::vector<double>(f.begin(), f.end());
}

class StreamOrder : public ::testing::Test {
 protected:
  void SetUp() override {
    LETHE_REQUIRE_GPU();
    cuda::set_sync_after_launch(false);  // LETHE_CUDA_SYNC=1 would hide a race
    ctx_ = std::make_unique<Ctx>(Device::CUDA);
    slow_ = std::make_unique<SlowWork>(*ctx_);
    ps_ = std::make_unique<ParamStore>(*ctx_, DType::F32);
    ps_->add("w", 1, 4, "id", 0);
    ps_->finalize();
  }
  Ctx& ctx() { return *ctx_; }
  ParamStore& ps() { return *ps_; }
  void queue_slow_work() { slow_->queue(*ctx_); }

 private:
  std::unique_ptr<Ctx> ctx_;
  std::unique_ptr<SlowWork> slow_;
  std::unique_ptr<ParamStore> ps_;
};

TEST_F(StreamOrder, HostReadsSeeTheKernelsQueuedBeforeThem) {
  OwnedTensor x(ctx(), DType::F32, 1, 4);
  queue_slow_work();
  ops::fill(ctx(), x, 2.0);
  EXPECT_EQ(x.t().to_host(ctx()), all(2.0)) << "Tensor::to_host";

  queue_slow_work();
  ops::fill(ctx(), ps().value(0), 3.0);
  EXPECT_EQ(ps().get(0), all(3.0)) << "ParamStore::get";

  queue_slow_work();
  ops::fill(ctx(), ps().slab(), 4.0);
  EXPECT_EQ(floats(ps().slab_bytes()), all(4.0)) << "ParamStore::slab_bytes (checkpoints)";

  Tape tape(ctx(), ps());
  queue_slow_work();
  const Var s = tape.sum(tape.param(0), 1.0);  // Σ w = 16, computed behind the GEMMs
  EXPECT_EQ(tape.item(s), 16.0) << "Tape::item (the trainer's loss read)";

  Adam adam(ps(), AdamConfig{});
  GradSlab g(ps());
  queue_slow_work();
  ops::fill(ctx(), g.all(), 1.0);
  adam.step(ctx(), ps(), g.all());  // m = (1 − β1)·g = 0.1 (the moments start at 0)
  EXPECT_TRUE(test::allclose(floats(adam.m_bytes()), all(0.1), test::kTolMap, "Adam::m_bytes (checkpoints)"));
}

TEST_F(StreamOrder, HostWritesWaitForTheKernelsQueuedBeforeThem) {
  OwnedTensor x(ctx(), DType::F32, 1, 4), y(ctx(), DType::F32, 1, 4);
  x.t().from_host(ctx(), all(1.0));
  queue_slow_work();
  ops::copy(ctx(), x, y);              // reads x behind the GEMMs
  x.t().from_host(ctx(), all(5.0));   // must not overwrite x before that read
  EXPECT_EQ(y.t().to_host(ctx()), all(1.0)) << "Tensor::from_host overtook a queued read";
  EXPECT_EQ(x.t().to_host(ctx()), all(5.0));

  ps().set(0, all(1.0));
  queue_slow_work();
  ops::copy(ctx(), ps().value(0), y);
  ps().set(0, all(6.0));
  EXPECT_EQ(y.t().to_host(ctx()), all(1.0)) << "ParamStore::set overtook a queued read";

  std::vector<char> bytes = ps().slab_bytes();
  const float seven = 7.0f;
  for (size_t k = 0; k < 4; ++k) std::memcpy(bytes.data() + k * sizeof(float), &seven, sizeof(float));
  queue_slow_work();
  ops::copy(ctx(), ps().value(0), y);
  ps().set_slab_bytes(bytes);  // Buffer::upload (checkpoint restore)
  EXPECT_EQ(y.t().to_host(ctx()), all(6.0)) << "ParamStore::set_slab_bytes overtook a queued read";
  EXPECT_EQ(ps().get(0), all(7.0));
}

TEST_F(StreamOrder, DeviceCopiesAndZeroingFollowTheQueuedKernels) {
  queue_slow_work();
  ops::fill(ctx(), ps().slab(), 8.0);
  const ParamStore copy = ps().clone();  // Buffer::clone
  EXPECT_EQ(copy.get(0), all(8.0)) << "ParamStore::clone copied before the queued fill";

  Adam adam(ps(), AdamConfig{});
  queue_slow_work();
  ops::fill(ctx(), adam.m(), 9.0);
  adam.reset();  // Buffer::zero
  EXPECT_EQ(floats(adam.m_bytes()), all(0.0)) << "Adam::reset zeroed before the queued fill";
}

}  // namespace
}  // namespace lethe
