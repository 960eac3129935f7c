// kernels/bpr.h — fused BPR and reverse-BPR loss over B triples (u, i⁺, i⁻), from the gathered
// embedding rows U, P, N (each B×d).
//   x_b = <U_b, P_b> − <U_b, N_b>
//   BPR:          ℓ_b = −log σ(x_b)  = softplus(−x_b)
//   reverse BPR:  ℓ_b = −log σ(−x_b) = softplus(x_b)   (docs/MODELS.md, "Unlearning methods": ℓ_rev = −log σ(s_uj − s_ui))
//   loss = scale · Σ_b w_b ℓ_b     (w null: all ones; scale = 1/B for a mean, 1 for a sum)
// softplus is evaluated stably as max(z,0) + log1p(exp(−|z|)); the sum has a fixed order.
#pragma once

#include "kernels/common.h"

namespace lethe {
namespace ref {
// Writes x (B, saved for backward and for logging) and *loss.
template <class T>
void bpr_forward(Mat<const T> U, Mat<const T> P, Mat<const T> N, const T* w, T scale, bool reverse,
                 Vec<T> x, T* loss);
// With c_b = (*dloss) · scale · w_b · dℓ/dx_b  (dℓ/dx = −σ(−x) for BPR, σ(x) for reverse):
// dU += c (P − N), dP += c U, dN −= c U.  Any of dU, dP, dN may be empty.
template <class T>
void bpr_backward(Mat<const T> U, Mat<const T> P, Mat<const T> N, const T* w, T scale, bool reverse,
                  Vec<const T> x, const T* dloss, Mat<T> dU, Mat<T> dP, Mat<T> dN);
}  // namespace ref

namespace cuda {
void bpr_forward(Mat<const float> U, Mat<const float> P, Mat<const float> N, const float* w, float scale,
                 bool reverse, Vec<float> x, float* loss, const GpuExec& g);
void bpr_backward(Mat<const float> U, Mat<const float> P, Mat<const float> N, const float* w, float scale,
                  bool reverse, Vec<const float> x, const float* dloss, Mat<float> dU, Mat<float> dP,
                  Mat<float> dN, const GpuExec& g);
}  // namespace cuda
}  // namespace lethe
