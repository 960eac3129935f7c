// bench/kernels/bench_util.h — shared pieces of the kernel benchmarks.
// CPU entries time with the wall clock; CUDA entries (registered only when a device exists) use
// CUDA events with manual time, flush L2 between iterations by writing a buffer larger than L2,
// and report bytes and FLOPs as rate counters so GB/s and GFLOP/s sit beside the device peaks.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/runtime.h"

namespace lethe::bench {

template <class T>
std::vector<T> random_vec(int64_t n, uint64_t seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<T> v(static_cast<size_t>(n));
  for (auto& x : v) x = static_cast<T>(d(rng));
  return v;
}

// Segment offsets of a flat parameter slab of `slab` elements laid out as the 20 parameter
// tensors of an MGCN on Baby-sized data (19,445 users, 7,050 items, d = 64): the image feature
// table takes what is left of the slab (about 3,600 of its 4,096 columns at 30M elements), and
// the 20th segment is empty, as an absent modality's tensors would be. Used by the optim and
// reduce benchmarks (Adam over the slab, TRU's per-branch gradient norms).
inline std::vector<int64_t> mgcn_offsets(int64_t slab) {
  const int64_t U = 19445, I = 7050, d = 64;
  const std::vector<int64_t> sizes = {U * d,  I * d, 4096 * d, d,     d * d, d, d * d, d, I * 384, 384 * d,
                                      d,      d * d, d,        d * d, d,     d * d, d, d, 0 /*image table*/};
  std::vector<int64_t> off = {0};
  int64_t used = 0;
  for (int64_t s : sizes) used += s;
  for (int64_t s : sizes) off.push_back(off.back() + (s == 0 ? slab - used : s));
  off.push_back(slab);  // 20th segment: empty
  return off;
}

inline void set_counters(benchmark::State& st, double bytes, double flops) {
  st.counters["bytes"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate,
                                            benchmark::Counter::kIs1000);
  if (flops > 0)
    st.counters["flops"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
}

// Device memory owned for the length of one benchmark; filled through the benchmark's context.
class DevMem {
 public:
  DevMem() = default;
  explicit DevMem(size_t bytes) : p_(cuda::device_malloc(bytes)), bytes_(bytes) {}
  template <class T>
  DevMem(const std::vector<T>& v, const cuda::Context& ctx) : DevMem(v.size() * sizeof(T)) {
    cuda::memcpy_h2d(p_, v.data(), bytes_, ctx);
  }
  ~DevMem() { cuda::device_free(p_); }
  DevMem(DevMem&& o) noexcept : p_(o.p_), bytes_(o.bytes_) { o.p_ = nullptr; }
  DevMem(const DevMem&) = delete;
  DevMem& operator=(const DevMem&) = delete;
  template <class T>
  T* as() const { return static_cast<T*>(p_); }

 private:
  void* p_ = nullptr;
  size_t bytes_ = 0;
};

// Runs `body(exec)` under CUDA-event manual timing; L2 is flushed before each iteration. An
// exception from the op (a failed launch, an unsupported library call) ends this entry with
// SkipWithError naming it, so the rest of the table still runs.
inline void run_cuda(benchmark::State& st, cuda::Context& ctx, const std::function<void(const GpuExec&)>& body) {
  try {
    static DevMem flush(size_t(128) << 20);  // larger than the H100/H200 L2 (50–60 MB)
    auto* ev = cuda::events_create();
    struct Release {
      cuda::EventPair* e;
      ~Release() { cuda::events_destroy(e); }
    } release{ev};
    for (auto _ : st) {
      cuda::memset_device(flush.as<void>(), 0, size_t(128) << 20, ctx);
      ctx.arena().reset();
      cuda::events_record_start(ev, ctx);
      body(ctx.exec());
      cuda::events_record_stop(ev, ctx);
      st.SetIterationTime(cuda::events_elapsed_ms(ev) / 1e3);
    }
  } catch (const std::exception& e) {
    st.SkipWithError(e.what());
  }
}

// Registers a CUDA benchmark only when a device is present (checked once at start-up).
inline bool gpu_present() {
  static const bool present = cuda::device_count() > 0;
  return present;
}

}  // namespace lethe::bench

