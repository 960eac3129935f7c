// kernels/gather.h — embedding-row gather and its backward, a deterministic scatter-add.
// out[k,:] = table[idx[k],:]. The backward adds dout[k,:] into dtable[idx[k],:] for every k; rows
// hit several times sum their contributions in increasing k (the CPU loop order; on the GPU a
// stable sort by row then a sequential sum per segment), so the result is bit-identical run to
// run and equal to the CPU's order. Precisely, on both: s = 0; s += dout[k,:] for each k with
// idx[k] = r in increasing k; dtable[r,:] += s — float additions only, in the same order, so CPU
// and GPU results are meant to be bit-identical: a claim that CudaVsRef_scatter_add_rows checks
// exactly, not yet confirmed on a GPU.
// Index range: the CPU reference checks every idx[k] and throws. On the GPU the indices live in
// device memory and are NOT checked (the caller's responsibility); the kernels still never
// access memory outside the table (gather writes NaN for such a row, scatter-add skips it).
#pragma once

#include "kernels/common.h"

namespace lethe {
namespace ref {
// table: R×d, idx: n (each in [0,R)), out: n×d
template <class T> void gather_rows(Mat<const T> table, Vec<const int32_t> idx, Mat<T> out);
// dtable[idx[k],:] += dout[k,:]
template <class T> void scatter_add_rows(Mat<const T> dout, Vec<const int32_t> idx, Mat<T> dtable);
}  // namespace ref

namespace cuda {
void gather_rows(Mat<const float> table, Vec<const int32_t> idx, Mat<float> out, const GpuExec& g);
// Needs g.scratch (sort keys/values, n ints each, plus CUB temporary storage).
void scatter_add_rows(Mat<const float> dout, Vec<const int32_t> idx, Mat<float> dtable, const GpuExec& g);
}  // namespace cuda
}  // namespace lethe
