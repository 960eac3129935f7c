// bench/kernels/bench_sampling.cpp — sampling family: one training batch of negatives (B = 2,048
// rows) on a Baby-sized train CSR (19,445 users × 7,050 items, ~160k rows, log-normal user
// activity with at least 5 rows per user), and a dropout mask over an encoder activation
// (8,000 × 512). Bytes: sampling touches little memory (the counter is the row ids read and
// negatives written); dropout reads x and writes y and the mask (9 B per element).
#include <algorithm>
#include <memory>
#include <random>
#include <set>

#include "bench/kernels/bench_util.h"
#include "kernels/philox.h"
#include "kernels/sampling.h"
#include "kernels/step.h"

namespace lethe::bench {
namespace {

struct Train {
  std::vector<int32_t> rowptr, col, pool;
  Csr csr(const int32_t* rp, const int32_t* c) const {
    Csr x;
    x.rowptr = rp;
    x.col = c;
    x.rows = static_cast<int64_t>(rowptr.size()) - 1;
    x.cols = 7050;
    x.nnz = static_cast<int64_t>(col.size());
    return x;
  }
};
Train make_train() {
  const int64_t U = 19445;
  const int32_t I = 7050;
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> act(1.0, 0.8);  // ≈ 3 rows on average above the minimum 5
  std::uniform_int_distribution<int32_t> item(0, I - 1);
  Train t;
  t.rowptr.push_back(0);
  std::vector<uint8_t> seen(I, 0);
  for (int64_t u = 0; u < U; ++u) {
    std::set<int32_t> s;
    const int64_t d = std::min<int64_t>(5 + static_cast<int64_t>(act(rng)), I / 2);
    while (static_cast<int64_t>(s.size()) < d) s.insert(item(rng));
    for (int32_t i : s) seen[i] = 1;
    t.col.insert(t.col.end(), s.begin(), s.end());
    t.rowptr.push_back(static_cast<int32_t>(t.col.size()));
  }
  for (int32_t i = 0; i < I; ++i)
    if (seen[i]) t.pool.push_back(i);
  return t;
}

std::vector<int32_t> batch_users(int64_t B) {
  std::mt19937_64 rng(12);
  std::uniform_int_distribution<int32_t> u(0, 19444);
  std::vector<int32_t> v(B);
  for (auto& x : v) x = u(rng);
  return v;
}

void BM_cpu_sample_negatives(benchmark::State& st) {
  const int64_t B = st.range(0);
  const Train t = make_train();
  const auto users = batch_users(B);
  std::vector<int32_t> out(B);
  uint32_t step = 0;
  for (auto _ : st) {
    ref::sample_negatives(7, rng_stream(RngPurpose::kNegative, 0, step++), Vec<const int32_t>(users.data(), B),
                          Vec<const int32_t>(t.pool.data(), static_cast<int64_t>(t.pool.size())),
                          t.csr(t.rowptr.data(), t.col.data()), Vec<int32_t>(out.data(), B));
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(st, 8.0 * B, 0);
}
BENCHMARK(BM_cpu_sample_negatives)->Name("cpu/sample_negatives")->Arg(2048)->UseRealTime()->Unit(benchmark::kMicrosecond);

// The trainer's draw: the stream of the step state's (epoch, step), read from memory.
void BM_cpu_sample_negatives_at(benchmark::State& st) {
  const int64_t B = st.range(0);
  const Train t = make_train();
  const auto users = batch_users(B);
  std::vector<int32_t> out(B);
  StepState s;
  for (auto _ : st) {
    ++s.step;
    ref::sample_negatives_at(7, &s, Vec<const int32_t>(users.data(), B),
                             Vec<const int32_t>(t.pool.data(), static_cast<int64_t>(t.pool.size())),
                             t.csr(t.rowptr.data(), t.col.data()), Vec<int32_t>(out.data(), B));
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(st, 8.0 * B, 0);
}
BENCHMARK(BM_cpu_sample_negatives_at)->Name("cpu/sample_negatives_at")->Arg(2048)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_cpu_dropout(benchmark::State& st) {
  const int64_t n = st.range(0);
  const auto x = random_vec<float>(n, 1);
  std::vector<float> y(n);
  std::vector<uint8_t> mask(n);
  for (auto _ : st) {
    ref::dropout_forward<float>(Vec<const float>(x.data(), n), 0.3f, 1, 2, Vec<float>(y.data(), n),
                                Vec<uint8_t>(mask.data(), n));
    benchmark::DoNotOptimize(y.data());
  }
  set_counters(st, 9.0 * n, 0);
}
BENCHMARK(BM_cpu_dropout)->Name("cpu/dropout_forward")->Arg(8000 * 512)->UseRealTime()->Unit(benchmark::kMicrosecond);

struct CudaRegistrar {
  CudaRegistrar() {
    if (!gpu_present()) return;
    benchmark::RegisterBenchmark("cuda/sample_negatives/2048", [](benchmark::State& st) {
      const int64_t B = 2048;
      cuda::Context ctx;
      const Train t = make_train();
      DevMem users(batch_users(B), ctx), pool(t.pool, ctx), rp(t.rowptr, ctx), cl(t.col, ctx), out(B * sizeof(int32_t));
      const Csr csr = t.csr(rp.as<int32_t>(), cl.as<int32_t>());
      uint32_t step = 0;
      run_cuda(st, ctx, [&](const GpuExec& g) {
        cuda::sample_negatives(7, rng_stream(RngPurpose::kNegative, 0, step++), Vec<const int32_t>(users.as<int32_t>(), B),
                               Vec<const int32_t>(pool.as<int32_t>(), static_cast<int64_t>(t.pool.size())), csr,
                               Vec<int32_t>(out.as<int32_t>(), B), g);
      });
      set_counters(st, 8.0 * B, 0);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("cuda/sample_negatives_at/2048", [](benchmark::State& st) {
      const int64_t B = 2048;
      cuda::Context ctx;
      const Train t = make_train();
      StepState s;
      s.step = 3;
      DevMem users(batch_users(B), ctx), pool(t.pool, ctx), rp(t.rowptr, ctx), cl(t.col, ctx), out(B * sizeof(int32_t)),
          sd(std::vector<StepState>{s}, ctx);
      const Csr csr = t.csr(rp.as<int32_t>(), cl.as<int32_t>());
      run_cuda(st, ctx, [&](const GpuExec& g) {
        cuda::sample_negatives_at(7, sd.as<StepState>(), Vec<const int32_t>(users.as<int32_t>(), B),
                                  Vec<const int32_t>(pool.as<int32_t>(), static_cast<int64_t>(t.pool.size())), csr,
                                  Vec<int32_t>(out.as<int32_t>(), B), g);
      });
      set_counters(st, 8.0 * B, 0);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("cuda/dropout_forward/4096000", [](benchmark::State& st) {
      const int64_t n = 8000 * 512;
      cuda::Context ctx;
      DevMem x(random_vec<float>(n, 1), ctx), y(n * sizeof(float)), mask(n);
      run_cuda(st, ctx, [&](const GpuExec& g) {
        cuda::dropout_forward(Vec<const float>(x.as<float>(), n), 0.3f, 1, 2, Vec<float>(y.as<float>(), n),
                              Vec<uint8_t>(mask.as<uint8_t>(), n), g);
      });
      set_counters(st, 9.0 * n, 0);
    })->UseManualTime()->Unit(benchmark::kMicrosecond);
  }
} cuda_registrar;

}  // namespace
}  // namespace lethe::bench
