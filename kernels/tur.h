// kernels/tur.h — MIG-GT's TUR loss (docs/MODELS.md, "The three backbones"): for each training pair (u, i) the user's final
// embedding o_u scores the L = S + 1 rows of the item's global-transformer output O_{U+i}
// (row 0 is the item's own embedding o_i, rows 1..S its sampled context), and a cross-entropy
// with target 0 asks o_u·o_i to beat the context:
//   logits_bs = <U_b, Ob_{b·L+s}>,  ce_b = logsumexp_s(logits_b) − logits_b0 ≥ 0,
//   *loss = scale · Σ_b ce_b           (MIG-GT sums over the batch: scale = 1)
// logsumexp is max-shifted; logits, the softmax and ce are computed in double and rounded to T.
// Backward (accumulating; dU, dOb may be empty), with g_bs = (*dloss)·scale·(P_bs − [s = 0]):
//   dU_b += Σ_s g_bs Ob_{b·L+s},  dOb_{b·L+s} += g_bs U_b
// Every sum has a fixed order (c, s, b ascending on the CPU; the GPU reduces logits with a fixed
// warp tree and the batch sum with the deterministic two-pass sum), so results are
// bit-identical run to run; CPU and GPU differ by summation order only.
#pragma once

#include "kernels/common.h"

namespace lethe {
namespace ref {
// U: B×d; Ob: (B·L)×d; P: B×L softmax of the logits (saved for backward); ce: B per-row losses.
template <class T>
void tur_forward(Mat<const T> U, Mat<const T> Ob, int64_t L, T scale, Mat<T> P, Vec<T> ce, T* loss);
template <class T>
void tur_backward(Mat<const T> U, Mat<const T> Ob, int64_t L, T scale, Mat<const T> P, const T* dloss, Mat<T> dU,
                  Mat<T> dOb);
}  // namespace ref

namespace cuda {
// Needs g.scratch (B·L doubles of logits, plus the reduction partials).
void tur_forward(Mat<const float> U, Mat<const float> Ob, int64_t L, float scale, Mat<float> P, Vec<float> ce,
                 float* loss, const GpuExec& g);
void tur_backward(Mat<const float> U, Mat<const float> Ob, int64_t L, float scale, Mat<const float> P,
                  const float* dloss, Mat<float> dU, Mat<float> dOb, const GpuExec& g);
}  // namespace cuda
}  // namespace lethe
