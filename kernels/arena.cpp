// kernels/arena.cpp — DeviceArena and Context (see runtime.h). Plain C++ over the runtime
// wrappers, so it compiles in every build; without CUDA nothing can construct one usefully.
#include <algorithm>

#include "kernels/runtime.h"

namespace lethe::cuda {

namespace {
constexpr size_t kAlign = 256;
size_t round_up(size_t b) { return (b + kAlign - 1) / kAlign * kAlign; }
}  // namespace

DeviceArena::DeviceArena(size_t initial_bytes) {
  if (initial_bytes) {
    blocks_.push_back({static_cast<char*>(device_malloc(round_up(initial_bytes))), round_up(initial_bytes)});
    capacity_ = blocks_.back().size;
    ++mallocs_;
  }
}

DeviceArena::~DeviceArena() {
  for (auto& b : blocks_) device_free(b.p);
}

void* DeviceArena::alloc(size_t bytes) {
  bytes = round_up(std::max<size_t>(bytes, 1));
  if (blocks_.empty() || used_in_last_ + bytes > blocks_.back().size) {
    const size_t size = std::max(bytes, std::max<size_t>(capacity_, size_t(1) << 20));
    blocks_.push_back({static_cast<char*>(device_malloc(size)), size});
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

void DeviceArena::reset() {
  if (blocks_.size() > 1) {
    for (auto& b : blocks_) device_free(b.p);
    blocks_.clear();
    const size_t size = round_up(high_water_);
    blocks_.push_back({static_cast<char*>(device_malloc(size)), size});
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
  sparse_ = sparse_create(stream_);
}

Context::~Context() {
  if (stream_) { try { synchronize(stream_); } catch (...) {} }
  sparse_destroy(sparse_);
  blas_destroy(blas_);
  stream_destroy(stream_);
}

}  // namespace lethe::cuda
