// kernels/elementwise.h — elementwise ops over flat vectors and their backwards.
// Shapes: every Vec argument of one call has the same length n, except scalar pointers (1 elem)
// and the per-row vectors of scale_rows. Forward ops overwrite y (y may alias an input);
// backward ops accumulate into dx (dx += ...), and a null/empty dx is skipped.
#pragma once

#include "kernels/common.h"

namespace lethe {
namespace ref {
template <class T> void fill(Vec<T> y, T value);
template <class T> void copy(Vec<const T> x, Vec<T> y);                  // y = x
template <class T> void add(Vec<const T> a, Vec<const T> b, Vec<T> y);   // y = a + b
template <class T> void sub(Vec<const T> a, Vec<const T> b, Vec<T> y);   // y = a - b
template <class T> void mul(Vec<const T> a, Vec<const T> b, Vec<T> y);   // y = a * b
template <class T> void scale(Vec<const T> x, T alpha, Vec<T> y);        // y = alpha * x
template <class T> void axpy(T alpha, Vec<const T> x, Vec<T> y);         // y += alpha * x
// y = a*b: da += dy*b, db += dy*a
template <class T> void mul_backward(Vec<const T> a, Vec<const T> b, Vec<const T> dy, Vec<T> da, Vec<T> db);
template <class T> void sigmoid(Vec<const T> x, Vec<T> y);
// dx += dy*y*(1-y); with accumulate = false dx = dy*y*(1-y) (a first gradient contribution: dx not read)
template <class T> void sigmoid_backward(Vec<const T> y, Vec<const T> dy, Vec<T> dx, bool accumulate = true);
template <class T> void tanh(Vec<const T> x, Vec<T> y);
// dx += dy*(1-y^2); with accumulate = false dx = dy*(1-y^2)
template <class T> void tanh_backward(Vec<const T> y, Vec<const T> dy, Vec<T> dx, bool accumulate = true);
// softplus(x) = log(1 + e^x), computed stably as max(x,0) + log1p(e^-|x|).
template <class T> void softplus(Vec<const T> x, Vec<T> y);
template <class T> void softplus_backward(Vec<const T> x, Vec<const T> dy, Vec<T> dx); // dx += dy*sigmoid(x)
// PReLU with one learnable slope a (slope points to 1 element): y = x > 0 ? x : a*x.
template <class T> void prelu(Vec<const T> x, const T* slope, Vec<T> y);
// dx += dy * (x > 0 ? 1 : a);  *dslope += sum(dy * min(x, 0)) (fixed-order reduction). dslope may be null.
template <class T> void prelu_backward(Vec<const T> x, const T* slope, Vec<const T> dy, Vec<T> dx, T* dslope);
// Row scaling: Y[r,:] = X[r,:] * s[r]   (X, Y: R×C; s: R)
template <class T> void scale_rows(Mat<const T> X, Vec<const T> s, Mat<T> Y);
// dX[r,:] += dY[r,:] * s[r];  ds[r] += <dY[r,:], X[r,:]>
template <class T> void scale_rows_backward(Mat<const T> X, Vec<const T> s, Mat<const T> dY, Mat<T> dX, Vec<T> ds);
}  // namespace ref

namespace cuda {
void fill(Vec<float> y, float value, const GpuExec& g);
void copy(Vec<const float> x, Vec<float> y, const GpuExec& g);
void add(Vec<const float> a, Vec<const float> b, Vec<float> y, const GpuExec& g);
void sub(Vec<const float> a, Vec<const float> b, Vec<float> y, const GpuExec& g);
void mul(Vec<const float> a, Vec<const float> b, Vec<float> y, const GpuExec& g);
void scale(Vec<const float> x, float alpha, Vec<float> y, const GpuExec& g);
void axpy(float alpha, Vec<const float> x, Vec<float> y, const GpuExec& g);
void mul_backward(Vec<const float> a, Vec<const float> b, Vec<const float> dy, Vec<float> da, Vec<float> db, const GpuExec& g);
void sigmoid(Vec<const float> x, Vec<float> y, const GpuExec& g);
void sigmoid_backward(Vec<const float> y, Vec<const float> dy, Vec<float> dx, const GpuExec& g, bool accumulate = true);
void tanh(Vec<const float> x, Vec<float> y, const GpuExec& g);
void tanh_backward(Vec<const float> y, Vec<const float> dy, Vec<float> dx, const GpuExec& g, bool accumulate = true);
void softplus(Vec<const float> x, Vec<float> y, const GpuExec& g);
void softplus_backward(Vec<const float> x, Vec<const float> dy, Vec<float> dx, const GpuExec& g);
void prelu(Vec<const float> x, const float* slope, Vec<float> y, const GpuExec& g);
void prelu_backward(Vec<const float> x, const float* slope, Vec<const float> dy, Vec<float> dx, float* dslope, const GpuExec& g);
void scale_rows(Mat<const float> X, Vec<const float> s, Mat<float> Y, const GpuExec& g);
void scale_rows_backward(Mat<const float> X, Vec<const float> s, Mat<const float> dY, Mat<float> dX, Vec<float> ds, const GpuExec& g);
}  // namespace cuda
}  // namespace lethe
