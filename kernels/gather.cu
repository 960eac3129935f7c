// kernels/gather.cu — CUDA versions of kernels/gather.h.
//
// gather_rows: a grid-stride copy, out[k, c] = table[idx[k], c].
// scatter_add_rows, deterministic without atomics:
//   1. values 0..n-1 (the positions k) and a stable cub::DeviceRadixSort::SortPairs by row
//      (keys = idx) — radix sort is stable, so within a row the k stay increasing;
//   2. one warp per sorted position: positions that start a segment (a new row) sum the dout rows
//      of their segment in sorted (= increasing k) order from zero, lanes over columns, then add
//      the sum into dtable[row, :]. One writer per row, so no atomics are needed.
// That is exactly the CPU reference's arithmetic (kernels/gather_ref.cpp): float additions only,
// in the same order, hence bit-identical results on CPU and GPU — a claim CudaVsRef_scatter_add_rows
// checks exactly, not yet confirmed on a GPU.
// Indices live on the device here, so they are not checked on the host: out-of-range indices are
// the caller's responsibility (the engine checks them). The kernels still never touch memory
// outside the table: gather writes NaN for such a row, scatter-add skips it.
// Scratch (g.scratch): 3·n ints plus CUB's temporary storage.
#include <cub/device/device_radix_sort.cuh>

#include <climits>
#include <cstdint>

#include "kernels/cuda_util.cuh"
#include "kernels/gather.h"
#include "kernels/gather_check.h"

namespace lethe::cuda {

namespace {

__global__ void gather_kernel(const float* __restrict__ table, int64_t rows, const int32_t* __restrict__ idx,
                              int64_t n, int64_t d, float* __restrict__ out) {
  const int64_t total = n * d;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t k = i / d, c = i - k * d;
    const int32_t r = idx[k];
    out[i] = (r >= 0 && r < rows) ? table[static_cast<int64_t>(r) * d + c] : __int_as_float(0x7fc00000);
  }
}

__global__ void iota_kernel(int32_t* v, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    v[i] = static_cast<int32_t>(i);
}

// keys: n sorted row indices; ks: the matching positions k (increasing within equal keys).
__global__ void segment_add_kernel(const int32_t* __restrict__ keys, const int32_t* __restrict__ ks, int64_t n,
                                   const float* __restrict__ dout, int64_t d, float* __restrict__ dtable,
                                   int64_t rows) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x >> 5);
  for (int64_t i = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) >> 5; i < n; i += warps) {
    const int32_t key = keys[i];
    if (i > 0 && keys[i - 1] == key) continue;  // not the start of a segment (uniform across the warp)
    if (key < 0 || key >= rows) continue;       // out of range: skipped, see the file comment
    int64_t end = i + 1;
    while (end < n && keys[end] == key) ++end;
    for (int64_t c = lane; c < d; c += 32) {
      float s = 0.f;
      for (int64_t j = i; j < end; ++j) s += dout[static_cast<int64_t>(ks[j]) * d + c];
      dtable[static_cast<int64_t>(key) * d + c] += s;
    }
  }
}

}  // namespace

void gather_rows(Mat<const float> table, Vec<const int32_t> idx, Mat<float> out, const GpuExec& g) {
  detail::check_gather_rows(table, idx, out);
  const int64_t n = idx.n, d = table.cols;
  if (n == 0 || d == 0) return;
  gather_kernel<<<grid_for(n * d, kBlock), kBlock, 0, g.stream>>>(table.data, table.rows, idx.data, n, d, out.data);
  LETHE_LAUNCH_CHECK("gather_rows", g.stream);
}

void scatter_add_rows(Mat<const float> dout, Vec<const int32_t> idx, Mat<float> dtable, const GpuExec& g) {
  detail::check_scatter_add_rows(dout, idx, dtable);
  const int64_t n = idx.n, d = dtable.cols;
  if (n == 0 || d == 0) return;
  LETHE_CHECK(n <= INT_MAX, "scatter_add_rows: more than 2^31 - 1 indices");
  LETHE_CHECK(g.scratch != nullptr, "scatter_add_rows: GpuExec.scratch is required (sort buffers)");
  int32_t* pos = g.scratch->alloc_n<int32_t>(n);
  int32_t* keys_sorted = g.scratch->alloc_n<int32_t>(n);
  int32_t* pos_sorted = g.scratch->alloc_n<int32_t>(n);
  iota_kernel<<<grid_for(n, kBlock), kBlock, 0, g.stream>>>(pos, n);
  LETHE_LAUNCH_CHECK("scatter_add_rows (iota)", g.stream);
  // All 32 key bits: CUB orders signed keys correctly, so even invalid (negative or too large)
  // indices sort into segments of their own and never split a valid row's segment.
  size_t temp_bytes = 0;
  LETHE_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, temp_bytes, idx.data, keys_sorted, pos, pos_sorted,
                                                   static_cast<int>(n), 0, 32, g.stream));
  void* temp = g.scratch->alloc(temp_bytes);
  LETHE_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(temp, temp_bytes, idx.data, keys_sorted, pos, pos_sorted,
                                                   static_cast<int>(n), 0, 32, g.stream));
  LETHE_LAUNCH_CHECK("scatter_add_rows (sort)", g.stream);
  segment_add_kernel<<<grid_for(n * 32, kBlock), kBlock, 0, g.stream>>>(keys_sorted, pos_sorted, n, dout.data, d,
                                                                         dtable.data, dtable.rows);
  LETHE_LAUNCH_CHECK("scatter_add_rows", g.stream);
}

}  // namespace lethe::cuda
