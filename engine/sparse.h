// engine/sparse.h — a CSR matrix resident on a context's device (graph adjacency, kNN graphs,
// train-item exclusion lists), uploaded once from a host graph::HostCsr.
#pragma once

#include "engine/tensor.h"
#include "graph/csr.h"

namespace lethe {

class DevCsr {
 public:
  DevCsr() = default;
  DevCsr(Ctx& owner, const graph::HostCsr& h);
  Csr view() const;  // pointers on the owner's device
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t nnz() const { return nnz_; }
  bool defined() const { return rowptr_.bytes() > 0; }

 private:
  Buffer rowptr_, col_, val_;
  int64_t rows_ = 0, cols_ = 0, nnz_ = 0;
};

// A sparse operator with its transpose, for Y = A X and its backward dX += Aᵀ dY. For a
// symmetric matrix both pointers name the same object.
struct SpOp {
  const DevCsr* A = nullptr;
  const DevCsr* At = nullptr;
};

}  // namespace lethe
