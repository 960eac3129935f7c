// kernels/attention_check.h — the host-side precondition checks of kernels/attention.h, shared
// by the CPU reference (attention_ref.cpp) and the CUDA launchers (attention.cu), so that both
// reject the same arguments with the same messages. Plain C++ (no CUDA headers): included by g++
// and nvcc alike. What only one side can check stays there: the CUDA side's GpuExec.scratch.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "kernels/attention.h"

namespace lethe::detail {

// Q, K, V of a block attention; returns N (the block count).
template <class A, class B, class C>
inline int64_t check_attn_qkv(const A& Q, const B& K, const C& V, int64_t L, const char* op) {
  LETHE_CHECK(L >= 1, std::string(op) + ": block length L must be >= 1 (got " + std::to_string(L) + ")");
  LETHE_CHECK(Q.rows % L == 0, std::string(op) + ": Q has " + std::to_string(Q.rows) +
                                   " rows, not a multiple of the block length " + std::to_string(L));
  LETHE_CHECK(K.rows == Q.rows && K.cols == Q.cols,
              std::string(op) + ": K " + shape_str(K.rows, K.cols) + " must match Q " + shape_str(Q.rows, Q.cols));
  LETHE_CHECK(V.rows == Q.rows, std::string(op) + ": V has " + std::to_string(V.rows) + " rows, Q " +
                                    std::to_string(Q.rows));
  return Q.rows / L;
}
template <class P>
inline void check_attn_probs(const P& Pm, int64_t rows, int64_t L, const char* op) {
  LETHE_CHECK(Pm.rows == rows && Pm.cols == L,
              std::string(op) + ": P must be " + shape_str(rows, L) + ", got " + shape_str(Pm.rows, Pm.cols));
}

// Returns N (the block count).
template <class T>
inline int64_t check_block_attention_forward(Mat<const T> Q, Mat<const T> K, Mat<const T> V, int64_t L, Mat<T> O,
                                             Mat<T> P) {
  const char* op = "block_attention_forward";
  const int64_t N = check_attn_qkv(Q, K, V, L, op);
  check_same_shape(V, O, op);
  check_attn_probs(P, Q.rows, L, op);
  return N;
}

// Returns N (the block count).
template <class T>
inline int64_t check_block_attention_backward(Mat<const T> Q, Mat<const T> K, Mat<const T> V, Mat<const T> P,
                                              Mat<const T> dO, int64_t L, Mat<T> dQ, Mat<T> dK, Mat<T> dV) {
  const char* op = "block_attention_backward";
  const int64_t N = check_attn_qkv(Q, K, V, L, op);
  check_attn_probs(P, Q.rows, L, op);
  check_same_shape(V, dO, op);
  if (!dQ.empty()) check_same_shape(Q, dQ, op);
  if (!dK.empty()) check_same_shape(K, dK, op);
  if (!dV.empty()) check_same_shape(V, dV, op);
  return N;
}

inline void check_attn_sample_indices(int32_t lo, int32_t count, Mat<int32_t> out) {
  LETHE_CHECK(out.rows >= 0 && out.cols >= 1, "attn_sample_indices: out must have at least one column (the node itself)");
  LETHE_CHECK(out.rows <= std::numeric_limits<int32_t>::max(), "attn_sample_indices: more than 2^31 - 1 nodes");
  const int64_t S = out.cols - 1;
  if (S > 0)
    LETHE_CHECK(count >= 1 && lo >= 0 && int64_t(lo) + count <= std::numeric_limits<int32_t>::max(),
                "attn_sample_indices: the sampled range [lo, lo + count) must be non-empty and non-negative (lo " +
                    std::to_string(lo) + ", count " + std::to_string(count) + ")");
}

}  // namespace lethe::detail
