// kernels/spmm.h — sparse (CSR) × dense products, the graph-propagation workhorse.
// Y (A.rows × d) = A · X (A.cols × d), or Y += A · X with accumulate. The backward of Y = A X is
// dX += Aᵀ dY, computed with the same op on the explicitly stored transpose CSR: no atomics,
// deterministic. Two GPU versions: a hand-written row-per-warp kernel (fixed summation order —
// each row's sum in nnz order, the CPU reference's order — the default) and cuSPARSE SpMM
// (CSR_ALG3, the CSR algorithm cuSPARSE documents as bit-wise deterministic; CSR_ALG1/ALG2 are
// not — with our row-major operands a claim still to be confirmed on a GPU, see spmm.cu) kept
// for comparison in the benchmark. Y must not alias X. Column indices are checked by
// the CPU reference; on the GPU (device-resident CSR) valid indices are the caller's duty.
#pragma once

#include "kernels/common.h"

namespace lethe {
namespace ref {
template <class T> void spmm(const Csr& A, Mat<const T> X, Mat<T> Y, bool accumulate);
}  // namespace ref

namespace cuda {
void spmm(const Csr& A, Mat<const float> X, Mat<float> Y, bool accumulate, const GpuExec& g);
// cuSPARSE path (needs g.sparse and g.scratch); same contract.
void spmm_cusparse(const Csr& A, Mat<const float> X, Mat<float> Y, bool accumulate, const GpuExec& g);
}  // namespace cuda
}  // namespace lethe
