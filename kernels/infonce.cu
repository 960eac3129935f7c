// kernels/infonce.cu — CUDA version of kernels/infonce.h (InfoNCE, in-batch negatives, cosine
// similarity, temperature τ).
// Forward: the warp-per-row l2norm_rows of rowops.cu normalises X and Y; one cuBLAS SGEMM
// writes S = X̂Ŷᵀ/τ into P; a row-softmax kernel (one block per row, max-shifted, block
// reductions with a fixed combination order) turns S into P in place and writes the row's
// −log P_bb = max + log Σ exp(S − max) − S_bb (double, in log space: finite even when P_bb
// underflows) into a scratch buffer; deterministic_sum takes the mean. Backward: dS = (P − I)·
// dloss/B into scratch, two SGEMMs dX̂ = dS Ŷ/τ and dŶ = dSᵀ X̂/τ into scratch, then
// l2norm_rows_backward accumulates into dX, dY. Saved tensors are only read (backward may be
// replayed).
// Row-major trick: a row-major r×c buffer is, to column-major cuBLAS, its c×r transpose. So
// row-major C = A·Bᵀ is computed as column-major Cᵀ = B·Aᵀ, etc. (each call below says which).
// cuBLAS SGEMM is deterministic for a fixed handle/device/toolkit; the handle is created with
// CUBLAS_DEFAULT_MATH (no TF32) and atomics disallowed (runtime_cuda.cpp).
// Needs g.blas and g.scratch in both directions (forward: the per-row loss terms and the
// deterministic sum's partials; backward: B×B + 2·B×d floats).
#include <climits>

#include "kernels/cuda_util.cuh"
#include "kernels/infonce.h"
#include "kernels/infonce_check.h"
#include "kernels/rowops.h"

namespace lethe::cuda {

namespace {
constexpr float kInfoNceEps = 1e-12f;

void check_exec(const GpuExec& g, const char* op) {
  LETHE_CHECK(g.blas != nullptr, std::string(op) + ": GpuExec.blas (a cuBLAS handle) is required");
  LETHE_CHECK(g.scratch != nullptr, std::string(op) + ": GpuExec.scratch is required");
}
// cuBLAS takes int sizes and leading dimensions.
void check_int_dims(int64_t B, int64_t d, const char* op) {
  LETHE_CHECK(B <= INT_MAX && d <= INT_MAX, std::string(op) + ": sizes exceed cuBLAS's int range " + shape_str(B, d));
}

// C (column-major, ldc) = alpha · op(A) · op(B), beta = 0, on g's stream. The handle's pointer
// mode is forced to HOST for the host-side alpha/beta and restored afterwards, so this op
// neither depends on nor disturbs how other ops use the shared handle.
void sgemm(const GpuExec& g, cublasOperation_t ta, cublasOperation_t tb, int64_t m, int64_t n, int64_t k,
           float alpha, const float* A, int64_t lda, const float* Bm, int64_t ldb, float* C, int64_t ldc) {
  cublasHandle_t h = g.blas;
  LETHE_CUBLAS_CHECK(cublasSetStream(h, g.stream));
  cublasPointerMode_t mode = CUBLAS_POINTER_MODE_HOST;
  LETHE_CUBLAS_CHECK(cublasGetPointerMode(h, &mode));
  if (mode != CUBLAS_POINTER_MODE_HOST) LETHE_CUBLAS_CHECK(cublasSetPointerMode(h, CUBLAS_POINTER_MODE_HOST));
  const float beta = 0.f;
  const cublasStatus_t st = cublasSgemm(h, ta, tb, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k),
                                        &alpha, A, static_cast<int>(lda), Bm, static_cast<int>(ldb), &beta, C,
                                        static_cast<int>(ldc));
  if (mode != CUBLAS_POINTER_MODE_HOST) LETHE_CUBLAS_CHECK(cublasSetPointerMode(h, mode));
  LETHE_CUBLAS_CHECK(st);
}

// Block-wide max / sum whose result every thread receives. blockDim.x is a multiple of 32. The
// sum combines warp partials (warp_sum's fixed tree) in warp order: deterministic. The leading
// __syncthreads makes back-to-back calls safe (nobody still reads `sh` or `res`).
__device__ float block_max_all(float v) {
  __shared__ float sh[32];
  __shared__ float res;
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  __syncthreads();
  if (lane == 0) sh[wid] = v;
  __syncthreads();
  if (wid == 0) {
    v = lane < nw ? sh[lane] : -INFINITY;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    if (lane == 0) res = v;
  }
  __syncthreads();
  return res;
}
__device__ double block_sum_all(double v) {
  __shared__ double sh[32];
  __shared__ double res;
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
  v = warp_sum(v);
  __syncthreads();
  if (lane == 0) sh[wid] = v;
  __syncthreads();
  if (wid == 0) {
    v = lane < nw ? sh[lane] : 0.0;
    v = warp_sum(v);
    if (lane == 0) res = v;
  }
  __syncthreads();
  return res;
}

// In place over P (B×B, holding S): P[r,:] = softmax(S[r,:]); terms[r] = −log P_rr (log space).
// One block per row, grid-stride over rows. S_rr is read by every thread before the first
// barrier, and P is written only after the last one, so the in-place update is race-free.
__global__ void infonce_softmax_kernel(float* P, int64_t B, double* terms) {
  for (int64_t r = blockIdx.x; r < B; r += gridDim.x) {
    float* row = P + r * B;
    const float srr = row[r];
    float mx = -INFINITY;
    for (int64_t c = threadIdx.x; c < B; c += blockDim.x) mx = fmaxf(mx, row[c]);
    mx = block_max_all(mx);
    double s = 0.0;
    for (int64_t c = threadIdx.x; c < B; c += blockDim.x) s += static_cast<double>(expf(row[c] - mx));
    s = block_sum_all(s);
    for (int64_t c = threadIdx.x; c < B; c += blockDim.x)
      row[c] = static_cast<float>(static_cast<double>(expf(row[c] - mx)) / s);
    if (threadIdx.x == 0) terms[r] = static_cast<double>(mx) + log(s) - static_cast<double>(srr);
  }
}
}  // namespace

void infonce_forward(Mat<const float> X, Mat<const float> Y, float tau, Mat<float> Xn, Mat<float> Yn, Vec<float> nx,
                     Vec<float> ny, Mat<float> P, float* loss, const GpuExec& g) {
  detail::check_infonce_forward(X, Y, tau, Xn, Yn, nx, ny, P, loss);
  const int64_t B = X.rows, d = X.cols;
  check_int_dims(B, d, "infonce_forward");
  check_exec(g, "infonce_forward");

  l2norm_rows(X, kInfoNceEps, Xn, nx, g);
  l2norm_rows(Y, kInfoNceEps, Yn, ny, g);
  // Row-major S (B×B) = X̂ Ŷᵀ / τ  ⇔  column-major Sᵀ = Ŷ_cmᵀ · X̂_cm, where the row-major B×d
  // buffers are column-major d×B matrices (ld d): op(A) = Ŷ_cmᵀ (T), op(B) = X̂_cm (N).
  sgemm(g, CUBLAS_OP_T, CUBLAS_OP_N, B, B, d, 1.f / tau, Yn.data, d, Xn.data, d, P.data, B);

  double* terms = g.scratch->alloc_n<double>(B);
  const unsigned grid = static_cast<unsigned>(B < 65535 ? B : 65535);
  infonce_softmax_kernel<<<grid, kBlock, 0, g.stream>>>(P.data, B, terms);
  LETHE_LAUNCH_CHECK("infonce_forward", g.stream);
  const double* t = terms;
  deterministic_sum("infonce_forward", B, [=] __device__(int64_t i) { return t[i]; }, 1.0 / static_cast<double>(B),
                    loss, /*accumulate=*/false, g);
}

void infonce_backward(Mat<const float> Xn, Mat<const float> Yn, Vec<const float> nx, Vec<const float> ny,
                      Mat<const float> P, float tau, const float* dloss, Mat<float> dX, Mat<float> dY,
                      const GpuExec& g) {
  detail::check_infonce_backward(Xn, Yn, nx, ny, P, tau, dloss, dX, dY);
  const int64_t B = Xn.rows, d = Xn.cols;
  check_int_dims(B, d, "infonce_backward");
  if (dX.empty() && dY.empty()) return;
  check_exec(g, "infonce_backward");

  // dS = (P − I)·G, G = dloss/B (read on the device: no host sync).
  float* dS = g.scratch->alloc_n<float>(B * B);
  {
    const float* p = P.data;
    const float Bf = static_cast<float>(B);
    launch_map("infonce_backward", B * B, g, [=] __device__(int64_t idx) {
      const float G = *dloss / Bf;
      const int64_t i = idx / B, j = idx - i * B;
      dS[idx] = (p[idx] - (i == j ? 1.f : 0.f)) * G;
    });
  }
  const float inv_tau = 1.f / tau;
  if (!dX.empty()) {
    // Row-major dX̂ (B×d) = dS (B×B) · Ŷ (B×d) / τ  ⇔  column-major dX̂ᵀ (d×B) = Ŷ_cm (d×B) · dS_cm (B×B),
    // with dS_cm = dSᵀ as column-major: op N, N.
    float* dXn = g.scratch->alloc_n<float>(B * d);
    sgemm(g, CUBLAS_OP_N, CUBLAS_OP_N, d, B, B, inv_tau, Yn.data, d, dS, B, dXn, d);
    l2norm_rows_backward(Xn, nx, kInfoNceEps, Mat<const float>(dXn, B, d), dX, g);
  }
  if (!dY.empty()) {
    // Row-major dŶ (B×d) = dSᵀ · X̂ / τ  ⇔  column-major dŶᵀ (d×B) = X̂_cm (d×B) · (dS_cm)ᵀ: op N, T.
    float* dYn = g.scratch->alloc_n<float>(B * d);
    sgemm(g, CUBLAS_OP_N, CUBLAS_OP_T, d, B, B, inv_tau, Xn.data, d, dS, B, dYn, d);
    l2norm_rows_backward(Yn, ny, kInfoNceEps, Mat<const float>(dYn, B, d), dY, g);
  }
}

}  // namespace lethe::cuda
