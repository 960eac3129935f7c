// bench/kernels/bench_reduce.cpp — reduce family: per-segment squared norms over an MGCN-sized
// flat gradient slab (30M floats in 20 segments, as TRU's per-branch gradient norms need every
// step) and global-norm clipping over the same slab. Memory-bound: bytes = 4 per element read
// (clipping reads twice and writes once when it clips).
#include <memory>

#include "bench/kernels/bench_util.h"
#include "kernels/reduce.h"

namespace lethe::bench {
namespace {

constexpr int64_t kSlab = 30'000'000;

void BM_cpu_segmented_sqnorm(benchmark::State& st) {
  const int64_t n = kSlab;
  const auto x = random_vec<float>(n, 1);
  const auto off = mgcn_offsets(kSlab);
  std::vector<double> out(off.size() - 1);
  for (auto _ : st) {
    ref::segmented_sqnorm<float>(x.data(), n, off.data(), static_cast<int64_t>(out.size()), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(st, 4.0 * n, 2.0 * n);
}
BENCHMARK(BM_cpu_segmented_sqnorm)->Name("cpu/segmented_sqnorm_30M_20seg")->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_cpu_clip_global_norm(benchmark::State& st) {
  const int64_t n = kSlab;
  auto x = random_vec<float>(n, 1);
  double norm = 0;
  for (auto _ : st) {
    // max_norm above the norm: the measured cost is the norm itself (the common case).
    ref::clip_global_norm<float>(x.data(), n, 1e30, &norm);
    benchmark::DoNotOptimize(norm);
  }
  set_counters(st, 4.0 * n, 2.0 * n);
}
BENCHMARK(BM_cpu_clip_global_norm)->Name("cpu/clip_global_norm_30M")->UseRealTime()->Unit(benchmark::kMillisecond);

struct CudaRegistrar {
  CudaRegistrar() {
    if (!gpu_present()) return;
    benchmark::RegisterBenchmark("cuda/segmented_sqnorm_30M_20seg", [](benchmark::State& st) {
      const int64_t n = kSlab;
      cuda::Context ctx;
      const auto off_h = mgcn_offsets(kSlab);
      DevMem x(random_vec<float>(n, 1), ctx), off(off_h, ctx), out((off_h.size() - 1) * sizeof(double));
      run_cuda(st, ctx, [&](const GpuExec& gx) {
        cuda::segmented_sqnorm(x.as<float>(), n, off.as<int64_t>(), static_cast<int64_t>(off_h.size() - 1),
                               out.as<double>(), gx);
      });
      set_counters(st, 4.0 * n, 2.0 * n);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("cuda/clip_global_norm_30M", [](benchmark::State& st) {
      const int64_t n = kSlab;
      cuda::Context ctx;
      DevMem x(random_vec<float>(n, 1), ctx), norm(sizeof(double));
      run_cuda(st, ctx, [&](const GpuExec& gx) { cuda::clip_global_norm(x.as<float>(), n, 1e30, norm.as<double>(), gx); });
      set_counters(st, 4.0 * n, 2.0 * n);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
  }
} cuda_registrar;

}  // namespace
}  // namespace lethe::bench
