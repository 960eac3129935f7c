// kernels/optim_check.h — the host-side precondition checks of kernels/optim.h, shared by the CPU
// reference (optim_ref.cpp) and the CUDA launchers (optim.cu), so that both reject the same
// arguments with the same messages. Plain C++ (no CUDA headers): included by g++ and nvcc alike.
// The SegScale checks stay with each version: the reference reads the offsets (bounds,
// monotonicity), the CUDA version cannot (device pointers) and says so in its message.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/optim.h"

namespace lethe::detail {

template <class T>
inline void check_adam_step(const T* p, const T* g, const T* m, const T* v, int64_t n, const AdamHp& hp) {
  LETHE_CHECK(n >= 0, "adam_step: negative length");
  LETHE_CHECK(n == 0 || (p && g && m && v), "adam_step: p, g, m and v are required");
  LETHE_CHECK(hp.step >= 1, "adam_step: step must be >= 1 (got " + std::to_string(hp.step) + ")");
  LETHE_CHECK(hp.beta1 >= 0.0 && hp.beta1 < 1.0 && hp.beta2 >= 0.0 && hp.beta2 < 1.0,
              "adam_step: betas must lie in [0, 1)");
  LETHE_CHECK(hp.lr >= 0.0 && hp.eps >= 0.0 && hp.weight_decay >= 0.0, "adam_step: lr, eps and weight_decay must be >= 0");
}

template <class T>
inline void check_gemm_adam_at(Mat<const T> dY, Mat<const T> W, Mat<T> P, Mat<T> M, Mat<T> V, const void* st) {
  LETHE_CHECK(st != nullptr, "gemm_adam_at: no step state");
  LETHE_CHECK(dY.cols == W.cols && P.rows == dY.rows && P.cols == W.rows,
              "gemm_adam_at: dY " + shape_str(dY.rows, dY.cols) + " · W" + shape_str(W.rows, W.cols) + "ᵀ for P " +
                  shape_str(P.rows, P.cols));
  check_same_shape(M, P, "gemm_adam_at (M)");
  check_same_shape(V, P, "gemm_adam_at (V)");
}

template <class T>
inline void check_sgd_step(const T* p, const T* g, int64_t n) {
  LETHE_CHECK(n >= 0, "sgd_step: negative length");
  LETHE_CHECK(n == 0 || (p && g), "sgd_step: p and g are required");
}

template <class T>
inline void check_grad_combine(const T* out, const T* gf, int64_t n) {
  LETHE_CHECK(n >= 0, "grad_combine: negative length");
  LETHE_CHECK(n == 0 || (out && gf), "grad_combine: out and gf are required");
}

}  // namespace lethe::detail
