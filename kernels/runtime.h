// kernels/runtime.h — the thin CUDA runtime surface the engine and tests use, behind plain C++
// declarations so that no .cpp outside the CUDA sources includes a CUDA header. Built without
// CUDA, device_count() is 0 and every other entry point throws "built without CUDA".
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "kernels/common.h"

namespace lethe::cuda {

// True when this binary was compiled with the CUDA backend.
bool built_with_cuda();
// Number of usable CUDA devices; 0 when the device query fails (no driver, no device) — the
// failure itself is kept: device_query_error() names it.
int device_count() noexcept;
// Why device_count() is 0: "" when a device is usable, else the CUDA error of the query
// (cudaGetErrorName and its text, e.g. "cudaErrorNoDevice: no CUDA-capable device is detected"),
// "the device query found no device", or "built without CUDA".
std::string device_query_error();
// One line describing device 0 ("NVIDIA H100 80GB HBM3, sm_90, 79.1 GiB") or why there is none.
std::string device_description();

// Debug switch: synchronise after every kernel launch (also env LETHE_CUDA_SYNC=1).
void set_sync_after_launch(bool on);

void* device_malloc(size_t bytes);   // throws on failure; 0 bytes gives nullptr
void device_free(void* p) noexcept;
void* host_malloc_pinned(size_t bytes);
void host_free_pinned(void* p) noexcept;

// Transfers and memsets are queued on the stream of the Context that owns the device memory —
// there is no default-stream form. Contexts' streams are non-blocking: they never synchronise
// with the legacy stream 0, so a copy issued there would race with the context's kernels.
//   memcpy_h2d: ordered after the work queued on `on`; returns when the copy is done.
//   memcpy_d2h: waits for the work queued on `on` before it, then for the copy itself.
//   memcpy_d2d, memset_device: stream-ordered on `on`; the host does not wait.
//   memcpy_h2d_async: stream-ordered on `on`; the host does not wait, so `src` must be page-locked
//     (host_malloc_pinned) and left unchanged until the stream has passed the copy (a later
//     synchronising call on `on` — a memcpy_d2h, synchronize — says it has).
class Context;
void memcpy_h2d(void* dst, const void* src, size_t bytes, const Context& on);
void memcpy_h2d_async(void* dst, const void* src, size_t bytes, const Context& on);
void memcpy_d2h(void* dst, const void* src, size_t bytes, const Context& on);
void memcpy_d2d(void* dst, const void* src, size_t bytes, const Context& on);
void memset_device(void* dst, int value, size_t bytes, const Context& on);
void synchronize(const Context& on);  // waits for everything queued on the context's stream
// Device memory in use now, all processes together (cudaMemGetInfo: total − free).
size_t device_memory_used();

CUstream_st* stream_create();
void stream_destroy(CUstream_st* s) noexcept;
cublasContext* blas_create(CUstream_st* s);
void blas_destroy(cublasContext* h) noexcept;
cusparseContext* sparse_create(CUstream_st* s);
void sparse_destroy(cusparseContext* h) noexcept;

// cuBLAS math mode of a handle: plain FP32 (the default: bit-reproducible, what every tolerance
// in the tests assumes) or TF32 tensor-core math for FP32 GEMMs (faster, ~1e-3 relative error).
void blas_set_tf32(cublasContext* h, bool on);
// A workspace of the caller's for cuBLAS (so that a GEMM recorded in a graph never allocates).
void blas_set_workspace(cublasContext* h, void* ws, size_t bytes);
constexpr size_t kBlasWorkspace = size_t(32) << 20;  // cuBLAS's own default size on Hopper

// Stream capture into a CUDA graph (engine/step.h records a whole training step once and replays
// it). While a context's stream captures, nothing it is given runs: kernels, library calls and
// stream-ordered copies are recorded; a synchronisation, an allocation or a pageable copy would
// invalidate the capture (end_capture then throws, naming the error). Capture mode is
// thread-local: other threads' CUDA calls do not disturb it.
struct GraphHandles;
class Graph {
 public:
  Graph() = default;
  ~Graph();
  Graph(Graph&& o) noexcept;
  Graph& operator=(Graph&& o) noexcept;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  bool valid() const { return h_ != nullptr; }
  int64_t kernel_nodes() const;  // kernel nodes in the graph (memcpy/memset nodes not counted)
  int64_t nodes() const;         // every node
  void launch(const Context& on) const;  // stream-ordered replay; the host does not wait

 private:
  friend Graph end_capture(const Context& on);
  GraphHandles* h_ = nullptr;
};
void begin_capture(const Context& on);
Graph end_capture(const Context& on);  // instantiated, ready to launch
bool capturing(const Context& on);

// Events for timing (benchmarks use CUDA-event manual time).
struct EventPair;
EventPair* events_create();
void events_destroy(EventPair* e) noexcept;
void events_record_start(EventPair* e, const Context& on);
void events_record_stop(EventPair* e, const Context& on);
float events_elapsed_ms(EventPair* e);  // synchronises on the stop event

}  // namespace lethe::cuda

namespace lethe::cuda {

// A bump arena implementing Scratch, over device memory (on_device) or 64-byte-aligned host
// memory. alloc() hands out 256-byte-aligned pieces of the current block and chains a new block
// when it runs out; reset() makes everything free again and, if more than one block was needed,
// replaces them by a single block of the high-water size — so after the first step of a loop,
// alloc() never allocates.
class Arena final : public Scratch {
 public:
  explicit Arena(bool on_device = true, size_t initial_bytes = 0);
  ~Arena() override;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  void* alloc(size_t bytes) override;
  void reset();
  bool on_device() const { return on_device_; }
  size_t capacity() const { return capacity_; }
  size_t high_water() const { return high_water_; }
  int64_t block_mallocs() const { return mallocs_; }  // how many block allocations so far

 private:
  struct Block { char* p; size_t size; };
  char* raw_alloc(size_t bytes);
  void raw_free(char* p, size_t bytes) noexcept;
  bool on_device_;
  std::vector<Block> blocks_;
  size_t used_in_last_ = 0, used_total_ = 0, capacity_ = 0, high_water_ = 0;
  int64_t mallocs_ = 0;
};
using DeviceArena = Arena;

// Everything one GPU worker needs: a stream (non-blocking), cuBLAS and cuSPARSE handles bound to
// it, and a scratch arena. Move-free RAII; construct only when device_count() > 0. Every kernel,
// library call and transfer on memory this worker uses goes through its stream.
class Context {
 public:
  Context();
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  GpuExec exec() { return GpuExec{stream_, blas_, sparse_, &arena_}; }
  CUstream_st* stream() const { return stream_; }
  Arena& arena() { return arena_; }
  void sync() { synchronize(*this); }
  // FP32 GEMMs on TF32 tensor cores (off by default; setting cuda.tf32).
  void set_tf32(bool on) { blas_set_tf32(blas_, on); tf32_ = on; }
  bool tf32() const { return tf32_; }

 private:
  CUstream_st* stream_ = nullptr;
  cublasContext* blas_ = nullptr;
  cusparseContext* sparse_ = nullptr;
  void* blas_ws_ = nullptr;
  Arena arena_{true};
  bool tf32_ = false;
};

}  // namespace lethe::cuda

namespace lethe::memstat {
// Bytes held by the engine's owning allocations (Buffers and arena blocks), host and device
// together, and the high-water mark since the last reset_peak(): the "peak memory" an
// unlearning method or a training run reports; and how many such allocations were made (the
// check that a warmed-up training step allocates nothing). Thread-safe counters.
void on_alloc(size_t bytes);
void on_free(size_t bytes);
int64_t live();
int64_t peak();
int64_t allocations();
void reset_peak();  // peak := live
}  // namespace lethe::memstat
