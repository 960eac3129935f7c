// kernels/attention_ref.cpp — CPU reference for kernels/attention.h (the spec).
// Plain loops per block, in the summation orders the header fixes (the CUDA kernels follow the
// same orders); blocks are independent, so they run in parallel without affecting the result.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/attention.h"
#include "kernels/attention_check.h"
#include "kernels/philox.h"
#include "kernels/ref_util.h"

namespace lethe::ref {

template <class T>
void block_attention_forward(Mat<const T> Q, Mat<const T> K, Mat<const T> V, int64_t L, T scale, T c_att, T c_res,
                             Mat<T> O, Mat<T> P) {
  const int64_t N = detail::check_block_attention_forward(Q, K, V, L, O, P);
  const int64_t a = Q.cols, d = V.cols;
#pragma omp parallel for schedule(static) if (N * L * (L * a + d) > kOmpMin)
  for (int64_t n = 0; n < N; ++n) {
    const int64_t base = n * L;
    for (int64_t i = 0; i < L; ++i) {
      T* p = P.row(base + i);
      const T* q = Q.row(base + i);
      T m = -std::numeric_limits<T>::infinity();
      for (int64_t j = 0; j < L; ++j) {
        const T* k = K.row(base + j);
        T s = T(0);
        for (int64_t c = 0; c < a; ++c) s += q[c] * k[c];
        p[j] = s * scale;
        m = std::max(m, p[j]);
      }
      T z = T(0);
      for (int64_t j = 0; j < L; ++j) {
        p[j] = std::exp(p[j] - m);
        z += p[j];
      }
      for (int64_t j = 0; j < L; ++j) p[j] = p[j] / z;
    }
    for (int64_t i = 0; i < L; ++i) {
      const T* p = P.row(base + i);
      for (int64_t c = 0; c < d; ++c) {
        T acc = T(0);
        for (int64_t j = 0; j < L; ++j) acc += p[j] * V.at(base + j, c);
        O.at(base + i, c) = c_att * acc + c_res * V.at(base + i, c);
      }
    }
  }
}

template <class T>
void block_attention_backward(Mat<const T> Q, Mat<const T> K, Mat<const T> V, Mat<const T> P, Mat<const T> dO,
                              int64_t L, T scale, T c_att, T c_res, Mat<T> dQ, Mat<T> dK, Mat<T> dV) {
  const int64_t N = detail::check_block_attention_backward(Q, K, V, P, dO, L, dQ, dK, dV);
  const int64_t a = Q.cols, d = V.cols;
  const bool need_ds = !dQ.empty() || !dK.empty();
#pragma omp parallel if (N * L * (L * d + d) > kOmpMin)
  {
    std::vector<T> dS(static_cast<size_t>(need_ds ? L * L : 0));
#pragma omp for schedule(static)
    for (int64_t n = 0; n < N; ++n) {
      const int64_t base = n * L;
      if (need_ds) {
        for (int64_t i = 0; i < L; ++i) {
          const T* go = dO.row(base + i);
          const T* p = P.row(base + i);
          T* ds = dS.data() + i * L;
          T r = T(0);
          for (int64_t j = 0; j < L; ++j) {
            const T* v = V.row(base + j);
            T acc = T(0);
            for (int64_t c = 0; c < d; ++c) acc += go[c] * v[c];
            ds[j] = c_att * acc;
            r += p[j] * ds[j];
          }
          for (int64_t j = 0; j < L; ++j) ds[j] = p[j] * (ds[j] - r);
          if (!dQ.empty())
            for (int64_t k = 0; k < a; ++k) {
              T acc = T(0);
              for (int64_t j = 0; j < L; ++j) acc += ds[j] * K.at(base + j, k);
              dQ.at(base + i, k) += scale * acc;
            }
        }
        if (!dK.empty())
          for (int64_t j = 0; j < L; ++j)
            for (int64_t k = 0; k < a; ++k) {
              T acc = T(0);
              for (int64_t i = 0; i < L; ++i) acc += dS[static_cast<size_t>(i * L + j)] * Q.at(base + i, k);
              dK.at(base + j, k) += scale * acc;
            }
      }
      if (!dV.empty())
        for (int64_t j = 0; j < L; ++j)
          for (int64_t c = 0; c < d; ++c) {
            T acc = T(0);
            for (int64_t i = 0; i < L; ++i) acc += P.at(base + i, j) * dO.at(base + i, c);
            dV.at(base + j, c) += c_att * acc + c_res * dO.at(base + j, c);
          }
    }
  }
}

void attn_sample_indices(uint64_t seed, uint64_t stream, int32_t lo, int32_t count, Mat<int32_t> out) {
  detail::check_attn_sample_indices(lo, count, out);
  const int64_t N = out.rows, L = out.cols, S = L - 1;
#pragma omp parallel for schedule(static) if (N * L > kOmpMin)
  for (int64_t n = 0; n < N; ++n) {
    out.at(n, 0) = static_cast<int32_t>(n);
    for (int64_t s = 0; s < S; ++s) {
      const uint64_t j = static_cast<uint64_t>(n * S + s);
      const U32x4 r = philox(seed, stream, j / 4);
      out.at(n, 1 + s) = lo + static_cast<int32_t>(below(r.v[j % 4], static_cast<uint32_t>(count)));
    }
  }
}

#define LETHE_INSTANTIATE(T)                                                                                     \
  template void block_attention_forward<T>(Mat<const T>, Mat<const T>, Mat<const T>, int64_t, T, T, T, Mat<T>,    \
                                           Mat<T>);                                                                \
  template void block_attention_backward<T>(Mat<const T>, Mat<const T>, Mat<const T>, Mat<const T>, Mat<const T>, \
                                            int64_t, T, T, T, Mat<T>, Mat<T>, Mat<T>);
LETHE_INSTANTIATE(float)
LETHE_INSTANTIATE(double)

}  // namespace lethe::ref
