// kernels/tur_ref.cpp — CPU reference for kernels/tur.h (the spec).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/ref_util.h"
#include "kernels/tur.h"
#include "kernels/tur_check.h"

namespace lethe::ref {

template <class T>
void tur_forward(Mat<const T> U, Mat<const T> Ob, int64_t L, T scale, Mat<T> P, Vec<T> ce, T* loss) {
  detail::check_tur_forward(U, Ob, L, P, ce, loss);
  const int64_t B = U.rows, d = U.cols;
#pragma omp parallel if (B * L * d > kOmpMin)
  {
    std::vector<double> lg(static_cast<size_t>(L));
#pragma omp for schedule(static)
    for (int64_t b = 0; b < B; ++b) {
      double m = -std::numeric_limits<double>::infinity();
      for (int64_t s = 0; s < L; ++s) {
        const T* o = Ob.row(b * L + s);
        double acc = 0.0;
        for (int64_t c = 0; c < d; ++c) acc += double(U.at(b, c)) * double(o[c]);
        lg[s] = acc;
        m = std::max(m, acc);
      }
      double z = 0.0;
      for (int64_t s = 0; s < L; ++s) z += std::exp(lg[s] - m);
      for (int64_t s = 0; s < L; ++s) P.at(b, s) = static_cast<T>(std::exp(lg[s] - m) / z);
      ce[b] = static_cast<T>(m + std::log(z) - lg[0]);
    }
  }
  *loss = static_cast<T>(double(scale) * det_sum(B, [&](int64_t b) { return ce[b]; }));
}

template <class T>
void tur_backward(Mat<const T> U, Mat<const T> Ob, int64_t L, T scale, Mat<const T> P, const T* dloss, Mat<T> dU,
                  Mat<T> dOb) {
  detail::check_tur_backward(U, Ob, L, P, dloss, dU, dOb);
  const int64_t B = U.rows, d = U.cols;
  const T k = *dloss * scale;
  auto gs = [&](int64_t b, int64_t s) { return k * (P.at(b, s) - (s == 0 ? T(1) : T(0))); };
#pragma omp parallel for schedule(static) if (B * L * d > kOmpMin)
  for (int64_t b = 0; b < B; ++b) {
    if (!dU.empty())
      for (int64_t c = 0; c < d; ++c) {
        T acc = T(0);
        for (int64_t s = 0; s < L; ++s) acc += gs(b, s) * Ob.at(b * L + s, c);
        dU.at(b, c) += acc;
      }
    if (!dOb.empty())
      for (int64_t s = 0; s < L; ++s) {
        const T g = gs(b, s);
        for (int64_t c = 0; c < d; ++c) dOb.at(b * L + s, c) += g * U.at(b, c);
      }
  }
}

#define LETHE_INSTANTIATE(T)                                                                        \
  template void tur_forward<T>(Mat<const T>, Mat<const T>, int64_t, T, Mat<T>, Vec<T>, T*);          \
  template void tur_backward<T>(Mat<const T>, Mat<const T>, int64_t, T, Mat<const T>, const T*, Mat<T>, Mat<T>);
LETHE_INSTANTIATE(float)
LETHE_INSTANTIATE(double)

}  // namespace lethe::ref
