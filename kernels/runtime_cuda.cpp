// kernels/runtime_cuda.cpp — CUDA runtime wrappers (compiled with the host compiler against the
// CUDA headers; built only when the CUDA backend is on). See runtime.h.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusparse.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cuda_check.h"
#include "kernels/runtime.h"

namespace lethe::cuda {

namespace {
std::atomic<int> g_sync{-1};  // -1: not yet read from the environment
}

bool built_with_cuda() { return true; }

namespace {
// The device query, made once per process: the count, or the error that made it 0.
struct DeviceQuery {
  int count = 0;
  std::string error;
};
const DeviceQuery& device_query() {
  static const DeviceQuery q = [] {
    DeviceQuery r;
    const cudaError_t e = cudaGetDeviceCount(&r.count);
    if (e != cudaSuccess) {
      cudaGetLastError();  // clear the sticky error of a failed query
      r.count = 0;
      r.error = std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
    } else if (r.count == 0) {
      r.error = "the device query succeeded but found no device";
    }
    return r;
  }();
  return q;
}
}  // namespace

int device_count() noexcept {
  try {
    return device_query().count;
  } catch (...) {
    return 0;
  }
}

std::string device_query_error() { return device_query().error; }

std::string device_description() {
  if (device_count() == 0) return "no CUDA device (" + device_query_error() + ")";
  cudaDeviceProp p{};
  LETHE_CUDA_CHECK(cudaGetDeviceProperties(&p, 0));
  char mem[32];
  std::snprintf(mem, sizeof mem, "%.1f", p.totalGlobalMem / 1073741824.0);
  return std::string(p.name) + ", sm_" + std::to_string(p.major) + std::to_string(p.minor) + ", " + mem +
         " GiB, " + std::to_string(p.multiProcessorCount) + " SMs";
}

void set_sync_after_launch(bool on) { g_sync = on ? 1 : 0; }

bool sync_after_launch() {
  int v = g_sync.load();
  if (v < 0) {
    const char* e = std::getenv("LETHE_CUDA_SYNC");
    v = (e && *e && std::string(e) != "0") ? 1 : 0;
    g_sync = v;
  }
  return v == 1;
}

void launch_check(const char* op, const char* file, int line, cudaStream_t stream) {
  if (stream == nullptr)  // a GpuExec not made by a Context: its work would race with the context's
    fail_at(file, line, std::string("op '") + op +
                            "' was launched on the legacy default stream; a GpuExec must come from a "
                            "cuda::Context (Context::exec())");
  cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess && sync_after_launch()) {
    // A stream being captured into a graph must not be synchronised (that would invalidate the
    // capture); its kernels have not run yet anyway.
    cudaStreamCaptureStatus cs = cudaStreamCaptureStatusNone;
    e = cudaStreamIsCapturing(stream, &cs);
    if (e == cudaSuccess && cs == cudaStreamCaptureStatusNone) e = cudaStreamSynchronize(stream);
  }
  if (e != cudaSuccess)
    fail_at(file, line, std::string("kernel launch for op '") + op + "' failed: " +
                            cudaGetErrorName(e) + ": " + cudaGetErrorString(e));
}

const char* cublas_status_name(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "CUBLAS_STATUS_(unknown)";
  }
}

void* device_malloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, bytes);
  if (e != cudaSuccess) {
    cudaGetLastError();
    LETHE_FAIL("cudaMalloc of " + std::to_string(bytes) + " bytes failed: " + cudaGetErrorString(e));
  }
  return p;
}
void device_free(void* p) noexcept { if (p) cudaFree(p); }
void* host_malloc_pinned(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  LETHE_CUDA_CHECK(cudaMallocHost(&p, bytes));
  return p;
}
void host_free_pinned(void* p) noexcept { if (p) cudaFreeHost(p); }

void memcpy_h2d(void* dst, const void* src, size_t bytes, const Context& on) {
  if (bytes) LETHE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, on.stream()));
  LETHE_CUDA_CHECK(cudaStreamSynchronize(on.stream()));  // `src` may be gone once we return
}
void memcpy_h2d_async(void* dst, const void* src, size_t bytes, const Context& on) {
  if (bytes) LETHE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, on.stream()));
}
void memcpy_d2h(void* dst, const void* src, size_t bytes, const Context& on) {
  if (bytes) LETHE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, on.stream()));
  LETHE_CUDA_CHECK(cudaStreamSynchronize(on.stream()));
}
void memcpy_d2d(void* dst, const void* src, size_t bytes, const Context& on) {
  if (bytes) LETHE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, on.stream()));
}
void memset_device(void* dst, int value, size_t bytes, const Context& on) {
  if (bytes) LETHE_CUDA_CHECK(cudaMemsetAsync(dst, value, bytes, on.stream()));
}
void synchronize(const Context& on) { LETHE_CUDA_CHECK(cudaStreamSynchronize(on.stream())); }
size_t device_memory_used() {
  size_t free_b = 0, total_b = 0;
  LETHE_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  return total_b - free_b;
}

CUstream_st* stream_create() {
  cudaStream_t s = nullptr;
  LETHE_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  return s;
}
void stream_destroy(CUstream_st* s) noexcept { if (s) cudaStreamDestroy(s); }

cublasContext* blas_create(CUstream_st* s) {
  cublasHandle_t h = nullptr;
  LETHE_CUBLAS_CHECK(cublasCreate(&h));
  LETHE_CUBLAS_CHECK(cublasSetStream(h, s));
  // Plain FP32 arithmetic (no TF32) and no atomics: results are reproducible run to run.
  LETHE_CUBLAS_CHECK(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH));
  LETHE_CUBLAS_CHECK(cublasSetAtomicsMode(h, CUBLAS_ATOMICS_NOT_ALLOWED));
  return h;
}
void blas_destroy(cublasContext* h) noexcept { if (h) cublasDestroy(h); }
void blas_set_workspace(cublasContext* h, void* ws, size_t bytes) {
  LETHE_CUBLAS_CHECK(cublasSetWorkspace(h, ws, bytes));
}
void blas_set_tf32(cublasContext* h, bool on) {
  LETHE_CUBLAS_CHECK(cublasSetMathMode(h, on ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
}

cusparseContext* sparse_create(CUstream_st* s) {
  cusparseHandle_t h = nullptr;
  LETHE_CUSPARSE_CHECK(cusparseCreate(&h));
  LETHE_CUSPARSE_CHECK(cusparseSetStream(h, s));
  return h;
}
void sparse_destroy(cusparseContext* h) noexcept { if (h) cusparseDestroy(h); }

struct GraphHandles {
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
};
Graph::~Graph() {
  if (!h_) return;
  if (h_->exec) cudaGraphExecDestroy(h_->exec);
  if (h_->graph) cudaGraphDestroy(h_->graph);
  delete h_;
}
Graph::Graph(Graph&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
Graph& Graph::operator=(Graph&& o) noexcept {
  if (this != &o) {
    Graph dead(std::move(*this));
    h_ = o.h_;
    o.h_ = nullptr;
  }
  return *this;
}
namespace {
int64_t count_nodes(cudaGraph_t g, bool kernels_only) {
  size_t n = 0;
  LETHE_CUDA_CHECK(cudaGraphGetNodes(g, nullptr, &n));
  if (!kernels_only || n == 0) return static_cast<int64_t>(n);
  std::vector<cudaGraphNode_t> nodes(n);
  LETHE_CUDA_CHECK(cudaGraphGetNodes(g, nodes.data(), &n));
  int64_t k = 0;
  for (cudaGraphNode_t node : nodes) {
    cudaGraphNodeType t{};
    LETHE_CUDA_CHECK(cudaGraphNodeGetType(node, &t));
    if (t == cudaGraphNodeTypeKernel) ++k;
    else if (t == cudaGraphNodeTypeGraph) {  // a library's child graph: count its kernels too
      cudaGraph_t child = nullptr;
      LETHE_CUDA_CHECK(cudaGraphChildGraphNodeGetGraph(node, &child));
      k += count_nodes(child, true);
    }
  }
  return k;
}
}  // namespace
int64_t Graph::kernel_nodes() const {
  LETHE_CHECK(h_ != nullptr, "Graph::kernel_nodes of an empty graph");
  return count_nodes(h_->graph, true);
}
int64_t Graph::nodes() const {
  LETHE_CHECK(h_ != nullptr, "Graph::nodes of an empty graph");
  return count_nodes(h_->graph, false);
}
void Graph::launch(const Context& on) const {
  LETHE_CHECK(h_ != nullptr, "Graph::launch of an empty graph");
  LETHE_CUDA_CHECK(cudaGraphLaunch(h_->exec, on.stream()));
}
void begin_capture(const Context& on) {
  LETHE_CUDA_CHECK(cudaStreamBeginCapture(on.stream(), cudaStreamCaptureModeThreadLocal));
}
Graph end_capture(const Context& on) {
  cudaGraph_t g = nullptr;
  const cudaError_t e = cudaStreamEndCapture(on.stream(), &g);
  if (e != cudaSuccess || g == nullptr) {
    cudaGetLastError();
    if (g) cudaGraphDestroy(g);
    LETHE_FAIL(std::string("capturing the stream into a CUDA graph failed: ") + cudaGetErrorName(e) + ": " +
               cudaGetErrorString(e) +
               " (an operation in the captured work synchronised, allocated or copied from pageable memory)");
  }
  Graph out;
  out.h_ = new GraphHandles;
  out.h_->graph = g;
  LETHE_CUDA_CHECK(cudaGraphInstantiate(&out.h_->exec, g, 0));
  return out;
}
bool capturing(const Context& on) {
  cudaStreamCaptureStatus cs = cudaStreamCaptureStatusNone;
  LETHE_CUDA_CHECK(cudaStreamIsCapturing(on.stream(), &cs));
  return cs != cudaStreamCaptureStatusNone;
}

struct EventPair { cudaEvent_t start = nullptr, stop = nullptr; };
EventPair* events_create() {
  auto* e = new EventPair;
  LETHE_CUDA_CHECK(cudaEventCreate(&e->start));
  LETHE_CUDA_CHECK(cudaEventCreate(&e->stop));
  return e;
}
void events_destroy(EventPair* e) noexcept {
  if (!e) return;
  cudaEventDestroy(e->start);
  cudaEventDestroy(e->stop);
  delete e;
}
void events_record_start(EventPair* e, const Context& on) { LETHE_CUDA_CHECK(cudaEventRecord(e->start, on.stream())); }
void events_record_stop(EventPair* e, const Context& on) { LETHE_CUDA_CHECK(cudaEventRecord(e->stop, on.stream())); }
float events_elapsed_ms(EventPair* e) {
  LETHE_CUDA_CHECK(cudaEventSynchronize(e->stop));
  float ms = 0;
  LETHE_CUDA_CHECK(cudaEventElapsedTime(&ms, e->start, e->stop));
  return ms;
}

}  // namespace lethe::cuda
