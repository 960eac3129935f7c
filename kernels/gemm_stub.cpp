// kernels/gemm_stub.cpp — cuda:: entry points of gemm.h in a build without CUDA.
#include "kernels/gemm.h"
#include "kernels/stub_util.h"

namespace lethe::cuda {
void gemm(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float, float*,
          int64_t, const GpuExec&) { no_cuda("gemm"); }
void linear_forward(Mat<const float>, Mat<const float>, Vec<const float>, Mat<float>, const GpuExec&) {
  no_cuda("linear_forward");
}
void linear_backward(Mat<const float>, Mat<const float>, Mat<const float>, Mat<float>, Mat<float>, Vec<float>,
                     const GpuExec&) { no_cuda("linear_backward"); }
}  // namespace lethe::cuda
