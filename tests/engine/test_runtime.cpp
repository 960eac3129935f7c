// tests/engine/test_runtime.cpp — device selection and the device query's error, the
// LETHE_EXPECT_GPU switch, buffers, tensors (and that no transfer can be written without the
// owning context), the arena, the parameter store's layout and the optimizer's mask semantics at
// the engine level.
#include <gtest/gtest-spi.h>

#include <cstdlib>
#include <type_traits>

#include "engine/context.h"
#include "engine/ops.h"
#include "engine/optimizer.h"
#include "engine/params.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

// Whether the runtime's host-to-device copy accepts these arguments (it has no overloads).
template <class... A>
constexpr bool h2d_callable = std::is_invocable_v<decltype(&cuda::memcpy_h2d), A...>;

TEST(Runtime, DeviceSelection) {
  EXPECT_EQ(parse_device("cpu"), Device::CPU);
  if (cuda::device_count() == 0) {
    EXPECT_EQ(parse_device("auto"), Device::CPU);
    try {
      parse_device("cuda");
      FAIL() << "asking for cuda without a device did not throw";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("no CUDA device"), std::string::npos) << e.what();
    }
  } else {
    EXPECT_EQ(parse_device("auto"), Device::CUDA);
  }
  EXPECT_THROW(parse_device("tpu"), Error);
}

TEST(Runtime, AFailedDeviceQueryKeepsItsError) {
  if (cuda::device_count() > 0) {
    EXPECT_EQ(cuda::device_query_error(), "");
    return;
  }
  const std::string why = cuda::device_query_error();
  ASSERT_FALSE(why.empty()) << "device_count() is 0 but no reason was kept";
  if (cuda::built_with_cuda()) {
    // Either the CUDA error's name (cudaGetErrorName: "cudaError...") or an empty device list.
    EXPECT_TRUE(why.rfind("cudaError", 0) == 0 || why.find("found no device") != std::string::npos) << why;
  } else {
    EXPECT_EQ(why, "built without CUDA");
  }
  EXPECT_NE(cuda::device_description().find(why), std::string::npos) << cuda::device_description();
}

// Restores an environment variable at scope exit.
class EnvGuard {
 public:
  EnvGuard(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    ::setenv(name, value, 1);
  }
  ~EnvGuard() {
    if (had_) ::setenv(name_, old_.c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

void require_gpu_here() { LETHE_REQUIRE_GPU(); }

TEST(Runtime, ExpectGpuTurnsAGpuSkipIntoAFailure) {
  if (test::have_gpu()) {
    EnvGuard g("LETHE_EXPECT_GPU", "1");
    require_gpu_here();  // a device is usable: neither a skip nor a failure
    EXPECT_FALSE(::testing::Test::HasFailure());
    EXPECT_FALSE(::testing::Test::IsSkipped());
    return;
  }
  {
    EnvGuard g("LETHE_EXPECT_GPU", "1");
    EXPECT_TRUE(test::gpu_expected());
    EXPECT_FATAL_FAILURE(require_gpu_here(), "LETHE_EXPECT_GPU is set but this CUDA test cannot run");
    EXPECT_FATAL_FAILURE(require_gpu_here(), cuda::device_query_error().c_str());  // names the CUDA error
  }
  EnvGuard g("LETHE_EXPECT_GPU", "0");
  EXPECT_FALSE(test::gpu_expected());
}

TEST(Runtime, NoTransferWithoutTheOwningContext) {
  // Compile-time: host copies of a view and the runtime's transfers have no context-less form
  // (the old ones defaulted to the legacy stream 0, which a context's stream never waits for).
  static_assert(!std::is_invocable_v<decltype(&Tensor::to_host), const Tensor&>, "to_host() without a context");
  static_assert(!std::is_invocable_v<decltype(&Tensor::from_host), const Tensor&, const std::vector<double>&>,
                "from_host(v) without a context");
  static_assert(std::is_invocable_v<decltype(&Tensor::to_host), const Tensor&, Ctx&>, "to_host(ctx)");
  static_assert(!h2d_callable<void*, const void*, size_t>, "memcpy_h2d without a context");
  static_assert(!h2d_callable<void*, const void*, size_t, CUstream_st*>, "memcpy_h2d on a raw stream");
  static_assert(!h2d_callable<void*, const void*, size_t, std::nullptr_t>, "memcpy_h2d on stream 0");
  static_assert(h2d_callable<void*, const void*, size_t, const cuda::Context&>, "the one form");
  // Run time: a view read through a context of another device is refused before any copy.
  Ctx cpu(Device::CPU);
  float fake = 0;
  const Tensor on_gpu(&fake, DType::F32, Device::CUDA, 1, 1);
  try {
    (void)on_gpu.to_host(cpu);
    FAIL() << "a CUDA tensor was read through a CPU context";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the tensor is on cuda but the context given is cpu"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(on_gpu.from_host(cpu, {1.0}), Error);
}

TEST(Runtime, BufferMoveAndClone) {
  Ctx ctx(Device::CPU);
  Buffer a(ctx, 64);
  std::vector<int> v(16);
  for (int i = 0; i < 16; ++i) v[i] = i * i;
  a.upload(v.data(), 64);
  Buffer b = std::move(a);
  EXPECT_EQ(a.bytes(), 0u);
  Buffer c = b.clone();
  std::vector<int> w(16);
  c.download(w.data(), 64);
  EXPECT_EQ(v, w);
  EXPECT_THROW(c.upload(v.data(), 65), Error);
}

TEST(Runtime, TensorViewsCheckDtypeAndBounds) {
  Ctx ctx(Device::CPU);
  OwnedTensor t(ctx, DType::F32, 4, 3);
  t.t().from_host(ctx, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  EXPECT_THROW(t.t().mat<double>(), Error);
  Tensor s = t.t().slice_rows(1, 2);
  EXPECT_EQ(s.to_host(ctx), (std::vector<double>{4, 5, 6, 7, 8, 9}));
  EXPECT_THROW(t.t().slice_rows(3, 2), Error);
  EXPECT_THROW(t.t().reshaped(5, 2), Error);
}

TEST(Runtime, HostArenaStopsAllocatingAfterWarmUp) {
  cuda::Arena arena(false);
  for (int step = 0; step < 5; ++step) {
    arena.reset();
    for (int k = 0; k < 40; ++k) {
      auto* p = static_cast<char*>(arena.alloc(100000));
      EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 256, 0u);
      p[0] = 1;
      p[99999] = 2;
    }
  }
  const auto mallocs = arena.block_mallocs();
  arena.reset();
  for (int k = 0; k < 40; ++k) arena.alloc(100000);
  EXPECT_EQ(arena.block_mallocs(), mallocs);  // steady state: no new blocks
}

TEST(ParamStore, LayoutTagsAndOffsets) {
  Ctx ctx(Device::CPU);
  ParamStore ps(ctx, DType::F32);
  EXPECT_EQ(ps.add("user_emb", 10, 64, "id", 0), 0);
  EXPECT_EQ(ps.add("W_image", 7, 3, "image", 1), 1);
  EXPECT_EQ(ps.add("q", 3, 1, "shared", 2), 2);
  EXPECT_EQ(ps.add("bn.running_mean", 1, 5, "shared", 2, /*trainable=*/false), 3);  // state, not a parameter
  EXPECT_THROW(ps.add("q", 1, 1, "shared", 2), Error);
  EXPECT_THROW(ps.add("empty", 0, 1, "shared", 2), Error);
  ps.finalize();
  EXPECT_EQ(ps.branches(), (std::vector<std::string>{"id", "image", "shared"}));
  EXPECT_EQ(ps.info(1).branch_id, 1);
  for (const auto& p : ps.infos()) EXPECT_EQ(p.offset % 16, 0) << p.name;
  EXPECT_EQ(ps.offsets().size(), 5u);
  EXPECT_EQ(ps.offsets().back(), ps.numel());
  EXPECT_EQ(ps.trainable_elements(), 640 + 21 + 3);  // the running mean is not counted
  EXPECT_FALSE(ps.info(3).trainable);
  ps.set(1, std::vector<double>(21, 2.5));
  EXPECT_EQ(ps.get(1), std::vector<double>(21, 2.5));
  ParamStore copy = ps.clone();
  EXPECT_TRUE(copy.same_layout(ps));
  EXPECT_EQ(copy.get(1), ps.get(1));
  copy.set(1, std::vector<double>(21, 0.0));
  EXPECT_EQ(ps.get(1), std::vector<double>(21, 2.5));  // deep copy
}

TEST(Optimizer, MaskedTensorsStayBitIdentical) {
  Ctx ctx(Device::CPU);
  ParamStore ps(ctx, DType::F32);
  ps.add("a", 4, 4, "id", 0);
  ps.add("b", 4, 4, "image", 1);
  ps.finalize();
  ps.slab_from_host(test::random_vec<double>(ps.numel(), 3));
  GradSlab g(ps);
  g.all().from_host(ctx, test::random_vec<double>(ps.numel(), 4));
  Adam adam(ps, AdamConfig{});
  std::vector<uint8_t> mask(static_cast<size_t>(ps.numel()), 0);
  for (int64_t e = 0; e < ps.info(1).numel(); ++e) mask[ps.info(1).offset + e] = 1;
  const auto a0 = ps.get(0), b0 = ps.get(1);
  for (int s = 0; s < 3; ++s) adam.step(ctx, ps, g.all(), mask.data());
  EXPECT_EQ(ps.get(0), a0);  // masked: untouched
  EXPECT_NE(ps.get(1), b0);  // updated
  EXPECT_EQ(adam.steps(), 3);
}

}  // namespace
}  // namespace lethe
