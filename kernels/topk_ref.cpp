// kernels/topk_ref.cpp — CPU reference for kernels/topk.h (the spec): per-row top-K over the
// columns not listed in the row's exclusion list.
// Per row: walk the columns in order, merging with the sorted exclusion row to skip excluded
// ones (exclusion entries outside [0, N) are ignored, duplicates are harmless), then
// partial_sort the eligible (value, column) pairs by value descending, column ascending.
// NaN is replaced by −∞ before ranking, and the reported value is the ranked one (so a NaN
// column shows as −∞ — it is still a real, eligible column with its index). −0 and +0 compare
// equal, so they tie and the smaller column wins. Rows with fewer than K eligible columns are
// padded with (idx −1, val −∞). OpenMP over rows; each row is independent, so the result does
// not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "kernels/ref_util.h"
#include "kernels/topk.h"
#include "kernels/topk_check.h"

namespace lethe::ref {

template <class T>
void topk_rows(Mat<const T> S, const Csr* exclude, int64_t row0, int K, Mat<int32_t> idx, Mat<T> val) {
  detail::check_topk_rows(S, exclude, row0, K, idx, val);
  const int64_t R = S.rows, N = S.cols;
  if (exclude) {
    // The merge below needs every exclusion row sorted; check before the parallel region (an
    // exception cannot leave an OpenMP loop).
    for (int64_t r = 0; r < R; ++r) {
      const int64_t b = exclude->rowptr[row0 + r], e = exclude->rowptr[row0 + r + 1];
      LETHE_CHECK(b <= e, "topk_rows: exclusion rowptr decreases at row " + std::to_string(row0 + r));
      for (int64_t j = b + 1; j < e; ++j)
        if (exclude->col[j] < exclude->col[j - 1])
          LETHE_FAIL("topk_rows: exclusion row " + std::to_string(row0 + r) + " is not sorted");
    }
  }
  const T neg_inf = -std::numeric_limits<T>::infinity();

#pragma omp parallel for schedule(dynamic, 16) if (R * N > kOmpMin)
  for (int64_t r = 0; r < R; ++r) {
    std::vector<std::pair<T, int32_t>> cand;
    cand.reserve(static_cast<size_t>(N));
    const int32_t* ex = nullptr;
    int64_t j = 0, je = 0;
    if (exclude) {
      ex = exclude->col;
      j = exclude->rowptr[row0 + r];
      je = exclude->rowptr[row0 + r + 1];
    }
    const T* row = S.row(r);
    for (int64_t c = 0; c < N; ++c) {
      while (j < je && ex[j] < c) ++j;
      if (j < je && ex[j] == c) continue;
      const T v = row[c];
      cand.emplace_back(std::isnan(v) ? neg_inf : v, static_cast<int32_t>(c));
    }
    const int64_t take = std::min<int64_t>(K, static_cast<int64_t>(cand.size()));
    std::partial_sort(cand.begin(), cand.begin() + take, cand.end(), [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    int32_t* oi = idx.row(r);
    T* ov = val.row(r);
    for (int64_t k = 0; k < K; ++k) {
      if (k < take) {
        oi[k] = cand[static_cast<size_t>(k)].second;
        ov[k] = cand[static_cast<size_t>(k)].first;
      } else {
        oi[k] = -1;
        ov[k] = neg_inf;
      }
    }
  }
}

template void topk_rows<float>(Mat<const float>, const Csr*, int64_t, int, Mat<int32_t>, Mat<float>);
template void topk_rows<double>(Mat<const double>, const Csr*, int64_t, int, Mat<int32_t>, Mat<double>);

}  // namespace lethe::ref
