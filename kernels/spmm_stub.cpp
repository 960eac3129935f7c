// kernels/spmm_stub.cpp — cuda:: entry points of spmm.h in a build without CUDA.
#include "kernels/spmm.h"
#include "kernels/stub_util.h"

namespace lethe::cuda {
void spmm(const Csr&, Mat<const float>, Mat<float>, bool, const GpuExec&) { no_cuda("spmm"); }
void spmm_cusparse(const Csr&, Mat<const float>, Mat<float>, bool, const GpuExec&) { no_cuda("spmm_cusparse"); }
}  // namespace lethe::cuda
