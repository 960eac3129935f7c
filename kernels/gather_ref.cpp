// kernels/gather_ref.cpp — CPU reference for kernels/gather.h: embedding-row gather and its
// backward, a deterministic scatter-add.
//
// scatter_add_rows: the (row, k) pairs are sorted by row then k (a stable order: k increasing
// within a row), and each destination row r gets
//     s_r = 0;  s_r += dout[k, :] for the k with idx[k] = r, in increasing k;  dtable[r, :] += s_r
// Only float additions, in a fixed order — the same ones the CUDA version (sort, then one warp per
// segment) performs — so neither depends on the thread count and CPU and GPU should agree bit for
// bit (checked exactly by CudaVsRef_scatter_add_rows; not yet confirmed on a GPU).
// Rows are parallelised over segments, never within one.
// Both ops check every index against the table's row count before touching memory.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/gather.h"
#include "kernels/gather_check.h"
#include "kernels/ref_util.h"

namespace lethe::ref {

namespace {
// Row copies and adds are memory-bound: a batch of 2048×64 floats (512 KB) takes tens of
// microseconds on one core, less than waking a second thread on a busy machine costs.
constexpr int64_t kCopyParallelMin = int64_t(1) << 20;

void check_indices(Vec<const int32_t> idx, int64_t rows, const char* op) {
  LETHE_CHECK(idx.n == 0 || idx.data != nullptr, std::string(op) + ": idx is null");
  for (int64_t k = 0; k < idx.n; ++k)
    if (idx[k] < 0 || idx[k] >= rows)
      LETHE_FAIL(std::string(op) + ": idx[" + std::to_string(k) + "] = " + std::to_string(idx[k]) +
                 " is outside the table's rows [0, " + std::to_string(rows) + ")");
}
}  // namespace

template <class T>
void gather_rows(Mat<const T> table, Vec<const int32_t> idx, Mat<T> out) {
  detail::check_gather_rows(table, idx, out);
  check_indices(idx, table.rows, "gather_rows");
  const int64_t d = table.cols;
  if (d == 0) return;
#pragma omp parallel for schedule(static) if (idx.n * d > kCopyParallelMin)
  for (int64_t k = 0; k < idx.n; ++k) std::copy(table.row(idx[k]), table.row(idx[k]) + d, out.row(k));
}

template <class T>
void scatter_add_rows(Mat<const T> dout, Vec<const int32_t> idx, Mat<T> dtable) {
  detail::check_scatter_add_rows(dout, idx, dtable);
  check_indices(idx, dtable.rows, "scatter_add_rows");
  const int64_t n = idx.n, d = dtable.cols;
  if (n == 0 || d == 0) return;
  LETHE_CHECK(n <= INT32_MAX, "scatter_add_rows: more than 2^31 - 1 indices");
  // Sort keys (row << 32 | k): by row, then by k — a stable sort of k by row.
  std::vector<uint64_t> key(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) key[k] = (static_cast<uint64_t>(idx[k]) << 32) | static_cast<uint64_t>(k);
  std::sort(key.begin(), key.end());
  std::vector<int64_t> seg;  // segment starts in key, plus n
  seg.reserve(static_cast<size_t>(n) + 1);
  for (int64_t i = 0; i < n; ++i)
    if (i == 0 || (key[i] >> 32) != (key[i - 1] >> 32)) seg.push_back(i);
  seg.push_back(n);
  const int64_t nseg = static_cast<int64_t>(seg.size()) - 1;
#pragma omp parallel if (n * d > kCopyParallelMin && nseg > 1)
  {
    std::vector<T> s(static_cast<size_t>(d));
#pragma omp for schedule(dynamic, 16)
    for (int64_t g = 0; g < nseg; ++g) {
      std::fill(s.begin(), s.end(), T(0));
      for (int64_t i = seg[g]; i < seg[g + 1]; ++i) {
        const T* src = dout.row(static_cast<int64_t>(key[i] & 0xffffffffu));
        for (int64_t c = 0; c < d; ++c) s[c] += src[c];
      }
      T* dst = dtable.row(static_cast<int64_t>(key[seg[g]] >> 32));
      for (int64_t c = 0; c < d; ++c) dst[c] += s[c];
    }
  }
}

template void gather_rows<float>(Mat<const float>, Vec<const int32_t>, Mat<float>);
template void gather_rows<double>(Mat<const double>, Vec<const int32_t>, Mat<double>);
template void scatter_add_rows<float>(Mat<const float>, Vec<const int32_t>, Mat<float>);
template void scatter_add_rows<double>(Mat<const double>, Vec<const int32_t>, Mat<double>);

}  // namespace lethe::ref
