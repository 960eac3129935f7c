// kernels/tur_stub.cpp — cuda:: entry points of tur.h in a build without CUDA.
#include "kernels/stub_util.h"
#include "kernels/tur.h"

namespace lethe::cuda {
void tur_forward(Mat<const float>, Mat<const float>, int64_t, float, Mat<float>, Vec<float>, float*, const GpuExec&) {
  no_cuda("tur_forward");
}
void tur_backward(Mat<const float>, Mat<const float>, int64_t, float, Mat<const float>, const float*, Mat<float>,
                  Mat<float>, const GpuExec&) {
  no_cuda("tur_backward");
}
}  // namespace lethe::cuda
