// kernels/registry.cpp — see registry.h. Each family adds its ops in its own section.
#include "kernels/registry.h"

#include "kernels/bpr.h"
#include "kernels/elementwise.h"
#include "kernels/gather.h"
#include "kernels/gemm.h"
#include "kernels/infonce.h"
#include "kernels/optim.h"
#include "kernels/reduce.h"
#include "kernels/rowops.h"
#include "kernels/sampling.h"
#include "kernels/spmm.h"
#include "kernels/topk.h"

namespace lethe {

#define LETHE_OP(fam, op, fd) \
  OpEntry{#op, #fam, reinterpret_cast<AnyFn>(&ref::op<float>), reinterpret_cast<AnyFn>(&cuda::op), fd}
#define LETHE_OP_NT(fam, op, fd) \
  OpEntry{#op, #fam, reinterpret_cast<AnyFn>(&ref::op), reinterpret_cast<AnyFn>(&cuda::op), fd}

const std::vector<OpEntry>& op_registry() {
  static const std::vector<OpEntry> ops = {
      // ---- elementwise ----
      LETHE_OP(elementwise, fill, nullptr),
      LETHE_OP(elementwise, copy, nullptr),
      LETHE_OP(elementwise, add, nullptr),
      LETHE_OP(elementwise, sub, nullptr),
      LETHE_OP(elementwise, mul, "mul"),
      LETHE_OP(elementwise, scale, nullptr),
      LETHE_OP(elementwise, axpy, nullptr),
      LETHE_OP(elementwise, mul_backward, "mul"),
      LETHE_OP(elementwise, sigmoid, "sigmoid"),
      LETHE_OP(elementwise, sigmoid_backward, "sigmoid"),
      LETHE_OP(elementwise, tanh, "tanh"),
      LETHE_OP(elementwise, tanh_backward, "tanh"),
      LETHE_OP(elementwise, softplus, "softplus"),
      LETHE_OP(elementwise, softplus_backward, "softplus"),
      LETHE_OP(elementwise, prelu, "prelu"),
      LETHE_OP(elementwise, prelu_backward, "prelu"),
      LETHE_OP(elementwise, scale_rows, "scale_rows"),
      LETHE_OP(elementwise, scale_rows_backward, "scale_rows"),
      // ---- rowops ----
      // ---- gemm ----
      // ---- spmm ----
      // ---- gather ----
      // ---- bpr ----
      // ---- infonce ----
      // ---- reduce ----
      // ---- optim ----
      // ---- topk ----
      // ---- sampling ----
  };
  return ops;
}

}  // namespace lethe
