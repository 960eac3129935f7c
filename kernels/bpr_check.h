// kernels/bpr_check.h — the host-side precondition checks of kernels/bpr.h, shared by the CPU
// reference (bpr_ref.cpp) and the CUDA launchers (bpr.cu), so that both reject the same
// arguments with the same messages. Plain C++ (no CUDA headers): included by g++ and nvcc alike.
// What only the CUDA side checks stays in bpr.cu: GpuExec.scratch.
#pragma once

#include <string>

#include "kernels/bpr.h"

namespace lethe::detail {

// U, P, N: the B gathered (user, positive, negative) rows, all of one shape.
template <class T>
inline void check_triples(Mat<const T> U, Mat<const T> P, Mat<const T> N, const char* op) {
  check_same_shape(U, P, op);
  check_same_shape(U, N, op);
}

template <class T>
inline void check_bpr_forward(Mat<const T> U, Mat<const T> P, Mat<const T> N, Vec<T> x, const T* loss) {
  check_triples(U, P, N, "bpr_forward");
  LETHE_CHECK(x.n == U.rows, "bpr_forward: x must have one entry per triple (B = " + std::to_string(U.rows) + ")");
  LETHE_CHECK(loss != nullptr, "bpr_forward: loss is null");
}

template <class T>
inline void check_bpr_backward(Mat<const T> U, Mat<const T> P, Mat<const T> N, Vec<const T> x, const T* dloss,
                               Mat<T> dU, Mat<T> dP, Mat<T> dN) {
  check_triples(U, P, N, "bpr_backward");
  LETHE_CHECK(x.n == U.rows, "bpr_backward: x must have one entry per triple (B = " + std::to_string(U.rows) + ")");
  LETHE_CHECK(dloss != nullptr, "bpr_backward: dloss is null");
  if (!dU.empty()) check_same_shape(U, dU, "bpr_backward dU");
  if (!dP.empty()) check_same_shape(U, dP, "bpr_backward dP");
  if (!dN.empty()) check_same_shape(U, dN, "bpr_backward dN");
}

}  // namespace lethe::detail
