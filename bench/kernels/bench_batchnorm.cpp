// bench/kernels/bench_batchnorm.cpp — batchnorm family at MIG-GT's encoder shapes on Amazon Baby:
// the item table (7,050 rows) through BN over the hidden layer (H = 512) and the output layer
// (d = 64). Training forward (two column-reduction passes + the normalisation), evaluation
// forward (one map) and the training backward (one two-sum reduction + one map). All
// memory-bound: bytes counts the matrix reads/writes (vectors are negligible).
#include "bench/kernels/bench_util.h"
#include "kernels/batchnorm.h"

namespace lethe::bench {
namespace {

constexpr int64_t kItems = 7050;
using MF = Mat<const float>;
using VF = Vec<const float>;

void BM_cpu_bn_train(benchmark::State& st) {
  const int64_t N = kItems, C = st.range(0);
  const auto X = random_vec<float>(N * C, 1), g = random_vec<float>(C, 2), b = random_vec<float>(C, 3);
  std::vector<float> Y(N * C), m(C), iv(C), rm(C, 0.f), rv(C, 1.f);
  for (auto _ : st) {
    ref::batchnorm_forward_train<float>(MF(X.data(), N, C), VF(g.data(), C), VF(b.data(), C), 1e-5f, 0.1f,
                                        Mat<float>(Y.data(), N, C), Vec<float>(m.data(), C), Vec<float>(iv.data(), C),
                                        Vec<float>(rm.data(), C), Vec<float>(rv.data(), C));
    benchmark::DoNotOptimize(Y.data());
  }
  set_counters(st, 4.0 * N * C * 4, 7.0 * N * C);
}
BENCHMARK(BM_cpu_bn_train)->Name("cpu/batchnorm_forward_train/7050")->Arg(512)->Arg(64)->Unit(benchmark::kMicrosecond);

void BM_cpu_bn_eval(benchmark::State& st) {
  const int64_t N = kItems, C = st.range(0);
  const auto X = random_vec<float>(N * C, 1), g = random_vec<float>(C, 2), b = random_vec<float>(C, 3),
             rm = random_vec<float>(C, 4), rv = random_vec<float>(C, 5, 0.5, 2);
  std::vector<float> Y(N * C), m(C), iv(C);
  for (auto _ : st) {
    ref::batchnorm_forward_eval<float>(MF(X.data(), N, C), VF(g.data(), C), VF(b.data(), C), VF(rm.data(), C),
                                       VF(rv.data(), C), 1e-5f, Mat<float>(Y.data(), N, C), Vec<float>(m.data(), C),
                                       Vec<float>(iv.data(), C));
    benchmark::DoNotOptimize(Y.data());
  }
  set_counters(st, 2.0 * N * C * 4, 3.0 * N * C);
}
BENCHMARK(BM_cpu_bn_eval)->Name("cpu/batchnorm_forward_eval/7050")->Arg(512)->Arg(64)->Unit(benchmark::kMicrosecond);

void BM_cpu_bn_backward(benchmark::State& st) {
  const int64_t N = kItems, C = st.range(0);
  const auto X = random_vec<float>(N * C, 1), g = random_vec<float>(C, 2), dY = random_vec<float>(N * C, 3);
  std::vector<float> Y(N * C), m(C), iv(C), dX(N * C, 0.f), dg(C, 0.f), db(C, 0.f);
  ref::batchnorm_forward_train<float>(MF(X.data(), N, C), VF(g.data(), C), VF(g.data(), C), 1e-5f, 0.1f,
                                      Mat<float>(Y.data(), N, C), Vec<float>(m.data(), C), Vec<float>(iv.data(), C),
                                      Vec<float>(), Vec<float>());
  for (auto _ : st) {
    ref::batchnorm_backward<float>(MF(X.data(), N, C), VF(g.data(), C), VF(m.data(), C), VF(iv.data(), C),
                                   MF(dY.data(), N, C), true, Mat<float>(dX.data(), N, C), Vec<float>(dg.data(), C),
                                   Vec<float>(db.data(), C));
    benchmark::DoNotOptimize(dX.data());
  }
  set_counters(st, 6.0 * N * C * 4, 12.0 * N * C);
}
BENCHMARK(BM_cpu_bn_backward)->Name("cpu/batchnorm_backward/7050")->Arg(512)->Arg(64)->Unit(benchmark::kMicrosecond);

struct CudaRegistrar {
  CudaRegistrar() {
    if (!gpu_present()) return;
    for (int64_t C : {512, 64}) {
      const int64_t N = kItems;
      const std::string s = "/7050/" + std::to_string(C);
      benchmark::RegisterBenchmark(("cuda/batchnorm_forward_train" + s).c_str(), [=](benchmark::State& st) {
        cuda::Context ctx;
        DevMem X(random_vec<float>(N * C, 1), ctx), g(random_vec<float>(C, 2), ctx), b(random_vec<float>(C, 3), ctx),
            Y(N * C * sizeof(float)), m(C * sizeof(float)), iv(C * sizeof(float)), rm(std::vector<float>(C, 0.f), ctx),
            rv(std::vector<float>(C, 1.f), ctx);
        run_cuda(st, ctx, [&](const GpuExec& gx) {
          cuda::batchnorm_forward_train(MF(X.as<float>(), N, C), VF(g.as<float>(), C), VF(b.as<float>(), C), 1e-5f,
                                        0.1f, Mat<float>(Y.as<float>(), N, C), Vec<float>(m.as<float>(), C),
                                        Vec<float>(iv.as<float>(), C), Vec<float>(rm.as<float>(), C),
                                        Vec<float>(rv.as<float>(), C), gx);
        });
        set_counters(st, 4.0 * N * C * 4, 7.0 * N * C);
      })->UseManualTime()->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(("cuda/batchnorm_forward_eval" + s).c_str(), [=](benchmark::State& st) {
        cuda::Context ctx;
        DevMem X(random_vec<float>(N * C, 1), ctx), g(random_vec<float>(C, 2), ctx), b(random_vec<float>(C, 3), ctx),
            rm(random_vec<float>(C, 4), ctx), rv(random_vec<float>(C, 5, 0.5, 2), ctx), Y(N * C * sizeof(float)),
            m(C * sizeof(float)), iv(C * sizeof(float));
        run_cuda(st, ctx, [&](const GpuExec& gx) {
          cuda::batchnorm_forward_eval(MF(X.as<float>(), N, C), VF(g.as<float>(), C), VF(b.as<float>(), C),
                                       VF(rm.as<float>(), C), VF(rv.as<float>(), C), 1e-5f,
                                       Mat<float>(Y.as<float>(), N, C), Vec<float>(m.as<float>(), C),
                                       Vec<float>(iv.as<float>(), C), gx);
        });
        set_counters(st, 2.0 * N * C * 4, 3.0 * N * C);
      })->UseManualTime()->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(("cuda/batchnorm_backward" + s).c_str(), [=](benchmark::State& st) {
        cuda::Context ctx;
        DevMem X(random_vec<float>(N * C, 1), ctx), g(random_vec<float>(C, 2), ctx), m(random_vec<float>(C, 3), ctx),
            iv(random_vec<float>(C, 4, 0.5, 2), ctx), dY(random_vec<float>(N * C, 5), ctx), dX(random_vec<float>(N * C, 6), ctx),
            dg(random_vec<float>(C, 7), ctx), db(random_vec<float>(C, 8), ctx);
        run_cuda(st, ctx, [&](const GpuExec& gx) {
          cuda::batchnorm_backward(MF(X.as<float>(), N, C), VF(g.as<float>(), C), VF(m.as<float>(), C),
                                   VF(iv.as<float>(), C), MF(dY.as<float>(), N, C), true,
                                   Mat<float>(dX.as<float>(), N, C), Vec<float>(dg.as<float>(), C),
                                   Vec<float>(db.as<float>(), C), gx);
        });
        set_counters(st, 6.0 * N * C * 4, 12.0 * N * C);
      })->UseManualTime()->Unit(benchmark::kMicrosecond);
    }
  }
} cuda_registrar;

}  // namespace
}  // namespace lethe::bench
