// kernels/edgedrop_stub.cpp — cuda:: entry points of edgedrop.h in a build without CUDA.
#include "kernels/edgedrop.h"
#include "kernels/stub_util.h"

namespace lethe::cuda {
void edge_dropout(Vec<const float>, Vec<const int32_t>, float, uint64_t, uint64_t, Vec<float>, const GpuExec&) {
  no_cuda("edge_dropout");
}
}  // namespace lethe::cuda
