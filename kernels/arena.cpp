// kernels/arena.cpp — Arena and Context (see runtime.h). Plain C++ over the runtime
// wrappers, so it compiles in every build; without CUDA nothing can construct one usefully.
#include <algorithm>
#include <atomic>
#include <cstdlib>

#include "kernels/runtime.h"

namespace lethe::memstat {
namespace {
std::atomic<int64_t> g_live{0}, g_peak{0}, g_allocs{0};
}
void on_alloc(size_t bytes) {
  g_allocs.fetch_add(1);
  const int64_t now = g_live.fetch_add(static_cast<int64_t>(bytes)) + static_cast<int64_t>(bytes);
  int64_t p = g_peak.load();
  while (now > p && !g_peak.compare_exchange_weak(p, now)) {
  }
}
void on_free(size_t bytes) { g_live.fetch_sub(static_cast<int64_t>(bytes)); }
int64_t live() { return g_live.load(); }
int64_t allocations() { return g_allocs.load(); }
int64_t peak() { return g_peak.load(); }
void reset_peak() { g_peak.store(g_live.load()); }
}  // namespace lethe::memstat

namespace lethe::cuda {

namespace {
constexpr size_t kAlign = 256;
size_t round_up(size_t b) { return (b + kAlign - 1) / kAlign * kAlign; }
}  // namespace

Arena::Arena(bool on_device, size_t initial_bytes) : on_device_(on_device) {
  if (initial_bytes) {
    blocks_.push_back({raw_alloc(round_up(initial_bytes)), round_up(initial_bytes)});
    capacity_ = blocks_.back().size;
    ++mallocs_;
  }
}

Arena::~Arena() {
  for (auto& b : blocks_) raw_free(b.p, b.size);
}

char* Arena::raw_alloc(size_t bytes) {
  void* p = nullptr;
  if (on_device_) {
    p = device_malloc(bytes);
  } else {
    p = std::aligned_alloc(kAlign, round_up(bytes));
    if (!p) LETHE_FAIL("host arena: out of memory allocating " + std::to_string(bytes) + " bytes");
  }
  memstat::on_alloc(bytes);
  return static_cast<char*>(p);
}

void Arena::raw_free(char* p, size_t bytes) noexcept {
  if (on_device_) device_free(p);
  else std::free(p);
  memstat::on_free(bytes);
}

void* Arena::alloc(size_t bytes) {
  bytes = round_up(std::max<size_t>(bytes, 1));
  if (blocks_.empty() || used_in_last_ + bytes > blocks_.back().size) {
    const size_t size = std::max(bytes, std::max<size_t>(capacity_, size_t(1) << 20));
    blocks_.push_back({raw_alloc(size), size});
    capacity_ += size;
    ++mallocs_;
    used_in_last_ = 0;
  }
  void* p = blocks_.back().p + used_in_last_;
  used_in_last_ += bytes;
  used_total_ += bytes;
  high_water_ = std::max(high_water_, used_total_);
  return p;
}

void Arena::reset() {
  if (blocks_.size() > 1) {
    for (auto& b : blocks_) raw_free(b.p, b.size);
    blocks_.clear();
    const size_t size = round_up(high_water_);
    blocks_.push_back({raw_alloc(size), size});
    capacity_ = size;
    ++mallocs_;
  }
  used_in_last_ = 0;
  used_total_ = 0;
}

Context::Context() {
  LETHE_CHECK(device_count() > 0, "cuda::Context needs a CUDA device: " + device_description());
  stream_ = stream_create();
  blas_ = blas_create(stream_);
  blas_ws_ = device_malloc(kBlasWorkspace);
  blas_set_workspace(blas_, blas_ws_, kBlasWorkspace);
  sparse_ = sparse_create(stream_);
}

Context::~Context() {
  if (stream_) { try { synchronize(*this); } catch (...) {} }
  sparse_destroy(sparse_);
  blas_destroy(blas_);
  device_free(blas_ws_);
  stream_destroy(stream_);
}

}  // namespace lethe::cuda
