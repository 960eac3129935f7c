// kernels/infonce_ref.cpp — CPU reference for kernels/infonce.h (the spec): InfoNCE with
// in-batch negatives, cosine similarity (rows normalised with eps 1e-12, as
// torch.nn.functional.normalize) and temperature τ.
// Numerics: every dot product is accumulated in double; each row of S is max-shifted before exp
// and its denominator summed in double. The per-row loss term is computed in log space,
// −log P_bb = (max_b + log Σ_j exp(S_bj − max_b)) − S_bb, never as −log of the rounded P_bb, so it
// stays finite even when P_bb underflows. The mean over rows is a det_sum (fixed order).
// Backward: dS = (P − I)·dloss/B is formed on the fly (not stored), dX̂ = dS Ŷ/τ and
// dŶ = dSᵀ X̂/τ in double, then l2norm_rows_backward accumulates into dX, dY. The saved tensors
// are only read, so backward may be replayed.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/infonce.h"
#include "kernels/ref_util.h"
#include "kernels/rowops.h"

namespace lethe::ref {

namespace {
constexpr double kInfoNceEps = 1e-12;

template <class T>
void check_saved(int64_t B, int64_t d, Mat<const T> Xn, Mat<const T> Yn, Vec<const T> nx, Vec<const T> ny,
                 Mat<const T> P, const char* op) {
  const std::string o(op);
  LETHE_CHECK(Xn.rows == B && Xn.cols == d, o + ": Xn must be " + shape_str(B, d) + ", got " + shape_str(Xn.rows, Xn.cols));
  LETHE_CHECK(Yn.rows == B && Yn.cols == d, o + ": Yn must be " + shape_str(B, d) + ", got " + shape_str(Yn.rows, Yn.cols));
  LETHE_CHECK(nx.n == B && ny.n == B, o + ": nx and ny need one entry per row (B = " + std::to_string(B) + ")");
  LETHE_CHECK(P.rows == B && P.cols == B, o + ": P must be " + shape_str(B, B) + ", got " + shape_str(P.rows, P.cols));
}
}  // namespace

template <class T>
void infonce_forward(Mat<const T> X, Mat<const T> Y, T tau, Mat<T> Xn, Mat<T> Yn, Vec<T> nx, Vec<T> ny, Mat<T> P,
                     T* loss) {
  check_same_shape(X, Y, "infonce_forward");
  const int64_t B = X.rows, d = X.cols;
  LETHE_CHECK(B >= 1 && d >= 1, "infonce_forward: needs B >= 1 rows of d >= 1 columns, got " + shape_str(B, d));
  LETHE_CHECK(tau > T(0), "infonce_forward: temperature tau must be positive");
  LETHE_CHECK(loss != nullptr, "infonce_forward: loss is null");
  check_saved<T>(B, d, Xn, Yn, nx, ny, P, "infonce_forward");
  const T eps = static_cast<T>(kInfoNceEps);
  l2norm_rows<T>(X, eps, Xn, nx);
  l2norm_rows<T>(Y, eps, Yn, ny);

  std::vector<double> term(static_cast<size_t>(B));
  const double inv_tau = 1.0 / static_cast<double>(tau);
  // Ŷᵀ in double (d×B), so that row i of S accumulates over k in order with the inner loop
  // running over j (vectorisable, no reduction): each S_ij is still Σ_k x̂_ik ŷ_jk summed in
  // ascending k in double, exactly the plain dot product.
  std::vector<double> YnT(static_cast<size_t>(d * B));
  for (int64_t j = 0; j < B; ++j)
    for (int64_t k = 0; k < d; ++k) YnT[static_cast<size_t>(k * B + j)] = static_cast<double>(Yn.at(j, k));
#pragma omp parallel for schedule(static) if (B * B * d > kOmpMin)
  for (int64_t i = 0; i < B; ++i) {
    T* row = P.row(i);
    const T* xi = Xn.row(i);
    std::vector<double> acc(static_cast<size_t>(B), 0.0);
    for (int64_t k = 0; k < d; ++k) {
      const double xk = static_cast<double>(xi[k]);
      const double* yk = YnT.data() + k * B;
      for (int64_t j = 0; j < B; ++j) acc[static_cast<size_t>(j)] += xk * yk[j];
    }
    for (int64_t j = 0; j < B; ++j) row[j] = static_cast<T>(acc[static_cast<size_t>(j)] * inv_tau);
    T mx = row[0];
    for (int64_t j = 1; j < B; ++j) mx = std::max(mx, row[j]);
    double s = 0.0;
    for (int64_t j = 0; j < B; ++j) s += static_cast<double>(std::exp(row[j] - mx));
    term[static_cast<size_t>(i)] = static_cast<double>(mx) + std::log(s) - static_cast<double>(row[i]);
    for (int64_t j = 0; j < B; ++j) row[j] = static_cast<T>(static_cast<double>(std::exp(row[j] - mx)) / s);
  }
  *loss = static_cast<T>(det_sum(B, [&](int64_t i) { return term[static_cast<size_t>(i)]; }) / static_cast<double>(B));
}

template <class T>
void infonce_backward(Mat<const T> Xn, Mat<const T> Yn, Vec<const T> nx, Vec<const T> ny, Mat<const T> P, T tau,
                      const T* dloss, Mat<T> dX, Mat<T> dY) {
  const int64_t B = Xn.rows, d = Xn.cols;
  LETHE_CHECK(B >= 1 && d >= 1, "infonce_backward: needs B >= 1 rows of d >= 1 columns, got " + shape_str(B, d));
  LETHE_CHECK(tau > T(0), "infonce_backward: temperature tau must be positive");
  LETHE_CHECK(dloss != nullptr, "infonce_backward: dloss is null");
  check_saved<T>(B, d, Xn, Yn, nx, ny, P, "infonce_backward");
  if (!dX.empty()) check_same_shape(Xn, dX, "infonce_backward dX");
  if (!dY.empty()) check_same_shape(Yn, dY, "infonce_backward dY");
  if (dX.empty() && dY.empty()) return;

  const T G = *dloss / static_cast<T>(B);
  const double inv_tau = 1.0 / static_cast<double>(tau);
  const T eps = static_cast<T>(kInfoNceEps);
  // dS_ij = (P_ij − δ_ij)·G, recomputed where needed.
  auto dS = [&](int64_t i, int64_t j) { return (P.at(i, j) - (i == j ? T(1) : T(0))) * G; };
  const bool big = B * B * d > kOmpMin;

  if (!dX.empty()) {
    std::vector<T> dXn(static_cast<size_t>(B * d));
#pragma omp parallel for schedule(static) if (big)
    for (int64_t i = 0; i < B; ++i) {
      std::vector<double> acc(static_cast<size_t>(d), 0.0);
      for (int64_t j = 0; j < B; ++j) {
        const double s = static_cast<double>(dS(i, j));
        const T* yj = Yn.row(j);
        for (int64_t k = 0; k < d; ++k) acc[k] += s * static_cast<double>(yj[k]);
      }
      for (int64_t k = 0; k < d; ++k) dXn[static_cast<size_t>(i * d + k)] = static_cast<T>(acc[k] * inv_tau);
    }
    l2norm_rows_backward<T>(Xn, nx, eps, Mat<const T>(dXn.data(), B, d), dX);
  }
  if (!dY.empty()) {
    // dŶ_j = Σ_i dS_ij X̂_i / τ: blocks of kJb columns of dS so that P is read row-contiguously.
    constexpr int64_t kJb = 8;
    std::vector<T> dYn(static_cast<size_t>(B * d));
    const int64_t nblk = (B + kJb - 1) / kJb;
#pragma omp parallel for schedule(static) if (big)
    for (int64_t jb = 0; jb < nblk; ++jb) {
      const int64_t j0 = jb * kJb, j1 = std::min(B, j0 + kJb);
      std::vector<double> acc(static_cast<size_t>((j1 - j0) * d), 0.0);
      for (int64_t i = 0; i < B; ++i) {
        const T* xi = Xn.row(i);
        for (int64_t j = j0; j < j1; ++j) {
          const double s = static_cast<double>(dS(i, j));
          double* a = acc.data() + (j - j0) * d;
          for (int64_t k = 0; k < d; ++k) a[k] += s * static_cast<double>(xi[k]);
        }
      }
      for (int64_t j = j0; j < j1; ++j)
        for (int64_t k = 0; k < d; ++k)
          dYn[static_cast<size_t>(j * d + k)] = static_cast<T>(acc[static_cast<size_t>((j - j0) * d + k)] * inv_tau);
    }
    l2norm_rows_backward<T>(Yn, ny, eps, Mat<const T>(dYn.data(), B, d), dY);
  }
}

#define LETHE_INSTANTIATE(T)                                                                                 \
  template void infonce_forward<T>(Mat<const T>, Mat<const T>, T, Mat<T>, Mat<T>, Vec<T>, Vec<T>, Mat<T>, T*); \
  template void infonce_backward<T>(Mat<const T>, Mat<const T>, Vec<const T>, Vec<const T>, Mat<const T>, T,  \
                                    const T*, Mat<T>, Mat<T>);
LETHE_INSTANTIATE(float)
LETHE_INSTANTIATE(double)

}  // namespace lethe::ref
