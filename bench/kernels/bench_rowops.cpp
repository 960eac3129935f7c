// bench/kernels/bench_rowops.cpp — rowops family at the model's shapes: rowdot and l2norm_rows on
// 26,495×64 (Amazon Baby's users + items × d), softmax_rows on 26,495×2 and ×3 (modality
// attention with M = 2, 3), mean_of over 3 layers of 26,495×64 (LightGCN/MGCN layer mean).
// All memory-bound: the bytes counter is the figure of merit (flops are reported for context).
// CPU entries use wall-clock (real) time: the OpenMP references run on several threads, and
// the main thread's CPU time would undercount them. CPU always; CUDA entries only when a
// device is present.
#include <memory>

#include "bench/kernels/bench_util.h"
#include "kernels/rowops.h"

namespace lethe::bench {
namespace {

constexpr int64_t kNodes = 26495;  // 19,445 users + 7,050 items (Amazon Baby)
constexpr int64_t kD = 64;

using CM = Mat<const float>;

void BM_cpu_rowdot(benchmark::State& st) {
  const int64_t R = kNodes, C = kD;
  auto X = random_vec<float>(R * C, 1), Y = random_vec<float>(R * C, 2);
  std::vector<float> out(R);
  for (auto _ : st) {
    ref::rowdot<float>(CM(X.data(), R, C), CM(Y.data(), R, C), Vec<float>(out.data(), R));
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(st, 8.0 * R * C + 4.0 * R, 2.0 * R * C);
}
BENCHMARK(BM_cpu_rowdot)->Name("cpu/rowdot/26495x64")->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_cpu_rowdot_backward(benchmark::State& st) {
  const int64_t R = kNodes, C = kD;
  auto X = random_vec<float>(R * C, 1), Y = random_vec<float>(R * C, 2), d = random_vec<float>(R, 3);
  auto dX = random_vec<float>(R * C, 4), dY = random_vec<float>(R * C, 5);
  for (auto _ : st) {
    ref::rowdot_backward<float>(CM(X.data(), R, C), CM(Y.data(), R, C), Vec<const float>(d.data(), R),
                                Mat<float>(dX.data(), R, C), Mat<float>(dY.data(), R, C));
    benchmark::DoNotOptimize(dX.data());
  }
  set_counters(st, 24.0 * R * C + 4.0 * R, 4.0 * R * C);
}
BENCHMARK(BM_cpu_rowdot_backward)->Name("cpu/rowdot_backward/26495x64")->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_cpu_l2norm(benchmark::State& st) {
  const int64_t R = kNodes, C = kD;
  auto X = random_vec<float>(R * C, 1);
  std::vector<float> Y(R * C), n(R);
  for (auto _ : st) {
    ref::l2norm_rows<float>(CM(X.data(), R, C), 1e-12f, Mat<float>(Y.data(), R, C), Vec<float>(n.data(), R));
    benchmark::DoNotOptimize(Y.data());
  }
  set_counters(st, 8.0 * R * C + 4.0 * R, 3.0 * R * C);
}
BENCHMARK(BM_cpu_l2norm)->Name("cpu/l2norm_rows/26495x64")->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_cpu_l2norm_backward(benchmark::State& st) {
  const int64_t R = kNodes, C = kD;
  auto X = random_vec<float>(R * C, 1), dY = random_vec<float>(R * C, 2), dX = random_vec<float>(R * C, 3);
  std::vector<float> Y(R * C), n(R);
  ref::l2norm_rows<float>(CM(X.data(), R, C), 1e-12f, Mat<float>(Y.data(), R, C), Vec<float>(n.data(), R));
  for (auto _ : st) {
    ref::l2norm_rows_backward<float>(CM(Y.data(), R, C), Vec<const float>(n.data(), R), 1e-12f, CM(dY.data(), R, C),
                                     Mat<float>(dX.data(), R, C));
    benchmark::DoNotOptimize(dX.data());
  }
  set_counters(st, 16.0 * R * C + 4.0 * R, 5.0 * R * C);
}
BENCHMARK(BM_cpu_l2norm_backward)->Name("cpu/l2norm_rows_backward/26495x64")->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_cpu_softmax(benchmark::State& st) {
  const int64_t R = kNodes, C = st.range(0);
  auto X = random_vec<float>(R * C, 1, -3, 3);
  std::vector<float> Y(R * C);
  for (auto _ : st) {
    ref::softmax_rows<float>(CM(X.data(), R, C), Mat<float>(Y.data(), R, C));
    benchmark::DoNotOptimize(Y.data());
  }
  set_counters(st, 8.0 * R * C, 5.0 * R * C);
}
BENCHMARK(BM_cpu_softmax)->Name("cpu/softmax_rows/26495")->Arg(2)->Arg(3)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_cpu_softmax_backward(benchmark::State& st) {
  const int64_t R = kNodes, C = st.range(0);
  auto Y = random_vec<float>(R * C, 1, 0, 1), dY = random_vec<float>(R * C, 2), dX = random_vec<float>(R * C, 3);
  for (auto _ : st) {
    ref::softmax_rows_backward<float>(CM(Y.data(), R, C), CM(dY.data(), R, C), Mat<float>(dX.data(), R, C));
    benchmark::DoNotOptimize(dX.data());
  }
  set_counters(st, 16.0 * R * C, 4.0 * R * C);
}
BENCHMARK(BM_cpu_softmax_backward)->Name("cpu/softmax_rows_backward/26495")->Arg(2)->Arg(3)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_cpu_mean_of(benchmark::State& st) {
  const int64_t R = kNodes, C = kD, L = 3;
  std::vector<std::vector<float>> xs;
  for (int l = 0; l < L; ++l) xs.push_back(random_vec<float>(R * C, 10 + l));
  MatList<const float> in;
  for (int l = 0; l < L; ++l) in.m[in.n++] = CM(xs[l].data(), R, C);
  std::vector<float> Y(R * C);
  for (auto _ : st) {
    ref::mean_of<float>(in, Mat<float>(Y.data(), R, C));
    benchmark::DoNotOptimize(Y.data());
  }
  set_counters(st, 4.0 * (L + 1) * R * C, 1.0 * L * R * C);
}
BENCHMARK(BM_cpu_mean_of)->Name("cpu/mean_of/3x26495x64")->UseRealTime()->Unit(benchmark::kMicrosecond);

// CUDA entries: registered at start-up only when a device is present.
struct CudaRegistrar {
  CudaRegistrar() {
    if (!gpu_present()) return;
    const int64_t R = kNodes, C = kD;
    benchmark::RegisterBenchmark("cuda/rowdot/26495x64", [=](benchmark::State& st) {
      cuda::Context ctx;
      DevMem X(random_vec<float>(R * C, 1), ctx), Y(random_vec<float>(R * C, 2), ctx), out(R * sizeof(float));
      run_cuda(st, ctx, [&](const GpuExec& g) {
        cuda::rowdot(CM(X.as<float>(), R, C), CM(Y.as<float>(), R, C), Vec<float>(out.as<float>(), R), g);
      });
      set_counters(st, 8.0 * R * C + 4.0 * R, 2.0 * R * C);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("cuda/rowdot_backward/26495x64", [=](benchmark::State& st) {
      cuda::Context ctx;
      DevMem X(random_vec<float>(R * C, 1), ctx), Y(random_vec<float>(R * C, 2), ctx), d(random_vec<float>(R, 3), ctx),
          dX(random_vec<float>(R * C, 4), ctx), dY(random_vec<float>(R * C, 5), ctx);
      run_cuda(st, ctx, [&](const GpuExec& g) {
        cuda::rowdot_backward(CM(X.as<float>(), R, C), CM(Y.as<float>(), R, C), Vec<const float>(d.as<float>(), R),
                              Mat<float>(dX.as<float>(), R, C), Mat<float>(dY.as<float>(), R, C), g);
      });
      set_counters(st, 24.0 * R * C + 4.0 * R, 4.0 * R * C);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("cuda/l2norm_rows/26495x64", [=](benchmark::State& st) {
      cuda::Context ctx;
      DevMem X(random_vec<float>(R * C, 1), ctx), Y(R * C * sizeof(float)), n(R * sizeof(float));
      run_cuda(st, ctx, [&](const GpuExec& g) {
        cuda::l2norm_rows(CM(X.as<float>(), R, C), 1e-12f, Mat<float>(Y.as<float>(), R, C), Vec<float>(n.as<float>(), R), g);
      });
      set_counters(st, 8.0 * R * C + 4.0 * R, 3.0 * R * C);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("cuda/l2norm_rows_backward/26495x64", [=](benchmark::State& st) {
      cuda::Context ctx;
      DevMem Y(random_vec<float>(R * C, 1), ctx), n(random_vec<float>(R, 2, 0.5, 2), ctx), dY(random_vec<float>(R * C, 3), ctx),
          dX(random_vec<float>(R * C, 4), ctx);
      run_cuda(st, ctx, [&](const GpuExec& g) {
        cuda::l2norm_rows_backward(CM(Y.as<float>(), R, C), Vec<const float>(n.as<float>(), R), 1e-12f,
                                   CM(dY.as<float>(), R, C), Mat<float>(dX.as<float>(), R, C), g);
      });
      set_counters(st, 16.0 * R * C + 4.0 * R, 5.0 * R * C);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
    for (int64_t M : {2, 3}) {
      benchmark::RegisterBenchmark(("cuda/softmax_rows/26495/" + std::to_string(M)).c_str(), [=](benchmark::State& st) {
        cuda::Context ctx;
        DevMem X(random_vec<float>(R * M, 1, -3, 3), ctx), Y(R * M * sizeof(float));
        run_cuda(st, ctx, [&](const GpuExec& g) {
          cuda::softmax_rows(CM(X.as<float>(), R, M), Mat<float>(Y.as<float>(), R, M), g);
        });
        set_counters(st, 8.0 * R * M, 5.0 * R * M);
      })->UseManualTime()->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(("cuda/softmax_rows_backward/26495/" + std::to_string(M)).c_str(),
                                   [=](benchmark::State& st) {
        cuda::Context ctx;
        DevMem Y(random_vec<float>(R * M, 1, 0, 1), ctx), dY(random_vec<float>(R * M, 2), ctx), dX(random_vec<float>(R * M, 3), ctx);
        run_cuda(st, ctx, [&](const GpuExec& g) {
          cuda::softmax_rows_backward(CM(Y.as<float>(), R, M), CM(dY.as<float>(), R, M), Mat<float>(dX.as<float>(), R, M), g);
        });
        set_counters(st, 16.0 * R * M, 4.0 * R * M);
      })->UseManualTime()->Unit(benchmark::kMicrosecond);
    }
    benchmark::RegisterBenchmark("cuda/mean_of/3x26495x64", [=](benchmark::State& st) {
      cuda::Context ctx;
      DevMem a(random_vec<float>(R * C, 10), ctx), b(random_vec<float>(R * C, 11), ctx), c(random_vec<float>(R * C, 12), ctx),
          Y(R * C * sizeof(float));
      MatList<const float> in;
      in.m[in.n++] = CM(a.as<float>(), R, C);
      in.m[in.n++] = CM(b.as<float>(), R, C);
      in.m[in.n++] = CM(c.as<float>(), R, C);
      run_cuda(st, ctx, [&](const GpuExec& g) { cuda::mean_of(in, Mat<float>(Y.as<float>(), R, C), g); });
      set_counters(st, 16.0 * R * C, 3.0 * R * C);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
  }
} cuda_registrar;

}  // namespace
}  // namespace lethe::bench
