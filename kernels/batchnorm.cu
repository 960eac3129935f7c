// kernels/batchnorm.cu — CUDA versions of kernels/batchnorm.h.
// Column reductions are the deterministic two-pass column sums of cuda_util.cuh (column_sums:
// (32-column tile, row chunk) blocks, partials added in chunk order; the chunk count depends on
// N only, so the order is the same on every device and every run).
// Elementwise passes are grid-stride maps.
#include "kernels/batchnorm.h"
#include "kernels/batchnorm_check.h"
#include "kernels/cuda_util.cuh"

namespace lethe::cuda {

namespace {

// Column sums of f over N rows into `sums` (C double2, device scratch), fixed order
// (cuda_util.cuh: column_sums).
template <class F>
void column_sums(const char* op, int64_t N, int64_t C, F f, double2* partials, double2* sums, const GpuExec& g) {
  cuda::column_sums(op, N, C, f, partials, [=] __device__(int64_t c, double2 s) { sums[c] = s; }, g);
}

}  // namespace

void batchnorm_forward_train(Mat<const float> X, Vec<const float> gamma, Vec<const float> beta, float eps,
                             float momentum, Mat<float> Y, Vec<float> mean, Vec<float> invstd,
                             Vec<float> running_mean, Vec<float> running_var, const GpuExec& g) {
  const char* op = "batchnorm_forward_train";
  detail::check_batchnorm_forward_train(X, gamma, beta, eps, momentum, Y, mean, invstd, running_mean, running_var);
  const int64_t N = X.rows, C = X.cols;
  if (C == 0) return;
  LETHE_CHECK(g.scratch != nullptr, "batchnorm_forward_train: GpuExec.scratch is required");
  double2* partials = g.scratch->alloc_n<double2>(colsum_chunks(N) * C);
  double2* sums = g.scratch->alloc_n<double2>(C);
  double* dmean = g.scratch->alloc_n<double>(C);
  const float* x = X.data;
  column_sums(op, N, C, [=] __device__(int64_t r, int64_t c) { return make_double2(static_cast<double>(x[r * C + c]), 0.0); },
              partials, sums, g);
  const double dN = static_cast<double>(N);
  launch_map(op, C, g, [=] __device__(int64_t c) { dmean[c] = sums[c].x / dN; });
  column_sums(op, N, C, [=] __device__(int64_t r, int64_t c) {
    const double d = static_cast<double>(x[r * C + c]) - dmean[c];
    return make_double2(d * d, 0.0);
  }, partials, sums, g);
  float *mp = mean.data, *ip = invstd.data;
  float *rm = running_mean.empty() ? nullptr : running_mean.data, *rv = running_mean.empty() ? nullptr : running_var.data;
  const double m = static_cast<double>(momentum), unbias = dN / (dN - 1.0), deps = static_cast<double>(eps);
  launch_map(op, C, g, [=] __device__(int64_t c) {
    const double var = sums[c].x / dN;
    mp[c] = static_cast<float>(dmean[c]);
    ip[c] = static_cast<float>(1.0 / sqrt(var + deps));
    if (rm) {
      rm[c] = static_cast<float>((1.0 - m) * static_cast<double>(rm[c]) + m * dmean[c]);
      rv[c] = static_cast<float>((1.0 - m) * static_cast<double>(rv[c]) + m * var * unbias);
    }
  });
  const float *gp = gamma.data, *bp = beta.data;
  float* y = Y.data;
  launch_map(op, N * C, g, [=] __device__(int64_t i) {
    const int64_t c = i % C;
    const float xh = (x[i] - mp[c]) * ip[c];
    y[i] = xh * gp[c] + bp[c];
  });
}

void batchnorm_forward_eval(Mat<const float> X, Vec<const float> gamma, Vec<const float> beta,
                            Vec<const float> running_mean, Vec<const float> running_var, float eps, Mat<float> Y,
                            Vec<float> mean, Vec<float> invstd, const GpuExec& g) {
  const char* op = "batchnorm_forward_eval";
  detail::check_batchnorm_forward_eval(X, gamma, beta, running_mean, running_var, eps, Y, mean, invstd);
  const int64_t N = X.rows, C = X.cols;
  if (C == 0) return;
  // (A negative running variance, which the reference reports, gives NaN here: device data is
  // not inspected on the host.)
  const float *rm = running_mean.data, *rv = running_var.data;
  float *mp = mean.data, *ip = invstd.data;
  const double deps = static_cast<double>(eps);
  launch_map(op, C, g, [=] __device__(int64_t c) {
    mp[c] = rm[c];
    ip[c] = static_cast<float>(1.0 / sqrt(static_cast<double>(rv[c]) + deps));
  });
  const float *x = X.data, *gp = gamma.data, *bp = beta.data;
  float* y = Y.data;
  launch_map(op, N * C, g, [=] __device__(int64_t i) {
    const int64_t c = i % C;
    const float xh = (x[i] - mp[c]) * ip[c];
    y[i] = xh * gp[c] + bp[c];
  });
}

void batchnorm_backward(Mat<const float> X, Vec<const float> gamma, Vec<const float> mean, Vec<const float> invstd,
                        Mat<const float> dY, bool batch_stats, Mat<float> dX, Vec<float> dgamma, Vec<float> dbeta,
                        const GpuExec& g) {
  const char* op = "batchnorm_backward";
  detail::check_batchnorm_backward(X, gamma, mean, invstd, dY, dX, dgamma, dbeta);
  const int64_t N = X.rows, C = X.cols;
  if (N == 0 || C == 0) return;
  const bool need_sums = !dgamma.empty() || !dbeta.empty() || (batch_stats && !dX.empty());
  if (!need_sums && dX.empty()) return;
  const float *x = X.data, *dy = dY.data, *gp = gamma.data, *mp = mean.data, *ip = invstd.data;
  float* a = nullptr;  // (1/N) Σ dY   per column (training-mode dX only)
  float* b = nullptr;  // (1/N) Σ dY·x̂
  if (need_sums) {
    LETHE_CHECK(g.scratch != nullptr, "batchnorm_backward: GpuExec.scratch is required");
    double2* partials = g.scratch->alloc_n<double2>(colsum_chunks(N) * C);
    double2* sums = g.scratch->alloc_n<double2>(C);
    a = g.scratch->alloc_n<float>(C);
    b = g.scratch->alloc_n<float>(C);
    column_sums(op, N, C, [=] __device__(int64_t r, int64_t c) {
      const int64_t i = r * C + c;
      const float xh = (x[i] - mp[c]) * ip[c];
      const double d = static_cast<double>(dy[i]);
      return make_double2(d, d * static_cast<double>(xh));
    }, partials, sums, g);
    float* dg = dgamma.empty() ? nullptr : dgamma.data;
    float* db = dbeta.empty() ? nullptr : dbeta.data;
    const double dN = static_cast<double>(N);
    launch_map(op, C, g, [=] __device__(int64_t c) {
      if (db) db[c] += static_cast<float>(sums[c].x);
      if (dg) dg[c] += static_cast<float>(sums[c].y);
      a[c] = static_cast<float>(sums[c].x / dN);
      b[c] = static_cast<float>(sums[c].y / dN);
    });
  }
  if (dX.empty()) return;
  float* dx = dX.data;
  if (batch_stats) {
    launch_map(op, N * C, g, [=] __device__(int64_t i) {
      const int64_t c = i % C;
      const float xh = (x[i] - mp[c]) * ip[c];
      dx[i] += (gp[c] * ip[c]) * (dy[i] - a[c] - xh * b[c]);
    });
  } else {
    launch_map(op, N * C, g, [=] __device__(int64_t i) {
      const int64_t c = i % C;
      dx[i] += (gp[c] * ip[c]) * dy[i];
    });
  }
}

}  // namespace lethe::cuda
