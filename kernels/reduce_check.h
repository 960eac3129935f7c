// kernels/reduce_check.h — the host-side precondition checks of kernels/reduce.h, shared by the
// CPU reference (reduce_ref.cpp) and the CUDA launchers (reduce.cu), so that both reject the same
// arguments with the same messages. Plain C++ (no CUDA headers): included by g++ and nvcc alike.
// What only one side can check stays there: the reference reads the offsets (non-negative,
// non-decreasing; they live on the device for the CUDA version), the CUDA side checks
// GpuExec.scratch.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/reduce.h"

namespace lethe::detail {

inline void check_segmented_sqnorm(int64_t n, const int64_t* offsets, int64_t nseg, const double* out) {
  LETHE_CHECK(n >= 0, "segmented_sqnorm: negative length " + std::to_string(n));
  LETHE_CHECK(nseg >= 0, "segmented_sqnorm: negative segment count " + std::to_string(nseg));
  if (nseg == 0) return;  // nothing is read or written: offsets and out may be null
  LETHE_CHECK(offsets != nullptr && out != nullptr, "segmented_sqnorm: offsets and out are required");
}

template <class T>
inline void check_clip_global_norm(const T* x, int64_t n, double max_norm) {
  LETHE_CHECK(n >= 0, "clip_global_norm: negative length");
  LETHE_CHECK(n == 0 || x != nullptr, "clip_global_norm: x is null");
  LETHE_CHECK(max_norm >= 0.0, "clip_global_norm: max_norm must be >= 0 (got " + std::to_string(max_norm) + ")");
}

}  // namespace lethe::detail
