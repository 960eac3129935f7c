// bench/kernels/bench_tur.cpp — TUR loss at MIG-GT's training shape: a batch of 8,000 positive
// pairs, L = 11 candidate rows (the item + 10 sampled contexts), d = 64. Bytes: the user rows
// and the candidate blocks (forward), plus the gradients' read-modify-write (backward).
#include "bench/kernels/bench_util.h"
#include "kernels/tur.h"

namespace lethe::bench {
namespace {

constexpr int64_t kB = 8000, kL = 11, kD = 64;
using MF = Mat<const float>;

void BM_cpu_tur_fwd(benchmark::State& st) {
  const auto U = random_vec<float>(kB * kD, 1), Ob = random_vec<float>(kB * kL * kD, 2);
  std::vector<float> P(kB * kL), ce(kB);
  float loss = 0;
  for (auto _ : st) {
    ref::tur_forward<float>(MF(U.data(), kB, kD), MF(Ob.data(), kB * kL, kD), kL, 1.f, Mat<float>(P.data(), kB, kL),
                            Vec<float>(ce.data(), kB), &loss);
    benchmark::DoNotOptimize(loss);
  }
  set_counters(st, 4.0 * (kB * kD + kB * kL * kD + kB * kL + kB), 2.0 * kB * kL * kD);
}
BENCHMARK(BM_cpu_tur_fwd)->Name("cpu/tur_forward/8000x11x64")->Unit(benchmark::kMicrosecond);

void BM_cpu_tur_bwd(benchmark::State& st) {
  const auto U = random_vec<float>(kB * kD, 1), Ob = random_vec<float>(kB * kL * kD, 2);
  std::vector<float> P(kB * kL), ce(kB), dU(kB * kD, 0.f), dO(kB * kL * kD, 0.f);
  float loss = 0, dl = 1.f;
  ref::tur_forward<float>(MF(U.data(), kB, kD), MF(Ob.data(), kB * kL, kD), kL, 1.f, Mat<float>(P.data(), kB, kL),
                          Vec<float>(ce.data(), kB), &loss);
  for (auto _ : st) {
    ref::tur_backward<float>(MF(U.data(), kB, kD), MF(Ob.data(), kB * kL, kD), kL, 1.f, MF(P.data(), kB, kL), &dl,
                             Mat<float>(dU.data(), kB, kD), Mat<float>(dO.data(), kB * kL, kD));
    benchmark::DoNotOptimize(dU.data());
  }
  set_counters(st, 4.0 * (3 * kB * kD + 3 * kB * kL * kD + kB * kL), 4.0 * kB * kL * kD);
}
BENCHMARK(BM_cpu_tur_bwd)->Name("cpu/tur_backward/8000x11x64")->Unit(benchmark::kMicrosecond);

struct CudaRegistrar {
  CudaRegistrar() {
    if (!gpu_present()) return;
    benchmark::RegisterBenchmark("cuda/tur_forward/8000x11x64", [](benchmark::State& st) {
      cuda::Context ctx;
      DevMem U(random_vec<float>(kB * kD, 1), ctx), Ob(random_vec<float>(kB * kL * kD, 2), ctx), P(kB * kL * sizeof(float)),
          ce(kB * sizeof(float)), loss(sizeof(float));
      run_cuda(st, ctx, [&](const GpuExec& g) {
        cuda::tur_forward(MF(U.as<float>(), kB, kD), MF(Ob.as<float>(), kB * kL, kD), kL, 1.f,
                          Mat<float>(P.as<float>(), kB, kL), Vec<float>(ce.as<float>(), kB), loss.as<float>(), g);
      });
      set_counters(st, 4.0 * (kB * kD + kB * kL * kD + kB * kL + kB), 2.0 * kB * kL * kD);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("cuda/tur_backward/8000x11x64", [](benchmark::State& st) {
      cuda::Context ctx;
      DevMem U(random_vec<float>(kB * kD, 1), ctx), Ob(random_vec<float>(kB * kL * kD, 2), ctx),
          P(random_vec<float>(kB * kL, 3, 0, 0.2), ctx), dl(std::vector<float>{1.f}, ctx), dU(random_vec<float>(kB * kD, 4), ctx),
          dO(random_vec<float>(kB * kL * kD, 5), ctx);
      run_cuda(st, ctx, [&](const GpuExec& g) {
        cuda::tur_backward(MF(U.as<float>(), kB, kD), MF(Ob.as<float>(), kB * kL, kD), kL, 1.f,
                           MF(P.as<float>(), kB, kL), dl.as<float>(), Mat<float>(dU.as<float>(), kB, kD),
                           Mat<float>(dO.as<float>(), kB * kL, kD), g);
      });
      set_counters(st, 4.0 * (3 * kB * kD + 3 * kB * kL * kD + kB * kL), 4.0 * kB * kL * kD);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
  }
} cuda_registrar;

}  // namespace
}  // namespace lethe::bench
