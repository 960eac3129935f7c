// kernels/attention.h — the core of MIG-GT's sampled global transformer (docs/MODELS.md, "The three backbones"): many small,
// independent attention blocks, plus the Philox draw of the sampled rows.
//
// The transformer of node n works on M_n = [z_n; z_{s1}; …; z_{sS}] (L = S + 1 rows). The engine
// builds it from existing ops — M = gather(z, idx) with idx from attn_sample_indices, then
// Q = M W_q + b_q and K = M W_k + b_k with the linear op — so this family only holds the part
// with no existing op, the per-block softmax attention with MIG-GT's weighted residual:
//   for block n (rows n·L … n·L + L−1) and i, j in [0, L):
//     S_ij = scale · <Q_i, K_j>,  P_i = softmax_j(S_i)  (max-shifted),
//     O_i  = c_att · Σ_j P_ij V_j + c_res · V_i            (MIG-GT: V = M, c_att 0.1, c_res 0.9)
// Backward (accumulating; dQ, dK, dV may each be empty and must not alias one another):
//     dP_ij = c_att · <dO_i, V_j>,  dS_ij = P_ij (dP_ij − Σ_j' P_ij' dP_ij'),
//     dQ_i += scale · Σ_j dS_ij K_j,  dK_j += scale · Σ_i dS_ij Q_i,
//     dV_j += c_att · Σ_i P_ij dO_i + c_res · dO_j
// Everything stays inside a block, so there is no cross-block reduction and no atomic: the
// gradient rows of the sampled copies come out per (n, s) in dV (and through the linear layers
// in dM), and the engine sums them into dz with the deterministic scatter_add_rows of
// kernels/gather.h (the backward of the gather that built M).
// Summation orders are fixed and identical on CPU and GPU (k, j, c, i ascending, accumulated in
// T); results differ only by rounding (the GPU may fuse multiply-adds; expf vs std::exp).
#pragma once

#include "kernels/common.h"

namespace lethe {
namespace ref {
// Q, K: (N·L)×a;  V, O: (N·L)×d;  P: (N·L)×L, the saved probabilities (row n·L+i holds P_i·).
template <class T>
void block_attention_forward(Mat<const T> Q, Mat<const T> K, Mat<const T> V, int64_t L, T scale, T c_att, T c_res,
                             Mat<T> O, Mat<T> P);
template <class T>
void block_attention_backward(Mat<const T> Q, Mat<const T> K, Mat<const T> V, Mat<const T> P, Mat<const T> dO,
                              int64_t L, T scale, T c_att, T c_res, Mat<T> dQ, Mat<T> dK, Mat<T> dV);
// The rows each node's block attends over (out: N×L int32; N < 2^31):
//   out[n, 0]   = n  (the node itself),
//   out[n, 1+s] = lo + below(philox(seed, stream, j / 4).v[j % 4], count),  j = n·(L−1) + s,
// i.e. L−1 draws per node uniform over [lo, lo + count) (MIG-GT: the item rows U … U+I−1),
// with replacement, as torch.randint in the reference implementation.
void attn_sample_indices(uint64_t seed, uint64_t stream, int32_t lo, int32_t count, Mat<int32_t> out);
}  // namespace ref

namespace cuda {
void block_attention_forward(Mat<const float> Q, Mat<const float> K, Mat<const float> V, int64_t L, float scale,
                             float c_att, float c_res, Mat<float> O, Mat<float> P, const GpuExec& g);
// Needs g.scratch when dQ or dK is requested (N·L·L floats for dS).
void block_attention_backward(Mat<const float> Q, Mat<const float> K, Mat<const float> V, Mat<const float> P,
                              Mat<const float> dO, int64_t L, float scale, float c_att, float c_res, Mat<float> dQ,
                              Mat<float> dK, Mat<float> dV, const GpuExec& g);
void attn_sample_indices(uint64_t seed, uint64_t stream, int32_t lo, int32_t count, Mat<int32_t> out, const GpuExec& g);
}  // namespace cuda
}  // namespace lethe
