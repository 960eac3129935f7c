// graph/csr.h — host-side compressed sparse rows: construction from coordinate lists, transpose,
// validation. Column indices within a row are sorted ascending (the kernels rely on it for the
// exclusion lists of top-K and the negative sampler's rejection test).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/common.h"

namespace lethe::graph {

struct HostCsr {
  int64_t rows = 0, cols = 0;
  std::vector<int32_t> rowptr;  // rows + 1
  std::vector<int32_t> col;     // nnz
  std::vector<float> val;       // nnz, or empty for a pattern-only matrix

  int64_t nnz() const { return static_cast<int64_t>(col.size()); }
  int64_t row_len(int64_t r) const { return rowptr[r + 1] - rowptr[r]; }
  // A view for the CPU kernels (pointers into this object).
  Csr view() const;
};

// Builds a CSR from coordinates (r[k], c[k], v[k]); v null = pattern only (val left empty).
// Entries are sorted by (row, col); duplicate coordinates are summed when sum_duplicates, else an
// error naming the first duplicate. Out-of-range coordinates are an error.
HostCsr csr_from_coo(int64_t rows, int64_t cols, const std::vector<int32_t>& r, const std::vector<int32_t>& c,
                     const std::vector<float>* v, bool sum_duplicates);

// Aᵀ, with sorted rows. Values follow their entries. When `ids` is given it receives, for every
// entry of Aᵀ, the index of the same entry in A (so per-edge decisions can be shared).
HostCsr transpose(const HostCsr& A, std::vector<int32_t>* ids = nullptr);

// Throws lethe::Error describing the first inconsistency (sizes, monotone rowptr, column range,
// sorted unique columns per row).
void validate(const HostCsr& A, const char* what);

// True if column c is in row r (binary search).
bool contains(const HostCsr& A, int64_t r, int32_t c);

}  // namespace lethe::graph
