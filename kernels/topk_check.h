// kernels/topk_check.h — the host-side precondition checks of kernels/topk.h, shared by the CPU
// reference (topk_ref.cpp) and the CUDA launcher (topk.cu), so that both reject the same
// arguments with the same messages. Plain C++ (no CUDA headers): included by g++ and nvcc alike.
// What only one side can check stays there: the reference reads the exclusion CSR (rowptr
// monotone, rows sorted; device memory for the CUDA version), the CUDA side checks its grid's row
// limit, S's pointer and the shared-memory size of the exclusion bitmap.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "kernels/topk.h"

namespace lethe::detail {

// The largest K (topk.h); topk.cu sizes its per-row candidate buffer with it.
constexpr int kTopkMaxK = 1024;

template <class T>
inline void check_topk_rows(Mat<const T> S, const Csr* exclude, int64_t row0, int K, Mat<int32_t> idx, Mat<T> val) {
  LETHE_CHECK(K >= 1 && K <= kTopkMaxK, "topk_rows: K must lie in [1, 1024] (got " + std::to_string(K) + ")");
  LETHE_CHECK(S.rows >= 0 && S.cols >= 0, "topk_rows: negative shape");
  LETHE_CHECK(S.cols <= std::numeric_limits<int32_t>::max(), "topk_rows: more columns than int32 indices can name");
  if (idx.rows != S.rows || idx.cols != K)
    LETHE_FAIL("topk_rows: idx must be " + shape_str(S.rows, K) + ", got " + shape_str(idx.rows, idx.cols));
  if (val.rows != S.rows || val.cols != K)
    LETHE_FAIL("topk_rows: val must be " + shape_str(S.rows, K) + ", got " + shape_str(val.rows, val.cols));
  if (exclude) {
    const int64_t R = S.rows;
    check_csr(*exclude, "topk_rows exclude");
    LETHE_CHECK(row0 >= 0 && row0 + R <= exclude->rows,
                "topk_rows: exclusion rows [" + std::to_string(row0) + ", " + std::to_string(row0 + R) +
                    ") exceed the exclusion CSR's " + std::to_string(exclude->rows) + " rows");
  }
}

}  // namespace lethe::detail
