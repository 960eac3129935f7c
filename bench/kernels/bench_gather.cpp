// bench/kernels/bench_gather.cpp — gather family at a training batch's size: 2048 rows of width
// 64 gathered from (and their gradients scatter-added into) a 19,445-row embedding table, the
// user table of Amazon Baby. Indices are drawn with repeats (a batch hits popular rows several
// times), which is what makes the scatter-add's sorted segment sum necessary. Bytes counter:
// rows read + rows written + indices.
#include <random>

#include "bench/kernels/bench_util.h"
#include "kernels/gather.h"

namespace lethe::bench {
namespace {

constexpr int64_t kRows = 19445, kN = 2048, kD = 64;

std::vector<int32_t> batch_indices() {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int32_t> d(0, kRows - 1);
  std::vector<int32_t> idx(kN);
  for (auto& v : idx) v = d(rng) % 4000;  // popular rows repeat
  return idx;
}

double move_bytes() { return 4.0 * (2.0 * kN * kD + kN); }

void BM_cpu_gather_rows(benchmark::State& st) {
  const auto table = random_vec<float>(kRows * kD, 1);
  const auto idx = batch_indices();
  std::vector<float> out(kN * kD);
  for (auto _ : st) {
    ref::gather_rows<float>(Mat<const float>(table.data(), kRows, kD), Vec<const int32_t>(idx.data(), kN),
                            Mat<float>(out.data(), kN, kD));
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(st, move_bytes(), 0);
}
BENCHMARK(BM_cpu_gather_rows)->Name("cpu/gather_rows/2048x64_from_19445")->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_cpu_scatter_add_rows(benchmark::State& st) {
  const auto dout = random_vec<float>(kN * kD, 1);
  const auto idx = batch_indices();
  std::vector<float> dt(kRows * kD, 0.f);
  for (auto _ : st) {
    ref::scatter_add_rows<float>(Mat<const float>(dout.data(), kN, kD), Vec<const int32_t>(idx.data(), kN),
                                 Mat<float>(dt.data(), kRows, kD));
    benchmark::DoNotOptimize(dt.data());
  }
  set_counters(st, move_bytes(), double(kN * kD));
}
BENCHMARK(BM_cpu_scatter_add_rows)->Name("cpu/scatter_add_rows/2048x64_into_19445")->UseRealTime()->Unit(benchmark::kMicrosecond);

struct CudaRegistrar {
  CudaRegistrar() {
    if (!gpu_present()) return;
    benchmark::RegisterBenchmark("cuda/gather_rows/2048x64_from_19445", [](benchmark::State& st) {
      cuda::Context ctx;
      DevMem table(random_vec<float>(kRows * kD, 1), ctx), idx(batch_indices(), ctx), out(kN * kD * sizeof(float));
      run_cuda(st, ctx, [&](const GpuExec& g) {
        cuda::gather_rows(Mat<const float>(table.as<float>(), kRows, kD), Vec<const int32_t>(idx.as<int32_t>(), kN),
                          Mat<float>(out.as<float>(), kN, kD), g);
      });
      set_counters(st, move_bytes(), 0);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("cuda/scatter_add_rows/2048x64_into_19445", [](benchmark::State& st) {
      cuda::Context ctx;
      DevMem dout(random_vec<float>(kN * kD, 1), ctx), idx(batch_indices(), ctx), dt(random_vec<float>(kRows * kD, 2), ctx);
      run_cuda(st, ctx, [&](const GpuExec& g) {
        cuda::scatter_add_rows(Mat<const float>(dout.as<float>(), kN, kD), Vec<const int32_t>(idx.as<int32_t>(), kN),
                               Mat<float>(dt.as<float>(), kRows, kD), g);
      });
      set_counters(st, move_bytes(), double(kN * kD));
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
  }
} cuda_registrar;

}  // namespace
}  // namespace lethe::bench
