// kernels/spmm_ref.cpp — CPU reference for kernels/spmm.h: Y = A·X (or Y += A·X) with A in CSR.
//
// Numerics: each output row is a sum over the row's nonzeros in storage (nnz) order,
// acc = Σ_e val[e]·X[col[e], :], accumulated in T from zero, then Y = acc (or Y + acc). That is
// exactly the order of the CUDA kernel (kernels/spmm.cu), so the two differ only by FMA
// contraction. OpenMP splits rows between threads; a row is never split, so the result does not
// depend on the thread count. The float path is a non-template function with an AVX2+FMA clone
// (kernels/cpu_simd.h), since graph propagation is the CPU pipeline's other hot loop.
//
// Checks: shapes, rowptr[0] = 0 and rowptr[rows] = nnz (O(1)), and every column index in
// [0, A.cols) (checked on the fly; a bad index is skipped and reported after the loop).
// Y must not alias X.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "kernels/cpu_simd.h"
#include "kernels/ref_util.h"
#include "kernels/spmm.h"
#include "kernels/spmm_check.h"

namespace lethe::ref {

namespace {

// The shared shape checks of spmm_check.h, then the O(1) rowptr consistency (host data here).
void check_spmm_args(const Csr& A, int64_t x_rows, int64_t x_cols, int64_t y_rows, int64_t y_cols) {
  detail::check_spmm_args(A, x_rows, x_cols, y_rows, y_cols, "spmm");
  if (A.rows > 0)
    LETHE_CHECK(A.rowptr[0] == 0 && A.rowptr[A.rows] == A.nnz,
                "spmm: CSR rowptr must start at 0 and end at nnz=" + std::to_string(A.nnz) + " (got " +
                    std::to_string(A.rowptr[0]) + " .. " + std::to_string(A.rowptr[A.rows]) + ")");
}

// Rows [r0, r1) of Y (row stride d) from X (row stride d). Returns the number of column indices
// that were out of range (skipped). acc is scratch of d floats.
LETHE_SIMD_CLONES
int64_t spmm_rows_f32(const int32_t* rowptr, const int32_t* col, const float* val, int64_t ncols,
                      const float* __restrict__ X, float* __restrict__ Y, int64_t d, int64_t r0, int64_t r1,
                      bool accumulate, float* __restrict__ acc) {
  int64_t bad = 0;
  if (d == 64) {
    // The embedding width everywhere in the pipeline: the 64 accumulators live in 8 vector
    // registers for the whole row instead of a memory buffer. Same operations, same order.
    typedef float v8sf __attribute__((vector_size(32)));
    for (int64_t r = r0; r < r1; ++r) {
      v8sf a[8] = {};
      for (int32_t e = rowptr[r]; e < rowptr[r + 1]; ++e) {
        const int32_t j = col[e];
        if (j < 0 || j >= ncols) { ++bad; continue; }
        const float v = val[e];
        const float* x = X + static_cast<int64_t>(j) * 64;
        for (int q = 0; q < 8; ++q) {
          v8sf xq;
          std::memcpy(&xq, x + 8 * q, sizeof xq);
          a[q] += v * xq;
        }
      }
      float* y = Y + r * 64;
      for (int q = 0; q < 8; ++q) {
        v8sf yq = a[q];
        if (accumulate) {
          std::memcpy(&yq, y + 8 * q, sizeof yq);
          yq += a[q];
        }
        std::memcpy(y + 8 * q, &yq, sizeof yq);
      }
    }
    return bad;
  }
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t c = 0; c < d; ++c) acc[c] = 0.f;
    for (int32_t e = rowptr[r]; e < rowptr[r + 1]; ++e) {
      const int32_t j = col[e];
      if (j < 0 || j >= ncols) { ++bad; continue; }
      const float v = val[e];
      const float* x = X + static_cast<int64_t>(j) * d;
      for (int64_t c = 0; c < d; ++c) acc[c] += v * x[c];
    }
    float* y = Y + r * d;
    if (accumulate)
      for (int64_t c = 0; c < d; ++c) y[c] += acc[c];
    else
      for (int64_t c = 0; c < d; ++c) y[c] = acc[c];
  }
  return bad;
}

template <class T>
int64_t spmm_rows(const Csr& A, const T* X, T* Y, int64_t d, int64_t r0, int64_t r1, bool accumulate, T* acc) {
  if constexpr (std::is_same_v<T, float>) {
    return spmm_rows_f32(A.rowptr, A.col, A.val, A.cols, X, Y, d, r0, r1, accumulate, acc);
  } else {
    int64_t bad = 0;
    for (int64_t r = r0; r < r1; ++r) {
      std::fill(acc, acc + d, T(0));
      for (int32_t e = A.rowptr[r]; e < A.rowptr[r + 1]; ++e) {
        const int32_t j = A.col[e];
        if (j < 0 || j >= A.cols) { ++bad; continue; }
        const T v = static_cast<T>(A.val[e]);
        const T* x = X + static_cast<int64_t>(j) * d;
        for (int64_t c = 0; c < d; ++c) acc[c] += v * x[c];
      }
      T* y = Y + r * d;
      for (int64_t c = 0; c < d; ++c) y[c] = accumulate ? y[c] + acc[c] : acc[c];
    }
    return bad;
  }
}

}  // namespace

template <class T>
void spmm(const Csr& A, Mat<const T> X, Mat<T> Y, bool accumulate) {
  check_spmm_args(A, X.rows, X.cols, Y.rows, Y.cols);
  const int64_t d = X.cols;
  if (A.rows == 0 || d == 0) return;
  // Rows in chunks of 64 (dynamic: power-law degrees make rows very uneven).
  constexpr int64_t kChunk = 64;
  const int64_t nchunks = (A.rows + kChunk - 1) / kChunk;
  std::atomic<int64_t> bad{0};
#pragma omp parallel if (A.nnz * d > kOmpMin && nchunks > 1)
  {
    std::vector<T> acc(static_cast<size_t>(d));
    int64_t my_bad = 0;
#pragma omp for schedule(dynamic, 4)
    for (int64_t ch = 0; ch < nchunks; ++ch) {
      const int64_t r0 = ch * kChunk, r1 = std::min(A.rows, r0 + kChunk);
      my_bad += spmm_rows<T>(A, X.data, Y.data, d, r0, r1, accumulate, acc.data());
    }
    bad += my_bad;
  }
  if (bad.load() > 0)
    LETHE_FAIL("spmm: " + std::to_string(bad.load()) + " CSR column indices outside [0, " + std::to_string(A.cols) +
               ") (those entries were skipped; the output is incomplete)");
}

template void spmm<float>(const Csr&, Mat<const float>, Mat<float>, bool);
template void spmm<double>(const Csr&, Mat<const double>, Mat<double>, bool);

}  // namespace lethe::ref
