// kernels/optim_stub.cpp — cuda:: entry points of optim.h in a build without CUDA.
#include "kernels/optim.h"
#include "kernels/stub_util.h"

namespace lethe::cuda {
void adam_step(float*, const float*, float*, float*, int64_t, const AdamHp&, const uint8_t*, SegScale, const GpuExec&) {
  no_cuda("adam_step");
}
void adam_step_at(float*, const float*, float*, float*, int64_t, const StepState*, const AdamHp&, const GpuExec&) {
  no_cuda("adam_step_at");
}
void gemm_adam_at(Mat<const float>, Mat<const float>, Mat<float>, Mat<float>, Mat<float>, const StepState*,
                  const AdamHp&, const GpuExec&) {
  no_cuda("gemm_adam_at");
}
void sgd_step(float*, const float*, int64_t, double, const uint8_t*, SegScale, const GpuExec&) { no_cuda("sgd_step"); }
void grad_combine(float*, const float*, const float*, int64_t, const uint8_t*, SegScale, const GpuExec&) {
  no_cuda("grad_combine");
}
}  // namespace lethe::cuda
