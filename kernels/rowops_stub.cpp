// kernels/rowops_stub.cpp — cuda:: entry points of rowops.h in a build without CUDA.
#include "kernels/rowops.h"
#include "kernels/stub_util.h"

namespace lethe::cuda {
void rowdot(Mat<const float>, Mat<const float>, Vec<float>, const GpuExec&) { no_cuda("rowdot"); }
void rowdot_backward(Mat<const float>, Mat<const float>, Vec<const float>, Mat<float>, Mat<float>, const GpuExec&) { no_cuda("rowdot_backward"); }
void l2norm_rows(Mat<const float>, float, Mat<float>, Vec<float>, const GpuExec&) { no_cuda("l2norm_rows"); }
void l2norm_rows_backward(Mat<const float>, Vec<const float>, float, Mat<const float>, Mat<float>, const GpuExec&) { no_cuda("l2norm_rows_backward"); }
void softmax_rows(Mat<const float>, Mat<float>, const GpuExec&) { no_cuda("softmax_rows"); }
void softmax_rows_backward(Mat<const float>, Mat<const float>, Mat<float>, const GpuExec&) { no_cuda("softmax_rows_backward"); }
void mean_of(MatList<const float>, Mat<float>, const GpuExec&) { no_cuda("mean_of"); }
void mean_of_backward(Mat<const float>, MatList<float>, const GpuExec&) { no_cuda("mean_of_backward"); }
void col_get(Mat<const float>, int64_t, Vec<float>, bool, const GpuExec&) { no_cuda("col_get"); }
void col_add(Vec<const float>, int64_t, Mat<float>, const GpuExec&) { no_cuda("col_add"); }
void sqnorm_sum(Vec<const float>, float, float*, const GpuExec&) { no_cuda("sqnorm_sum"); }
void sqnorm_sum_backward(Vec<const float>, float, const float*, Vec<float>, const GpuExec&) { no_cuda("sqnorm_sum_backward"); }
void sum(Vec<const float>, float, float*, const GpuExec&) { no_cuda("sum"); }
void sum_backward(float, const float*, Vec<float>, const GpuExec&) { no_cuda("sum_backward"); }
}  // namespace lethe::cuda
