// kernels/infonce_ref.cpp — CPU reference for kernels/infonce.h (the spec): InfoNCE with
// in-batch negatives, cosine similarity (rows normalised with eps 1e-12, as
// torch.nn.functional.normalize) and temperature τ.
// Numerics: S and the backward products use the CPU GEMM (float accumulation for f32, double
// for f64; for f32 on AVX-512, S is computed a few rows at a time into a cache-resident block,
// sgemm_nt_rows, and P written once); each row of S is max-shifted before exp (for f32 the
// vectorised exp of kernels/vmath.h, shift, exp and sum in one pass) and its denominator summed in double. The per-row loss term is computed in log space,
// −log P_bb = (max_b + log Σ_j exp(S_bj − max_b)) − S_bb, never as −log of the rounded P_bb, so it
// stays finite even when P_bb underflows. The mean over rows is a det_sum (fixed order).
// Backward: with dS = (P − I)·dloss/B, dX̂ = dS Ŷ/τ and dŶ = dSᵀ X̂/τ, computed as (dloss/(Bτ))·(P Ŷ − Ŷ)
// and (dloss/(Bτ))·(Pᵀ X̂ − X̂) by GEMM over P (dS is never formed), then l2norm_rows_backward
// accumulates into dX, dY. The saved tensors
// are only read, so backward may be replayed.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/gemm_cpu.h"
#include "kernels/infonce.h"
#include "kernels/infonce_check.h"
#include "kernels/ref_util.h"
#include "kernels/rowops.h"
#include "kernels/vmath.h"

namespace lethe::ref {

namespace {
constexpr double kInfoNceEps = 1e-12;

// Grow-only scratch per calling thread for the backward's B×d temporary (a fresh std::vector
// would zero-fill it at every step).
template <class T>
T* scratch(int slot, size_t n) {
  static thread_local std::vector<T> buf[1];
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
  // Row i of P from row i of S (src, may be P's own row): max-shifted, exponentiated, normalised
  // (written to dst); the row's loss term from its max, its sum and S_ii.
  const auto softmax_row = [&](int64_t i, T* src, T* dst) {
    const T sii = src[i];
    double s = 0.0;
    if constexpr (std::is_same_v<T, float>) {  // vectorised (kernels/vmath.h)
      const float mx = vmath::max(src, B);
      s = vmath::exp_shifted_sum(src, mx, B);
      term[static_cast<size_t>(i)] = static_cast<double>(mx) + std::log(s) - static_cast<double>(sii);
    } else {
      T mx = src[0];
      for (int64_t j = 1; j < B; ++j) mx = std::max(mx, src[j]);
      for (int64_t j = 0; j < B; ++j) {
        src[j] = std::exp(src[j] - mx);
        s += static_cast<double>(src[j]);
      }
      term[static_cast<size_t>(i)] = static_cast<double>(mx) + std::log(s) - static_cast<double>(sii);
    }
    const T inv_s = static_cast<T>(1.0 / s);
    for (int64_t j = 0; j < B; ++j) dst[j] = src[j] * inv_s;
  };
  const T alpha = static_cast<T>(1.0 / static_cast<double>(tau));
  if constexpr (std::is_same_v<T, float>) {
    // S = X̂ Ŷᵀ / τ a few rows at a time into a cache-resident block (Ŷ packed once), each block's
    // rows normalised there and written to P once: P is never read back. The same bits as the
    // GEMM-into-P loop below (kernels/gemm_cpu.h).
    const int64_t rows = std::max<int64_t>(6, ((int64_t(1) << 15) / std::max<int64_t>(B, 1)) / 6 * 6);  // ≤ ~128 KB
    if (sgemm_nt_rows(B, B, d, alpha, Xn.data, d, Yn.data, d, rows, [&](int64_t i0, int64_t nr, float* blk) {
          for (int64_t r = 0; r < nr; ++r) softmax_row(i0 + r, blk + r * B, P.row(i0 + r));
        })) {
      *loss = static_cast<T>(det_sum(B, [&](int64_t i) { return term[static_cast<size_t>(i)]; }) / static_cast<double>(B));
      return;
    }
  }
  // S = X̂ Ŷᵀ / τ with the project's CPU GEMM (cache-blocked, deterministic for any thread
  // count), written into P a block of rows at a time; each block's rows are then max-shifted,
  // exponentiated and normalised while they are still in cache, so P goes to memory once. (A row
  // of C does not depend on which other rows the GEMM computes with it.)
  const int64_t rows_per_block = std::max<int64_t>(1, (int64_t(1) << 18) / std::max<int64_t>(B, 1));  // ≤ 1 MB
  for (int64_t r0 = 0; r0 < B; r0 += rows_per_block) {
    const int64_t nr = std::min(rows_per_block, B - r0);
    gemm<T>(false, true, nr, B, d, alpha, Xn.data + r0 * d, d, Yn.data, d, T(0), P.row(r0), B);
#pragma omp parallel for schedule(static) if (nr * B > kOmpMin)
    for (int64_t i = r0; i < r0 + nr; ++i) softmax_row(i, P.row(i), P.row(i));
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
  // dS = (P − I)·G is never materialised: dX̂ = (G/τ)·(P Ŷ − Ŷ) and dŶ = (G/τ)·(Pᵀ X̂ − X̂), each
  // one GEMM over P (read in place) and a row pass.
  const T c = G * inv_tau;
  T* tmp = scratch<T>(0, static_cast<size_t>(B * d));
  const auto minus_self = [&](const T* Z) {  // tmp = c·tmp − c·Z
#pragma omp parallel for schedule(static) if (B * d > kOmpMin)
    for (int64_t e = 0; e < B * d; ++e) tmp[e] = c * tmp[e] - c * Z[e];
  };
  if (!dX.empty()) {
    gemm<T>(false, false, B, d, B, T(1), P.data, B, Yn.data, d, T(0), tmp, d);
    minus_self(Yn.data);
    l2norm_rows_backward<T>(Xn, nx, eps, Mat<const T>(tmp, B, d), dX);
  }
  if (!dY.empty()) {
    gemm<T>(true, false, B, d, B, T(1), P.data, B, Xn.data, d, T(0), tmp, d);
    minus_self(Xn.data);
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
