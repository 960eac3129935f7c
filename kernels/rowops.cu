// kernels/rowops.cu — CUDA versions of kernels/rowops.h.
// Row reductions (rowdot, l2norm_rows, softmax_rows and their backwards) use one warp per row:
// lanes stride over the columns (any column count), partial sums are kept in double and
// combined by warp_sum's fixed shuffle tree, and the total is broadcast from lane 0 — so every
// lane uses the identical value and a result is bit-identical run to run. Rows are visited
// grid-stride, a whole warp at a time (the loop condition is warp-uniform, so full-mask
// shuffles are safe). Elementwise pieces (rowdot_backward, mean_of, column ops, the scalar
// backwards) are grid-stride maps; the scalar reductions use deterministic_sum (needs
// g.scratch). Scalars (out, dout) are device pointers.
#include <cmath>

#include "kernels/cuda_util.cuh"
#include "kernels/rowops.h"
#include "kernels/rowops_check.h"

namespace lethe::cuda {

namespace {
constexpr unsigned kFull = 0xffffffffu;

// Grid for a warp-per-row kernel over `rows` rows (kBlock threads = kBlock/32 warps per block).
unsigned warp_grid(int64_t rows) { return grid_for(rows * 32, kBlock); }

__device__ __forceinline__ int64_t global_warp() {
  return (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) >> 5;
}
__device__ __forceinline__ int64_t total_warps() { return (static_cast<int64_t>(gridDim.x) * blockDim.x) >> 5; }

// Warp sum in the fixed shuffle order of warp_sum, then lane 0's value in every lane.
__device__ __forceinline__ double warp_sum_all(double v) { return __shfl_sync(kFull, warp_sum(v), 0); }
// Warp max (exact in any order), in every lane.
__device__ __forceinline__ float warp_max_all(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(kFull, v, o));
  return v;
}

// out[r] = <X[r,:], Y[r,:]>
__global__ void rowdot_kernel(Mat<const float> X, Mat<const float> Y, float* out) {
  const int lane = threadIdx.x & 31;
  for (int64_t r = global_warp(); r < X.rows; r += total_warps()) {
    double acc = 0.0;
    for (int64_t c = lane; c < X.cols; c += 32)
      acc += static_cast<double>(X.at(r, c)) * static_cast<double>(Y.at(r, c));
    acc = warp_sum(acc);
    if (lane == 0) out[r] = static_cast<float>(acc);
  }
}

// Y[r,:] = X[r,:] / max(‖X[r,:]‖, eps); norm[r] = ‖X[r,:]‖.
__global__ void l2norm_rows_kernel(Mat<const float> X, float eps, Mat<float> Y, float* norm) {
  const int lane = threadIdx.x & 31;
  for (int64_t r = global_warp(); r < X.rows; r += total_warps()) {
    double ss = 0.0;
    for (int64_t c = lane; c < X.cols; c += 32) {
      const double v = X.at(r, c);
      ss += v * v;
    }
    ss = warp_sum_all(ss);
    const float nr = static_cast<float>(sqrt(ss));
    const float n = fmaxf(nr, eps);
    if (lane == 0) norm[r] = nr;
    for (int64_t c = lane; c < X.cols; c += 32) Y.at(r, c) = X.at(r, c) / n;
  }
}

// dX += (dY − Y<Y,dY>)/‖x‖ when ‖x‖ > eps, else dX += dY/eps (the branch is warp-uniform).
__global__ void l2norm_rows_backward_kernel(Mat<const float> Y, const float* norm, float eps, Mat<const float> dY,
                                            Mat<float> dX) {
  const int lane = threadIdx.x & 31;
  for (int64_t r = global_warp(); r < Y.rows; r += total_warps()) {
    const float nr = norm[r];
    if (nr > eps) {
      double acc = 0.0;
      for (int64_t c = lane; c < Y.cols; c += 32)
        acc += static_cast<double>(Y.at(r, c)) * static_cast<double>(dY.at(r, c));
      const float yd = static_cast<float>(warp_sum_all(acc));
      for (int64_t c = lane; c < Y.cols; c += 32) dX.at(r, c) += (dY.at(r, c) - Y.at(r, c) * yd) / nr;
    } else {
      for (int64_t c = lane; c < Y.cols; c += 32) dX.at(r, c) += dY.at(r, c) / eps;
    }
  }
}

// Max-shifted softmax across a row; the denominator in double.
__global__ void softmax_rows_kernel(Mat<const float> X, Mat<float> Y) {
  const int lane = threadIdx.x & 31;
  for (int64_t r = global_warp(); r < X.rows; r += total_warps()) {
    float mx = -INFINITY;
    for (int64_t c = lane; c < X.cols; c += 32) mx = fmaxf(mx, X.at(r, c));
    mx = warp_max_all(mx);
    double s = 0.0;
    for (int64_t c = lane; c < X.cols; c += 32) s += static_cast<double>(expf(X.at(r, c) - mx));
    s = warp_sum_all(s);
    for (int64_t c = lane; c < X.cols; c += 32)
      Y.at(r, c) = static_cast<float>(static_cast<double>(expf(X.at(r, c) - mx)) / s);
  }
}

// dX[r,:] += Y[r,:] ⊙ (dY[r,:] − <dY[r,:], Y[r,:]>)
__global__ void softmax_rows_backward_kernel(Mat<const float> Y, Mat<const float> dY, Mat<float> dX) {
  const int lane = threadIdx.x & 31;
  for (int64_t r = global_warp(); r < Y.rows; r += total_warps()) {
    double acc = 0.0;
    for (int64_t c = lane; c < Y.cols; c += 32)
      acc += static_cast<double>(Y.at(r, c)) * static_cast<double>(dY.at(r, c));
    const float yd = static_cast<float>(warp_sum_all(acc));
    for (int64_t c = lane; c < Y.cols; c += 32) dX.at(r, c) += Y.at(r, c) * (dY.at(r, c) - yd);
  }
}
}  // namespace

// ---- rowdot ---------------------------------------------------------------------------------
void rowdot(Mat<const float> X, Mat<const float> Y, Vec<float> out, const GpuExec& g) {
  detail::check_rowdot(X, Y, out);
  if (X.rows == 0) return;
  rowdot_kernel<<<warp_grid(X.rows), kBlock, 0, g.stream>>>(X, Y, out.data);
  LETHE_LAUNCH_CHECK("rowdot", g.stream);
}
void rowdot_backward(Mat<const float> X, Mat<const float> Y, Vec<const float> dout, Mat<float> dX, Mat<float> dY,
                     const GpuExec& g) {
  detail::check_rowdot_backward(X, Y, dout, dX, dY);
  const int64_t C = X.cols;
  const float* d = dout.data;
  if (!dX.empty()) {
    const float* y = Y.data;
    float* o = dX.data;
    launch_map("rowdot_backward", X.size(), g, [=] __device__(int64_t i) { o[i] += d[i / C] * y[i]; });
  }
  if (!dY.empty()) {
    const float* x = X.data;
    float* o = dY.data;
    launch_map("rowdot_backward", X.size(), g, [=] __device__(int64_t i) { o[i] += d[i / C] * x[i]; });
  }
}

// ---- l2norm_rows ----------------------------------------------------------------------------
void l2norm_rows(Mat<const float> X, float eps, Mat<float> Y, Vec<float> norm, const GpuExec& g) {
  detail::check_l2norm_rows(X, eps, Y, norm);
  if (X.rows == 0) return;
  l2norm_rows_kernel<<<warp_grid(X.rows), kBlock, 0, g.stream>>>(X, eps, Y, norm.data);
  LETHE_LAUNCH_CHECK("l2norm_rows", g.stream);
}
void l2norm_rows_backward(Mat<const float> Y, Vec<const float> norm, float eps, Mat<const float> dY, Mat<float> dX,
                          const GpuExec& g) {
  detail::check_l2norm_rows_backward(Y, norm, eps, dY, dX);
  if (dX.empty()) return;
  if (Y.size() == 0) return;
  l2norm_rows_backward_kernel<<<warp_grid(Y.rows), kBlock, 0, g.stream>>>(Y, norm.data, eps, dY, dX);
  LETHE_LAUNCH_CHECK("l2norm_rows_backward", g.stream);
}

// ---- softmax_rows ---------------------------------------------------------------------------
void softmax_rows(Mat<const float> X, Mat<float> Y, const GpuExec& g) {
  check_same_shape(X, Y, "softmax_rows");
  if (X.size() == 0) return;
  softmax_rows_kernel<<<warp_grid(X.rows), kBlock, 0, g.stream>>>(X, Y);
  LETHE_LAUNCH_CHECK("softmax_rows", g.stream);
}
void softmax_rows_backward(Mat<const float> Y, Mat<const float> dY, Mat<float> dX, const GpuExec& g) {
  detail::check_softmax_rows_backward(Y, dY, dX);
  if (dX.empty()) return;
  if (Y.size() == 0) return;
  softmax_rows_backward_kernel<<<warp_grid(Y.rows), kBlock, 0, g.stream>>>(Y, dY, dX);
  LETHE_LAUNCH_CHECK("softmax_rows_backward", g.stream);
}

// ---- mean_of --------------------------------------------------------------------------------
// The MatList travels by value into the lambda (8 views, ~200 bytes of kernel arguments).
void mean_of(MatList<const float> xs, Mat<float> Y, const GpuExec& g) {
  detail::check_mean_of(xs, Y);
  float* o = Y.data;
  launch_map("mean_of", Y.size(), g, [=] __device__(int64_t i) {
    double acc = 0.0;
    for (int l = 0; l < xs.n; ++l) acc += static_cast<double>(xs.m[l].data[i]);
    o[i] = static_cast<float>(acc / xs.n);
  });
}
void mean_of_backward(Mat<const float> dY, MatList<float> dxs, const GpuExec& g) {
  detail::check_mean_of_backward(dY, dxs);
  const float L = static_cast<float>(dxs.n);
  const float* dy = dY.data;
  for (int l = 0; l < dxs.n; ++l) {
    if (dxs.m[l].empty()) continue;
    float* d = dxs.m[l].data;
    launch_map("mean_of_backward", dY.size(), g, [=] __device__(int64_t i) { d[i] += dy[i] / L; });
  }
}

// ---- column get / add -----------------------------------------------------------------------
void col_get(Mat<const float> X, int64_t m, Vec<float> y, bool accumulate, const GpuExec& g) {
  detail::check_col_get(X, m, y);
  const float* x = X.data;
  const int64_t C = X.cols;
  float* o = y.data;
  if (accumulate)
    launch_map("col_get", X.rows, g, [=] __device__(int64_t r) { o[r] += x[r * C + m]; });
  else
    launch_map("col_get", X.rows, g, [=] __device__(int64_t r) { o[r] = x[r * C + m]; });
}
void col_add(Vec<const float> x, int64_t m, Mat<float> Y, const GpuExec& g) {
  detail::check_col_add(x, m, Y);
  const float* a = x.data;
  const int64_t C = Y.cols;
  float* o = Y.data;
  launch_map("col_add", Y.rows, g, [=] __device__(int64_t r) { o[r * C + m] += a[r]; });
}

// ---- scalar reductions ----------------------------------------------------------------------
void sqnorm_sum(Vec<const float> x, float coef, float* out, const GpuExec& g) {
  detail::check_sqnorm_sum(out);
  const float* p = x.data;
  deterministic_sum("sqnorm_sum", x.n, [=] __device__(int64_t i) { const double v = p[i]; return v * v; },
                    static_cast<double>(coef), out, /*accumulate=*/false, g);
}
void sqnorm_sum_backward(Vec<const float> x, float coef, const float* dout, Vec<float> dx, const GpuExec& g) {
  detail::check_sqnorm_sum_backward(x, dout, dx);
  if (dx.empty()) return;
  const float* p = x.data;
  float* o = dx.data;
  launch_map("sqnorm_sum_backward", x.n, g, [=] __device__(int64_t i) {
    const float c = 2.f * coef * *dout;
    o[i] += c * p[i];
  });
}
void sum(Vec<const float> x, float coef, float* out, const GpuExec& g) {
  detail::check_sum(out);
  const float* p = x.data;
  deterministic_sum("sum", x.n, [=] __device__(int64_t i) { return static_cast<double>(p[i]); },
                    static_cast<double>(coef), out, /*accumulate=*/false, g);
}
void sum_backward(float coef, const float* dout, Vec<float> dx, const GpuExec& g) {
  detail::check_sum_backward(dout);
  if (dx.empty()) return;
  float* o = dx.data;
  launch_map("sum_backward", dx.n, g, [=] __device__(int64_t i) { o[i] += coef * *dout; });
}

}  // namespace lethe::cuda
