// kernels/elementwise.cu — CUDA versions of kernels/elementwise.h. Grid-stride maps; the one
// reduction (PReLU's slope gradient) uses the deterministic two-pass sum of cuda_util.cuh.
#include "kernels/cuda_util.cuh"
#include "kernels/elementwise.h"
#include "kernels/elementwise_check.h"

namespace lethe::cuda {

using detail::check_len;

void fill(Vec<float> y, float value, const GpuExec& g) {
  float* p = y.data;
  launch_map("fill", y.n, g, [=] __device__(int64_t i) { p[i] = value; });
}
void copy(Vec<const float> x, Vec<float> y, const GpuExec& g) {
  check_len(x, y, "copy");
  const float* a = x.data; float* o = y.data;
  launch_map("copy", x.n, g, [=] __device__(int64_t i) { o[i] = a[i]; });
}
void add(Vec<const float> a, Vec<const float> b, Vec<float> y, const GpuExec& g) {
  check_len(a, b, "add"); check_len(a, y, "add");
  const float *pa = a.data, *pb = b.data; float* o = y.data;
  launch_map("add", a.n, g, [=] __device__(int64_t i) { o[i] = pa[i] + pb[i]; });
}
void sub(Vec<const float> a, Vec<const float> b, Vec<float> y, const GpuExec& g) {
  check_len(a, b, "sub"); check_len(a, y, "sub");
  const float *pa = a.data, *pb = b.data; float* o = y.data;
  launch_map("sub", a.n, g, [=] __device__(int64_t i) { o[i] = pa[i] - pb[i]; });
}
void mul(Vec<const float> a, Vec<const float> b, Vec<float> y, const GpuExec& g) {
  check_len(a, b, "mul"); check_len(a, y, "mul");
  const float *pa = a.data, *pb = b.data; float* o = y.data;
  launch_map("mul", a.n, g, [=] __device__(int64_t i) { o[i] = pa[i] * pb[i]; });
}
void scale(Vec<const float> x, float alpha, Vec<float> y, const GpuExec& g) {
  check_len(x, y, "scale");
  const float* a = x.data; float* o = y.data;
  launch_map("scale", x.n, g, [=] __device__(int64_t i) { o[i] = alpha * a[i]; });
}
void axpy(float alpha, Vec<const float> x, Vec<float> y, const GpuExec& g) {
  check_len(x, y, "axpy");
  const float* a = x.data; float* o = y.data;
  launch_map("axpy", x.n, g, [=] __device__(int64_t i) { o[i] += alpha * a[i]; });
}
void mul_backward(Vec<const float> a, Vec<const float> b, Vec<const float> dy, Vec<float> da, Vec<float> db,
                  const GpuExec& g) {
  check_len(a, b, "mul_backward"); check_len(a, dy, "mul_backward");
  const float *pa = a.data, *pb = b.data, *pd = dy.data;
  if (!da.empty()) {
    check_len(a, da, "mul_backward");
    float* o = da.data;
    launch_map("mul_backward", a.n, g, [=] __device__(int64_t i) { o[i] += pd[i] * pb[i]; });
  }
  if (!db.empty()) {
    check_len(a, db, "mul_backward");
    float* o = db.data;
    launch_map("mul_backward", a.n, g, [=] __device__(int64_t i) { o[i] += pd[i] * pa[i]; });
  }
}
void sigmoid(Vec<const float> x, Vec<float> y, const GpuExec& g) {
  check_len(x, y, "sigmoid");
  const float* a = x.data; float* o = y.data;
  launch_map("sigmoid", x.n, g, [=] __device__(int64_t i) { o[i] = sigmoid_f(a[i]); });
}
void sigmoid_backward(Vec<const float> y, Vec<const float> dy, Vec<float> dx, const GpuExec& g, bool accumulate) {
  check_len(y, dy, "sigmoid_backward"); check_len(y, dx, "sigmoid_backward");
  const float *py = y.data, *pd = dy.data; float* o = dx.data;
  if (accumulate)
    launch_map("sigmoid_backward", y.n, g, [=] __device__(int64_t i) { o[i] += pd[i] * py[i] * (1.f - py[i]); });
  else
    launch_map("sigmoid_backward", y.n, g, [=] __device__(int64_t i) { o[i] = pd[i] * py[i] * (1.f - py[i]); });
}
void tanh(Vec<const float> x, Vec<float> y, const GpuExec& g) {
  check_len(x, y, "tanh");
  const float* a = x.data; float* o = y.data;
  launch_map("tanh", x.n, g, [=] __device__(int64_t i) { o[i] = tanhf(a[i]); });
}
void tanh_backward(Vec<const float> y, Vec<const float> dy, Vec<float> dx, const GpuExec& g, bool accumulate) {
  check_len(y, dy, "tanh_backward"); check_len(y, dx, "tanh_backward");
  const float *py = y.data, *pd = dy.data; float* o = dx.data;
  if (accumulate)
    launch_map("tanh_backward", y.n, g, [=] __device__(int64_t i) { o[i] += pd[i] * (1.f - py[i] * py[i]); });
  else
    launch_map("tanh_backward", y.n, g, [=] __device__(int64_t i) { o[i] = pd[i] * (1.f - py[i] * py[i]); });
}
void softplus(Vec<const float> x, Vec<float> y, const GpuExec& g) {
  check_len(x, y, "softplus");
  const float* a = x.data; float* o = y.data;
  launch_map("softplus", x.n, g, [=] __device__(int64_t i) { o[i] = softplus_f(a[i]); });
}
void softplus_backward(Vec<const float> x, Vec<const float> dy, Vec<float> dx, const GpuExec& g) {
  check_len(x, dy, "softplus_backward"); check_len(x, dx, "softplus_backward");
  const float *px = x.data, *pd = dy.data; float* o = dx.data;
  launch_map("softplus_backward", x.n, g, [=] __device__(int64_t i) { o[i] += pd[i] * sigmoid_f(px[i]); });
}
void prelu(Vec<const float> x, const float* slope, Vec<float> y, const GpuExec& g) {
  detail::check_prelu(x, slope, y);
  const float* a = x.data; float* o = y.data;
  launch_map("prelu", x.n, g, [=] __device__(int64_t i) { o[i] = a[i] > 0.f ? a[i] : *slope * a[i]; });
}
void prelu_backward(Vec<const float> x, const float* slope, Vec<const float> dy, Vec<float> dx, float* dslope,
                    const GpuExec& g) {
  detail::check_prelu_backward(x, slope, dy, dx);
  const float *px = x.data, *pd = dy.data;
  if (!dx.empty()) {
    float* o = dx.data;
    launch_map("prelu_backward", x.n, g,
               [=] __device__(int64_t i) { o[i] += pd[i] * (px[i] > 0.f ? 1.f : *slope); });
  }
  if (dslope)
    deterministic_sum("prelu_backward", x.n,
                      [=] __device__(int64_t i) { return px[i] > 0.f ? 0.f : pd[i] * px[i]; }, 1.0, dslope,
                      /*accumulate=*/true, g);
}

namespace {
__global__ void scale_rows_kernel(Mat<const float> X, const float* s, Mat<float> Y) {
  const int64_t n = X.size();
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    Y.data[i] = X.data[i] * s[i / X.cols];
}
// One warp per row: dX row update and the row's dot product <dY, X> (fixed lane order).
__global__ void scale_rows_backward_kernel(Mat<const float> X, const float* s, Mat<const float> dY, float* dX,
                                           float* ds) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x >> 5);
  for (int64_t r = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) >> 5; r < X.rows; r += warps) {
    double acc = 0.0;
    for (int64_t c = lane; c < X.cols; c += 32) {
      const float d = dY.at(r, c);
      if (dX) dX[r * X.cols + c] += d * s[r];
      acc += static_cast<double>(d) * X.at(r, c);
    }
    acc = warp_sum(acc);
    if (ds && lane == 0) ds[r] += static_cast<float>(acc);
  }
}
}  // namespace

void scale_rows(Mat<const float> X, Vec<const float> s, Mat<float> Y, const GpuExec& g) {
  detail::check_scale_rows(X, s, Y);
  if (X.size() == 0) return;
  scale_rows_kernel<<<grid_for(X.size(), kBlock), kBlock, 0, g.stream>>>(X, s.data, Y);
  LETHE_LAUNCH_CHECK("scale_rows", g.stream);
}
void scale_rows_backward(Mat<const float> X, Vec<const float> s, Mat<const float> dY, Mat<float> dX, Vec<float> ds,
                         const GpuExec& g) {
  detail::check_scale_rows_backward(X, s, dY, dX, ds);
  if (X.size() == 0 || (dX.empty() && ds.empty())) return;
  const int64_t threads = X.rows * 32;
  scale_rows_backward_kernel<<<grid_for(threads, kBlock), kBlock, 0, g.stream>>>(
      X, s.data, dY, dX.empty() ? nullptr : dX.data, ds.empty() ? nullptr : ds.data);
  LETHE_LAUNCH_CHECK("scale_rows_backward", g.stream);
}

}  // namespace lethe::cuda
