// kernels/elementwise_stub.cpp — cuda:: entry points of elementwise.h in a build without CUDA.
#include "kernels/elementwise.h"
#include "kernels/stub_util.h"

namespace lethe::cuda {
void fill(Vec<float>, float, const GpuExec&) { no_cuda("fill"); }
void copy(Vec<const float>, Vec<float>, const GpuExec&) { no_cuda("copy"); }
void add(Vec<const float>, Vec<const float>, Vec<float>, const GpuExec&) { no_cuda("add"); }
void sub(Vec<const float>, Vec<const float>, Vec<float>, const GpuExec&) { no_cuda("sub"); }
void mul(Vec<const float>, Vec<const float>, Vec<float>, const GpuExec&) { no_cuda("mul"); }
void scale(Vec<const float>, float, Vec<float>, const GpuExec&) { no_cuda("scale"); }
void axpy(float, Vec<const float>, Vec<float>, const GpuExec&) { no_cuda("axpy"); }
void mul_backward(Vec<const float>, Vec<const float>, Vec<const float>, Vec<float>, Vec<float>, const GpuExec&) { no_cuda("mul_backward"); }
void sigmoid(Vec<const float>, Vec<float>, const GpuExec&) { no_cuda("sigmoid"); }
void sigmoid_backward(Vec<const float>, Vec<const float>, Vec<float>, const GpuExec&, bool) { no_cuda("sigmoid_backward"); }
void tanh(Vec<const float>, Vec<float>, const GpuExec&) { no_cuda("tanh"); }
void tanh_backward(Vec<const float>, Vec<const float>, Vec<float>, const GpuExec&, bool) { no_cuda("tanh_backward"); }
void softplus(Vec<const float>, Vec<float>, const GpuExec&) { no_cuda("softplus"); }
void softplus_backward(Vec<const float>, Vec<const float>, Vec<float>, const GpuExec&) { no_cuda("softplus_backward"); }
void prelu(Vec<const float>, const float*, Vec<float>, const GpuExec&) { no_cuda("prelu"); }
void prelu_backward(Vec<const float>, const float*, Vec<const float>, Vec<float>, float*, const GpuExec&) { no_cuda("prelu_backward"); }
void scale_rows(Mat<const float>, Vec<const float>, Mat<float>, const GpuExec&) { no_cuda("scale_rows"); }
void scale_rows_backward(Mat<const float>, Vec<const float>, Mat<const float>, Mat<float>, Vec<float>, const GpuExec&) { no_cuda("scale_rows_backward"); }
}  // namespace lethe::cuda
