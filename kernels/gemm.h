// kernels/gemm.h — dense matrix products: a general row-major GEMM and the linear layer
// Y = X W + b with its backward. On the GPU both are cuBLAS (FP32 math, no TF32, no atomics);
// the CPU reference is a cache-blocked loop nest with float accumulation (like BLAS).
#pragma once

#include "kernels/common.h"

namespace lethe {
namespace ref {
// Row-major: C (m×n) = alpha · op(A) · op(B) + beta · C, op(A) m×k, op(B) k×n.
// A is m×k (lda ≥ k) or, with trans_a, k×m (lda ≥ m); likewise B. beta = 0 ignores C's contents.
template <class T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

// Y (N×out) = X (N×in) · W (in×out) + b (out; b may be empty: no bias)
template <class T> void linear_forward(Mat<const T> X, Mat<const T> W, Vec<const T> b, Mat<T> Y);
// dX += dY Wᵀ (skipped when dX empty); dW += Xᵀ dY (skipped when empty); db += colsum(dY)
// (skipped when empty; fixed-order reduction).
template <class T>
void linear_backward(Mat<const T> X, Mat<const T> W, Mat<const T> dY, Mat<T> dX, Mat<T> dW, Vec<T> db);
}  // namespace ref

namespace cuda {
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc, const GpuExec& g);
void linear_forward(Mat<const float> X, Mat<const float> W, Vec<const float> b, Mat<float> Y, const GpuExec& g);
void linear_backward(Mat<const float> X, Mat<const float> W, Mat<const float> dY, Mat<float> dX,
                     Mat<float> dW, Vec<float> db, const GpuExec& g);
}  // namespace cuda
}  // namespace lethe
