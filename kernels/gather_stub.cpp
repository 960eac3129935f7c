// kernels/gather_stub.cpp — cuda:: entry points of gather.h in a build without CUDA.
#include "kernels/gather.h"
#include "kernels/stub_util.h"

namespace lethe::cuda {
void gather_rows(Mat<const float>, Vec<const int32_t>, Mat<float>, const GpuExec&) { no_cuda("gather_rows"); }
void scatter_add_rows(Mat<const float>, Vec<const int32_t>, Mat<float>, const GpuExec&) {
  no_cuda("scatter_add_rows");
}
}  // namespace lethe::cuda
