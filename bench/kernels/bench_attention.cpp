// bench/kernels/bench_attention.cpp — attention family at MIG-GT's Baby shape: one attention block
// per node (26,495 = 19,445 users + 7,050 items), L = 11 rows (the node + 10 samples),
// attn_dim a = 4, d = 64; plus the Philox draw of the 26,495 × 11 sampled rows.
// Bytes: forward reads Q, K, V and writes O and P; backward reads Q, K, V, P, dO and
// read-modify-writes dQ, dK, dV (plus the dS scratch). FLOPs: 2·L²·(a + d) forward,
// 2·L²·(2a + 2d) backward per block (the exp/softmax work is not counted).
#include "bench/kernels/bench_util.h"
#include "kernels/attention.h"
#include "kernels/philox.h"

namespace lethe::bench {
namespace {

constexpr int64_t kNodes = 26495, kL = 11, kA = 4, kD = 64, kR = kNodes * kL;
using MF = Mat<const float>;

double fwd_bytes() { return 4.0 * (2 * kR * kA + 2 * kR * kD + kR * kL); }
double fwd_flops() { return 2.0 * kNodes * kL * kL * (kA + kD); }
double bwd_bytes() { return 4.0 * (4 * kR * kA + 4 * kR * kD + 3 * kR * kL); }
double bwd_flops() { return 4.0 * kNodes * kL * kL * (kA + kD); }

void BM_cpu_attn_fwd(benchmark::State& st) {
  const auto Q = random_vec<float>(kR * kA, 1), K = random_vec<float>(kR * kA, 2), V = random_vec<float>(kR * kD, 3);
  std::vector<float> O(kR * kD), P(kR * kL);
  for (auto _ : st) {
    ref::block_attention_forward<float>(MF(Q.data(), kR, kA), MF(K.data(), kR, kA), MF(V.data(), kR, kD), kL, 0.5f,
                                        0.1f, 0.9f, Mat<float>(O.data(), kR, kD), Mat<float>(P.data(), kR, kL));
    benchmark::DoNotOptimize(O.data());
  }
  set_counters(st, fwd_bytes(), fwd_flops());
}
BENCHMARK(BM_cpu_attn_fwd)->Name("cpu/block_attention_forward/26495x11x4x64")->Unit(benchmark::kMillisecond);

void BM_cpu_attn_bwd(benchmark::State& st) {
  const auto Q = random_vec<float>(kR * kA, 1), K = random_vec<float>(kR * kA, 2), V = random_vec<float>(kR * kD, 3),
             dO = random_vec<float>(kR * kD, 4);
  std::vector<float> O(kR * kD), P(kR * kL), dQ(kR * kA, 0.f), dK(kR * kA, 0.f), dV(kR * kD, 0.f);
  ref::block_attention_forward<float>(MF(Q.data(), kR, kA), MF(K.data(), kR, kA), MF(V.data(), kR, kD), kL, 0.5f, 0.1f,
                                      0.9f, Mat<float>(O.data(), kR, kD), Mat<float>(P.data(), kR, kL));
  for (auto _ : st) {
    ref::block_attention_backward<float>(MF(Q.data(), kR, kA), MF(K.data(), kR, kA), MF(V.data(), kR, kD),
                                         MF(P.data(), kR, kL), MF(dO.data(), kR, kD), kL, 0.5f, 0.1f, 0.9f,
                                         Mat<float>(dQ.data(), kR, kA), Mat<float>(dK.data(), kR, kA),
                                         Mat<float>(dV.data(), kR, kD));
    benchmark::DoNotOptimize(dV.data());
  }
  set_counters(st, bwd_bytes(), bwd_flops());
}
BENCHMARK(BM_cpu_attn_bwd)->Name("cpu/block_attention_backward/26495x11x4x64")->Unit(benchmark::kMillisecond);

void BM_cpu_attn_sample(benchmark::State& st) {
  std::vector<int32_t> idx(kR);
  const uint64_t stream = rng_stream(RngPurpose::kAttnSample, 1, 2);
  for (auto _ : st) {
    ref::attn_sample_indices(7, stream, 19445, 7050, Mat<int32_t>(idx.data(), kNodes, kL));
    benchmark::DoNotOptimize(idx.data());
  }
  set_counters(st, 4.0 * kR, 0);
}
BENCHMARK(BM_cpu_attn_sample)->Name("cpu/attn_sample_indices/26495x11")->Unit(benchmark::kMicrosecond);

struct CudaRegistrar {
  CudaRegistrar() {
    if (!gpu_present()) return;
    benchmark::RegisterBenchmark("cuda/block_attention_forward/26495x11x4x64", [](benchmark::State& st) {
      cuda::Context ctx;
      DevMem Q(random_vec<float>(kR * kA, 1), ctx), K(random_vec<float>(kR * kA, 2), ctx), V(random_vec<float>(kR * kD, 3), ctx),
          O(kR * kD * sizeof(float)), P(kR * kL * sizeof(float));
      run_cuda(st, ctx, [&](const GpuExec& g) {
        cuda::block_attention_forward(MF(Q.as<float>(), kR, kA), MF(K.as<float>(), kR, kA), MF(V.as<float>(), kR, kD),
                                      kL, 0.5f, 0.1f, 0.9f, Mat<float>(O.as<float>(), kR, kD),
                                      Mat<float>(P.as<float>(), kR, kL), g);
      });
      set_counters(st, fwd_bytes(), fwd_flops());
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("cuda/block_attention_backward/26495x11x4x64", [](benchmark::State& st) {
      cuda::Context ctx;
      DevMem Q(random_vec<float>(kR * kA, 1), ctx), K(random_vec<float>(kR * kA, 2), ctx), V(random_vec<float>(kR * kD, 3), ctx),
          P(random_vec<float>(kR * kL, 4, 0, 0.2), ctx), dO(random_vec<float>(kR * kD, 5), ctx), dQ(random_vec<float>(kR * kA, 6), ctx),
          dK(random_vec<float>(kR * kA, 7), ctx), dV(random_vec<float>(kR * kD, 8), ctx);
      run_cuda(st, ctx, [&](const GpuExec& g) {
        cuda::block_attention_backward(MF(Q.as<float>(), kR, kA), MF(K.as<float>(), kR, kA), MF(V.as<float>(), kR, kD),
                                       MF(P.as<float>(), kR, kL), MF(dO.as<float>(), kR, kD), kL, 0.5f, 0.1f, 0.9f,
                                       Mat<float>(dQ.as<float>(), kR, kA), Mat<float>(dK.as<float>(), kR, kA),
                                       Mat<float>(dV.as<float>(), kR, kD), g);
      });
      set_counters(st, bwd_bytes(), bwd_flops());
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("cuda/attn_sample_indices/26495x11", [](benchmark::State& st) {
      cuda::Context ctx;
      DevMem idx(kR * sizeof(int32_t));
      const uint64_t stream = rng_stream(RngPurpose::kAttnSample, 1, 2);
      run_cuda(st, ctx, [&](const GpuExec& g) {
        cuda::attn_sample_indices(7, stream, 19445, 7050, Mat<int32_t>(idx.as<int32_t>(), kNodes, kL), g);
      });
      set_counters(st, 4.0 * kR, 0);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
  }
} cuda_registrar;

}  // namespace
}  // namespace lethe::bench
