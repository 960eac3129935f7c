// kernels/batchnorm_check.h — the host-side precondition checks of kernels/batchnorm.h, shared by
// the CPU reference (batchnorm_ref.cpp) and the CUDA launchers (batchnorm.cu), so that both
// reject the same arguments with the same messages. Plain C++ (no CUDA headers): included by g++
// and nvcc alike. What only one side can check stays there: the reference also rejects a negative
// running variance (it reads the data; device data is not inspected on the host), the CUDA side
// checks GpuExec.scratch.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/batchnorm.h"

namespace lethe::detail {

// A per-channel vector must have one entry per column of x.
template <class X, class V>
inline void check_bn_vec(const V& v, const X& x, const char* op, const char* what) {
  if (v.n != x.cols)
    LETHE_FAIL(std::string(op) + ": " + what + " has " + std::to_string(v.n) + " entries for " +
               std::to_string(x.cols) + " columns");
}

template <class T>
inline void check_bn_common(Mat<const T> X, Vec<const T> gamma, const char* op) {
  LETHE_CHECK(X.rows >= 0 && X.cols >= 0, std::string(op) + ": negative shape");
  check_bn_vec(gamma, X, op, "gamma");
}

template <class T>
inline void check_batchnorm_forward_train(Mat<const T> X, Vec<const T> gamma, Vec<const T> beta, T eps, T momentum,
                                          Mat<T> Y, Vec<T> mean, Vec<T> invstd, Vec<T> running_mean,
                                          Vec<T> running_var) {
  const char* op = "batchnorm_forward_train";
  check_bn_common(X, gamma, op);
  check_bn_vec(beta, X, op, "beta");
  check_bn_vec(mean, X, op, "mean");
  check_bn_vec(invstd, X, op, "invstd");
  check_same_shape(X, Y, op);
  LETHE_CHECK(running_mean.empty() == running_var.empty(), "batchnorm_forward_train: give both running statistics or neither");
  if (!running_mean.empty()) {
    check_bn_vec(running_mean, X, op, "running_mean");
    check_bn_vec(running_var, X, op, "running_var");
  }
  LETHE_CHECK(eps > T(0), "batchnorm_forward_train: eps must be > 0");
  LETHE_CHECK(momentum >= T(0) && momentum <= T(1), "batchnorm_forward_train: momentum must lie in [0, 1]");
  const int64_t N = X.rows, C = X.cols;
  if (C == 0) return;  // no channel: nothing to normalise, any row count is fine
  LETHE_CHECK(N >= 2, "batchnorm_forward_train: training mode needs at least 2 rows per channel (got " +
                          std::to_string(N) + "); use evaluation mode for a single row");
}

template <class T>
inline void check_batchnorm_forward_eval(Mat<const T> X, Vec<const T> gamma, Vec<const T> beta,
                                         Vec<const T> running_mean, Vec<const T> running_var, T eps, Mat<T> Y,
                                         Vec<T> mean, Vec<T> invstd) {
  const char* op = "batchnorm_forward_eval";
  check_bn_common(X, gamma, op);
  check_bn_vec(beta, X, op, "beta");
  check_bn_vec(running_mean, X, op, "running_mean");
  check_bn_vec(running_var, X, op, "running_var");
  check_bn_vec(mean, X, op, "mean");
  check_bn_vec(invstd, X, op, "invstd");
  check_same_shape(X, Y, op);
  LETHE_CHECK(eps > T(0), "batchnorm_forward_eval: eps must be > 0");
}

template <class T>
inline void check_batchnorm_backward(Mat<const T> X, Vec<const T> gamma, Vec<const T> mean, Vec<const T> invstd,
                                     Mat<const T> dY, Mat<T> dX, Vec<T> dgamma, Vec<T> dbeta) {
  const char* op = "batchnorm_backward";
  check_bn_common(X, gamma, op);
  check_bn_vec(mean, X, op, "mean");
  check_bn_vec(invstd, X, op, "invstd");
  check_same_shape(X, dY, op);
  if (!dX.empty()) check_same_shape(X, dX, op);
  if (!dgamma.empty()) check_bn_vec(dgamma, X, op, "dgamma");
  if (!dbeta.empty()) check_bn_vec(dbeta, X, op, "dbeta");
}

}  // namespace lethe::detail
