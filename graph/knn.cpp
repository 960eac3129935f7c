// graph/knn.cpp — see knn.h.
#include "graph/knn.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernels/gemm.h"
#include "kernels/runtime.h"
#include "kernels/topk.h"

namespace lethe::graph {

namespace {

std::vector<float> normalised_rows(const io::FeatureTable& f) {
  std::vector<float> x(f.data.size());
  for (int64_t r = 0; r < f.rows; ++r) {
    double ss = 0;
    for (int64_t c = 0; c < f.cols; ++c) ss += double(f.data[r * f.cols + c]) * f.data[r * f.cols + c];
    const double inv = ss > 0 ? 1.0 / std::sqrt(ss) : 0.0;
    for (int64_t c = 0; c < f.cols; ++c) x[r * f.cols + c] = static_cast<float>(f.data[r * f.cols + c] * inv);
  }
  return x;
}

// From per-row top-k (idx, sim) to the normalised CSR.
HostCsr assemble(int64_t I, int k, const std::vector<int32_t>& idx, const std::vector<float>& sim) {
  std::vector<double> deg(static_cast<size_t>(I), 0.0);
  for (int64_t r = 0; r < I; ++r)
    for (int j = 0; j < k; ++j)
      if (idx[r * k + j] >= 0) deg[r] += sim[r * k + j];
  std::vector<int32_t> rr, cc;
  std::vector<float> vv;
  rr.reserve(static_cast<size_t>(I * k));
  cc.reserve(static_cast<size_t>(I * k));
  vv.reserve(static_cast<size_t>(I * k));
  auto dinv = [&](int64_t i) { return deg[i] > 0 ? 1.0 / std::sqrt(deg[i]) : 0.0; };
  for (int64_t r = 0; r < I; ++r)
    for (int j = 0; j < k; ++j) {
      const int32_t c = idx[r * k + j];
      if (c < 0) continue;
      rr.push_back(static_cast<int32_t>(r));
      cc.push_back(c);
      vv.push_back(static_cast<float>(dinv(r) * sim[r * k + j] * dinv(c)));
    }
  return csr_from_coo(I, I, rr, cc, &vv, false);
}

}  // namespace

HostCsr build_knn(const io::FeatureTable& feat, int k, bool use_gpu) {
  const int64_t I = feat.rows, d = feat.cols;
  LETHE_CHECK(k >= 1 && k <= 1024, "knn: k must be in [1, 1024], got " + std::to_string(k));
  LETHE_CHECK(I > 0 && d > 0, "knn: empty feature table for modality " + feat.modality);
  const int kk = static_cast<int>(std::min<int64_t>(k, I));
  const std::vector<float> x = normalised_rows(feat);
  std::vector<int32_t> idx(static_cast<size_t>(I * kk));
  std::vector<float> sim(static_cast<size_t>(I * kk));
  // Row tiles of at most ~16M similarity entries (64 MB in f32).
  const int64_t tile = std::max<int64_t>(1, std::min<int64_t>(I, (int64_t(1) << 24) / I));

  if (use_gpu) {
    cuda::Context ctx;
    GpuExec g = ctx.exec();
    float* dx = static_cast<float*>(cuda::device_malloc(x.size() * sizeof(float)));
    float* ds = static_cast<float*>(cuda::device_malloc(static_cast<size_t>(tile * I) * sizeof(float)));
    int32_t* di = static_cast<int32_t*>(cuda::device_malloc(static_cast<size_t>(tile * kk) * sizeof(int32_t)));
    float* dv = static_cast<float*>(cuda::device_malloc(static_cast<size_t>(tile * kk) * sizeof(float)));
    try {
      cuda::memcpy_h2d(dx, x.data(), x.size() * sizeof(float), ctx);
      for (int64_t r0 = 0; r0 < I; r0 += tile) {
        const int64_t n = std::min(tile, I - r0);
        cuda::gemm(false, true, n, I, d, 1.0f, dx + r0 * d, d, dx, d, 0.0f, ds, I, g);
        cuda::topk_rows(Mat<const float>(ds, n, I), nullptr, 0, kk, Mat<int32_t>(di, n, kk), Mat<float>(dv, n, kk), g);
        cuda::memcpy_d2h(idx.data() + r0 * kk, di, static_cast<size_t>(n * kk) * sizeof(int32_t), ctx);
        cuda::memcpy_d2h(sim.data() + r0 * kk, dv, static_cast<size_t>(n * kk) * sizeof(float), ctx);
        ctx.arena().reset();
      }
    } catch (...) {
      cuda::device_free(dx); cuda::device_free(ds); cuda::device_free(di); cuda::device_free(dv);
      throw;
    }
    cuda::device_free(dx); cuda::device_free(ds); cuda::device_free(di); cuda::device_free(dv);
  } else {
    std::vector<float> s(static_cast<size_t>(tile * I));
    for (int64_t r0 = 0; r0 < I; r0 += tile) {
      const int64_t n = std::min(tile, I - r0);
      ref::gemm<float>(false, true, n, I, d, 1.0f, x.data() + r0 * d, d, x.data(), d, 0.0f, s.data(), I);
      ref::topk_rows<float>(Mat<const float>(s.data(), n, I), nullptr, 0, kk, Mat<int32_t>(idx.data() + r0 * kk, n, kk),
                            Mat<float>(sim.data() + r0 * kk, n, kk));
    }
  }
  return assemble(I, kk, idx, sim);
}

HostCsr build_knn_bruteforce(const io::FeatureTable& feat, int k) {
  const int64_t I = feat.rows, d = feat.cols;
  const int kk = static_cast<int>(std::min<int64_t>(k, I));
  const std::vector<float> x = normalised_rows(feat);
  std::vector<int32_t> idx(static_cast<size_t>(I * kk));
  std::vector<float> sim(static_cast<size_t>(I * kk));
  std::vector<double> row(static_cast<size_t>(I));
  std::vector<int32_t> order(static_cast<size_t>(I));
  for (int64_t r = 0; r < I; ++r) {
    for (int64_t c = 0; c < I; ++c) {
      double s = 0;
      for (int64_t j = 0; j < d; ++j) s += double(x[r * d + j]) * x[c * d + j];
      row[c] = static_cast<float>(s);
    }
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return row[a] > row[b]; });
    for (int j = 0; j < kk; ++j) {
      idx[r * kk + j] = order[j];
      sim[r * kk + j] = static_cast<float>(row[order[j]]);
    }
  }
  return assemble(I, kk, idx, sim);
}

}  // namespace lethe::graph
