// bench/kernels/bench_elementwise.cpp — elementwise family: memory-bound maps (bytes counter).
#include <memory>

#include "bench/kernels/bench_util.h"
#include "kernels/elementwise.h"

namespace lethe::bench {
namespace {

void BM_cpu_add(benchmark::State& st) {
  const int64_t n = st.range(0);
  auto a = random_vec<float>(n, 1), b = random_vec<float>(n, 2);
  std::vector<float> y(n);
  for (auto _ : st) {
    ref::add<float>(Vec<const float>(a.data(), n), Vec<const float>(b.data(), n), Vec<float>(y.data(), n));
    benchmark::DoNotOptimize(y.data());
  }
  set_counters(st, 12.0 * n, 0);
}
BENCHMARK(BM_cpu_add)->Name("cpu/add")->Arg(1 << 20)->Arg(1 << 24)->Unit(benchmark::kMicrosecond);

void BM_cpu_sigmoid_backward(benchmark::State& st) {
  const int64_t n = st.range(0);
  auto y = random_vec<float>(n, 1, 0, 1), dy = random_vec<float>(n, 2), dx = random_vec<float>(n, 3);
  for (auto _ : st) {
    ref::sigmoid_backward<float>(Vec<const float>(y.data(), n), Vec<const float>(dy.data(), n), Vec<float>(dx.data(), n));
    benchmark::DoNotOptimize(dx.data());
  }
  set_counters(st, 16.0 * n, 4.0 * n);
}
BENCHMARK(BM_cpu_sigmoid_backward)->Name("cpu/sigmoid_backward")->Arg(1 << 20)->Unit(benchmark::kMicrosecond);

void BM_cpu_prelu_backward(benchmark::State& st) {
  const int64_t n = st.range(0);
  auto x = random_vec<float>(n, 1), dy = random_vec<float>(n, 2), dx = random_vec<float>(n, 3);
  float slope = 0.25f, ds = 0;
  for (auto _ : st) {
    ref::prelu_backward<float>(Vec<const float>(x.data(), n), &slope, Vec<const float>(dy.data(), n),
                               Vec<float>(dx.data(), n), &ds);
    benchmark::DoNotOptimize(dx.data());
  }
  set_counters(st, 16.0 * n, 3.0 * n);
}
BENCHMARK(BM_cpu_prelu_backward)->Name("cpu/prelu_backward")->Arg(1 << 20)->Unit(benchmark::kMicrosecond);

// CUDA entries: registered at start-up only when a device is present.
struct CudaRegistrar {
  CudaRegistrar() {
    if (!gpu_present()) return;
    for (int64_t n : {int64_t(1) << 20, int64_t(1) << 24}) {
      benchmark::RegisterBenchmark(("cuda/add/" + std::to_string(n)).c_str(), [n](benchmark::State& st) {
        cuda::Context ctx;
        DevMem a(random_vec<float>(n, 1), ctx), b(random_vec<float>(n, 2), ctx), y(n * sizeof(float));
        run_cuda(st, ctx, [&](const GpuExec& g) {
          cuda::add(Vec<const float>(a.as<float>(), n), Vec<const float>(b.as<float>(), n), Vec<float>(y.as<float>(), n), g);
        });
        set_counters(st, 12.0 * n, 0);
      })->UseManualTime()->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(("cuda/prelu_backward/" + std::to_string(n)).c_str(), [n](benchmark::State& st) {
        cuda::Context ctx;
        DevMem x(random_vec<float>(n, 1), ctx), dy(random_vec<float>(n, 2), ctx), dx(random_vec<float>(n, 3), ctx),
            s(std::vector<float>{0.25f}, ctx), ds(std::vector<float>{0.f}, ctx);
        run_cuda(st, ctx, [&](const GpuExec& g) {
          cuda::prelu_backward(Vec<const float>(x.as<float>(), n), s.as<float>(), Vec<const float>(dy.as<float>(), n),
                               Vec<float>(dx.as<float>(), n), ds.as<float>(), g);
        });
        set_counters(st, 16.0 * n, 3.0 * n);
      })->UseManualTime()->Unit(benchmark::kMicrosecond);
    }
  }
} cuda_registrar;

}  // namespace
}  // namespace lethe::bench
