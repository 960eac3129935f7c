// kernels/bpr_stub.cpp — cuda:: entry points of bpr.h in a build without CUDA.
#include "kernels/bpr.h"
#include "kernels/stub_util.h"

namespace lethe::cuda {
void bpr_forward(Mat<const float>, Mat<const float>, Mat<const float>, const float*, float, bool, Vec<float>, float*,
                 const GpuExec&) { no_cuda("bpr_forward"); }
void bpr_backward(Mat<const float>, Mat<const float>, Mat<const float>, const float*, float, bool, Vec<const float>,
                  const float*, Mat<float>, Mat<float>, Mat<float>, const GpuExec&) { no_cuda("bpr_backward"); }
}  // namespace lethe::cuda
