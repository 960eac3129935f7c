// kernels/gemm.cu — CUDA versions of kernels/gemm.h on cuBLAS.
//
// Row-major ↔ column-major: a row-major matrix with leading dimension ld is, read column-major,
// its transpose with the same ld. So row-major C = op(A)·op(B) is column-major
// Cᵀ = op(B)ᵀ·op(A)ᵀ, i.e. cublasSgemm with the operands swapped (B first), the sizes swapped
// (n, m, k) and each operand's own transpose flag unchanged.
//
// Determinism: the handles are created with CUBLAS_DEFAULT_MATH (plain FP32, no TF32) and
// CUBLAS_ATOMICS_NOT_ALLOWED (kernels/runtime_cuda.cpp), so cuBLAS results are bit-identical run
// to run on one GPU model. The bias gradient is a column sum with a fixed combination order (no
// atomics: the two-pass column sum of cuda_util.cuh, spread over row chunks); dX and dW accumulate
// through GEMMs with β = 1.
// Degenerate sizes never reach cuBLAS: m = 0 or n = 0 is a no-op, k = 0 or α = 0 is C ← β·C
// (β = 0 writes zeros without reading C), as in the CPU reference.
#include <climits>

#include "kernels/cuda_util.cuh"
#include "kernels/gemm.h"
#include "kernels/gemm_check.h"

namespace lethe::cuda {

namespace {

// C (m×n, ldc) ← β·C, β = 0 writes zeros without reading C.
__global__ void scale_c_kernel(int64_t m, int64_t n, float beta, float* C, int64_t ldc) {
  const int64_t total = m * n;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float* c = C + (i / n) * ldc + (i % n);
    *c = beta == 0.f ? 0.f : beta * *c;
  }
}

// Y[r, :] = b for every row (Y: rows×cols, contiguous).
__global__ void broadcast_rows_kernel(const float* __restrict__ b, int64_t rows, int64_t cols, float* __restrict__ Y) {
  const int64_t total = rows * cols;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    Y[i] = b[i % cols];
}

}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc, const GpuExec& g) {
  detail::check_gemm_args(trans_a, trans_b, m, n, k, A, lda, B, ldb, C, ldc);
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == 0.f) {
    scale_c_kernel<<<grid_for(m * n, kBlock), kBlock, 0, g.stream>>>(m, n, beta, C, ldc);
    LETHE_LAUNCH_CHECK("gemm (scale C)", g.stream);
    return;
  }
  LETHE_CHECK(g.blas != nullptr, "gemm: GpuExec.blas (a cuBLAS handle) is required");
  for (int64_t v : {m, n, k, lda, ldb, ldc})
    LETHE_CHECK(v <= INT_MAX, "gemm: size or leading dimension " + std::to_string(v) + " exceeds cuBLAS's int range");
  LETHE_CUBLAS_CHECK(cublasSetStream(g.blas, g.stream));
  // Column-major view: Cᵀ (n×m, ldc) = op(B)ᵀ (n×k) · op(A)ᵀ (k×m). The stored row-major B read
  // column-major is Bᵀ, so op(B)ᵀ is "no transpose" of it exactly when trans_b is false.
  LETHE_CUBLAS_CHECK(cublasSgemm(g.blas, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N,
                                 static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &alpha, B,
                                 static_cast<int>(ldb), A, static_cast<int>(lda), &beta, C, static_cast<int>(ldc)));
}

void linear_forward(Mat<const float> X, Mat<const float> W, Vec<const float> b, Mat<float> Y, const GpuExec& g) {
  detail::check_linear_forward(X, W, b, Y);
  const bool bias = !b.empty();
  if (Y.size() == 0) return;
  // Y = b broadcast, then Y = X·W + 1·Y (the bias is the GEMM's β term, as on the CPU).
  if (bias) {
    broadcast_rows_kernel<<<grid_for(Y.size(), kBlock), kBlock, 0, g.stream>>>(b.data, Y.rows, Y.cols, Y.data);
    LETHE_LAUNCH_CHECK("linear_forward (bias)", g.stream);
  }
  gemm(false, false, X.rows, W.cols, X.cols, 1.f, X.data, X.cols, W.data, W.cols, bias ? 1.f : 0.f, Y.data, Y.cols, g);
}

void linear_backward(Mat<const float> X, Mat<const float> W, Mat<const float> dY, Mat<float> dX, Mat<float> dW,
                     Vec<float> db, const GpuExec& g) {
  detail::check_linear_backward(X, W, dY, dX, dW, db);
  const int64_t N = X.rows, in = X.cols, out = W.cols;
  if (!dX.empty()) gemm(false, true, N, in, out, 1.f, dY.data, out, W.data, out, 1.f, dX.data, in, g);
  if (!dW.empty()) gemm(true, false, in, out, N, 1.f, X.data, in, dY.data, out, 1.f, dW.data, out, g);
  if (!db.empty() && N > 0 && out > 0) {
    // db[c] += Σ_r dY[r, c]: the deterministic two-pass column sum (cuda_util.cuh), up to 64 row
    // chunks × ⌈out/32⌉ column tiles of blocks (MGCN's 26k × 64 bias gradients: 128 blocks, where
    // one block per 32 columns made it 2), partials in double added in chunk order.
    LETHE_CHECK(g.scratch != nullptr, "linear_backward: GpuExec.scratch is required (bias gradient partials)");
    double2* partials = g.scratch->alloc_n<double2>(colsum_chunks(N) * out);
    const float* dy = dY.data;
    float* dbp = db.data;
    column_sums("linear_backward (bias gradient)", N, out,
                [=] __device__(int64_t r, int64_t c) { return make_double2(static_cast<double>(dy[r * out + c]), 0.0); },
                partials, [=] __device__(int64_t c, double2 s) { dbp[c] += static_cast<float>(s.x); }, g);
  }
}

}  // namespace lethe::cuda
