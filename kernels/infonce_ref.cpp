// kernels/infonce_ref.cpp — CPU reference for kernels/infonce.h (the spec): InfoNCE with
// in-batch negatives, cosine similarity (rows normalised with eps 1e-12, as
// torch.nn.functional.normalize) and temperature τ.
// Numerics: S and the backward products use the CPU GEMM (float accumulation for f32, double
// for f64); each row of S is max-shifted before exp (for f32 the vectorised exp of kernels/vmath.h) and its denominator summed in double. The per-row loss term is computed in log space,
// −log P_bb = (max_b + log Σ_j exp(S_bj − max_b)) − S_bb, never as −log of the rounded P_bb, so it
// stays finite even when P_bb underflows. The mean over rows is a det_sum (fixed order).
// Backward: dS = (P − I)·dloss/B is materialised, dX̂ = dS Ŷ/τ and dŶ = dSᵀ X̂/τ by GEMM, then l2norm_rows_backward accumulates into dX, dY. The saved tensors
// are only read, so backward may be replayed.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/infonce.h"
#include "kernels/infonce_check.h"
#include "kernels/ref_util.h"
#include "kernels/rowops.h"
#include "kernels/vmath.h"

namespace lethe::ref {

namespace {
constexpr double kInfoNceEps = 1e-12;

// Grow-only scratch per calling thread for the backward's B×B and B×d temporaries: a 2048-row
// batch needs 16 MB for dS, which a fresh std::vector would zero-fill and fault in at every step.
template <class T>
T* scratch(int slot, size_t n) {
  static thread_local std::vector<T> buf[2];
  if (buf[slot].size() < n) buf[slot].resize(n);
  return buf[slot].data();
}
}  // namespace

template <class T>
void infonce_forward(Mat<const T> X, Mat<const T> Y, T tau, Mat<T> Xn, Mat<T> Yn, Vec<T> nx, Vec<T> ny, Mat<T> P,
                     T* loss) {
  detail::check_infonce_forward(X, Y, tau, Xn, Yn, nx, ny, P, loss);
  const int64_t B = X.rows, d = X.cols;
  const T eps = static_cast<T>(kInfoNceEps);
  l2norm_rows<T>(X, eps, Xn, nx);
  l2norm_rows<T>(Y, eps, Yn, ny);

  std::vector<double> term(static_cast<size_t>(B));
  // S = X̂ Ŷᵀ / τ with the project's CPU GEMM (cache-blocked, deterministic for any thread
  // count), written into P; then each row is max-shifted, exponentiated and normalised.
  gemm<T>(false, true, B, B, d, static_cast<T>(1.0 / static_cast<double>(tau)), Xn.data, d, Yn.data, d, T(0), P.data, B);
#pragma omp parallel for schedule(static) if (B * B > kOmpMin)
  for (int64_t i = 0; i < B; ++i) {
    T* row = P.row(i);
    T mx = row[0];
    for (int64_t j = 1; j < B; ++j) mx = std::max(mx, row[j]);
    const T sii = row[i];
    double s = 0.0;
    for (int64_t j = 0; j < B; ++j) row[j] -= mx;
    if constexpr (std::is_same_v<T, float>) vmath::exp(row, row, B);  // vectorised (kernels/vmath.h)
    else
      for (int64_t j = 0; j < B; ++j) row[j] = std::exp(row[j]);
    for (int64_t j = 0; j < B; ++j) s += static_cast<double>(row[j]);
    term[static_cast<size_t>(i)] = static_cast<double>(mx) + std::log(s) - static_cast<double>(sii);
    const T inv_s = static_cast<T>(1.0 / s);
    for (int64_t j = 0; j < B; ++j) row[j] *= inv_s;
  }
  *loss = static_cast<T>(det_sum(B, [&](int64_t i) { return term[static_cast<size_t>(i)]; }) / static_cast<double>(B));
}

template <class T>
void infonce_backward(Mat<const T> Xn, Mat<const T> Yn, Vec<const T> nx, Vec<const T> ny, Mat<const T> P, T tau,
                      const T* dloss, Mat<T> dX, Mat<T> dY) {
  detail::check_infonce_backward(Xn, Yn, nx, ny, P, tau, dloss, dX, dY);
  const int64_t B = Xn.rows, d = Xn.cols;
  if (dX.empty() && dY.empty()) return;

  const T G = *dloss / static_cast<T>(B);
  const T inv_tau = static_cast<T>(1.0 / static_cast<double>(tau));
  const T eps = static_cast<T>(kInfoNceEps);
  // dS = (P − I)·G (B×B, materialised), then the two products with the CPU GEMM.
  T* dS = scratch<T>(0, static_cast<size_t>(B * B));
#pragma omp parallel for schedule(static) if (B * B > kOmpMin)
  for (int64_t i = 0; i < B; ++i)
    for (int64_t j = 0; j < B; ++j) dS[i * B + j] = (P.at(i, j) - (i == j ? T(1) : T(0))) * G;
  T* tmp = scratch<T>(1, static_cast<size_t>(B * d));
  if (!dX.empty()) {  // dX̂ = dS Ŷ / τ
    gemm<T>(false, false, B, d, B, inv_tau, dS, B, Yn.data, d, T(0), tmp, d);
    l2norm_rows_backward<T>(Xn, nx, eps, Mat<const T>(tmp, B, d), dX);
  }
  if (!dY.empty()) {  // dŶ = dSᵀ X̂ / τ
    gemm<T>(true, false, B, d, B, inv_tau, dS, B, Xn.data, d, T(0), tmp, d);
    l2norm_rows_backward<T>(Yn, ny, eps, Mat<const T>(tmp, B, d), dY);
  }
}

#define LETHE_INSTANTIATE(T)                                                                                 \
  template void infonce_forward<T>(Mat<const T>, Mat<const T>, T, Mat<T>, Mat<T>, Vec<T>, Vec<T>, Mat<T>, T*); \
  template void infonce_backward<T>(Mat<const T>, Mat<const T>, Vec<const T>, Vec<const T>, Mat<const T>, T,  \
                                    const T*, Mat<T>, Mat<T>);
LETHE_INSTANTIATE(float)
LETHE_INSTANTIATE(double)

}  // namespace lethe::ref
