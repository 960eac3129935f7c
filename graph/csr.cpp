// graph/csr.cpp — see csr.h.
#include "graph/csr.h"

#include <algorithm>
#include <numeric>
#include <string>

namespace lethe::graph {

Csr HostCsr::view() const {
  Csr c;
  c.rowptr = rowptr.data();
  c.col = col.data();
  c.val = val.empty() ? nullptr : val.data();
  c.rows = rows;
  c.cols = cols;
  c.nnz = nnz();
  return c;
}

HostCsr csr_from_coo(int64_t rows, int64_t cols, const std::vector<int32_t>& r, const std::vector<int32_t>& c,
                     const std::vector<float>* v, bool sum_duplicates) {
  LETHE_CHECK(r.size() == c.size(), "csr_from_coo: row and column lists differ in length");
  LETHE_CHECK(!v || v->size() == r.size(), "csr_from_coo: value list length differs from the coordinates");
  LETHE_CHECK(rows >= 0 && cols >= 0 && rows < (int64_t(1) << 31) && cols < (int64_t(1) << 31),
              "csr_from_coo: dimensions out of the int32 range");
  const size_t n = r.size();
  for (size_t k = 0; k < n; ++k)
    if (r[k] < 0 || r[k] >= rows || c[k] < 0 || c[k] >= cols)
      LETHE_FAIL("csr_from_coo: entry " + std::to_string(k) + " (" + std::to_string(r[k]) + ", " +
                 std::to_string(c[k]) + ") is outside a " + std::to_string(rows) + "x" + std::to_string(cols) +
                 " matrix");
  // Counting sort by row (stable), then sort each row by column.
  HostCsr A;
  A.rows = rows;
  A.cols = cols;
  A.rowptr.assign(static_cast<size_t>(rows) + 1, 0);
  for (size_t k = 0; k < n; ++k) ++A.rowptr[static_cast<size_t>(r[k]) + 1];
  for (int64_t i = 0; i < rows; ++i) A.rowptr[i + 1] += A.rowptr[i];
  std::vector<int32_t> next(A.rowptr.begin(), A.rowptr.end() - 1);
  std::vector<size_t> order(n);
  for (size_t k = 0; k < n; ++k) order[static_cast<size_t>(next[r[k]]++)] = k;
  std::vector<int32_t> col(n);
  std::vector<float> val(v ? n : 0);
  for (int64_t i = 0; i < rows; ++i) {
    auto b = order.begin() + A.rowptr[i], e = order.begin() + A.rowptr[i + 1];
    std::stable_sort(b, e, [&](size_t x, size_t y) { return c[x] < c[y]; });
  }
  for (size_t k = 0; k < n; ++k) {
    col[k] = c[order[k]];
    if (v) val[k] = (*v)[order[k]];
  }
  // Merge duplicates within rows.
  std::vector<int32_t> rp(static_cast<size_t>(rows) + 1, 0);
  size_t w = 0;
  for (int64_t i = 0; i < rows; ++i) {
    const size_t b = static_cast<size_t>(A.rowptr[i]), e = static_cast<size_t>(A.rowptr[i + 1]);
    for (size_t k = b; k < e; ++k) {
      if (k > b && col[k] == col[k - 1]) {
        if (!sum_duplicates)
          LETHE_FAIL("csr_from_coo: duplicate entry (" + std::to_string(i) + ", " + std::to_string(col[k]) + ")");
        if (v) val[w - 1] += val[k];
        continue;
      }
      col[w] = col[k];
      if (v) val[w] = val[k];
      ++w;
    }
    rp[static_cast<size_t>(i) + 1] = static_cast<int32_t>(w);
  }
  col.resize(w);
  if (v) val.resize(w);
  A.rowptr = std::move(rp);
  A.col = std::move(col);
  A.val = std::move(val);
  return A;
}

HostCsr transpose(const HostCsr& A, std::vector<int32_t>* ids) {
  HostCsr T;
  T.rows = A.cols;
  T.cols = A.rows;
  T.rowptr.assign(static_cast<size_t>(A.cols) + 1, 0);
  for (int32_t c : A.col) ++T.rowptr[static_cast<size_t>(c) + 1];
  for (int64_t i = 0; i < A.cols; ++i) T.rowptr[i + 1] += T.rowptr[i];
  std::vector<int32_t> next(T.rowptr.begin(), T.rowptr.end() - 1);
  T.col.resize(A.col.size());
  if (!A.val.empty()) T.val.resize(A.val.size());
  if (ids) ids->assign(A.col.size(), 0);
  // Rows of A are visited in increasing order, so each row of Aᵀ comes out sorted.
  for (int64_t r = 0; r < A.rows; ++r)
    for (int32_t k = A.rowptr[r]; k < A.rowptr[r + 1]; ++k) {
      const int32_t dst = next[A.col[k]]++;
      T.col[dst] = static_cast<int32_t>(r);
      if (ids) (*ids)[dst] = k;
      if (!A.val.empty()) T.val[dst] = A.val[k];
    }
  return T;
}

void validate(const HostCsr& A, const char* what) {
  const std::string w = what;
  if (A.rowptr.size() != static_cast<size_t>(A.rows) + 1) LETHE_FAIL(w + ": rowptr has the wrong length");
  if (A.rowptr[0] != 0 || A.rowptr.back() != A.nnz()) LETHE_FAIL(w + ": rowptr does not span the entries");
  if (!A.val.empty() && A.val.size() != A.col.size()) LETHE_FAIL(w + ": values and columns differ in length");
  for (int64_t r = 0; r < A.rows; ++r) {
    if (A.rowptr[r + 1] < A.rowptr[r]) LETHE_FAIL(w + ": rowptr decreases at row " + std::to_string(r));
    for (int32_t k = A.rowptr[r]; k < A.rowptr[r + 1]; ++k) {
      if (A.col[k] < 0 || A.col[k] >= A.cols)
        LETHE_FAIL(w + ": column " + std::to_string(A.col[k]) + " out of range in row " + std::to_string(r));
      if (k > A.rowptr[r] && A.col[k] <= A.col[k - 1])
        LETHE_FAIL(w + ": columns not sorted and unique in row " + std::to_string(r));
    }
  }
}

bool contains(const HostCsr& A, int64_t r, int32_t c) {
  auto b = A.col.begin() + A.rowptr[r], e = A.col.begin() + A.rowptr[r + 1];
  return std::binary_search(b, e, c);
}

}  // namespace lethe::graph
