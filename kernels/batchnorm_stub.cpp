// kernels/batchnorm_stub.cpp — cuda:: entry points of batchnorm.h in a build without CUDA.
#include "kernels/batchnorm.h"
#include "kernels/stub_util.h"

namespace lethe::cuda {
void batchnorm_forward_train(Mat<const float>, Vec<const float>, Vec<const float>, float, float, Mat<float>, Vec<float>,
                             Vec<float>, Vec<float>, Vec<float>, const GpuExec&) { no_cuda("batchnorm_forward_train"); }
void batchnorm_forward_eval(Mat<const float>, Vec<const float>, Vec<const float>, Vec<const float>, Vec<const float>,
                            float, Mat<float>, Vec<float>, Vec<float>, const GpuExec&) { no_cuda("batchnorm_forward_eval"); }
void batchnorm_backward(Mat<const float>, Vec<const float>, Vec<const float>, Vec<const float>, Mat<const float>, bool,
                        Mat<float>, Vec<float>, Vec<float>, const GpuExec&) { no_cuda("batchnorm_backward"); }
}  // namespace lethe::cuda
