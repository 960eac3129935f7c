// engine/context.cpp — see context.h.
#include "engine/context.h"

namespace lethe {

Ctx::Ctx(Device d) : dev_(d) {
  if (d == Device::CUDA) gpu_ = std::make_unique<cuda::Context>();
}

GpuExec Ctx::exec() { return gpu().exec(); }

cuda::Context& Ctx::gpu() {
  LETHE_CHECK(gpu_ != nullptr, "a GPU handle was requested from a CPU context");
  return *gpu_;
}

void Ctx::sync() {
  if (gpu_) gpu_->sync();
}

std::string Ctx::describe() const {
  return dev_ == Device::CUDA ? "cuda (" + cuda::device_description() + ")" : "cpu";
}

}  // namespace lethe
