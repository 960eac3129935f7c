// kernels/registry.cpp — see registry.h. Each family adds its ops in its own section.
#include "kernels/registry.h"

#include "kernels/attention.h"
#include "kernels/batchnorm.h"
#include "kernels/bpr.h"
#include "kernels/edgedrop.h"
#include "kernels/elementwise.h"
#include "kernels/gather.h"
#include "kernels/gemm.h"
#include "kernels/infonce.h"
#include "kernels/optim.h"
#include "kernels/reduce.h"
#include "kernels/rowops.h"
#include "kernels/sampling.h"
#include "kernels/spmm.h"
#include "kernels/step.h"
#include "kernels/topk.h"
#include "kernels/tur.h"

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
      LETHE_OP(rowops, rowdot, "rowdot"),
      LETHE_OP(rowops, rowdot_backward, "rowdot"),
      LETHE_OP(rowops, l2norm_rows, "l2norm_rows"),
      LETHE_OP(rowops, l2norm_rows_backward, "l2norm_rows"),
      LETHE_OP(rowops, softmax_rows, "softmax_rows"),
      LETHE_OP(rowops, softmax_rows_backward, "softmax_rows"),
      LETHE_OP(rowops, mean_of, "mean_of"),
      LETHE_OP(rowops, mean_of_backward, "mean_of"),
      LETHE_OP(rowops, col_get, "col_get"),
      LETHE_OP(rowops, col_add, "col_get"),
      LETHE_OP(rowops, sqnorm_sum, "sqnorm_sum"),
      LETHE_OP(rowops, sqnorm_sum_backward, "sqnorm_sum"),
      LETHE_OP(rowops, sum, "sum"),
      LETHE_OP(rowops, sum_backward, "sum"),
      // ---- gemm ----
      LETHE_OP(gemm, gemm, "gemm"),
      LETHE_OP(gemm, linear_forward, "linear"),
      LETHE_OP(gemm, linear_backward, "linear"),
      // ---- spmm ----
      LETHE_OP(spmm, spmm, "spmm"),
      // The cuSPARSE variant shares the reference (and the finite-difference test) of spmm.
      OpEntry{"spmm_cusparse", "spmm", reinterpret_cast<AnyFn>(&ref::spmm<float>),
              reinterpret_cast<AnyFn>(&cuda::spmm_cusparse), "spmm"},
      // ---- gather ----
      LETHE_OP(gather, gather_rows, "gather"),
      LETHE_OP(gather, scatter_add_rows, "gather"),
      // ---- bpr ----
      LETHE_OP(bpr, bpr_forward, "bpr"),
      LETHE_OP(bpr, bpr_backward, "bpr"),
      // ---- infonce ----
      LETHE_OP(infonce, infonce_forward, "infonce"),
      LETHE_OP(infonce, infonce_backward, "infonce"),
      // ---- reduce ----
      LETHE_OP(reduce, segmented_sqnorm, nullptr),
      LETHE_OP(reduce, clip_global_norm, nullptr),
      // ---- optim ----
      LETHE_OP(optim, adam_step, nullptr),
      LETHE_OP(optim, adam_step_at, nullptr),
      LETHE_OP(optim, gemm_adam_at, nullptr),
      LETHE_OP(optim, sgd_step, nullptr),
      LETHE_OP(optim, grad_combine, nullptr),
      // ---- topk ----
      LETHE_OP(topk, topk_rows, nullptr),
      // ---- sampling ----
      LETHE_OP_NT(sampling, sample_negatives, nullptr),
      LETHE_OP_NT(sampling, sample_negatives_at, nullptr),
      LETHE_OP(sampling, dropout_forward, "dropout"),
      LETHE_OP(sampling, dropout_backward, "dropout"),
      LETHE_OP(sampling, fill_uniform, nullptr),
      // ---- miggt ----
      LETHE_OP(batchnorm, batchnorm_forward_train, "batchnorm"),
      LETHE_OP(batchnorm, batchnorm_forward_eval, "batchnorm"),
      LETHE_OP(batchnorm, batchnorm_backward, "batchnorm"),
      LETHE_OP(attention, block_attention_forward, "block_attention"),
      LETHE_OP(attention, block_attention_backward, "block_attention"),
      LETHE_OP_NT(attention, attn_sample_indices, nullptr),
      LETHE_OP(tur, tur_forward, "tur"),
      LETHE_OP(tur, tur_backward, "tur"),
      LETHE_OP(edgedrop, edge_dropout, nullptr),
      // ---- step ----
      LETHE_OP_NT(step, step_begin, nullptr),
      LETHE_OP(step, accumulate_losses, nullptr),
  };
  return ops;
}

}  // namespace lethe
