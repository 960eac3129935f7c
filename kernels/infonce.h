// kernels/infonce.h — InfoNCE with in-batch negatives, cosine similarity and temperature τ
// (MGCN's contrastive term, docs/MODELS.md, "The three backbones"):
//   x̂_b = x_b / max(‖x_b‖, 1e-12), ŷ likewise;  S = X̂ Ŷᵀ / τ  (B×B)
//   P = row-softmax(S);  loss = mean_b −log P_bb
// Backward: dS = (P − I) · dloss / B;  dX̂ = dS Ŷ / τ;  dŶ = dSᵀ X̂ / τ; then through the
// normalisation. B×B is materialised (B = 2048 gives 16 MB), in caller-provided P.
#pragma once

#include "kernels/common.h"

namespace lethe {
namespace ref {
// X, Y: B×d. Saved for backward: Xn, Yn (B×d), nx, ny (B, raw norms), P (B×B).
template <class T>
void infonce_forward(Mat<const T> X, Mat<const T> Y, T tau, Mat<T> Xn, Mat<T> Yn, Vec<T> nx, Vec<T> ny,
                     Mat<T> P, T* loss);
// dX += ∂loss/∂X · (*dloss), dY likewise (either may be empty). May be called more than once on
// the same saved tensors (it does not modify them).
template <class T>
void infonce_backward(Mat<const T> Xn, Mat<const T> Yn, Vec<const T> nx, Vec<const T> ny, Mat<const T> P,
                      T tau, const T* dloss, Mat<T> dX, Mat<T> dY);
}  // namespace ref

namespace cuda {
// Needs g.blas.
void infonce_forward(Mat<const float> X, Mat<const float> Y, float tau, Mat<float> Xn, Mat<float> Yn,
                     Vec<float> nx, Vec<float> ny, Mat<float> P, float* loss, const GpuExec& g);
// Needs g.blas and g.scratch (B×B + 2·B×d floats).
void infonce_backward(Mat<const float> Xn, Mat<const float> Yn, Vec<const float> nx, Vec<const float> ny,
                      Mat<const float> P, float tau, const float* dloss, Mat<float> dX, Mat<float> dY,
                      const GpuExec& g);
}  // namespace cuda
}  // namespace lethe
