// kernels/runtime_stub.cpp — the CUDA runtime surface in a build without CUDA: no devices, and
// every entry point that would touch one throws "built without CUDA".
#include "kernels/runtime.h"
#include "kernels/stub_util.h"

namespace lethe::cuda {

bool built_with_cuda() { return false; }
int device_count() noexcept { return 0; }
std::string device_query_error() { return "built without CUDA"; }
std::string device_description() { return "no CUDA device (built without CUDA)"; }
void set_sync_after_launch(bool) {}
void* device_malloc(size_t bytes) { if (bytes == 0) return nullptr; no_cuda("device_malloc"); }
void device_free(void*) noexcept {}
void* host_malloc_pinned(size_t) { no_cuda("host_malloc_pinned"); }
void host_free_pinned(void*) noexcept {}
void memcpy_h2d(void*, const void*, size_t, const Context&) { no_cuda("memcpy_h2d"); }
void memcpy_h2d_async(void*, const void*, size_t, const Context&) { no_cuda("memcpy_h2d_async"); }
void memcpy_d2h(void*, const void*, size_t, const Context&) { no_cuda("memcpy_d2h"); }
void memcpy_d2d(void*, const void*, size_t, const Context&) { no_cuda("memcpy_d2d"); }
void memset_device(void*, int, size_t, const Context&) { no_cuda("memset_device"); }
void synchronize(const Context&) { no_cuda("synchronize"); }
size_t device_memory_used() { no_cuda("device_memory_used"); }
CUstream_st* stream_create() { no_cuda("stream_create"); }
void stream_destroy(CUstream_st*) noexcept {}
cublasContext* blas_create(CUstream_st*) { no_cuda("blas_create"); }
void blas_destroy(cublasContext*) noexcept {}
cusparseContext* sparse_create(CUstream_st*) { no_cuda("sparse_create"); }
void sparse_destroy(cusparseContext*) noexcept {}
void blas_set_tf32(cublasContext*, bool) { no_cuda("blas_set_tf32"); }
void blas_set_workspace(cublasContext*, void*, size_t) { no_cuda("blas_set_workspace"); }
struct GraphHandles {};
Graph::~Graph() = default;
Graph::Graph(Graph&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
Graph& Graph::operator=(Graph&& o) noexcept {
  h_ = o.h_;
  o.h_ = nullptr;
  return *this;
}
int64_t Graph::kernel_nodes() const { no_cuda("Graph::kernel_nodes"); }
int64_t Graph::nodes() const { no_cuda("Graph::nodes"); }
void Graph::launch(const Context&) const { no_cuda("Graph::launch"); }
void begin_capture(const Context&) { no_cuda("begin_capture"); }
Graph end_capture(const Context&) { no_cuda("end_capture"); }
bool capturing(const Context&) { return false; }
struct EventPair {};
EventPair* events_create() { no_cuda("events_create"); }
void events_destroy(EventPair*) noexcept {}
void events_record_start(EventPair*, const Context&) { no_cuda("events_record_start"); }
void events_record_stop(EventPair*, const Context&) { no_cuda("events_record_stop"); }
float events_elapsed_ms(EventPair*) { no_cuda("events_elapsed_ms"); }

}  // namespace lethe::cuda
