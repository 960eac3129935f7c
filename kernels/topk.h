// kernels/topk.h — per-row top-K with a per-row exclusion list: full-ranking evaluation (train
// items masked), the ranking fusion gate's thresholds and kNN graphs all reduce to it.
// For each row r of S (R×N): the K largest S[r,c] over columns c not listed in
// exclude row (row0 + r), sorted by value descending, ties broken by the smaller column index.
// NaN counts as −∞. Rows with fewer than K eligible columns are padded with idx −1, val −∞.
// 1 ≤ K ≤ 1024.
#pragma once

#include "kernels/common.h"

namespace lethe {
namespace ref {
// exclude: null (nothing excluded) or a CSR with at least row0 + R rows whose columns are the
// excluded indices (sorted). idx, val: R×K.
template <class T>
void topk_rows(Mat<const T> S, const Csr* exclude, int64_t row0, int K, Mat<int32_t> idx, Mat<T> val);
}  // namespace ref

namespace cuda {
// S, exclude arrays, idx and val are device memory (the Csr struct itself is a host value).
void topk_rows(Mat<const float> S, const Csr* exclude, int64_t row0, int K, Mat<int32_t> idx, Mat<float> val,
               const GpuExec& g);
}  // namespace cuda
}  // namespace lethe
