// kernels/sampling_stub.cpp — cuda:: entry points of sampling.h in a build without CUDA.
#include "kernels/sampling.h"
#include "kernels/stub_util.h"

namespace lethe::cuda {
void sample_negatives(uint64_t, uint64_t, Vec<const int32_t>, Vec<const int32_t>, const Csr&, Vec<int32_t>,
                      const GpuExec&) {
  no_cuda("sample_negatives");
}
void sample_negatives_at(uint64_t, const StepState*, Vec<const int32_t>, Vec<const int32_t>, const Csr&, Vec<int32_t>,
                         const GpuExec&) {
  no_cuda("sample_negatives_at");
}
void dropout_forward(Vec<const float>, float, uint64_t, uint64_t, Vec<float>, Vec<uint8_t>, const GpuExec&) {
  no_cuda("dropout_forward");
}
void dropout_backward(Vec<const float>, Vec<const uint8_t>, float, Vec<float>, const GpuExec&) {
  no_cuda("dropout_backward");
}
void fill_uniform(Vec<float>, float, float, uint64_t, uint64_t, const GpuExec&) { no_cuda("fill_uniform"); }
}  // namespace lethe::cuda
