// engine/sparse.cpp — see sparse.h.
#include "engine/sparse.h"

namespace lethe {

DevCsr::DevCsr(Ctx& owner, const graph::HostCsr& h)
    : rowptr_(owner, h.rowptr.size() * sizeof(int32_t)),
      col_(owner, h.col.size() * sizeof(int32_t)),
      val_(owner, h.val.size() * sizeof(float)),
      rows_(h.rows),
      cols_(h.cols),
      nnz_(h.nnz()) {
  rowptr_.upload(h.rowptr.data(), rowptr_.bytes());
  col_.upload(h.col.data(), col_.bytes());
  val_.upload(h.val.data(), val_.bytes());
}

Csr DevCsr::view() const {
  Csr c;
  c.rowptr = static_cast<const int32_t*>(rowptr_.data());
  c.col = static_cast<const int32_t*>(col_.data());
  c.val = static_cast<const float*>(val_.data());
  c.rows = rows_;
  c.cols = cols_;
  c.nnz = nnz_;
  return c;
}

}  // namespace lethe
