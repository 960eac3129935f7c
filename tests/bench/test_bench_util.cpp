// tests/bench/test_bench_util.cpp — the kernel benchmarks' CUDA harness (bench/kernels/bench_util.h):
// an op that throws ends only its own entry, with the error as the skip message, and the entries
// after it still run (GPU only; skipped, saying why, without one).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench/kernels/bench_util.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

// Keeps what each run reported.
class Collect : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) got.push_back(r);
  }
  std::vector<Run> got;
};

TEST(BenchRunCuda, AFailingOpEndsOnlyItsOwnEntry) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  benchmark::RegisterBenchmark("selftest/throws", [&ctx](benchmark::State& st) {
    bench::run_cuda(st, ctx, [](const GpuExec&) { throw Error("planted failure in the op"); });
  })->UseManualTime()->Iterations(3);
  int ran = 0;
  benchmark::RegisterBenchmark("selftest/runs", [&ctx, &ran](benchmark::State& st) {
    bench::run_cuda(st, ctx, [&ran](const GpuExec&) { ++ran; });
  })->UseManualTime()->Iterations(3);
  Collect rep;
  benchmark::RunSpecifiedBenchmarks(&rep);
  ASSERT_EQ(rep.got.size(), 2u);
  EXPECT_EQ(rep.got[0].benchmark_name().rfind("selftest/throws", 0), 0u) << rep.got[0].benchmark_name();
  EXPECT_EQ(rep.got[1].benchmark_name().rfind("selftest/runs", 0), 0u) << rep.got[1].benchmark_name();
  EXPECT_TRUE(rep.got[0].error_occurred);
  EXPECT_NE(rep.got[0].error_message.find("planted failure in the op"), std::string::npos) << rep.got[0].error_message;
  EXPECT_FALSE(rep.got[1].error_occurred) << rep.got[1].error_message;
  EXPECT_EQ(ran, 3);
  benchmark::ClearRegisteredBenchmarks();
}

}  // namespace
}  // namespace lethe
