// kernels/spmm_check.h — the host-side precondition checks of kernels/spmm.h, shared by the CPU
// reference (spmm_ref.cpp) and the CUDA launchers (spmm.cu), so that both reject the same
// arguments with the same messages. Plain C++ (no CUDA headers): included by g++ and nvcc alike.
// What only one side can check stays there: the reference reads rowptr (rowptr[0] = 0,
// rowptr[rows] = nnz) and the column indices, which live on the device for the CUDA version; the
// CUDA side checks the cuSPARSE handle and scratch of spmm_cusparse.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/spmm.h"

namespace lethe::detail {

// Y (y_rows × y_cols) = A · X (x_rows × x_cols); op names the entry point in messages.
inline void check_spmm_args(const Csr& A, int64_t x_rows, int64_t x_cols, int64_t y_rows, int64_t y_cols,
                            const char* op) {
  check_csr(A, op);
  LETHE_CHECK(x_rows == A.cols, std::string(op) + ": X has " + std::to_string(x_rows) + " rows but A has " +
                                    std::to_string(A.cols) + " columns");
  LETHE_CHECK(y_rows == A.rows, std::string(op) + ": Y has " + std::to_string(y_rows) + " rows but A has " +
                                    std::to_string(A.rows) + " rows");
  LETHE_CHECK(x_cols == y_cols, std::string(op) + ": X has " + std::to_string(x_cols) + " columns, Y has " +
                                    std::to_string(y_cols));
  if (A.nnz > 0) LETHE_CHECK(A.val != nullptr, std::string(op) + " needs the CSR values (A.val is null)");
}

}  // namespace lethe::detail
