// kernels/topk_stub.cpp — cuda:: entry points of topk.h in a build without CUDA.
#include "kernels/stub_util.h"
#include "kernels/topk.h"

namespace lethe::cuda {
void topk_rows(Mat<const float>, const Csr*, int64_t, int, Mat<int32_t>, Mat<float>, const GpuExec&) {
  no_cuda("topk_rows");
}
}  // namespace lethe::cuda
