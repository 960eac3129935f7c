// kernels/tur.cu — CUDA versions of kernels/tur.h.
// Forward: one warp per row b; each logit is a double-precision dot product reduced with the
// fixed warp tree (warp_sum), kept in a double scratch row; lane 0 then runs the max-shifted
// softmax and the row loss sequentially (L is small: 11 in MIG-GT). The batch sum is the
// deterministic two-pass sum. Backward: grid-stride maps with one writer per element and the
// sum over s in increasing order, as the reference.
#include "kernels/cuda_util.cuh"
#include "kernels/tur.h"
#include "kernels/tur_check.h"

namespace lethe::cuda {

namespace {

__global__ void tur_rows_kernel(const float* __restrict__ U, const float* __restrict__ Ob, int64_t B, int64_t L,
                                int64_t d, double* __restrict__ lg, float* __restrict__ P, float* __restrict__ ce) {
  const int lane = threadIdx.x & 31;
  const int64_t nwarps = static_cast<int64_t>(gridDim.x) * (blockDim.x >> 5);
  for (int64_t b = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) >> 5; b < B; b += nwarps) {
    const float* u = U + b * d;
    for (int64_t s = 0; s < L; ++s) {
      const float* o = Ob + (b * L + s) * d;
      double acc = 0.0;
      for (int64_t c = lane; c < d; c += 32) acc += static_cast<double>(u[c]) * static_cast<double>(o[c]);
      acc = warp_sum(acc);
      if (lane == 0) lg[b * L + s] = acc;
    }
    if (lane == 0) {
      const double* l = lg + b * L;
      double m = l[0];
      for (int64_t s = 1; s < L; ++s) m = fmax(m, l[s]);
      double z = 0.0;
      for (int64_t s = 0; s < L; ++s) z += exp(l[s] - m);
      for (int64_t s = 0; s < L; ++s) P[b * L + s] = static_cast<float>(exp(l[s] - m) / z);
      ce[b] = static_cast<float>(m + log(z) - l[0]);
    }
  }
}

}  // namespace

void tur_forward(Mat<const float> U, Mat<const float> Ob, int64_t L, float scale, Mat<float> P, Vec<float> ce,
                 float* loss, const GpuExec& g) {
  const char* op = "tur_forward";
  detail::check_tur_forward(U, Ob, L, P, ce, loss);
  LETHE_CHECK(g.scratch != nullptr, "tur_forward: GpuExec.scratch is required");
  const int64_t B = U.rows;
  if (B > 0) {
    double* lg = g.scratch->alloc_n<double>(B * L);
    tur_rows_kernel<<<grid_for(B * 32, 128), 128, 0, g.stream>>>(U.data, Ob.data, B, L, U.cols, lg, P.data, ce.data);
    LETHE_LAUNCH_CHECK(op, g.stream);
  }
  const float* cp = ce.data;
  // B = 0 still writes the (zero) loss: deterministic_sum runs its finishing block.
  deterministic_sum(op, B, [=] __device__(int64_t b) { return cp[b]; }, static_cast<double>(scale), loss,
                    /*accumulate=*/false, g);
}

void tur_backward(Mat<const float> U, Mat<const float> Ob, int64_t L, float scale, Mat<const float> P,
                  const float* dloss, Mat<float> dU, Mat<float> dOb, const GpuExec& g) {
  const char* op = "tur_backward";
  detail::check_tur_backward(U, Ob, L, P, dloss, dU, dOb);
  const int64_t B = U.rows, d = U.cols;
  const float *u = U.data, *ob = Ob.data, *p = P.data;
  if (!dU.empty()) {
    float* du = dU.data;
    launch_map(op, B * d, g, [=] __device__(int64_t e) {
      const int64_t b = e / d, c = e - b * d;
      const float k = *dloss * scale;
      float acc = 0.f;
      for (int64_t s = 0; s < L; ++s) acc += (k * (p[b * L + s] - (s == 0 ? 1.f : 0.f))) * ob[(b * L + s) * d + c];
      du[e] += acc;
    });
  }
  if (!dOb.empty()) {
    float* dob = dOb.data;
    launch_map(op, B * L * d, g, [=] __device__(int64_t e) {
      const int64_t row = e / d, c = e - row * d, b = row / L, s = row - b * L;
      const float k = *dloss * scale;
      dob[e] += (k * (p[row] - (s == 0 ? 1.f : 0.f))) * u[b * d + c];
    });
  }
}

}  // namespace lethe::cuda
