// bench/kernels/bench_optim.cpp — optim family on an MGCN-sized flat slab (30M floats:
// embeddings, a wide image feature table, a 384-wide text table, projections and gates — 20
// segments, each with a gradient scale as TRU's branch scaling sets them): Adam with and without
// a layer-isolation mask. Memory-bound: the bytes counter is the traffic the op must move (read
// p, g, m, v and write p, m, v = 28 B per updated element, +1 B of mask per element).
#include <algorithm>
#include <memory>
#include <random>

#include "bench/kernels/bench_util.h"
#include "kernels/adam_cpu.h"
#include "kernels/optim.h"
#include "kernels/step.h"

namespace lethe::bench {
namespace {

constexpr int64_t kSlab = 30'000'000;

// Selects whole 4096-element blocks with probability 1/2 (layer isolation masks whole tensors;
// blocks keep the branch pattern realistic for the CPU).
std::vector<uint8_t> block_mask(int64_t n, int64_t* selected) {
  std::vector<uint8_t> m(static_cast<size_t>(n));
  std::mt19937_64 rng(5);
  *selected = 0;
  for (int64_t b = 0; b < n; b += 4096) {
    const uint8_t v = rng() & 1;
    const int64_t e = std::min(n, b + 4096);
    std::fill(m.begin() + b, m.begin() + e, v);
    if (v) *selected += e - b;
  }
  return m;
}

void BM_cpu_adam(benchmark::State& st) {
  const int64_t n = kSlab;
  const bool masked = st.range(0) != 0;
  auto p = random_vec<float>(n, 1), g = random_vec<float>(n, 2), m = random_vec<float>(n, 3, -0.1, 0.1),
       v = random_vec<float>(n, 4, 0, 0.1);
  int64_t selected = n;
  const auto mask = block_mask(n, &selected);
  const auto off = mgcn_offsets(kSlab);
  const std::vector<float> scale(off.size() - 1, 1.25f);
  AdamHp hp;
  for (auto _ : st) {
    ++hp.step;
    ref::adam_step<float>(p.data(), g.data(), m.data(), v.data(), n, hp, masked ? mask.data() : nullptr,
                          SegScale{off.data(), scale.data(), static_cast<int64_t>(scale.size())});
    benchmark::DoNotOptimize(p.data());
  }
  if (!masked) selected = n;
  set_counters(st, 28.0 * selected + (masked ? 1.0 * n : 0.0), 16.0 * selected);
}
BENCHMARK(BM_cpu_adam)->Name("cpu/adam_step_30M")->ArgName("masked")->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

// The trainer's Adam: its step factors read from the step state (no mask, no segment scales).
void BM_cpu_adam_at(benchmark::State& st) {
  const int64_t n = kSlab;
  auto p = random_vec<float>(n, 1), g = random_vec<float>(n, 2), m = random_vec<float>(n, 3, -0.1, 0.1),
       v = random_vec<float>(n, 4, 0, 0.1);
  StepState s;
  s.lr = 1e-3;
  for (auto _ : st) {
    ref::step_begin(&s, 0.9, 0.999, Vec<const int32_t>(), Vec<const int32_t>(), 1, Vec<int32_t>(), Vec<int32_t>());
    s.next_step = 0;
    ref::adam_step_at<float>(p.data(), g.data(), m.data(), v.data(), n, &s, AdamHp{});
    benchmark::DoNotOptimize(p.data());
  }
  set_counters(st, 28.0 * n, 16.0 * n);
}
BENCHMARK(BM_cpu_adam_at)->Name("cpu/adam_step_at_30M")->UseRealTime()->Unit(benchmark::kMillisecond);

// The float update's arithmetic alone, per vector path: a 24K-element range (one 6-row block of
// MGCN's Baby-shape image table, what the fused GEMM + Adam hands it) that stays in L2, updated
// over and over. Compute-bound: the rate the update reaches once its data is in cache (on the
// development machine the scalar loop 0.4G elements/s, AVX2 and AVX-512 1.7-1.8G: the divider
// bounds both vector paths). A path this CPU lacks reports an error.
void BM_cpu_adam_path_in_cache(benchmark::State& st) {
  const auto path = static_cast<ref::AdamPath>(st.range(0));
  if (!ref::adam_f32_path_available(path)) {
    st.SkipWithError("this CPU lacks the path");
    return;
  }
  const int64_t n = 6 * 4096;
  auto p = random_vec<float>(n, 1), g = random_vec<float>(n, 2, -1e-3, 1e-3), m = random_vec<float>(n, 3, -0.1, 0.1),
       v = random_vec<float>(n, 4, 0, 0.1);
  AdamHp hp;
  const ref::AdamF32 f = ref::adam_f32_factors(hp, 1e-3 / 0.1, 0.03);
  for (auto _ : st) {
    ref::adam_f32_range(path, p.data(), g.data(), m.data(), v.data(), nullptr, 0, n, 1.0f, f);
    benchmark::DoNotOptimize(p.data());
  }
  st.counters["elements"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_cpu_adam_path_in_cache)->Name("cpu/adam_in_cache_24K")->ArgName("path(0 scalar,1 avx2,2 avx512)")
    ->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);

struct CudaRegistrar {
  CudaRegistrar() {
    if (!gpu_present()) return;
    benchmark::RegisterBenchmark("cuda/adam_step_at_30M", [](benchmark::State& st) {
      const int64_t n = kSlab;
      cuda::Context ctx;
      StepState s;
      s.lr = 1e-3;
      ref::step_begin(&s, 0.9, 0.999, Vec<const int32_t>(), Vec<const int32_t>(), 1, Vec<int32_t>(), Vec<int32_t>());
      DevMem p(random_vec<float>(n, 1), ctx), g(random_vec<float>(n, 2), ctx), m(random_vec<float>(n, 3, -0.1, 0.1), ctx),
          v(random_vec<float>(n, 4, 0, 0.1), ctx), sd(std::vector<StepState>{s}, ctx);
      run_cuda(st, ctx, [&](const GpuExec& gx) {
        cuda::adam_step_at(p.as<float>(), g.as<float>(), m.as<float>(), v.as<float>(), n, sd.as<StepState>(), AdamHp{},
                           gx);
      });
      set_counters(st, 28.0 * n, 16.0 * n);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
    for (int masked = 0; masked < 2; ++masked) {
      benchmark::RegisterBenchmark(("cuda/adam_step_30M/masked:" + std::to_string(masked)).c_str(),
                                   [masked](benchmark::State& st) {
        const int64_t n = kSlab;
        cuda::Context ctx;
        int64_t selected = n;
        const auto mask_h = block_mask(n, &selected);
        const auto off_h = mgcn_offsets(kSlab);
        const std::vector<float> scale_h(off_h.size() - 1, 1.25f);
        DevMem p(random_vec<float>(n, 1), ctx), g(random_vec<float>(n, 2), ctx), m(random_vec<float>(n, 3, -0.1, 0.1), ctx),
            v(random_vec<float>(n, 4, 0, 0.1), ctx), mask(mask_h, ctx), off(off_h, ctx), scale(scale_h, ctx);
        AdamHp hp;
        run_cuda(st, ctx, [&](const GpuExec& gx) {
          ++hp.step;
          cuda::adam_step(p.as<float>(), g.as<float>(), m.as<float>(), v.as<float>(), n, hp,
                          masked ? mask.as<uint8_t>() : nullptr,
                          SegScale{off.as<int64_t>(), scale.as<float>(), static_cast<int64_t>(scale_h.size())}, gx);
        });
        if (!masked) selected = n;
        set_counters(st, 28.0 * selected + (masked ? 1.0 * n : 0.0), 16.0 * selected);
      })->UseManualTime()->Unit(benchmark::kMicrosecond);
    }
  }
} cuda_registrar;

}  // namespace
}  // namespace lethe::bench
