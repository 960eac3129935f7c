// kernels/edgedrop_check.h — the host-side precondition checks of kernels/edgedrop.h, shared by
// the CPU reference (edgedrop_ref.cpp) and the CUDA launcher (edgedrop.cu), so that both reject
// the same arguments with the same messages. Plain C++ (no CUDA headers): included by g++ and
// nvcc alike. What only the reference can check stays there: that no edge id is negative (the
// ids live on the device for the CUDA version).
#pragma once

#include <cstdint>
#include <string>

#include "kernels/edgedrop.h"

namespace lethe::detail {

template <class T>
inline void check_edge_dropout(Vec<const T> val, Vec<const int32_t> ids, T p, Vec<T> out) {
  LETHE_CHECK(out.n == val.n, "edge_dropout: out has " + std::to_string(out.n) + " entries for " +
                                  std::to_string(val.n) + " values");
  LETHE_CHECK(ids.empty() || ids.n == val.n, "edge_dropout: ids must be empty or have one entry per value");
  LETHE_CHECK(p >= T(0) && p < T(1), "edge_dropout: p must lie in [0, 1) (got " + std::to_string(p) + ")");
}

}  // namespace lethe::detail
