// kernels/bpr.cu — CUDA version of kernels/bpr.h: fused BPR / reverse-BPR over B triples.
// Forward: one warp per triple computes <U_b,P_b> and <U_b,N_b> (lanes stride over d, partials
// in double, combined by warp_sum's fixed shuffle tree), lane 0 writes x_b and w_b·ℓ_b (double)
// to a per-triple scratch buffer, and deterministic_sum adds the buffer in a fixed order — no
// atomics, so the loss is bit-identical run to run. Backward: one warp per triple; every lane
// recomputes the same c_b from the saved x_b and updates its columns of row b of dU, dP, dN.
// Row b of each gradient buffer belongs to triple b alone, so there are no write conflicts.
// Needs g.scratch (forward). Scalars (loss, dloss) are device pointers.
#include "kernels/bpr.h"
#include "kernels/bpr_check.h"
#include "kernels/cuda_util.cuh"

namespace lethe::cuda {

namespace {
// x[b] = <U_b,P_b> − <U_b,N_b>;  terms[b] = w_b · ℓ_b  (ℓ = softplus(∓x)).
__global__ void bpr_forward_kernel(Mat<const float> U, Mat<const float> P, Mat<const float> N, const float* w,
                                   bool reverse, float* x, double* terms) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = (static_cast<int64_t>(gridDim.x) * blockDim.x) >> 5;
  for (int64_t b = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) >> 5; b < U.rows; b += warps) {
    double sp = 0.0, sn = 0.0;
    for (int64_t c = lane; c < U.cols; c += 32) {
      const double u = U.at(b, c);
      sp += u * static_cast<double>(P.at(b, c));
      sn += u * static_cast<double>(N.at(b, c));
    }
    sp = warp_sum(sp);
    sn = warp_sum(sn);
    if (lane == 0) {
      const float xb = static_cast<float>(sp - sn);
      x[b] = xb;
      const float l = softplus_f(reverse ? xb : -xb);
      terms[b] = (w ? static_cast<double>(w[b]) : 1.0) * static_cast<double>(l);
    }
  }
}

// c_b = (*dloss)·scale·w_b·dℓ/dx_b;  dU += c(P − N), dP += cU, dN −= cU  (null = skip).
__global__ void bpr_backward_kernel(Mat<const float> U, Mat<const float> P, Mat<const float> N, const float* w,
                                    float scale, bool reverse, const float* x, const float* dloss, float* dU,
                                    float* dP, float* dN) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = (static_cast<int64_t>(gridDim.x) * blockDim.x) >> 5;
  const int64_t d = U.cols;
  for (int64_t b = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) >> 5; b < U.rows; b += warps) {
    const float xb = x[b];
    const float dl = reverse ? sigmoid_f(xb) : -sigmoid_f(-xb);
    const float cb = *dloss * scale * (w ? w[b] : 1.f) * dl;
    for (int64_t c = lane; c < d; c += 32) {
      const float u = U.at(b, c);
      if (dU) dU[b * d + c] += cb * (P.at(b, c) - N.at(b, c));
      if (dP) dP[b * d + c] += cb * u;
      if (dN) dN[b * d + c] -= cb * u;
    }
  }
}
}  // namespace

void bpr_forward(Mat<const float> U, Mat<const float> P, Mat<const float> N, const float* w, float scale,
                 bool reverse, Vec<float> x, float* loss, const GpuExec& g) {
  detail::check_bpr_forward(U, P, N, x, loss);
  LETHE_CHECK(g.scratch != nullptr, "bpr_forward: GpuExec.scratch is required");
  const int64_t B = U.rows;
  double* terms = g.scratch->alloc_n<double>(B > 0 ? B : 1);
  if (B > 0) {
    bpr_forward_kernel<<<grid_for(B * 32, kBlock), kBlock, 0, g.stream>>>(U, P, N, w, reverse, x.data, terms);
    LETHE_LAUNCH_CHECK("bpr_forward", g.stream);
  }
  const double* t = terms;
  deterministic_sum("bpr_forward", B, [=] __device__(int64_t i) { return t[i]; }, static_cast<double>(scale), loss,
                    /*accumulate=*/false, g);
}

void bpr_backward(Mat<const float> U, Mat<const float> P, Mat<const float> N, const float* w, float scale,
                  bool reverse, Vec<const float> x, const float* dloss, Mat<float> dU, Mat<float> dP, Mat<float> dN,
                  const GpuExec& g) {
  detail::check_bpr_backward(U, P, N, x, dloss, dU, dP, dN);
  if ((dU.empty() && dP.empty() && dN.empty()) || U.size() == 0) return;
  bpr_backward_kernel<<<grid_for(U.rows * 32, kBlock), kBlock, 0, g.stream>>>(
      U, P, N, w, scale, reverse, x.data, dloss, dU.empty() ? nullptr : dU.data, dP.empty() ? nullptr : dP.data,
      dN.empty() ? nullptr : dN.data);
  LETHE_LAUNCH_CHECK("bpr_backward", g.stream);
}

}  // namespace lethe::cuda
