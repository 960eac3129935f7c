// bench/kernels/bench_bpr.cpp — fused BPR at the training shape (B = 2048 triples, d = 64):
// forward + backward per iteration, as one training step runs them. Memory-bound: forward
// reads U, P, N; backward reads them again and read-modify-writes dU, dP, dN.
// CPU entries use wall-clock (real) time: the OpenMP references run on several threads, and
// the main thread's CPU time would undercount them. CPU always; the CUDA entry only when a
// device is present.
#include "bench/kernels/bench_util.h"
#include "kernels/bpr.h"

namespace lethe::bench {
namespace {

constexpr int64_t kB = 2048, kD = 64;
// Bytes: forward 3·B·d reads; backward 3·B·d reads + 3·B·d read + 3·B·d write of gradients.
constexpr double kBytes = 4.0 * (3 + 3 + 6) * kB * kD;
// Flops: forward 2 dot products (4·B·d); backward ~6·B·d.
constexpr double kFlops = 10.0 * kB * kD;

using CM = Mat<const float>;

void BM_cpu_bpr(benchmark::State& st) {
  const int64_t B = kB, d = kD;
  auto U = random_vec<float>(B * d, 1), P = random_vec<float>(B * d, 2), N = random_vec<float>(B * d, 3);
  std::vector<float> x(B), dU(B * d, 0.f), dP(B * d, 0.f), dN(B * d, 0.f);
  float loss = 0;
  const float one = 1.f;
  for (auto _ : st) {
    ref::bpr_forward<float>(CM(U.data(), B, d), CM(P.data(), B, d), CM(N.data(), B, d), nullptr, 1.f / B, false,
                            Vec<float>(x.data(), B), &loss);
    ref::bpr_backward<float>(CM(U.data(), B, d), CM(P.data(), B, d), CM(N.data(), B, d), nullptr, 1.f / B, false,
                             Vec<const float>(x.data(), B), &one, Mat<float>(dU.data(), B, d),
                             Mat<float>(dP.data(), B, d), Mat<float>(dN.data(), B, d));
    benchmark::DoNotOptimize(dU.data());
  }
  set_counters(st, kBytes, kFlops);
}
BENCHMARK(BM_cpu_bpr)->Name("cpu/bpr_forward_backward/2048x64")->UseRealTime()->Unit(benchmark::kMicrosecond);

struct CudaRegistrar {
  CudaRegistrar() {
    if (!gpu_present()) return;
    benchmark::RegisterBenchmark("cuda/bpr_forward_backward/2048x64", [](benchmark::State& st) {
      const int64_t B = kB, d = kD;
      cuda::Context ctx;
      DevMem U(random_vec<float>(B * d, 1), ctx), P(random_vec<float>(B * d, 2), ctx), N(random_vec<float>(B * d, 3), ctx),
          x(B * sizeof(float)), loss(sizeof(float)), one(std::vector<float>{1.f}, ctx),
          dU(std::vector<float>(B * d, 0.f), ctx), dP(std::vector<float>(B * d, 0.f), ctx), dN(std::vector<float>(B * d, 0.f), ctx);
      run_cuda(st, ctx, [&](const GpuExec& g) {
        cuda::bpr_forward(CM(U.as<float>(), B, d), CM(P.as<float>(), B, d), CM(N.as<float>(), B, d), nullptr, 1.f / B,
                          false, Vec<float>(x.as<float>(), B), loss.as<float>(), g);
        cuda::bpr_backward(CM(U.as<float>(), B, d), CM(P.as<float>(), B, d), CM(N.as<float>(), B, d), nullptr, 1.f / B,
                           false, Vec<const float>(x.as<float>(), B), one.as<float>(), Mat<float>(dU.as<float>(), B, d),
                           Mat<float>(dP.as<float>(), B, d), Mat<float>(dN.as<float>(), B, d), g);
      });
      set_counters(st, kBytes, kFlops);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
  }
} cuda_registrar;

}  // namespace
}  // namespace lethe::bench
