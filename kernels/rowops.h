// kernels/rowops.h — row-wise ops on matrices: dot products, L2 normalisation, softmax across a
// row's M columns (modality attention), the mean of L equally-shaped matrices (layer outputs),
// column get/add, and the scalar reductions losses are built from. Backward ops accumulate.
#pragma once

#include "kernels/common.h"

namespace lethe {

// Up to 8 equally-shaped matrices, passed by value (so a CUDA kernel can take it directly).
template <class T>
struct MatList {
  static constexpr int kMax = 8;
  Mat<T> m[kMax];
  int n = 0;
};

namespace ref {
// out[r] = <X[r,:], Y[r,:]>                       X, Y: R×C; out: R
template <class T> void rowdot(Mat<const T> X, Mat<const T> Y, Vec<T> out);
// dX[r,:] += dout[r]*Y[r,:];  dY[r,:] += dout[r]*X[r,:]
template <class T> void rowdot_backward(Mat<const T> X, Mat<const T> Y, Vec<const T> dout, Mat<T> dX, Mat<T> dY);

// Y[r,:] = X[r,:] / max(‖X[r,:]‖, eps);  norm[r] = ‖X[r,:]‖ (raw, saved for backward).
// (torch.nn.functional.normalize semantics; eps = 1e-12 there.)
template <class T> void l2norm_rows(Mat<const T> X, T eps, Mat<T> Y, Vec<T> norm);
// n = max(norm[r], eps): dX += (dY - Y<Y,dY>)/n when norm[r] > eps, else dX += dY/eps
template <class T> void l2norm_rows_backward(Mat<const T> Y, Vec<const T> norm, T eps, Mat<const T> dY, Mat<T> dX);

// Softmax across each row's M columns: Y[r,m] = exp(X[r,m]) / Σ_m' exp(X[r,m'])  (max-shifted)
template <class T> void softmax_rows(Mat<const T> X, Mat<T> Y);
// dX[r,:] += Y[r,:] ⊙ (dY[r,:] − <dY[r,:], Y[r,:]>)
template <class T> void softmax_rows_backward(Mat<const T> Y, Mat<const T> dY, Mat<T> dX);

// Y = (1/L) Σ_l X_l  over xs.n = L matrices of Y's shape.
template <class T> void mean_of(MatList<const T> xs, Mat<T> Y);
// dX_l += dY / L for every l whose dxs.m[l] is non-empty.
template <class T> void mean_of_backward(Mat<const T> dY, MatList<T> dxs);

// y[r] = X[r, m] (accumulate: y[r] += X[r, m])        X: R×M, y: R
template <class T> void col_get(Mat<const T> X, int64_t m, Vec<T> y, bool accumulate);
// Y[r, m] += x[r]   (the backward of col_get, and with Y zeroed, a column set)
template <class T> void col_add(Vec<const T> x, int64_t m, Mat<T> Y);

// *out = coef * Σ_i x[i]^2  (double accumulation, fixed order)
template <class T> void sqnorm_sum(Vec<const T> x, T coef, T* out);
// dx += 2 * coef * (*dout) * x
template <class T> void sqnorm_sum_backward(Vec<const T> x, T coef, const T* dout, Vec<T> dx);
// *out = coef * Σ_i x[i]  (double accumulation, fixed order)
template <class T> void sum(Vec<const T> x, T coef, T* out);
// dx += coef * (*dout)
template <class T> void sum_backward(T coef, const T* dout, Vec<T> dx);
}  // namespace ref

namespace cuda {
void rowdot(Mat<const float> X, Mat<const float> Y, Vec<float> out, const GpuExec& g);
void rowdot_backward(Mat<const float> X, Mat<const float> Y, Vec<const float> dout, Mat<float> dX, Mat<float> dY, const GpuExec& g);
void l2norm_rows(Mat<const float> X, float eps, Mat<float> Y, Vec<float> norm, const GpuExec& g);
void l2norm_rows_backward(Mat<const float> Y, Vec<const float> norm, float eps, Mat<const float> dY, Mat<float> dX, const GpuExec& g);
void softmax_rows(Mat<const float> X, Mat<float> Y, const GpuExec& g);
void softmax_rows_backward(Mat<const float> Y, Mat<const float> dY, Mat<float> dX, const GpuExec& g);
void mean_of(MatList<const float> xs, Mat<float> Y, const GpuExec& g);
void mean_of_backward(Mat<const float> dY, MatList<float> dxs, const GpuExec& g);
void col_get(Mat<const float> X, int64_t m, Vec<float> y, bool accumulate, const GpuExec& g);
void col_add(Vec<const float> x, int64_t m, Mat<float> Y, const GpuExec& g);
void sqnorm_sum(Vec<const float> x, float coef, float* out, const GpuExec& g);
void sqnorm_sum_backward(Vec<const float> x, float coef, const float* dout, Vec<float> dx, const GpuExec& g);
void sum(Vec<const float> x, float coef, float* out, const GpuExec& g);
void sum_backward(float coef, const float* dout, Vec<float> dx, const GpuExec& g);
}  // namespace cuda
}  // namespace lethe
