// bench/kernels/bench_small_ops.cpp — the ops no family benchmark times on its own: the
// remaining elementwise maps and backwards, the row/column helpers, scalar reductions, the
// linear forward, SGD, TRU's gradient combination, dropout's backward and the uniform fill,
// and the two halves of BPR. Table-driven: one CPU entry per op (wall time: the references use
// OpenMP), and one CUDA entry per op when a device is present (CUDA-event manual time).
// Shapes: flat ops over n = 2^22 floats (16 MiB per operand, past L2); row ops over the
// (U+I)×64 node matrix of Amazon Baby (26,495 × 64); BPR over a 2048 × 64 batch.
#include <functional>
#include <memory>

#include "bench/kernels/bench_util.h"
#include "kernels/bpr.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/optim.h"
#include "kernels/rowops.h"
#include "kernels/sampling.h"

namespace lethe::bench {
namespace {

constexpr int64_t kN = int64_t(1) << 22;        // flat ops
constexpr int64_t kR = 26495, kC = 64;         // row ops: Baby's node matrix
constexpr int64_t kB = 2048;                   // BPR batch

// Host or device storage for one benchmark's operands: `k` float vectors of n elements, plus a
// byte mask and scalars, seeded, on the host (ctx null) or on the device of `ctx`.
struct Operands {
  bool gpu;
  int64_t n;
  std::vector<std::vector<float>> h;
  std::vector<std::unique_ptr<DevMem>> d;
  std::vector<uint8_t> hmask;
  std::unique_ptr<DevMem> dmask;
  Operands(const cuda::Context* ctx, int k, int64_t len) : gpu(ctx != nullptr), n(len) {
    for (int i = 0; i < k; ++i) {
      h.push_back(random_vec<float>(len, 17 + i, 0.05, 1.0));
      if (gpu) d.push_back(std::make_unique<DevMem>(h.back(), *ctx));
    }
    hmask.resize(static_cast<size_t>(len));
    for (int64_t i = 0; i < len; ++i) hmask[i] = static_cast<uint8_t>((i * 2654435761u >> 7) & 1);
    if (gpu) dmask = std::make_unique<DevMem>(hmask, *ctx);
  }
  float* p(int i) { return gpu ? d[i]->as<float>() : h[i].data(); }
  Vec<float> v(int i) { return Vec<float>(p(i), n); }
  Vec<const float> cv(int i) { return Vec<const float>(p(i), n); }
  Mat<float> m(int i, int64_t r, int64_t c) { return Mat<float>(p(i), r, c); }
  Mat<const float> cm(int i, int64_t r, int64_t c) { return Mat<const float>(p(i), r, c); }
  const uint8_t* mask() { return gpu ? dmask->as<uint8_t>() : hmask.data(); }
};

struct Entry {
  const char* name;
  int operands;
  int64_t len;
  double bytes, flops;  // per iteration
  std::function<void(Operands&)> cpu;
  std::function<void(Operands&, const GpuExec&)> gpu;
};

const double F = 4.0;  // bytes per float

std::vector<Entry> entries() {
  const double n = static_cast<double>(kN), rc = static_cast<double>(kR * kC), r = static_cast<double>(kR);
  const double bd = static_cast<double>(kB * kC);
  return {
      {"fill", 1, kN, F * n, 0, [](Operands& o) { ref::fill<float>(o.v(0), 0.5f); },
       [](Operands& o, const GpuExec& g) { cuda::fill(o.v(0), 0.5f, g); }},
      {"copy", 2, kN, 2 * F * n, 0, [](Operands& o) { ref::copy<float>(o.cv(0), o.v(1)); },
       [](Operands& o, const GpuExec& g) { cuda::copy(o.cv(0), o.v(1), g); }},
      {"sub", 3, kN, 3 * F * n, n, [](Operands& o) { ref::sub<float>(o.cv(0), o.cv(1), o.v(2)); },
       [](Operands& o, const GpuExec& g) { cuda::sub(o.cv(0), o.cv(1), o.v(2), g); }},
      {"mul", 3, kN, 3 * F * n, n, [](Operands& o) { ref::mul<float>(o.cv(0), o.cv(1), o.v(2)); },
       [](Operands& o, const GpuExec& g) { cuda::mul(o.cv(0), o.cv(1), o.v(2), g); }},
      {"scale", 2, kN, 2 * F * n, n, [](Operands& o) { ref::scale<float>(o.cv(0), 0.5f, o.v(1)); },
       [](Operands& o, const GpuExec& g) { cuda::scale(o.cv(0), 0.5f, o.v(1), g); }},
      {"axpy", 2, kN, 3 * F * n, 2 * n, [](Operands& o) { ref::axpy<float>(0.5f, o.cv(0), o.v(1)); },
       [](Operands& o, const GpuExec& g) { cuda::axpy(0.5f, o.cv(0), o.v(1), g); }},
      {"mul_backward", 5, kN, 7 * F * n, 4 * n,
       [](Operands& o) { ref::mul_backward<float>(o.cv(0), o.cv(1), o.cv(2), o.v(3), o.v(4)); },
       [](Operands& o, const GpuExec& g) { cuda::mul_backward(o.cv(0), o.cv(1), o.cv(2), o.v(3), o.v(4), g); }},
      {"sigmoid", 2, kN, 2 * F * n, 4 * n, [](Operands& o) { ref::sigmoid<float>(o.cv(0), o.v(1)); },
       [](Operands& o, const GpuExec& g) { cuda::sigmoid(o.cv(0), o.v(1), g); }},
      {"tanh", 2, kN, 2 * F * n, 4 * n, [](Operands& o) { ref::tanh<float>(o.cv(0), o.v(1)); },
       [](Operands& o, const GpuExec& g) { cuda::tanh(o.cv(0), o.v(1), g); }},
      {"tanh_backward", 3, kN, 4 * F * n, 3 * n, [](Operands& o) { ref::tanh_backward<float>(o.cv(0), o.cv(1), o.v(2)); },
       [](Operands& o, const GpuExec& g) { cuda::tanh_backward(o.cv(0), o.cv(1), o.v(2), g); }},
      {"softplus", 2, kN, 2 * F * n, 5 * n, [](Operands& o) { ref::softplus<float>(o.cv(0), o.v(1)); },
       [](Operands& o, const GpuExec& g) { cuda::softplus(o.cv(0), o.v(1), g); }},
      {"softplus_backward", 3, kN, 4 * F * n, 5 * n,
       [](Operands& o) { ref::softplus_backward<float>(o.cv(0), o.cv(1), o.v(2)); },
       [](Operands& o, const GpuExec& g) { cuda::softplus_backward(o.cv(0), o.cv(1), o.v(2), g); }},
      {"prelu", 3, kN, 2 * F * n, n, [](Operands& o) { ref::prelu<float>(o.cv(0), o.p(2), o.v(1)); },
       [](Operands& o, const GpuExec& g) { cuda::prelu(o.cv(0), o.p(2), o.v(1), g); }},
      {"scale_rows", 3, kR * kC, 2 * F * rc, rc,
       [](Operands& o) { ref::scale_rows<float>(o.cm(0, kR, kC), Vec<const float>(o.p(1), kR), o.m(2, kR, kC)); },
       [](Operands& o, const GpuExec& g) {
         cuda::scale_rows(o.cm(0, kR, kC), Vec<const float>(o.p(1), kR), o.m(2, kR, kC), g);
       }},
      {"scale_rows_backward", 5, kR * kC, 4 * F * rc, 4 * rc,
       [](Operands& o) {
         ref::scale_rows_backward<float>(o.cm(0, kR, kC), Vec<const float>(o.p(1), kR), o.cm(2, kR, kC), o.m(3, kR, kC),
                                         Vec<float>(o.p(4), kR));
       },
       [](Operands& o, const GpuExec& g) {
         cuda::scale_rows_backward(o.cm(0, kR, kC), Vec<const float>(o.p(1), kR), o.cm(2, kR, kC), o.m(3, kR, kC),
                                   Vec<float>(o.p(4), kR), g);
       }},
      {"mean_of_backward", 4, kR * kC, 7 * F * rc, 3 * rc,
       [](Operands& o) {
         MatList<float> l;
         l.n = 3;
         for (int i = 0; i < 3; ++i) l.m[i] = o.m(1 + i, kR, kC);
         ref::mean_of_backward<float>(o.cm(0, kR, kC), l);
       },
       [](Operands& o, const GpuExec& g) {
         MatList<float> l;
         l.n = 3;
         for (int i = 0; i < 3; ++i) l.m[i] = o.m(1 + i, kR, kC);
         cuda::mean_of_backward(o.cm(0, kR, kC), l, g);
       }},
      {"col_get", 2, kR * 3, 2 * F * r, 0,
       [](Operands& o) { ref::col_get<float>(o.cm(0, kR, 3), 1, Vec<float>(o.p(1), kR), false); },
       [](Operands& o, const GpuExec& g) { cuda::col_get(o.cm(0, kR, 3), 1, Vec<float>(o.p(1), kR), false, g); }},
      {"col_add", 2, kR * 3, 3 * F * r, r,
       [](Operands& o) { ref::col_add<float>(Vec<const float>(o.p(0), kR), 1, o.m(1, kR, 3)); },
       [](Operands& o, const GpuExec& g) { cuda::col_add(Vec<const float>(o.p(0), kR), 1, o.m(1, kR, 3), g); }},
      {"sqnorm_sum", 2, kN, F * n, 2 * n, [](Operands& o) { ref::sqnorm_sum<float>(o.cv(0), 0.5f, o.p(1)); },
       [](Operands& o, const GpuExec& g) { cuda::sqnorm_sum(o.cv(0), 0.5f, o.p(1), g); }},
      {"sqnorm_sum_backward", 3, kN, 3 * F * n, 3 * n,
       [](Operands& o) { ref::sqnorm_sum_backward<float>(o.cv(0), 0.5f, o.p(2), o.v(1)); },
       [](Operands& o, const GpuExec& g) { cuda::sqnorm_sum_backward(o.cv(0), 0.5f, o.p(2), o.v(1), g); }},
      {"sum", 2, kN, F * n, n, [](Operands& o) { ref::sum<float>(o.cv(0), 0.5f, o.p(1)); },
       [](Operands& o, const GpuExec& g) { cuda::sum(o.cv(0), 0.5f, o.p(1), g); }},
      {"sum_backward", 2, kN, 2 * F * n, n, [](Operands& o) { ref::sum_backward<float>(0.5f, o.p(1), o.v(0)); },
       [](Operands& o, const GpuExec& g) { cuda::sum_backward(0.5f, o.p(1), o.v(0), g); }},
      {"linear_forward", 4, kR * kC, F * (2 * rc + kC * kC), 2.0 * rc * kC,
       [](Operands& o) {
         ref::linear_forward<float>(o.cm(0, kR, kC), o.cm(1, kC, kC), Vec<const float>(o.p(2), kC), o.m(3, kR, kC));
       },
       [](Operands& o, const GpuExec& g) {
         cuda::linear_forward(o.cm(0, kR, kC), o.cm(1, kC, kC), Vec<const float>(o.p(2), kC), o.m(3, kR, kC), g);
       }},
      {"sgd_step", 2, kN, 3 * F * n, 2 * n, [](Operands& o) { ref::sgd_step<float>(o.p(0), o.p(1), kN, 1e-3, o.mask(), {}); },
       [](Operands& o, const GpuExec& g) { cuda::sgd_step(o.p(0), o.p(1), kN, 1e-3, o.mask(), {}, g); }},
      {"grad_combine", 3, kN, 3 * F * n + n, 2 * n,
       [](Operands& o) { ref::grad_combine<float>(o.p(2), o.p(0), o.p(1), kN, o.mask(), {}); },
       [](Operands& o, const GpuExec& g) { cuda::grad_combine(o.p(2), o.p(0), o.p(1), kN, o.mask(), {}, g); }},
      {"dropout_backward", 2, kN, 3 * F * n + n, 2 * n,
       [](Operands& o) { ref::dropout_backward<float>(o.cv(0), Vec<const uint8_t>(o.mask(), kN), 0.3f, o.v(1)); },
       [](Operands& o, const GpuExec& g) {
         cuda::dropout_backward(o.cv(0), Vec<const uint8_t>(o.mask(), kN), 0.3f, o.v(1), g);
       }},
      {"fill_uniform", 1, kN, F * n, 0, [](Operands& o) { ref::fill_uniform<float>(o.v(0), -1.f, 1.f, 7, 3); },
       [](Operands& o, const GpuExec& g) { cuda::fill_uniform(o.v(0), -1.f, 1.f, 7, 3, g); }},
      {"bpr_forward", 5, kB * kC, 3 * F * bd, 4 * bd,
       [](Operands& o) {
         ref::bpr_forward<float>(o.cm(0, kB, kC), o.cm(1, kB, kC), o.cm(2, kB, kC), nullptr, 1.0f / kB, false,
                                 Vec<float>(o.p(3), kB), o.p(4));
       },
       [](Operands& o, const GpuExec& g) {
         cuda::bpr_forward(o.cm(0, kB, kC), o.cm(1, kB, kC), o.cm(2, kB, kC), nullptr, 1.0f / kB, false,
                           Vec<float>(o.p(3), kB), o.p(4), g);
       }},
      {"bpr_backward", 8, kB * kC, 6 * F * bd, 6 * bd,
       [](Operands& o) {
         ref::bpr_backward<float>(o.cm(0, kB, kC), o.cm(1, kB, kC), o.cm(2, kB, kC), nullptr, 1.0f / kB, true,
                                  Vec<const float>(o.p(3), kB), o.p(4), o.m(5, kB, kC), o.m(6, kB, kC), o.m(7, kB, kC));
       },
       [](Operands& o, const GpuExec& g) {
         cuda::bpr_backward(o.cm(0, kB, kC), o.cm(1, kB, kC), o.cm(2, kB, kC), nullptr, 1.0f / kB, true,
                            Vec<const float>(o.p(3), kB), o.p(4), o.m(5, kB, kC), o.m(6, kB, kC), o.m(7, kB, kC), g);
       }},
  };
}

struct Registrar {
  Registrar() {
    for (const Entry& e : entries()) {
      benchmark::RegisterBenchmark((std::string("cpu/") + e.name).c_str(), [e](benchmark::State& st) {
        Operands o(nullptr, e.operands, e.len);
        for (auto _ : st) {
          e.cpu(o);
          benchmark::ClobberMemory();
        }
        set_counters(st, e.bytes, e.flops);
      })->UseRealTime()->Unit(benchmark::kMicrosecond);
      if (!gpu_present()) continue;
      benchmark::RegisterBenchmark((std::string("cuda/") + e.name).c_str(), [e](benchmark::State& st) {
        cuda::Context ctx;
        Operands o(&ctx, e.operands, e.len);
        run_cuda(st, ctx, [&](const GpuExec& g) { e.gpu(o, g); });
        set_counters(st, e.bytes, e.flops);
      })->UseManualTime()->Unit(benchmark::kMicrosecond);
    }
  }
} registrar;

}  // namespace
}  // namespace lethe::bench
