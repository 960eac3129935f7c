// engine/tensor.h — device tags, owning buffers and shaped tensor views.
//  * Buffer: owning, move-only bytes on the host (64-byte aligned) or a CUDA device, made for
//    one execution context (engine/context.h) and bound to it: its transfers are ordered on that
//    context's stream, so a host read cannot overtake the kernels queued before it.
//  * Tensor: a non-owning 2-D row-major view (rows × cols) with a dtype and a device; converts
//    to the kernels' Mat/Vec views with a dtype check. A vector is a (n × 1) tensor. A view does
//    not know its owner, so its host copies name the context (to_host(ctx), from_host(ctx, v)).
//  * IdxTensor: a non-owning view of int32 indices on a device.
//  * HostBuffer: host memory an asynchronous upload may read while the host goes on (page-locked
//    for a CUDA owner).
// No transfer can be written without the owning context: there is no stream-less form.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/common.h"

namespace lethe {

class Ctx;  // engine/context.h

enum class Device : uint8_t { CPU = 0, CUDA = 1 };
inline const char* device_name(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }

// "cpu", "cuda" or "auto" (cuda only when a device is really present). Asking for "cuda" where
// none is usable is an error that says why.
Device parse_device(const std::string& s);

class HostBuffer;

class Buffer {
 public:
  Buffer() = default;
  Buffer(Ctx& owner, size_t bytes);  // on the owner's device; contents uninitialised
  ~Buffer();
  Buffer(Buffer&& o) noexcept;
  Buffer& operator=(Buffer&& o) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  void* data() const { return p_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return dev_; }
  bool empty() const { return bytes_ == 0; }

  // All on the owner's stream (on the CPU: plain memory operations).
  void zero();                                                      // ordered; the host does not wait
  void upload(const void* host, size_t bytes, size_t offset = 0);   // host → this; done on return
  void download(void* host, size_t bytes, size_t offset = 0) const; // waits for queued work, then this → host
  // host → this without waiting (on a CUDA owner): the copy runs when the stream reaches it, so
  // `src` must stay unchanged until the owner's stream has passed it (any later synchronising
  // call on the owner says so). On the CPU it is done on return. Counts no synchronisation.
  void upload_async(const HostBuffer& src, size_t bytes, size_t offset = 0);
  Buffer clone() const;  // a deep copy, same owner; complete on return

 private:
  void release() noexcept;
  Ctx* owner_ = nullptr;
  void* p_ = nullptr;
  size_t bytes_ = 0;
  Device dev_ = Device::CPU;
};

// Host memory for Buffer::upload_async: page-locked (pinned) when the owner is a CUDA context, so
// that the copy can run while the host goes on; 64-byte-aligned plain memory otherwise.
class HostBuffer {
 public:
  HostBuffer() = default;
  HostBuffer(Ctx& owner, size_t bytes);  // contents uninitialised
  ~HostBuffer();
  HostBuffer(HostBuffer&& o) noexcept;
  HostBuffer& operator=(HostBuffer&& o) noexcept;
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;
  void* data() const { return p_; }
  size_t bytes() const { return bytes_; }
  bool pinned() const { return pinned_; }

 private:
  void release() noexcept;
  void* p_ = nullptr;
  size_t bytes_ = 0;
  bool pinned_ = false;
};

struct Tensor {
  void* data = nullptr;
  DType dtype = DType::F32;
  Device device = Device::CPU;
  int64_t rows = 0, cols = 0;

  Tensor() = default;
  Tensor(void* d, DType t, Device dev, int64_t r, int64_t c) : data(d), dtype(t), device(dev), rows(r), cols(c) {}

  int64_t numel() const { return rows * cols; }
  size_t bytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
  bool defined() const { return data != nullptr; }
  std::string shape() const { return shape_str(rows, cols); }

  Tensor slice_rows(int64_t r0, int64_t n) const;
  Tensor reshaped(int64_t r, int64_t c) const;  // same elements, new 2-D shape

  template <class T> Mat<T> mat() const { check<T>(); return Mat<T>(static_cast<T*>(data), rows, cols); }
  template <class T> Mat<const T> cmat() const { check<T>(); return Mat<const T>(static_cast<const T*>(data), rows, cols); }
  template <class T> Vec<T> vec() const { check<T>(); return Vec<T>(static_cast<T*>(data), numel()); }
  template <class T> Vec<const T> cvec() const { check<T>(); return Vec<const T>(static_cast<const T*>(data), numel()); }
  template <class T> T* ptr() const { check<T>(); return static_cast<T*>(data); }

  // Host copies through the context that owns the memory (its device must be this tensor's):
  // to_host waits for the work queued on it; from_host is ordered after that work and done on
  // return. Element values converted to/from double.
  std::vector<double> to_host(Ctx& owner) const;
  void from_host(Ctx& owner, const std::vector<double>& v) const;

 private:
  template <class T> void check() const {
    if (dtype != dtype_of<T>())
      LETHE_FAIL(std::string("tensor dtype is ") + dtype_name(dtype) + ", accessed as " + dtype_name(dtype_of<T>()));
  }
};

struct IdxTensor {
  int32_t* data = nullptr;
  int64_t n = 0;
  Device device = Device::CPU;
  Vec<const int32_t> vec() const { return Vec<const int32_t>(data, n); }
};

// A tensor that owns its memory (long-lived state: parameters, graph values, features).
class OwnedTensor {
 public:
  OwnedTensor() = default;
  OwnedTensor(Ctx& owner, DType t, int64_t rows, int64_t cols);
  const Tensor& t() const { return view_; }
  operator const Tensor&() const { return view_; }

 private:
  Buffer buf_;
  Tensor view_;
};

// Index array that owns its memory.
class OwnedIdx {
 public:
  OwnedIdx() = default;
  OwnedIdx(Ctx& owner, const std::vector<int32_t>& host);
  const IdxTensor& t() const { return view_; }
  operator const IdxTensor&() const { return view_; }

 private:
  Buffer buf_;
  IdxTensor view_;
};

}  // namespace lethe
