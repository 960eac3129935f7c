// kernels/attention.cu — CUDA versions of kernels/attention.h.
// One warp per attention block (grid-stride over blocks in warp units, so every lane of a warp
// runs the same iterations and __syncwarp() is always reached by the full warp):
//  forward  phase A — lane i < L owns row i: logits, max, exponentials and normalisation, all
//                     written to P (the row is only touched by its lane);
//           __syncwarp() (orders the P writes before other lanes read them);
//           phase B — lane c < d owns column c of O: O_ic = c_att Σ_j P_ij V_jc + c_res V_ic.
//  backward phase A — lane i owns row i: dP_ij, the row correction, dS_ij (to scratch) and dQ_i;
//           __syncwarp();
//           phase B — lane j owns row j of dK: Σ_i dS_ij Q_i;
//           phase C — lane c owns column c of dV.
// Every output element has exactly one writer and the sums run in the header's order, so the
// results are deterministic without atomics. The blocks are tiny (MIG-GT: L = 11, a = 4,
// d = 64), so the work per warp is a few thousand multiply-adds from L1/L2-resident rows.
#include "kernels/attention.h"
#include "kernels/attention_check.h"
#include "kernels/cuda_util.cuh"
#include "kernels/philox.h"

namespace lethe::cuda {

namespace {

constexpr int kWarpsPerBlock = 4;

unsigned warp_grid(int64_t nblocks) {
  return grid_for(nblocks * 32, kWarpsPerBlock * 32);
}

__global__ void attn_forward_kernel(const float* __restrict__ Q, const float* __restrict__ K,
                                    const float* __restrict__ V, int64_t N, int64_t L, int64_t a, int64_t d,
                                    float scale, float c_att, float c_res, float* __restrict__ O, float* P) {
  const int lane = threadIdx.x & 31;
  const int64_t nwarps = static_cast<int64_t>(gridDim.x) * (blockDim.x >> 5);
  for (int64_t n = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) >> 5; n < N; n += nwarps) {
    const int64_t base = n * L;
    for (int64_t i = lane; i < L; i += 32) {
      float* p = P + (base + i) * L;
      const float* q = Q + (base + i) * a;
      float m = -INFINITY;
      for (int64_t j = 0; j < L; ++j) {
        const float* k = K + (base + j) * a;
        float s = 0.f;
        for (int64_t c = 0; c < a; ++c) s += q[c] * k[c];
        const float sj = s * scale;
        p[j] = sj;
        m = fmaxf(m, sj);
      }
      float z = 0.f;
      for (int64_t j = 0; j < L; ++j) {
        const float e = expf(p[j] - m);
        p[j] = e;
        z += e;
      }
      for (int64_t j = 0; j < L; ++j) p[j] = p[j] / z;
    }
    __syncwarp();
    for (int64_t c = lane; c < d; c += 32)
      for (int64_t i = 0; i < L; ++i) {
        const float* p = P + (base + i) * L;
        float acc = 0.f;
        for (int64_t j = 0; j < L; ++j) acc += p[j] * V[(base + j) * d + c];
        O[(base + i) * d + c] = c_att * acc + c_res * V[(base + i) * d + c];
      }
    __syncwarp();
  }
}

__global__ void attn_backward_kernel(const float* __restrict__ Q, const float* __restrict__ K,
                                     const float* __restrict__ V, const float* __restrict__ P,
                                     const float* __restrict__ dO, int64_t N, int64_t L, int64_t a, int64_t d,
                                     float scale, float c_att, float c_res, float* dS, float* __restrict__ dQ,
                                     float* __restrict__ dK, float* __restrict__ dV) {
  const int lane = threadIdx.x & 31;
  const int64_t nwarps = static_cast<int64_t>(gridDim.x) * (blockDim.x >> 5);
  for (int64_t n = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) >> 5; n < N; n += nwarps) {
    const int64_t base = n * L;
    if (dS) {
      for (int64_t i = lane; i < L; i += 32) {
        const float* go = dO + (base + i) * d;
        const float* p = P + (base + i) * L;
        float* ds = dS + (base + i) * L;
        float r = 0.f;
        for (int64_t j = 0; j < L; ++j) {
          const float* v = V + (base + j) * d;
          float acc = 0.f;
          for (int64_t c = 0; c < d; ++c) acc += go[c] * v[c];
          const float dp = c_att * acc;
          ds[j] = dp;
          r += p[j] * dp;
        }
        for (int64_t j = 0; j < L; ++j) ds[j] = p[j] * (ds[j] - r);
        if (dQ)
          for (int64_t k = 0; k < a; ++k) {
            float acc = 0.f;
            for (int64_t j = 0; j < L; ++j) acc += ds[j] * K[(base + j) * a + k];
            dQ[(base + i) * a + k] += scale * acc;
          }
      }
      __syncwarp();
      if (dK)
        for (int64_t j = lane; j < L; j += 32)
          for (int64_t k = 0; k < a; ++k) {
            float acc = 0.f;
            for (int64_t i = 0; i < L; ++i) acc += dS[(base + i) * L + j] * Q[(base + i) * a + k];
            dK[(base + j) * a + k] += scale * acc;
          }
    }
    if (dV)
      for (int64_t c = lane; c < d; c += 32)
        for (int64_t j = 0; j < L; ++j) {
          float acc = 0.f;
          for (int64_t i = 0; i < L; ++i) acc += P[(base + i) * L + j] * dO[(base + i) * d + c];
          dV[(base + j) * d + c] += c_att * acc + c_res * dO[(base + j) * d + c];
        }
    __syncwarp();
  }
}

}  // namespace

void block_attention_forward(Mat<const float> Q, Mat<const float> K, Mat<const float> V, int64_t L, float scale,
                             float c_att, float c_res, Mat<float> O, Mat<float> P, const GpuExec& g) {
  const char* op = "block_attention_forward";
  const int64_t N = detail::check_block_attention_forward(Q, K, V, L, O, P);
  if (N == 0) return;
  attn_forward_kernel<<<warp_grid(N), kWarpsPerBlock * 32, 0, g.stream>>>(Q.data, K.data, V.data, N, L, Q.cols,
                                                                          V.cols, scale, c_att, c_res, O.data, P.data);
  LETHE_LAUNCH_CHECK(op, g.stream);
}

void block_attention_backward(Mat<const float> Q, Mat<const float> K, Mat<const float> V, Mat<const float> P,
                              Mat<const float> dO, int64_t L, float scale, float c_att, float c_res, Mat<float> dQ,
                              Mat<float> dK, Mat<float> dV, const GpuExec& g) {
  const char* op = "block_attention_backward";
  const int64_t N = detail::check_block_attention_backward(Q, K, V, P, dO, L, dQ, dK, dV);
  const bool need_ds = !dQ.empty() || !dK.empty();
  if (N == 0 || (!need_ds && dV.empty())) return;
  float* dS = nullptr;
  if (need_ds) {
    LETHE_CHECK(g.scratch != nullptr, "block_attention_backward: GpuExec.scratch is required for dQ/dK");
    dS = g.scratch->alloc_n<float>(N * L * L);
  }
  attn_backward_kernel<<<warp_grid(N), kWarpsPerBlock * 32, 0, g.stream>>>(
      Q.data, K.data, V.data, P.data, dO.data, N, L, Q.cols, V.cols, scale, c_att, c_res, dS,
      dQ.empty() ? nullptr : dQ.data, dK.empty() ? nullptr : dK.data, dV.empty() ? nullptr : dV.data);
  LETHE_LAUNCH_CHECK(op, g.stream);
}

void attn_sample_indices(uint64_t seed, uint64_t stream, int32_t lo, int32_t count, Mat<int32_t> out,
                         const GpuExec& g) {
  detail::check_attn_sample_indices(lo, count, out);
  const int64_t N = out.rows, L = out.cols, S = L - 1;
  int32_t* o = out.data;
  const uint32_t cnt = static_cast<uint32_t>(count > 0 ? count : 1);
  launch_map("attn_sample_indices", N * L, g, [=] __device__(int64_t e) {
    const int64_t n = e / L, s = e - n * L;
    if (s == 0) {
      o[e] = static_cast<int32_t>(n);
    } else {
      const uint64_t j = static_cast<uint64_t>(n * S + (s - 1));
      const U32x4 r = philox(seed, stream, j / 4);
      o[e] = lo + static_cast<int32_t>(below(r.v[j % 4], cnt));
    }
  });
}

}  // namespace lethe::cuda
