// kernels/reduce_stub.cpp — cuda:: entry points of reduce.h in a build without CUDA.
#include "kernels/reduce.h"
#include "kernels/stub_util.h"

namespace lethe::cuda {
void segmented_sqnorm(const float*, int64_t, const int64_t*, int64_t, double*, const GpuExec&) {
  no_cuda("segmented_sqnorm");
}
void clip_global_norm(float*, int64_t, double, double*, const GpuExec&) { no_cuda("clip_global_norm"); }
}  // namespace lethe::cuda
