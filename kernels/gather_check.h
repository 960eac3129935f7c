// kernels/gather_check.h — the host-side precondition checks of kernels/gather.h, shared by the
// CPU reference (gather_ref.cpp) and the CUDA launchers (gather.cu), so that both reject the same
// arguments with the same messages. Plain C++ (no CUDA headers): included by g++ and nvcc alike.
// What only one side can check stays there: the reference checks every index against the table
// (the indices live on the device for the CUDA version); the CUDA side checks GpuExec.scratch.
#pragma once

#include <string>

#include "kernels/gather.h"

namespace lethe::detail {

template <class T>
inline void check_gather_rows(Mat<const T> table, Vec<const int32_t> idx, Mat<T> out) {
  LETHE_CHECK(out.rows == idx.n, "gather_rows: out has " + std::to_string(out.rows) + " rows for " +
                                     std::to_string(idx.n) + " indices");
  LETHE_CHECK(out.cols == table.cols, "gather_rows: out has " + std::to_string(out.cols) + " columns, table has " +
                                          std::to_string(table.cols));
}

template <class T>
inline void check_scatter_add_rows(Mat<const T> dout, Vec<const int32_t> idx, Mat<T> dtable) {
  LETHE_CHECK(dout.rows == idx.n, "scatter_add_rows: dout has " + std::to_string(dout.rows) + " rows for " +
                                      std::to_string(idx.n) + " indices");
  LETHE_CHECK(dout.cols == dtable.cols, "scatter_add_rows: dout has " + std::to_string(dout.cols) +
                                            " columns, dtable has " + std::to_string(dtable.cols));
}

}  // namespace lethe::detail
