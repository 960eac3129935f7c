// kernels/infonce_stub.cpp — cuda:: entry points of infonce.h in a build without CUDA.
#include "kernels/infonce.h"
#include "kernels/stub_util.h"

namespace lethe::cuda {
void infonce_forward(Mat<const float>, Mat<const float>, float, Mat<float>, Mat<float>, Vec<float>, Vec<float>,
                     Mat<float>, float*, const GpuExec&) { no_cuda("infonce_forward"); }
void infonce_backward(Mat<const float>, Mat<const float>, Vec<const float>, Vec<const float>, Mat<const float>, float,
                      const float*, Mat<float>, Mat<float>, const GpuExec&) { no_cuda("infonce_backward"); }
}  // namespace lethe::cuda
