// bench/kernels/bench_step.cpp — step family (kernels/step.h): the first and last kernels of every
// training step — step_begin (the state advanced, Adam's factors, the step's 2048 rows of the
// epoch's shuffled arrays copied into the batch buffers) and accumulate_losses (the four terms
// added to the epoch's sums). Both are tiny: on the GPU they sit at the launch floor, which is
// what the entries show; bytes are the rows and the state moved.
#include "bench/kernels/bench_util.h"
#include "kernels/step.h"

namespace lethe::bench {
namespace {

constexpr int64_t kRows = 118551, kBatch = 2048;  // Amazon-Baby's training rows, MGCN's batch

std::vector<int32_t> ids(int64_t n, int32_t range, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (auto& x : v) x = static_cast<int32_t>(rng() % static_cast<uint64_t>(range));
  return v;
}

void BM_cpu_step_begin(benchmark::State& st) {
  const auto au = ids(kRows, 19445, 1), ai = ids(kRows, 7050, 2);
  std::vector<int32_t> u(kBatch), it(kBatch);
  StepState s;
  s.lr = 1e-3;
  for (auto _ : st) {
    if (static_cast<int64_t>(s.next_step + 1) * kBatch > kRows) s.next_step = 0;
    ref::step_begin(&s, 0.9, 0.999, Vec<const int32_t>(au.data(), kRows), Vec<const int32_t>(ai.data(), kRows), kBatch,
                    Vec<int32_t>(u.data(), kBatch), Vec<int32_t>(it.data(), kBatch));
    benchmark::DoNotOptimize(u.data());
  }
  set_counters(st, 16.0 * kBatch + sizeof(StepState), 0);
}
BENCHMARK(BM_cpu_step_begin)->Name("cpu/step_begin/2048")->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_cpu_accumulate_losses(benchmark::State& st) {
  const float t[4] = {0.7f, 0.5f, 0.1f, 0.1f};
  StepState s;
  for (auto _ : st) {
    ref::accumulate_losses<float>(&s, t, t + 1, t + 2, t + 3);
    benchmark::DoNotOptimize(&s);
  }
  set_counters(st, 16.0 + sizeof(StepState), 4);
}
BENCHMARK(BM_cpu_accumulate_losses)->Name("cpu/accumulate_losses")->UseRealTime()->Unit(benchmark::kNanosecond);

struct CudaRegistrar {
  CudaRegistrar() {
    if (!gpu_present()) return;
    benchmark::RegisterBenchmark("cuda/step_begin/2048", [](benchmark::State& st) {
      cuda::Context ctx;
      StepState s;
      s.lr = 1e-3;
      DevMem au(ids(kRows, 19445, 1), ctx), ai(ids(kRows, 7050, 2), ctx), u(kBatch * sizeof(int32_t)),
          it(kBatch * sizeof(int32_t)), sd(std::vector<StepState>{s}, ctx);
      run_cuda(st, ctx, [&](const GpuExec& g) {
        // next_step grows past the epoch after 57 runs: the kernel then writes −1 rows, the same work.
        cuda::step_begin(sd.as<StepState>(), 0.9, 0.999, Vec<const int32_t>(au.as<int32_t>(), kRows),
                         Vec<const int32_t>(ai.as<int32_t>(), kRows), kBatch, Vec<int32_t>(u.as<int32_t>(), kBatch),
                         Vec<int32_t>(it.as<int32_t>(), kBatch), g);
      });
      set_counters(st, 16.0 * kBatch + sizeof(StepState), 0);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("cuda/accumulate_losses", [](benchmark::State& st) {
      cuda::Context ctx;
      DevMem t(std::vector<float>{0.7f, 0.5f, 0.1f, 0.1f}, ctx), sd(std::vector<StepState>{StepState{}}, ctx);
      run_cuda(st, ctx, [&](const GpuExec& g) {
        const float* p = t.as<float>();
        cuda::accumulate_losses(sd.as<StepState>(), p, p + 1, p + 2, p + 3, g);
      });
      set_counters(st, 16.0 + sizeof(StepState), 4);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
  }
} cuda_registrar;

}  // namespace
}  // namespace lethe::bench
