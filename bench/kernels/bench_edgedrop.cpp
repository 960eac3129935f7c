// bench/kernels/bench_edgedrop.cpp — edge dropout on a Baby-sized MIG-GT graph: 2·160,000
// interaction edges + 26,495 self-loops ≈ 346k CSR entries, with identity ids (the graph) and
// with a permuted id map (its transpose). One Philox call per entry; bytes = values in and out
// (+ the ids).
#include <algorithm>
#include <numeric>
#include <random>

#include "bench/kernels/bench_util.h"
#include "kernels/edgedrop.h"
#include "kernels/philox.h"

namespace lethe::bench {
namespace {

constexpr int64_t kNnz = 2 * 160000 + 26495;

std::vector<int32_t> perm_ids() {
  std::vector<int32_t> ids(kNnz);
  std::iota(ids.begin(), ids.end(), 0);
  std::shuffle(ids.begin(), ids.end(), std::mt19937_64(5));
  return ids;
}

void BM_cpu_edge_dropout(benchmark::State& st) {
  const bool with_ids = st.range(0) != 0;
  const auto v = random_vec<float>(kNnz, 1, 0.01, 1);
  const auto ids = perm_ids();
  std::vector<float> out(kNnz);
  const uint64_t stream = rng_stream(RngPurpose::kEdgeDropout, 1, 2);
  for (auto _ : st) {
    ref::edge_dropout<float>(Vec<const float>(v.data(), kNnz),
                             with_ids ? Vec<const int32_t>(ids.data(), kNnz) : Vec<const int32_t>(), 0.3f, 7, stream,
                             Vec<float>(out.data(), kNnz));
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(st, (with_ids ? 12.0 : 8.0) * kNnz, 0);
}
BENCHMARK(BM_cpu_edge_dropout)->Name("cpu/edge_dropout/346495")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

struct CudaRegistrar {
  CudaRegistrar() {
    if (!gpu_present()) return;
    for (int with_ids : {0, 1}) {
      benchmark::RegisterBenchmark(("cuda/edge_dropout/346495/" + std::to_string(with_ids)).c_str(),
                                   [=](benchmark::State& st) {
        cuda::Context ctx;
        DevMem v(random_vec<float>(kNnz, 1, 0.01, 1), ctx), ids(perm_ids(), ctx), out(kNnz * sizeof(float));
        const uint64_t stream = rng_stream(RngPurpose::kEdgeDropout, 1, 2);
        run_cuda(st, ctx, [&](const GpuExec& g) {
          cuda::edge_dropout(Vec<const float>(v.as<float>(), kNnz),
                             with_ids ? Vec<const int32_t>(ids.as<int32_t>(), kNnz) : Vec<const int32_t>(), 0.3f, 7,
                             stream, Vec<float>(out.as<float>(), kNnz), g);
        });
        set_counters(st, (with_ids ? 12.0 : 8.0) * kNnz, 0);
      })->UseManualTime()->Unit(benchmark::kMicrosecond);
    }
  }
} cuda_registrar;

}  // namespace
}  // namespace lethe::bench
