// kernels/sampling_check.h — the host-side precondition checks of kernels/sampling.h, shared by
// the CPU reference (sampling_ref.cpp) and the CUDA launchers (sampling.cu), so that both reject
// the same arguments with the same messages. Plain C++ (no CUDA headers): included by g++ and
// nvcc alike. What only the reference can check stays there: every user id against the train
// CSR's rows (the ids live on the device for the CUDA version, whose kernel writes −1 instead).
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "kernels/sampling.h"

namespace lethe::detail {

inline void check_sample_negatives(Vec<const int32_t> users, Vec<const int32_t> pool, const Csr& train,
                                   Vec<int32_t> out) {
  LETHE_CHECK(out.n == users.n, "sample_negatives: out has " + std::to_string(out.n) + " entries for " +
                                    std::to_string(users.n) + " users");
  if (users.n == 0) return;  // nothing is drawn: the pool and the CSR are not needed
  LETHE_CHECK(pool.n >= 1, "sample_negatives: the item pool is empty (no item seen in train?)");
  LETHE_CHECK(pool.n <= std::numeric_limits<uint32_t>::max(), "sample_negatives: pool larger than 2^32 - 1");
  check_csr(train, "sample_negatives train");
}

template <class T>
inline void check_dropout_forward(Vec<const T> x, T p, Vec<T> y, Vec<uint8_t> mask) {
  LETHE_CHECK(y.n == x.n && mask.n == x.n, "dropout_forward: x, y and mask must have the same length");
  LETHE_CHECK(p >= T(0) && p < T(1), "dropout_forward: p must lie in [0, 1) (got " + std::to_string(p) + ")");
}

template <class T>
inline void check_dropout_backward(Vec<const T> dy, Vec<const uint8_t> mask, T p, Vec<T> dx) {
  LETHE_CHECK(mask.n == dy.n, "dropout_backward: dy and mask must have the same length");
  LETHE_CHECK(p >= T(0) && p < T(1), "dropout_backward: p must lie in [0, 1) (got " + std::to_string(p) + ")");
  if (!dx.empty()) LETHE_CHECK(dx.n == dy.n, "dropout_backward: dx and dy must have the same length");
}

}  // namespace lethe::detail
