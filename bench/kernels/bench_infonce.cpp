// bench/kernels/bench_infonce.cpp — InfoNCE at MGCN's batch shape (B = 2048, d = 64), forward
// and backward separately. Compute is dominated by the B×B×d products (one GEMM forward, two
// backward); memory by the B×B matrices (P written forward; P read and dS written/read twice
// backward). CPU entries use wall-clock (real) time: the OpenMP references run on several
// threads, and the main thread's CPU time would undercount them. CPU always; CUDA entries only
// when a device is present.
#include "bench/kernels/bench_util.h"
#include "kernels/infonce.h"

namespace lethe::bench {
namespace {

constexpr int64_t kB = 2048, kD = 64;
constexpr double kBB = double(kB) * kB;
// Forward: S = X̂Ŷᵀ (2·B²·d) + softmax (~5·B²); bytes: P written and re-read by the softmax.
constexpr double kFwdFlops = 2.0 * kBB * kD + 5.0 * kBB;
constexpr double kFwdBytes = 4.0 * (3.0 * kBB + 6.0 * kB * kD);
// Backward: two B×B×d GEMMs (4·B²·d) + dS (2·B²); bytes: P read, dS written, dS read twice.
constexpr double kBwdFlops = 4.0 * kBB * kD + 2.0 * kBB;
constexpr double kBwdBytes = 4.0 * (4.0 * kBB + 8.0 * kB * kD);

using CM = Mat<const float>;

struct HostCase {
  std::vector<float> X = random_vec<float>(kB * kD, 1), Y = random_vec<float>(kB * kD, 2);
  std::vector<float> Xn = std::vector<float>(kB * kD), Yn = std::vector<float>(kB * kD), nx = std::vector<float>(kB),
                     ny = std::vector<float>(kB), P = std::vector<float>(kB * kB);
  float loss = 0;
  void forward() {
    ref::infonce_forward<float>(CM(X.data(), kB, kD), CM(Y.data(), kB, kD), 0.2f, Mat<float>(Xn.data(), kB, kD),
                                Mat<float>(Yn.data(), kB, kD), Vec<float>(nx.data(), kB), Vec<float>(ny.data(), kB),
                                Mat<float>(P.data(), kB, kB), &loss);
  }
};

void BM_cpu_infonce_forward(benchmark::State& st) {
  HostCase h;
  for (auto _ : st) {
    h.forward();
    benchmark::DoNotOptimize(h.P.data());
  }
  set_counters(st, kFwdBytes, kFwdFlops);
}
BENCHMARK(BM_cpu_infonce_forward)->Name("cpu/infonce_forward/2048x64")->UseRealTime()->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_cpu_infonce_backward(benchmark::State& st) {
  HostCase h;
  h.forward();
  std::vector<float> dX(kB * kD, 0.f), dY(kB * kD, 0.f);
  const float one = 1.f;
  for (auto _ : st) {
    ref::infonce_backward<float>(CM(h.Xn.data(), kB, kD), CM(h.Yn.data(), kB, kD), Vec<const float>(h.nx.data(), kB),
                                 Vec<const float>(h.ny.data(), kB), CM(h.P.data(), kB, kB), 0.2f, &one,
                                 Mat<float>(dX.data(), kB, kD), Mat<float>(dY.data(), kB, kD));
    benchmark::DoNotOptimize(dX.data());
  }
  set_counters(st, kBwdBytes, kBwdFlops);
}
BENCHMARK(BM_cpu_infonce_backward)->Name("cpu/infonce_backward/2048x64")->UseRealTime()->UseRealTime()->Unit(benchmark::kMillisecond);

struct CudaRegistrar {
  CudaRegistrar() {
    if (!gpu_present()) return;
    benchmark::RegisterBenchmark("cuda/infonce_forward/2048x64", [](benchmark::State& st) {
      cuda::Context ctx;
      DevMem X(random_vec<float>(kB * kD, 1), ctx), Y(random_vec<float>(kB * kD, 2), ctx), Xn(kB * kD * sizeof(float)),
          Yn(kB * kD * sizeof(float)), nx(kB * sizeof(float)), ny(kB * sizeof(float)), P(kB * kB * sizeof(float)),
          loss(sizeof(float));
      run_cuda(st, ctx, [&](const GpuExec& g) {
        cuda::infonce_forward(CM(X.as<float>(), kB, kD), CM(Y.as<float>(), kB, kD), 0.2f,
                              Mat<float>(Xn.as<float>(), kB, kD), Mat<float>(Yn.as<float>(), kB, kD),
                              Vec<float>(nx.as<float>(), kB), Vec<float>(ny.as<float>(), kB),
                              Mat<float>(P.as<float>(), kB, kB), loss.as<float>(), g);
      });
      set_counters(st, kFwdBytes, kFwdFlops);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("cuda/infonce_backward/2048x64", [](benchmark::State& st) {
      HostCase h;
      h.forward();
      cuda::Context ctx;
      DevMem Xn(h.Xn, ctx), Yn(h.Yn, ctx), nx(h.nx, ctx), ny(h.ny, ctx), P(h.P, ctx), one(std::vector<float>{1.f}, ctx),
          dX(std::vector<float>(kB * kD, 0.f), ctx), dY(std::vector<float>(kB * kD, 0.f), ctx);
      run_cuda(st, ctx, [&](const GpuExec& g) {
        cuda::infonce_backward(CM(Xn.as<float>(), kB, kD), CM(Yn.as<float>(), kB, kD), Vec<const float>(nx.as<float>(), kB),
                               Vec<const float>(ny.as<float>(), kB), CM(P.as<float>(), kB, kB), 0.2f, one.as<float>(),
                               Mat<float>(dX.as<float>(), kB, kD), Mat<float>(dY.as<float>(), kB, kD), g);
      });
      set_counters(st, kBwdBytes, kBwdFlops);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
  }
} cuda_registrar;

}  // namespace
}  // namespace lethe::bench
