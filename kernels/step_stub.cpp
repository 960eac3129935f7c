// kernels/step_stub.cpp — cuda:: entry points of step.h in a build without CUDA.
#include "kernels/step.h"
#include "kernels/stub_util.h"

namespace lethe::cuda {
void step_begin(StepState*, double, double, Vec<const int32_t>, Vec<const int32_t>, int64_t, Vec<int32_t>, Vec<int32_t>,
                const GpuExec&) {
  no_cuda("step_begin");
}
void accumulate_losses(StepState*, const float*, const float*, const float*, const float*, const GpuExec&) {
  no_cuda("accumulate_losses");
}
}  // namespace lethe::cuda
