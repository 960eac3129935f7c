// bench/kernels/bench_topk.cpp — topk family at the engine's two shapes on Baby-sized data:
// full-ranking evaluation (a tile of 2,048 users × 7,050 items, K = 50, ~6 train items excluded
// per user) and the item–item kNN graph (7,050 × 7,050 similarities, K = 10, nothing excluded).
// The bytes counter is one read of the score tile plus the K-wide outputs.
#include <memory>
#include <random>
#include <set>

#include "bench/kernels/bench_util.h"
#include "kernels/topk.h"

namespace lethe::bench {
namespace {

struct Excl {
  std::vector<int32_t> rowptr, col;
};
// ~6 excluded columns per row (2..10), sorted and unique.
Excl make_exclusions(int64_t R, int64_t N) {
  Excl e;
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int64_t> c(0, N - 1), d(2, 10);
  e.rowptr.push_back(0);
  for (int64_t r = 0; r < R; ++r) {
    std::set<int32_t> s;
    const int64_t k = d(rng);
    while (static_cast<int64_t>(s.size()) < k) s.insert(static_cast<int32_t>(c(rng)));
    e.col.insert(e.col.end(), s.begin(), s.end());
    e.rowptr.push_back(static_cast<int32_t>(e.col.size()));
  }
  return e;
}
Csr csr_of(const Excl& e, int64_t N, const int32_t* rowptr, const int32_t* col) {
  Csr c;
  c.rowptr = rowptr;
  c.col = col;
  c.rows = static_cast<int64_t>(e.rowptr.size()) - 1;
  c.cols = N;
  c.nnz = static_cast<int64_t>(e.col.size());
  return c;
}

void BM_cpu_topk(benchmark::State& st) {
  const int64_t R = st.range(0), N = st.range(1);
  const int K = static_cast<int>(st.range(2));
  const bool excl = st.range(3) != 0;
  const auto S = random_vec<float>(R * N, 1);
  const Excl e = make_exclusions(R, N);
  const Csr ex = csr_of(e, N, e.rowptr.data(), e.col.data());
  std::vector<int32_t> idx(R * K);
  std::vector<float> val(R * K);
  for (auto _ : st) {
    ref::topk_rows<float>(Mat<const float>(S.data(), R, N), excl ? &ex : nullptr, 0, K, Mat<int32_t>(idx.data(), R, K),
                          Mat<float>(val.data(), R, K));
    benchmark::DoNotOptimize(idx.data());
  }
  set_counters(st, 4.0 * R * N + 8.0 * R * K, 0);
}
BENCHMARK(BM_cpu_topk)
    ->Name("cpu/topk_rows")
    ->ArgNames({"R", "N", "K", "excl"})
    ->Args({2048, 7050, 50, 1})
    ->Args({7050, 7050, 10, 0})
    ->UseRealTime()->Unit(benchmark::kMillisecond);

struct CudaRegistrar {
  CudaRegistrar() {
    if (!gpu_present()) return;
    struct Shape { int64_t R, N; int K; bool excl; };
    for (Shape sh : {Shape{2048, 7050, 50, true}, Shape{7050, 7050, 10, false}}) {
      const std::string name = "cuda/topk_rows/R:" + std::to_string(sh.R) + "/N:" + std::to_string(sh.N) +
                               "/K:" + std::to_string(sh.K) + "/excl:" + std::to_string(sh.excl ? 1 : 0);
      benchmark::RegisterBenchmark(name.c_str(), [sh](benchmark::State& st) {
        cuda::Context ctx;
        const Excl e = make_exclusions(sh.R, sh.N);
        DevMem S(random_vec<float>(sh.R * sh.N, 1), ctx), rp(e.rowptr, ctx), cl(e.col, ctx), idx(sh.R * sh.K * sizeof(int32_t)),
            val(sh.R * sh.K * sizeof(float));
        const Csr ex = csr_of(e, sh.N, rp.as<int32_t>(), cl.as<int32_t>());
        run_cuda(st, ctx, [&](const GpuExec& g) {
          cuda::topk_rows(Mat<const float>(S.as<float>(), sh.R, sh.N), sh.excl ? &ex : nullptr, 0, sh.K,
                          Mat<int32_t>(idx.as<int32_t>(), sh.R, sh.K), Mat<float>(val.as<float>(), sh.R, sh.K), g);
        });
        set_counters(st, 4.0 * sh.R * sh.N + 8.0 * sh.R * sh.K, 0);
      })->UseManualTime()->Unit(benchmark::kMicrosecond);
    }
  }
} cuda_registrar;

}  // namespace
}  // namespace lethe::bench
