// kernels/spmm.cu — CUDA versions of kernels/spmm.h.
//
// spmm (the default): a hand-written CSR kernel. A group of G lanes (G = 32, a warp, or a
// power-of-two sub-warp when d is small) owns one output row; its lanes split the d columns
// (as float4 when d % 4 == 0 and X, Y are 16-byte aligned, else as floats), and each lane walks
// the row's nonzeros in storage order: acc = Σ_e val[e]·X[col[e], c], from zero, then
// Y = acc (or Y + acc). No lane ever combines another lane's partial sums and there are no
// atomics, so every output element has one fixed summation order — the CPU reference's order
// (kernels/spmm_ref.cpp) — and the result is bit-identical run to run. Rows are spread over a
// grid-stride loop; a lane whose column index is past d idles. Groups never synchronise or
// shuffle, so a partially filled warp needs no care.
//
// spmm_cusparse: cusparseSpMM (generic API, CSR, row-major dense X and Y) kept for comparison in
// the benchmark. Algorithm: CUSPARSE_SPMM_CSR_ALG3 — the CSR SpMM algorithm that cuSPARSE's
// algorithm notes mark as giving deterministic (bit-wise) results for each run (it supports only
// a non-transposed A, which is all we use). CSR_ALG1 and CSR_ALG2 may split a row between thread
// blocks and combine partial sums in a run-dependent order; users measuring run-to-run
// differences report exactly that for ALG1/ALG2 and stable results for ALG3, and NVIDIA's
// cuSPARSE engineers recommend CSR_ALG3 (with COO_ALG2) when reproducibility is needed. Its
// summation order is cuSPARSE's own, not ours, so it matches the reference only to rounding.
// Claims still to be confirmed on a GPU (this path has not run on one yet): that ALG3 accepts
// row-major X and Y (a refusal would surface as CUSPARSE_STATUS_NOT_SUPPORTED) and that a repeat
// gives the same bits — tests/kernels/test_spmm.cpp CudaVsRef_spmm_cusparse checks both, and the
// device check (tools/gpu_check) repeats it.
// The workspace comes from g.scratch; descriptors are created per call (cheap host objects).
#include <cstdint>

#include "kernels/cuda_util.cuh"
#include "kernels/spmm.h"
#include "kernels/spmm_check.h"

namespace lethe::cuda {

namespace {

// One group of G lanes per row. V4: X and Y rows are read/written as float4 (d % 4 == 0 and both
// base pointers 16-byte aligned, checked by the launcher), dv = d / 4 float4 columns per row.
// Indices are the caller's responsibility on the device (the CPU reference checks them).
template <int G, bool V4>
__global__ void __launch_bounds__(256) spmm_kernel(const int32_t* __restrict__ rowptr, const int32_t* __restrict__ col,
                                                   const float* __restrict__ val, const float* __restrict__ X,
                                                   float* __restrict__ Y, int64_t rows, int64_t d, bool accumulate) {
  const int lane = threadIdx.x & (G - 1);
  const int64_t groups = static_cast<int64_t>(gridDim.x) * (blockDim.x / G);
  for (int64_t r = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) / G; r < rows; r += groups) {
    const int32_t e0 = rowptr[r], e1 = rowptr[r + 1];
    if constexpr (V4) {
      const int64_t dv = d >> 2;
      const float4* __restrict__ X4 = reinterpret_cast<const float4*>(X);
      float4* __restrict__ Y4 = reinterpret_cast<float4*>(Y) + r * dv;
      for (int64_t c = lane; c < dv; c += G) {
        float4 acc = make_float4(0.f, 0.f, 0.f, 0.f);
        for (int32_t e = e0; e < e1; ++e) {
          const float v = val[e];
          const float4 x = X4[static_cast<int64_t>(col[e]) * dv + c];
          acc.x += v * x.x;
          acc.y += v * x.y;
          acc.z += v * x.z;
          acc.w += v * x.w;
        }
        if (accumulate) {
          const float4 y = Y4[c];
          acc = make_float4(y.x + acc.x, y.y + acc.y, y.z + acc.z, y.w + acc.w);
        }
        Y4[c] = acc;
      }
    } else {
      float* __restrict__ y = Y + r * d;
      for (int64_t c = lane; c < d; c += G) {
        float acc = 0.f;
        for (int32_t e = e0; e < e1; ++e) acc += val[e] * X[static_cast<int64_t>(col[e]) * d + c];
        y[c] = accumulate ? y[c] + acc : acc;
      }
    }
  }
}

template <int G, bool V4>
void launch_spmm(const Csr& A, const float* X, float* Y, int64_t d, bool accumulate, const GpuExec& g) {
  constexpr int kThreads = 256;
  static_assert(kThreads % G == 0, "a block holds whole groups");
  spmm_kernel<G, V4><<<grid_for(A.rows * G, kThreads), kThreads, 0, g.stream>>>(A.rowptr, A.col, A.val, X, Y, A.rows,
                                                                                  d, accumulate);
  LETHE_LAUNCH_CHECK("spmm", g.stream);
}

template <bool V4>
void dispatch_group(int G, const Csr& A, const float* X, float* Y, int64_t d, bool accumulate, const GpuExec& g) {
  switch (G) {
    case 1: launch_spmm<1, V4>(A, X, Y, d, accumulate, g); break;
    case 2: launch_spmm<2, V4>(A, X, Y, d, accumulate, g); break;
    case 4: launch_spmm<4, V4>(A, X, Y, d, accumulate, g); break;
    case 8: launch_spmm<8, V4>(A, X, Y, d, accumulate, g); break;
    case 16: launch_spmm<16, V4>(A, X, Y, d, accumulate, g); break;
    default: launch_spmm<32, V4>(A, X, Y, d, accumulate, g); break;
  }
}

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

// Destroys cuSPARSE descriptors on every exit path.
struct SpMMDescriptors {
  cusparseConstSpMatDescr_t a = nullptr;
  cusparseConstDnMatDescr_t x = nullptr;
  cusparseDnMatDescr_t y = nullptr;
  ~SpMMDescriptors() {
    if (y) cusparseDestroyDnMat(y);
    if (x) cusparseDestroyDnMat(x);
    if (a) cusparseDestroySpMat(a);
  }
};

}  // namespace

void spmm(const Csr& A, Mat<const float> X, Mat<float> Y, bool accumulate, const GpuExec& g) {
  detail::check_spmm_args(A, X.rows, X.cols, Y.rows, Y.cols, "spmm");
  const int64_t d = X.cols;
  if (A.rows == 0 || d == 0) return;
  const bool v4 = d % 4 == 0 && aligned16(X.data) && aligned16(Y.data);
  const int64_t dv = v4 ? d / 4 : d;
  int G = 1;
  while (G < dv && G < 32) G *= 2;  // the smallest power-of-two group covering the row, at most a warp
  if (v4)
    dispatch_group<true>(G, A, X.data, Y.data, d, accumulate, g);
  else
    dispatch_group<false>(G, A, X.data, Y.data, d, accumulate, g);
}

void spmm_cusparse(const Csr& A, Mat<const float> X, Mat<float> Y, bool accumulate, const GpuExec& g) {
  detail::check_spmm_args(A, X.rows, X.cols, Y.rows, Y.cols, "spmm_cusparse");
  const int64_t d = X.cols;
  if (A.rows == 0 || d == 0) return;
  // Overwrite mode: zero Y first, so that neither a poisoned/NaN Y (β = 0 below) nor an empty
  // matrix or empty rows can leave stale values behind.
  if (!accumulate)
    LETHE_CUDA_CHECK(cudaMemsetAsync(Y.data, 0, static_cast<size_t>(Y.size()) * sizeof(float), g.stream));
  if (A.nnz == 0) return;
  LETHE_CHECK(g.sparse != nullptr, "spmm_cusparse: GpuExec.sparse (a cuSPARSE handle) is required");
  LETHE_CHECK(g.scratch != nullptr, "spmm_cusparse: GpuExec.scratch is required for the cuSPARSE workspace");
  LETHE_CUSPARSE_CHECK(cusparseSetStream(g.sparse, g.stream));
  SpMMDescriptors desc;
  LETHE_CUSPARSE_CHECK(cusparseCreateConstCsr(&desc.a, A.rows, A.cols, A.nnz, A.rowptr, A.col, A.val,
                                              CUSPARSE_INDEX_32I, CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO,
                                              CUDA_R_32F));
  LETHE_CUSPARSE_CHECK(cusparseCreateConstDnMat(&desc.x, A.cols, d, d, X.data, CUDA_R_32F, CUSPARSE_ORDER_ROW));
  LETHE_CUSPARSE_CHECK(cusparseCreateDnMat(&desc.y, A.rows, d, d, Y.data, CUDA_R_32F, CUSPARSE_ORDER_ROW));
  const float alpha = 1.f, beta = accumulate ? 1.f : 0.f;
  constexpr cusparseSpMMAlg_t kAlg = CUSPARSE_SPMM_CSR_ALG3;  // deterministic; see the file comment
  size_t bytes = 0;
  LETHE_CUSPARSE_CHECK(cusparseSpMM_bufferSize(g.sparse, CUSPARSE_OPERATION_NON_TRANSPOSE,
                                               CUSPARSE_OPERATION_NON_TRANSPOSE, &alpha, desc.a, desc.x, &beta, desc.y,
                                               CUDA_R_32F, kAlg, &bytes));
  void* buffer = bytes > 0 ? g.scratch->alloc(bytes) : nullptr;
  LETHE_CUSPARSE_CHECK(cusparseSpMM(g.sparse, CUSPARSE_OPERATION_NON_TRANSPOSE, CUSPARSE_OPERATION_NON_TRANSPOSE,
                                    &alpha, desc.a, desc.x, &beta, desc.y, CUDA_R_32F, kAlg, buffer));
}

}  // namespace lethe::cuda
