// bench/kernels/bench_gemm.cpp — gemm family at the shapes the pipeline runs: a 1024³ square
// GEMM, MGCN's image projection F·W (7050×4096 · 4096×64) and its two backward products
// (Fᵀ·dY, 4096×7050 · 7050×64; dY·Wᵀ, 7050×64 · 64×4096), and one evaluation tile of scores
// (2048 users × 64) · (7050 items × 64)ᵀ. FLOPs (2mnk) and the minimum bytes moved
// (A + B read, C written) are counters, so GFLOP/s reads directly off the "flops" column.
// Also the trainer's CPU update of the image feature table: its gradient dY·Wᵀ applied by Adam
// inside the GEMM (sgemm_adam) beside the GEMM into a stored gradient followed by Adam; and on
// the GPU the linear layers' bias gradient over MGCN's 26,495 rows (the multi-block column sum).
#include <cmath>

#include "bench/kernels/bench_util.h"
#include "kernels/gemm.h"
#include "kernels/gemm_cpu.h"
#include "kernels/optim.h"
#include "kernels/step.h"

namespace lethe::bench {
namespace {

struct Shape {
  const char* name;
  bool ta, tb;
  int64_t m, n, k;
};
const Shape kShapes[] = {
    {"square_1024", false, false, 1024, 1024, 1024},
    {"mgcn_proj_FxW_7050x4096x64", false, false, 7050, 64, 4096},
    {"mgcn_dW_FtxdY_4096x7050x64", true, false, 4096, 64, 7050},
    {"mgcn_dF_dYxWt_7050x64x4096", false, true, 7050, 4096, 64},
    {"eval_tile_UxIt_2048x7050x64", false, true, 2048, 7050, 64},
};

double gemm_flops(const Shape& s) { return 2.0 * double(s.m) * double(s.n) * double(s.k); }
double gemm_bytes(const Shape& s) { return 4.0 * double(s.m * s.k + s.k * s.n + s.m * s.n); }

// Stored operands: A is m×k (k×m with ta), B is k×n (n×k with tb); leading dims = stored cols.
int64_t lda_of(const Shape& s) { return s.ta ? s.m : s.k; }
int64_t ldb_of(const Shape& s) { return s.tb ? s.k : s.n; }

void BM_cpu_gemm(benchmark::State& st, Shape s) {
  const auto A = random_vec<float>(s.m * s.k, 1), B = random_vec<float>(s.k * s.n, 2);
  std::vector<float> C(s.m * s.n);
  for (auto _ : st) {
    ref::gemm<float>(s.ta, s.tb, s.m, s.n, s.k, 1.f, A.data(), lda_of(s), B.data(), ldb_of(s), 0.f, C.data(), s.n);
    benchmark::DoNotOptimize(C.data());
  }
  set_counters(st, gemm_bytes(s), gemm_flops(s));
}

void BM_cpu_linear_backward(benchmark::State& st) {
  // MGCN projection backward as the engine calls it: dX and dW (accumulating) and db.
  const int64_t N = 7050, in = 4096, out = 64;
  const auto X = random_vec<float>(N * in, 1), W = random_vec<float>(in * out, 2), dY = random_vec<float>(N * out, 3);
  std::vector<float> dX(N * in), dW(in * out), db(out);
  for (auto _ : st) {
    ref::linear_backward<float>(Mat<const float>(X.data(), N, in), Mat<const float>(W.data(), in, out),
                                Mat<const float>(dY.data(), N, out), Mat<float>(dX.data(), N, in),
                                Mat<float>(dW.data(), in, out), Vec<float>(db.data(), out));
    benchmark::DoNotOptimize(dX.data());
  }
  set_counters(st, 4.0 * double(2 * N * in + 2 * in * out + N * out), 4.0 * double(N) * in * out);
}

// The image feature table's Adam update, fused (path 1) or as the GEMM into G then adam_step (0).
// Bytes: the update's compulsory traffic (P, M, V read and written; dY, W read) and, unfused, G
// written and read.
void BM_cpu_feature_table_adam(benchmark::State& st) {
  const bool fused = st.range(0) != 0;
  const int64_t N = 7050, in = 4096, out = 64;
  const auto dY = random_vec<float>(N * out, 1), W = random_vec<float>(in * out, 2);
  auto P = random_vec<float>(N * in, 3), M = random_vec<float>(N * in, 4, -0.1, 0.1), V = random_vec<float>(N * in, 5, 0, 0.1);
  std::vector<float> G(static_cast<size_t>(N * in));
  AdamHp hp;
  for (auto _ : st) {
    ++hp.step;
    const double bc1 = 1.0 - std::pow(hp.beta1, double(hp.step)), bc2 = 1.0 - std::pow(hp.beta2, double(hp.step));
    if (fused &&
        ref::sgemm_adam(N, in, out, dY.data(), out, W.data(), out, P.data(), M.data(), V.data(),
                        ref::adam_f32_factors(hp, hp.lr / bc1, std::sqrt(bc2)))) {
    } else {
      ref::gemm<float>(false, true, N, in, out, 1.f, dY.data(), out, W.data(), out, 0.f, G.data(), in);
      ref::adam_step<float>(P.data(), G.data(), M.data(), V.data(), N * in, hp, nullptr, SegScale{});
    }
    benchmark::DoNotOptimize(P.data());
  }
  set_counters(st, 24.0 * double(N * in) + (fused ? 0.0 : 8.0 * double(N * in)) + 4.0 * double(N * out + in * out),
               2.0 * double(N) * in * out + 14.0 * double(N * in));
}

struct Registrar {
  Registrar() {
    for (const Shape& s : kShapes) {
      benchmark::RegisterBenchmark((std::string("cpu/gemm/") + s.name).c_str(),
                                   [s](benchmark::State& st) { BM_cpu_gemm(st, s); })
          ->UseRealTime()->Unit(benchmark::kMillisecond);
    }
    benchmark::RegisterBenchmark("cpu/linear_backward/mgcn_7050x4096x64", BM_cpu_linear_backward)
        ->UseRealTime()->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("cpu/feature_table_adam/mgcn_7050x4096x64", BM_cpu_feature_table_adam)
        ->ArgName("fused")->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);
    if (!gpu_present()) return;
    // The image feature table's Adam update with its gradient computed in place (one kernel).
    benchmark::RegisterBenchmark("cuda/gemm_adam_at/mgcn_7050x4096x64", [](benchmark::State& st) {
      const int64_t N = 7050, in = 4096, out = 64;
      cuda::Context ctx;
      StepState s;
      s.lr = 1e-3;
      ref::step_begin(&s, 0.9, 0.999, Vec<const int32_t>(), Vec<const int32_t>(), 1, Vec<int32_t>(), Vec<int32_t>());
      DevMem dY(random_vec<float>(N * out, 1), ctx), W(random_vec<float>(in * out, 2), ctx), P(random_vec<float>(N * in, 3), ctx),
          M(random_vec<float>(N * in, 4, -0.1, 0.1), ctx), V(random_vec<float>(N * in, 5, 0, 0.1), ctx),
          sd(std::vector<StepState>{s}, ctx);
      run_cuda(st, ctx, [&](const GpuExec& g) {
        cuda::gemm_adam_at(Mat<const float>(dY.as<float>(), N, out), Mat<const float>(W.as<float>(), in, out),
                           Mat<float>(P.as<float>(), N, in), Mat<float>(M.as<float>(), N, in),
                           Mat<float>(V.as<float>(), N, in), sd.as<StepState>(), AdamHp{}, g);
      });
      set_counters(st, 24.0 * double(N * in) + 4.0 * double(N * out + in * out),
                   2.0 * double(N) * in * out + 14.0 * double(N * in));
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
    // The bias gradient of MGCN's tall layers ((U + I) × 64, the attention's n = 1): the column
    // sum spread over row chunks.
    for (int64_t out : {int64_t(64), int64_t(1)}) {
      benchmark::RegisterBenchmark(("cuda/linear_backward_bias/mgcn_26495x" + std::to_string(out)).c_str(),
                                   [out](benchmark::State& st) {
        const int64_t N = 26495, in = 64;
        cuda::Context ctx;
        DevMem X(random_vec<float>(N * in, 1), ctx), W(random_vec<float>(in * out, 2), ctx),
            dY(random_vec<float>(N * out, 3), ctx), db(random_vec<float>(out, 6), ctx);
        run_cuda(st, ctx, [&](const GpuExec& g) {
          cuda::linear_backward(Mat<const float>(X.as<float>(), N, in), Mat<const float>(W.as<float>(), in, out),
                                Mat<const float>(dY.as<float>(), N, out), Mat<float>(), Mat<float>(),
                                Vec<float>(db.as<float>(), out), g);
        });
        set_counters(st, 4.0 * double(N * out + 2 * out), double(N * out));
      })->UseManualTime()->Unit(benchmark::kMicrosecond);
    }
    for (const Shape& s : kShapes) {
      benchmark::RegisterBenchmark((std::string("cuda/gemm/") + s.name).c_str(), [s](benchmark::State& st) {
        cuda::Context ctx;
        DevMem A(random_vec<float>(s.m * s.k, 1), ctx), B(random_vec<float>(s.k * s.n, 2), ctx), C(s.m * s.n * sizeof(float));
        run_cuda(st, ctx, [&](const GpuExec& g) {
          cuda::gemm(s.ta, s.tb, s.m, s.n, s.k, 1.f, A.as<float>(), lda_of(s), B.as<float>(), ldb_of(s), 0.f,
                     C.as<float>(), s.n, g);
        });
        set_counters(st, gemm_bytes(s), gemm_flops(s));
      })->UseManualTime()->Unit(benchmark::kMicrosecond);
    }
    benchmark::RegisterBenchmark("cuda/linear_backward/mgcn_7050x4096x64", [](benchmark::State& st) {
      const int64_t N = 7050, in = 4096, out = 64;
      cuda::Context ctx;
      DevMem X(random_vec<float>(N * in, 1), ctx), W(random_vec<float>(in * out, 2), ctx), dY(random_vec<float>(N * out, 3), ctx),
          dX(random_vec<float>(N * in, 4), ctx), dW(random_vec<float>(in * out, 5), ctx), db(random_vec<float>(out, 6), ctx);
      run_cuda(st, ctx, [&](const GpuExec& g) {
        cuda::linear_backward(Mat<const float>(X.as<float>(), N, in), Mat<const float>(W.as<float>(), in, out),
                              Mat<const float>(dY.as<float>(), N, out), Mat<float>(dX.as<float>(), N, in),
                              Mat<float>(dW.as<float>(), in, out), Vec<float>(db.as<float>(), out), g);
      });
      set_counters(st, 4.0 * double(2 * N * in + 2 * in * out + N * out), 4.0 * double(N) * in * out);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
  }
} registrar;

}  // namespace
}  // namespace lethe::bench
