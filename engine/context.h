// engine/context.h — the execution context every engine op takes: which device, and on a GPU
// the stream, library handles and scratch arena (kernels/runtime.h). One Ctx per worker; ops
// on one Ctx are ordered (CPU: sequential; GPU: one stream).
#pragma once

#include <memory>

#include "engine/tensor.h"
#include "kernels/runtime.h"

namespace lethe {

class Ctx {
 public:
  explicit Ctx(Device d);
  Device device() const { return dev_; }
  bool is_cuda() const { return dev_ == Device::CUDA; }
  // GPU execution handles; only valid on a CUDA context.
  GpuExec exec();
  cuda::Context& gpu();
  // Temporary memory for one step on this context's device (reset by the owner of the step).
  cuda::Arena& scratch() { return is_cuda() ? gpu().arena() : host_scratch_; }
  void sync();  // waits for queued GPU work (no-op on CPU)
  std::string describe() const;

 private:
  Device dev_;
  std::unique_ptr<cuda::Context> gpu_;
  cuda::Arena host_scratch_{false};
};

}  // namespace lethe
