// engine/tensor.cpp — see tensor.h.
#include "engine/tensor.h"

#include <cstdlib>
#include <cstring>

#include "engine/context.h"
#include "kernels/runtime.h"

namespace lethe {

Device parse_device(const std::string& s) {
  if (s == "cpu") return Device::CPU;
  if (s == "cuda" || s == "gpu") {
    if (cuda::device_count() == 0)
      LETHE_FAIL("--device " + s + " was asked for, but no CUDA device is usable: " + cuda::device_description());
    return Device::CUDA;
  }
  if (s == "auto") return cuda::device_count() > 0 ? Device::CUDA : Device::CPU;
  LETHE_FAIL("unknown device '" + s + "' (expected auto, cpu or cuda)");
}

Buffer::Buffer(Ctx& owner, size_t bytes) : owner_(&owner), bytes_(bytes), dev_(owner.device()) {
  if (bytes == 0) return;
  if (dev_ == Device::CUDA) {
    p_ = cuda::device_malloc(bytes);
  } else {
    p_ = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p_) LETHE_FAIL("out of host memory allocating " + std::to_string(bytes) + " bytes");
  }
  memstat::on_alloc(bytes);
}

void Buffer::release() noexcept {
  if (p_) {
    if (dev_ == Device::CUDA) cuda::device_free(p_);
    else std::free(p_);
    memstat::on_free(bytes_);
  }
  p_ = nullptr;
  bytes_ = 0;
}

Buffer::~Buffer() { release(); }

Buffer::Buffer(Buffer&& o) noexcept : owner_(o.owner_), p_(o.p_), bytes_(o.bytes_), dev_(o.dev_) {
  o.p_ = nullptr;
  o.bytes_ = 0;
}

Buffer& Buffer::operator=(Buffer&& o) noexcept {
  if (this != &o) {
    release();
    owner_ = o.owner_;
    p_ = o.p_;
    bytes_ = o.bytes_;
    dev_ = o.dev_;
    o.p_ = nullptr;
    o.bytes_ = 0;
  }
  return *this;
}

void Buffer::zero() {
  if (!bytes_) return;
  if (dev_ == Device::CUDA) cuda::memset_device(p_, 0, bytes_, owner_->gpu());
  else std::memset(p_, 0, bytes_);
}

void Buffer::upload(const void* host, size_t bytes, size_t offset) {
  LETHE_CHECK(offset + bytes <= bytes_, "Buffer::upload past the end");
  if (!bytes) return;
  if (dev_ == Device::CUDA) cuda::memcpy_h2d(static_cast<char*>(p_) + offset, host, bytes, owner_->gpu());
  else std::memcpy(static_cast<char*>(p_) + offset, host, bytes);
}

void Buffer::download(void* host, size_t bytes, size_t offset) const {
  LETHE_CHECK(offset + bytes <= bytes_, "Buffer::download past the end");
  if (!bytes) return;
  if (dev_ == Device::CUDA) cuda::memcpy_d2h(host, static_cast<const char*>(p_) + offset, bytes, owner_->gpu());
  else std::memcpy(host, static_cast<const char*>(p_) + offset, bytes);
}

void Buffer::upload_async(const HostBuffer& src, size_t bytes, size_t offset) {
  LETHE_CHECK(offset + bytes <= bytes_ && bytes <= src.bytes(), "Buffer::upload_async past the end");
  if (!bytes) return;
  if (dev_ == Device::CUDA) {
    LETHE_CHECK(src.pinned(), "Buffer::upload_async from host memory that is not page-locked");
    cuda::memcpy_h2d_async(static_cast<char*>(p_) + offset, src.data(), bytes, owner_->gpu());
  } else {
    std::memcpy(static_cast<char*>(p_) + offset, src.data(), bytes);
  }
}

HostBuffer::HostBuffer(Ctx& owner, size_t bytes) : bytes_(bytes), pinned_(owner.is_cuda()) {
  if (bytes == 0) return;
  if (pinned_) {
    p_ = cuda::host_malloc_pinned(bytes);
  } else {
    p_ = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p_) LETHE_FAIL("out of host memory allocating " + std::to_string(bytes) + " bytes");
  }
  memstat::on_alloc(bytes);
}

void HostBuffer::release() noexcept {
  if (p_) {
    if (pinned_) cuda::host_free_pinned(p_);
    else std::free(p_);
    memstat::on_free(bytes_);
  }
  p_ = nullptr;
  bytes_ = 0;
}

HostBuffer::~HostBuffer() { release(); }

HostBuffer::HostBuffer(HostBuffer&& o) noexcept : p_(o.p_), bytes_(o.bytes_), pinned_(o.pinned_) {
  o.p_ = nullptr;
  o.bytes_ = 0;
}

HostBuffer& HostBuffer::operator=(HostBuffer&& o) noexcept {
  if (this != &o) {
    release();
    p_ = o.p_;
    bytes_ = o.bytes_;
    pinned_ = o.pinned_;
    o.p_ = nullptr;
    o.bytes_ = 0;
  }
  return *this;
}

Buffer Buffer::clone() const {
  LETHE_CHECK(owner_ != nullptr || bytes_ == 0, "Buffer::clone of a buffer without an owner");
  if (!owner_) return Buffer();
  Buffer b(*owner_, bytes_);
  if (!bytes_) return b;
  if (dev_ == Device::CUDA) {
    cuda::memcpy_d2d(b.p_, p_, bytes_, owner_->gpu());
    owner_->sync();
  } else {
    std::memcpy(b.p_, p_, bytes_);
  }
  return b;
}

Tensor Tensor::slice_rows(int64_t r0, int64_t n) const {
  LETHE_CHECK(r0 >= 0 && n >= 0 && r0 + n <= rows,
              "slice_rows [" + std::to_string(r0) + ", " + std::to_string(r0 + n) + ") of " + shape());
  Tensor t = *this;
  t.data = static_cast<char*>(data) + static_cast<size_t>(r0 * cols) * dtype_size(dtype);
  t.rows = n;
  return t;
}

Tensor Tensor::reshaped(int64_t r, int64_t c) const {
  LETHE_CHECK(r * c == numel(), "reshape " + shape() + " to " + shape_str(r, c));
  Tensor t = *this;
  t.rows = r;
  t.cols = c;
  return t;
}

namespace {
void check_owner(const Ctx& owner, Device d, const char* what) {
  if (owner.device() != d)
    LETHE_FAIL(std::string(what) + ": the tensor is on " + device_name(d) + " but the context given is " +
               device_name(owner.device()) + " (pass the context that owns the tensor)");
}
}  // namespace

std::vector<double> Tensor::to_host(Ctx& owner) const {
  check_owner(owner, device, "Tensor::to_host");
  std::vector<double> out(static_cast<size_t>(numel()));
  if (!numel()) return out;
  std::vector<char> raw(bytes());
  if (device == Device::CUDA) cuda::memcpy_d2h(raw.data(), data, bytes(), owner.gpu());
  else std::memcpy(raw.data(), data, bytes());
  if (dtype == DType::F32) {
    const float* f = reinterpret_cast<const float*>(raw.data());
    for (size_t i = 0; i < out.size(); ++i) out[i] = f[i];
  } else {
    std::memcpy(out.data(), raw.data(), bytes());
  }
  return out;
}

void Tensor::from_host(Ctx& owner, const std::vector<double>& v) const {
  check_owner(owner, device, "Tensor::from_host");
  LETHE_CHECK(static_cast<int64_t>(v.size()) == numel(), "from_host: size mismatch for " + shape());
  std::vector<char> raw(bytes());
  if (dtype == DType::F32) {
    float* f = reinterpret_cast<float*>(raw.data());
    for (size_t i = 0; i < v.size(); ++i) f[i] = static_cast<float>(v[i]);
  } else {
    std::memcpy(raw.data(), v.data(), bytes());
  }
  if (device == Device::CUDA) cuda::memcpy_h2d(data, raw.data(), bytes(), owner.gpu());
  else std::memcpy(data, raw.data(), bytes());
}

OwnedTensor::OwnedTensor(Ctx& owner, DType t, int64_t rows, int64_t cols)
    : buf_(owner, static_cast<size_t>(rows * cols) * dtype_size(t)), view_(buf_.data(), t, owner.device(), rows, cols) {}

OwnedIdx::OwnedIdx(Ctx& owner, const std::vector<int32_t>& host) : buf_(owner, host.size() * sizeof(int32_t)) {
  buf_.upload(host.data(), host.size() * sizeof(int32_t));
  view_ = IdxTensor{static_cast<int32_t*>(buf_.data()), static_cast<int64_t>(host.size()), owner.device()};
}

}  // namespace lethe
