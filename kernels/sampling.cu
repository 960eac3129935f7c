// kernels/sampling.cu — CUDA versions of kernels/sampling.h, drawing exactly what
// sampling_ref.cpp draws (same Philox counters, same integer mapping, same rejection order).
//  * sample_negatives: one thread per row b; up to 64 Philox draws, each checked against the
//    user's sorted train row by binary search, then the cyclic fallback scan. Rows whose user
//    id is outside the CSR get −1 (the reference throws; a kernel cannot).
//  * dropout / fill_uniform: one thread per group of 4 elements, one Philox call per group.
//    Float arithmetic uses the _rn intrinsics so nvcc cannot contract it into an FMA: the
//    values should be bit-identical to the CPU reference's (the CudaVsRef_ sampling tests
//    compare exactly; not yet confirmed on a GPU).
#include "kernels/cuda_util.cuh"
#include "kernels/philox.h"
#include "kernels/sampling.h"
#include "kernels/sampling_check.h"
#include "kernels/step.h"

namespace lethe::cuda {

namespace {
__device__ __forceinline__ bool in_sorted_row(const int32_t* __restrict__ row, int64_t len, int32_t item) {
  int64_t lo = 0, hi = len;  // first position with row[pos] >= item
  while (lo < hi) {
    const int64_t mid = (lo + hi) >> 1;
    if (row[mid] < item) lo = mid + 1;
    else hi = mid;
  }
  return lo < len && row[lo] == item;
}
}  // namespace

namespace {
// Row b's negative for `stream`: the reference's draws, rejection order and fallback.
// What a draw reads and writes, captured by value into the kernels below.
struct NegativeArgs {
  const int32_t* users_p;
  const int32_t* pool_p;
  uint32_t P;
  const int32_t* rowptr;
  const int32_t* col;
  int64_t nrows;
  int32_t* out_p;
};
NegativeArgs negative_args(Vec<const int32_t> users, Vec<const int32_t> pool, const Csr& train, Vec<int32_t> out) {
  return {users.data, pool.data, static_cast<uint32_t>(pool.n), train.rowptr, train.col, train.rows, out.data};
}

__device__ __forceinline__ void draw_negative(uint64_t seed, uint64_t stream, int64_t b, const NegativeArgs& a_) {
  const int32_t* users_p = a_.users_p;
  const int32_t* pool_p = a_.pool_p;
  const uint32_t P = a_.P;
  const int32_t* rowptr = a_.rowptr;
  const int32_t* col = a_.col;
  const int64_t nrows = a_.nrows;
  int32_t* out_p = a_.out_p;
  const int32_t u = users_p[b];
  if (u < 0 || u >= nrows) {
    out_p[b] = -1;
    return;
  }
  const int32_t* row = col + rowptr[u];
  const int64_t len = static_cast<int64_t>(rowptr[u + 1]) - rowptr[u];
  uint32_t d = 0;
  for (uint32_t a = 0; a < 64; ++a) {
    d = below(philox(seed, stream, (static_cast<uint64_t>(b) << 8) | a).v[0], P);
    const int32_t item = pool_p[d];
    if (!in_sorted_row(row, len, item)) {
      out_p[b] = item;
      return;
    }
  }
  for (uint64_t t = 0; t < P; ++t) {
    const uint64_t j = (d + t) % P;
    const int32_t item = pool_p[j];
    if (!in_sorted_row(row, len, item)) {
      out_p[b] = item;
      return;
    }
  }
  out_p[b] = pool_p[d];
}
}  // namespace

void sample_negatives(uint64_t seed, uint64_t stream, Vec<const int32_t> users, Vec<const int32_t> pool,
                      const Csr& train, Vec<int32_t> out, const GpuExec& g) {
  detail::check_sample_negatives(users, pool, train, out);
  if (users.n == 0) return;
  const NegativeArgs a = negative_args(users, pool, train, out);
  launch_map("sample_negatives", users.n, g, [=] __device__(int64_t b) { draw_negative(seed, stream, b, a); });
}

void sample_negatives_at(uint64_t seed, const StepState* st, Vec<const int32_t> users, Vec<const int32_t> pool,
                         const Csr& train, Vec<int32_t> out, const GpuExec& g) {
  detail::check_sample_negatives(users, pool, train, out);
  LETHE_CHECK(st != nullptr, "sample_negatives_at: no step state");
  if (users.n == 0) return;
  const NegativeArgs a = negative_args(users, pool, train, out);
  launch_map("sample_negatives_at", users.n, g, [=] __device__(int64_t b) {
    draw_negative(seed, rng_stream(RngPurpose::kNegative, st->epoch, st->step), b, a);
  });
}

void dropout_forward(Vec<const float> x, float p, uint64_t seed, uint64_t stream, Vec<float> y, Vec<uint8_t> mask,
                     const GpuExec& g) {
  detail::check_dropout_forward(x, p, y, mask);
  const int64_t n = x.n;
  const float* xp = x.data;
  float* yp = y.data;
  uint8_t* mp = mask.data;
  const float keep_div = 1.0f - p;  // host float subtraction, as in the reference
  launch_map("dropout_forward", (n + 3) / 4, g, [=] __device__(int64_t grp) {
    const U32x4 r = philox(seed, stream, static_cast<uint64_t>(grp));
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t i = grp * 4 + j;
      if (i < n) {
        const bool keep = u01(r.v[j]) >= p;
        mp[i] = keep ? 1 : 0;
        yp[i] = keep ? __fdiv_rn(xp[i], keep_div) : 0.0f;
      }
    }
  });
}

void dropout_backward(Vec<const float> dy, Vec<const uint8_t> mask, float p, Vec<float> dx, const GpuExec& g) {
  detail::check_dropout_backward(dy, mask, p, dx);
  if (dx.empty()) return;
  const float* dyp = dy.data;
  const uint8_t* mp = mask.data;
  float* dxp = dx.data;
  const float keep_div = 1.0f - p;
  launch_map("dropout_backward", dy.n, g, [=] __device__(int64_t i) {
    if (mp[i]) dxp[i] = __fadd_rn(dxp[i], __fdiv_rn(dyp[i], keep_div));
  });
}

void fill_uniform(Vec<float> x, float lo, float hi, uint64_t seed, uint64_t stream, const GpuExec& g) {
  const int64_t n = x.n;
  float* xp = x.data;
  const float span = hi - lo;  // host float subtraction, as in the reference
  launch_map("fill_uniform", (n + 3) / 4, g, [=] __device__(int64_t grp) {
    const U32x4 r = philox(seed, stream, static_cast<uint64_t>(grp));
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t i = grp * 4 + j;
      if (i < n) xp[i] = __fadd_rn(lo, __fmul_rn(span, u01(r.v[j])));
    }
  });
}

}  // namespace lethe::cuda
