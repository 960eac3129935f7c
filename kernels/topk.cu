// kernels/topk.cu — CUDA version of kernels/topk.h: one thread block per row, radix select.
//
// Per row r (block r, 256 threads):
//  1. Exclusions: the row's exclusion list is turned into a bitmap of ceil(N/32) words in
//     (dynamic) shared memory with integer atomicOr — the result does not depend on the order
//     of the ORs. Entries outside [0, N) are ignored; the list need not even be sorted here.
//  2. Keys: each value maps to an order-preserving uint32 key (bigger value ⇒ bigger key); NaN
//     maps to the key of −∞ and −0 to the key of +0, so ties match the reference's float
//     comparison exactly. Every real key is ≥ key(−∞) = 0x007FFFFF > 0.
//  3. Radix select of the K-th largest eligible key: 4 passes × 8 bits, each a 256-bin
//     shared-memory histogram (integer atomics: exact counts) of the eligible columns that
//     match the prefix found so far; thread 0 walks the bins from the top. The first pass also
//     counts the eligible columns E; if E ≤ K every eligible column is taken (threshold 0).
//  4. Collection in increasing column order, tile by tile (256 threads × 4 columns): columns
//     with key > T are all taken; of those with key == T, the first (K − #greater) by column
//     index are taken. Ranks and output slots come from two block-wide exclusive scans
//     (cub::BlockScan), never from atomics, so the candidate set and its order are fixed.
//  5. The ≤ K candidates, packed as (key << 32 | ~column) so that one uint64 comparison orders
//     by value descending then column ascending, are bitonic-sorted in shared memory
//     (padded to a power of two with 0, which sorts last). The reported value is re-read from S
//     (NaN reported as −∞), so it should be bit-identical to the reference's (CudaVsRef_topk_rows
//     compares indices and value bits exactly; not yet confirmed on a GPU).
// Shared memory: 8 KB candidates + 1 KB histogram + scan storage (static, about 10 KB) + the
// bitmap (dynamic, N/8 bytes: 12.5 KB at N = 100k). When static + dynamic exceeds the 48 KB a
// block gets by default, the launcher opts in to the device's maximum.
#include <cub/block/block_scan.cuh>

#include <climits>

#include "kernels/cuda_util.cuh"
#include "kernels/topk.h"
#include "kernels/topk_check.h"

namespace lethe::cuda {

namespace {

constexpr int kTopkThreads = 256;
constexpr int kTopkItems = 4;  // columns per thread per collection tile
using detail::kTopkMaxK;       // 1024, the largest K (topk_check.h)

// Order-preserving key; NaN → key(−∞), −0 → key(+0). Done on the bits so no compiler
// floating-point assumption can change it.
__device__ __forceinline__ uint32_t rank_key(float f) {
  uint32_t u = __float_as_uint(f);
  const uint32_t mag = u & 0x7FFFFFFFu;
  if (mag > 0x7F800000u) u = 0xFF800000u;  // NaN → −∞
  else if (mag == 0u) u = 0u;              // −0 → +0
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

__global__ void __launch_bounds__(kTopkThreads)
    topk_rows_kernel(const float* __restrict__ S, int64_t N, const int32_t* __restrict__ ex_rowptr,
                     const int32_t* __restrict__ ex_col, int64_t row0, int K, int32_t* __restrict__ out_idx,
                     float* __restrict__ out_val) {
  using BlockScan = cub::BlockScan<int, kTopkThreads>;
  extern __shared__ uint32_t excluded_bits[];  // ceil(N/32) words, only when ex_rowptr != null
  __shared__ typename BlockScan::TempStorage scan_tmp;
  __shared__ uint32_t hist[256];
  __shared__ unsigned long long cand[kTopkMaxK];
  __shared__ uint32_t s_prefix;
  __shared__ int s_kk, s_take_all;

  const int tid = threadIdx.x;
  const int64_t r = blockIdx.x;
  const float* row = S + r * N;
  const bool has_ex = ex_rowptr != nullptr;

  // ---- 1. exclusion bitmap
  if (has_ex) {
    const int64_t words = (N + 31) >> 5;
    for (int64_t w = tid; w < words; w += kTopkThreads) excluded_bits[w] = 0u;
    __syncthreads();
    const int64_t b = ex_rowptr[row0 + r], e = ex_rowptr[row0 + r + 1];
    for (int64_t j = b + tid; j < e; j += kTopkThreads) {
      const int32_t c = ex_col[j];
      if (c >= 0 && c < N) atomicOr(&excluded_bits[c >> 5], 1u << (c & 31));
    }
    __syncthreads();
  }
  auto eligible = [&](int64_t c) -> bool { return !has_ex || !((excluded_bits[c >> 5] >> (c & 31)) & 1u); };

  // ---- 3. radix select of the K-th largest eligible key
  uint32_t prefix = 0u, pmask = 0u;
  int kk = K;  // how many still to take among keys matching prefix
  bool take_all = false;
  for (int pass = 0; pass < 4; ++pass) {
    const int shift = 24 - 8 * pass;
    for (int b = tid; b < 256; b += kTopkThreads) hist[b] = 0u;
    __syncthreads();
    for (int64_t c = tid; c < N; c += kTopkThreads) {
      if (!eligible(c)) continue;
      const uint32_t k = rank_key(row[c]);
      if ((k & pmask) == prefix) atomicAdd(&hist[(k >> shift) & 0xFFu], 1u);
    }
    __syncthreads();
    if (tid == 0) {
      int all = 0;
      if (pass == 0) {
        unsigned long long total = 0;
        for (int b = 0; b < 256; ++b) total += hist[b];
        all = total <= static_cast<unsigned long long>(K);
      }
      s_take_all = all;
      if (!all) {
        // Bins above b hold fewer than kk keys; bin b completes them (it exists: the keys
        // matching the prefix number at least kk).
        uint32_t acc = 0u;
        int b = 255;
        for (; b > 0; --b) {
          if (acc + hist[b] >= static_cast<uint32_t>(kk)) break;
          acc += hist[b];
        }
        s_prefix = prefix | (static_cast<uint32_t>(b) << shift);
        s_kk = kk - static_cast<int>(acc);
      }
    }
    __syncthreads();
    if (s_take_all) {  // block-uniform
      take_all = true;
      break;
    }
    prefix = s_prefix;
    kk = s_kk;
    pmask |= 0xFFu << shift;
  }
  // Threshold key T and the number of key == T columns to take (in column order).
  const uint32_t thr = take_all ? 0u : prefix;
  const int need_eq = take_all ? 0 : kk;

  // ---- 4. ordered collection
  int taken = 0, eq_seen = 0;  // block-uniform (from scan aggregates)
  const int64_t tile = static_cast<int64_t>(kTopkThreads) * kTopkItems;
  for (int64_t base = 0; base < N && taken < K; base += tile) {
    uint32_t key[kTopkItems];
    int is_gt[kTopkItems], is_eq[kTopkItems], eq_rank[kTopkItems], take[kTopkItems], slot[kTopkItems];
#pragma unroll
    for (int i = 0; i < kTopkItems; ++i) {
      const int64_t c = base + static_cast<int64_t>(tid) * kTopkItems + i;
      const bool ok = c < N && eligible(c);
      key[i] = ok ? rank_key(row[c]) : 0u;
      is_gt[i] = ok && key[i] > thr;
      is_eq[i] = (ok && key[i] == thr) ? 1 : 0;
    }
    int eq_total = 0;
    BlockScan(scan_tmp).ExclusiveSum(is_eq, eq_rank, eq_total);
    __syncthreads();  // scan_tmp is reused
#pragma unroll
    for (int i = 0; i < kTopkItems; ++i) take[i] = (is_gt[i] || (is_eq[i] && eq_seen + eq_rank[i] < need_eq)) ? 1 : 0;
    int take_total = 0;
    BlockScan(scan_tmp).ExclusiveSum(take, slot, take_total);
    __syncthreads();
#pragma unroll
    for (int i = 0; i < kTopkItems; ++i) {
      const int s = taken + slot[i];
      if (take[i] && s < K) {
        const uint32_t c = static_cast<uint32_t>(base + static_cast<int64_t>(tid) * kTopkItems + i);
        cand[s] = (static_cast<unsigned long long>(key[i]) << 32) | static_cast<unsigned long long>(0xFFFFFFFFu - c);
      }
    }
    taken += take_total;
    eq_seen += eq_total;
  }
  const int count = taken < K ? taken : K;

  // ---- 5. bitonic sort, descending
  int P = 1;
  while (P < count) P <<= 1;
  for (int i = count + tid; i < P; i += kTopkThreads) cand[i] = 0ull;
  __syncthreads();
  for (int k = 2; k <= P; k <<= 1) {
    for (int j = k >> 1; j > 0; j >>= 1) {
      for (int i = tid; i < P; i += kTopkThreads) {
        const int ixj = i ^ j;
        if (ixj > i) {
          const unsigned long long a = cand[i], b = cand[ixj];
          const bool desc = (i & k) == 0;
          if (desc ? (a < b) : (a > b)) {
            cand[i] = b;
            cand[ixj] = a;
          }
        }
      }
      __syncthreads();
    }
  }

  int32_t* oi = out_idx + r * K;
  float* ov = out_val + r * K;
  for (int k = tid; k < K; k += kTopkThreads) {
    if (k < count) {
      const uint32_t c = 0xFFFFFFFFu - static_cast<uint32_t>(cand[k] & 0xFFFFFFFFull);
      const float v = row[c];
      oi[k] = static_cast<int32_t>(c);
      ov[k] = isnan(v) ? -INFINITY : v;
    } else {
      oi[k] = -1;
      ov[k] = -INFINITY;
    }
  }
}

}  // namespace

void topk_rows(Mat<const float> S, const Csr* exclude, int64_t row0, int K, Mat<int32_t> idx, Mat<float> val,
               const GpuExec& g) {
  detail::check_topk_rows(S, exclude, row0, K, idx, val);
  LETHE_CHECK(S.rows <= INT32_MAX, "topk_rows: more rows than one grid can hold");
  const int64_t R = S.rows, N = S.cols;
  if (R == 0) return;
  LETHE_CHECK(N == 0 || S.data != nullptr, "topk_rows: S is null");

  const size_t smem = exclude ? static_cast<size_t>((N + 31) / 32) * sizeof(uint32_t) : 0;
  cudaFuncAttributes fa{};
  if (smem > 0) LETHE_CUDA_CHECK(cudaFuncGetAttributes(&fa, topk_rows_kernel));
  if (smem + fa.sharedSizeBytes > 48 * 1024) {
    // Static + dynamic shared memory outgrows the 48 KB a launch gets without opting in (the
    // limit is on the sum, and the static part is about 10 KB): opt in to the device's maximum.
    int dev = 0, optin = 0;
    LETHE_CUDA_CHECK(cudaGetDevice(&dev));
    LETHE_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
    LETHE_CHECK(smem + fa.sharedSizeBytes <= static_cast<size_t>(optin),
                "topk_rows: N = " + std::to_string(N) +
                    " columns with an exclusion list need a " + std::to_string(smem) +
                    "-byte shared bitmap, more than this device offers; score fewer columns per call");
    LETHE_CUDA_CHECK(cudaFuncSetAttribute(topk_rows_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          static_cast<int>(smem)));
  }
  topk_rows_kernel<<<static_cast<unsigned>(R), kTopkThreads, smem, g.stream>>>(
      S.data, N, exclude ? exclude->rowptr : nullptr, exclude ? exclude->col : nullptr, row0, K, idx.data, val.data);
  LETHE_LAUNCH_CHECK("topk_rows", g.stream);
}

}  // namespace lethe::cuda
