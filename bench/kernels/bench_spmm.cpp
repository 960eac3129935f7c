// bench/kernels/bench_spmm.cpp — spmm family on a graph shaped like Amazon Baby's normalised
// user–item adjacency Â = D^{-1/2} A D^{-1/2}: 19,445 users + 7,050 items = 26,495 nodes, about
// 118.5k train interactions stored in both directions (~237k nonzeros), log-normal user activity
// and Zipf item popularity (so item rows are very long and user rows short), d = 64. Synthetic
// (seeded) so the benchmark needs no data files. CPU reference, the hand-written CUDA kernel and
// cuSPARSE. Counters: FLOPs 2·nnz·d; bytes = CSR (8 B per nonzero + rowptr) + one gathered X
// row per nonzero + Y written (an upper bound on DRAM traffic: repeated X rows hit in cache).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "bench/kernels/bench_util.h"
#include "kernels/spmm.h"

namespace lethe::bench {
namespace {

struct Graph {
  int64_t n = 0;
  std::vector<int32_t> rowptr, col;
  std::vector<float> val;
  Csr view() const { return Csr{rowptr.data(), col.data(), val.data(), n, n, static_cast<int64_t>(col.size())}; }
};

const Graph& baby_like_graph() {
  static const Graph g = [] {
    const int64_t U = 19445, I = 7050;
    std::mt19937_64 rng(2024);
    // Item popularity: Zipf(1) over a random permutation of item ids.
    std::vector<double> cdf(I);
    double acc = 0;
    for (int64_t r = 0; r < I; ++r) cdf[r] = (acc += 1.0 / double(r + 1));
    for (auto& c : cdf) c /= acc;
    std::vector<int32_t> perm(I);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    // User activity: log-normal, mean ≈ 6.1 interactions, at least 1.
    std::lognormal_distribution<double> act(std::log(6.1) - 0.32, 0.8);
    std::vector<std::vector<int32_t>> items(U);
    for (int64_t uu = 0; uu < U; ++uu) {
      const int64_t deg = std::clamp<int64_t>(std::llround(act(rng)), 1, 200);
      auto& it = items[uu];
      while (static_cast<int64_t>(it.size()) < deg) {
        const int64_t r = std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin();
        const int32_t i = perm[std::min<int64_t>(r, I - 1)];
        if (std::find(it.begin(), it.end(), i) == it.end()) it.push_back(i);
      }
      std::sort(it.begin(), it.end());
    }
    std::vector<std::vector<int32_t>> users(I);
    for (int64_t uu = 0; uu < U; ++uu)
      for (int32_t i : items[uu]) users[i].push_back(static_cast<int32_t>(uu));  // increasing u: sorted
    Graph G;
    G.n = U + I;
    auto deg = [&](int64_t node) {
      return node < U ? double(items[node].size()) : double(users[node - U].size());
    };
    G.rowptr.push_back(0);
    for (int64_t node = 0; node < G.n; ++node) {
      const double dn = deg(node);
      if (node < U) {
        for (int32_t i : items[node]) {
          G.col.push_back(static_cast<int32_t>(U + i));
          G.val.push_back(static_cast<float>(1.0 / std::sqrt(dn * deg(U + i))));
        }
      } else {
        for (int32_t uu : users[node - U]) {
          G.col.push_back(uu);
          G.val.push_back(static_cast<float>(1.0 / std::sqrt(dn * deg(uu))));
        }
      }
      G.rowptr.push_back(static_cast<int32_t>(G.col.size()));
    }
    return G;
  }();
  return g;
}

constexpr int64_t kD = 64;
double spmm_flops(const Graph& g) { return 2.0 * double(g.col.size()) * kD; }
double spmm_bytes(const Graph& g) {
  return 8.0 * double(g.col.size()) + 4.0 * double(g.n + 1) + 4.0 * kD * double(g.col.size()) + 4.0 * kD * double(g.n);
}

void BM_cpu_spmm(benchmark::State& st) {
  const Graph& g = baby_like_graph();
  const auto X = random_vec<float>(g.n * kD, 1);
  std::vector<float> Y(g.n * kD);
  for (auto _ : st) {
    ref::spmm<float>(g.view(), Mat<const float>(X.data(), g.n, kD), Mat<float>(Y.data(), g.n, kD), false);
    benchmark::DoNotOptimize(Y.data());
  }
  st.counters["nnz"] = double(g.col.size());
  set_counters(st, spmm_bytes(g), spmm_flops(g));
}
BENCHMARK(BM_cpu_spmm)->Name("cpu/spmm/baby_like_26495n_d64")->UseRealTime()->Unit(benchmark::kMicrosecond);

struct CudaRegistrar {
  CudaRegistrar() {
    if (!gpu_present()) return;
    for (bool use_cusparse : {false, true}) {
      const std::string name = std::string(use_cusparse ? "cuda/spmm_cusparse" : "cuda/spmm") + "/baby_like_26495n_d64";
      benchmark::RegisterBenchmark(name.c_str(), [use_cusparse](benchmark::State& st) {
        const Graph& g = baby_like_graph();
        cuda::Context ctx;
        DevMem rp(g.rowptr, ctx), ci(g.col, ctx), va(g.val, ctx), X(random_vec<float>(g.n * kD, 1), ctx), Y(g.n * kD * sizeof(float));
        const Csr A{rp.as<int32_t>(), ci.as<int32_t>(), va.as<float>(), g.n, g.n, static_cast<int64_t>(g.col.size())};
        run_cuda(st, ctx, [&](const GpuExec& ge) {
          if (use_cusparse)
            cuda::spmm_cusparse(A, Mat<const float>(X.as<float>(), g.n, kD), Mat<float>(Y.as<float>(), g.n, kD), false, ge);
          else
            cuda::spmm(A, Mat<const float>(X.as<float>(), g.n, kD), Mat<float>(Y.as<float>(), g.n, kD), false, ge);
        });
        st.counters["nnz"] = double(g.col.size());
        set_counters(st, spmm_bytes(g), spmm_flops(g));
      })->UseManualTime()->Unit(benchmark::kMicrosecond);
    }
  }
} cuda_registrar;

}  // namespace
}  // namespace lethe::bench
