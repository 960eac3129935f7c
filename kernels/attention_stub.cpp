// kernels/attention_stub.cpp — cuda:: entry points of attention.h in a build without CUDA.
#include "kernels/attention.h"
#include "kernels/stub_util.h"

namespace lethe::cuda {
void block_attention_forward(Mat<const float>, Mat<const float>, Mat<const float>, int64_t, float, float, float,
                             Mat<float>, Mat<float>, const GpuExec&) {
  no_cuda("block_attention_forward");
}
void block_attention_backward(Mat<const float>, Mat<const float>, Mat<const float>, Mat<const float>, Mat<const float>,
                              int64_t, float, float, float, Mat<float>, Mat<float>, Mat<float>, const GpuExec&) {
  no_cuda("block_attention_backward");
}
void attn_sample_indices(uint64_t, uint64_t, int32_t, int32_t, Mat<int32_t>, const GpuExec&) {
  no_cuda("attn_sample_indices");
}
}  // namespace lethe::cuda
