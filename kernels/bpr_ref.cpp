// kernels/bpr_ref.cpp — CPU reference for kernels/bpr.h (the spec): fused BPR / reverse-BPR loss
// over B gathered triples.
// Numerics: the two dot products of a triple are accumulated in double (column order) and
// x_b = <U_b,P_b> − <U_b,N_b> is rounded to T once and saved; ℓ_b and the gradient factor are
// computed from that saved x_b, so forward and backward agree exactly. softplus and σ are the
// stable forms of ref_util.h: x = ±100 (or ±1e4) gives finite loss and gradients. The loss is a
// det_sum over the triples (fixed order, independent of the thread count).
#include <algorithm>
#include <cmath>

#include "kernels/bpr.h"
#include "kernels/bpr_check.h"
#include "kernels/ref_util.h"

namespace lethe::ref {

template <class T>
void bpr_forward(Mat<const T> U, Mat<const T> P, Mat<const T> N, const T* w, T scale, bool reverse, Vec<T> x,
                 T* loss) {
  detail::check_bpr_forward(U, P, N, x, loss);
  const int64_t B = U.rows, d = U.cols;
#pragma omp parallel for schedule(static) if (U.size() > kOmpMin)
  for (int64_t b = 0; b < B; ++b) {
    const T* u = U.row(b);
    const T* p = P.row(b);
    const T* n = N.row(b);
    double sp = 0.0, sn = 0.0;
    for (int64_t c = 0; c < d; ++c) {
      sp += static_cast<double>(u[c]) * static_cast<double>(p[c]);
      sn += static_cast<double>(u[c]) * static_cast<double>(n[c]);
    }
    x[b] = static_cast<T>(sp - sn);
  }
  // ℓ_b = softplus(−x_b) (BPR) or softplus(x_b) (reverse), weighted, summed in fixed order.
  const double total = det_sum(B, [&](int64_t b) {
    const T l = softplus_stable(reverse ? x[b] : -x[b]);
    const double wb = w ? static_cast<double>(w[b]) : 1.0;
    return wb * static_cast<double>(l);
  });
  *loss = static_cast<T>(static_cast<double>(scale) * total);
}

template <class T>
void bpr_backward(Mat<const T> U, Mat<const T> P, Mat<const T> N, const T* w, T scale, bool reverse,
                  Vec<const T> x, const T* dloss, Mat<T> dU, Mat<T> dP, Mat<T> dN) {
  detail::check_bpr_backward(U, P, N, x, dloss, dU, dP, dN);
  const bool gu = !dU.empty(), gp = !dP.empty(), gn = !dN.empty();
  if (!gu && !gp && !gn) return;
  const int64_t B = U.rows, d = U.cols;
  const T base = *dloss * scale;
#pragma omp parallel for schedule(static) if (U.size() > kOmpMin)
  for (int64_t b = 0; b < B; ++b) {
    // dℓ/dx = −σ(−x) for BPR (ℓ = softplus(−x)), σ(x) for reverse (ℓ = softplus(x)).
    const T dl = reverse ? sigmoid_stable(x[b]) : -sigmoid_stable(-x[b]);
    const T cb = base * (w ? w[b] : T(1)) * dl;
    const T* u = U.row(b);
    const T* p = P.row(b);
    const T* n = N.row(b);
    for (int64_t c = 0; c < d; ++c) {
      if (gu) dU.at(b, c) += cb * (p[c] - n[c]);
      if (gp) dP.at(b, c) += cb * u[c];
      if (gn) dN.at(b, c) -= cb * u[c];
    }
  }
}

#define LETHE_INSTANTIATE(T)                                                                                \
  template void bpr_forward<T>(Mat<const T>, Mat<const T>, Mat<const T>, const T*, T, bool, Vec<T>, T*);    \
  template void bpr_backward<T>(Mat<const T>, Mat<const T>, Mat<const T>, const T*, T, bool, Vec<const T>,  \
                                const T*, Mat<T>, Mat<T>, Mat<T>);
LETHE_INSTANTIATE(float)
LETHE_INSTANTIATE(double)

}  // namespace lethe::ref
