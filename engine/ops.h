// engine/ops.h — engine-level ops: each takes a Ctx and Tensors and dispatches to the CPU
// reference (f32 or f64) or the CUDA version (f32), after checking that every operand lives on
// the context's device. Semantics are the kernels' (kernels/<family>.h): forward ops overwrite,
// backward ops accumulate, an undefined gradient tensor is skipped. Scalars (losses, upstream
// gradients) are 1×1 tensors on the device. Models never call these directly; the tape does.
#pragma once

#include <vector>

#include "engine/context.h"
#include "engine/tensor.h"
#include "kernels/optim.h"
#include "kernels/step.h"

namespace lethe::ops {

// ---- elementwise (operands of equal numel) ----
void fill(Ctx& c, const Tensor& y, double v);
void copy(Ctx& c, const Tensor& x, const Tensor& y);
void add(Ctx& c, const Tensor& a, const Tensor& b, const Tensor& y);
void sub(Ctx& c, const Tensor& a, const Tensor& b, const Tensor& y);
void mul(Ctx& c, const Tensor& a, const Tensor& b, const Tensor& y);
void scale(Ctx& c, const Tensor& x, double alpha, const Tensor& y);
void axpy(Ctx& c, double alpha, const Tensor& x, const Tensor& y);
void mul_backward(Ctx& c, const Tensor& a, const Tensor& b, const Tensor& dy, const Tensor& da, const Tensor& db);
void sigmoid(Ctx& c, const Tensor& x, const Tensor& y);
void sigmoid_backward(Ctx& c, const Tensor& y, const Tensor& dy, const Tensor& dx, bool accumulate = true);
void tanh(Ctx& c, const Tensor& x, const Tensor& y);
void tanh_backward(Ctx& c, const Tensor& y, const Tensor& dy, const Tensor& dx, bool accumulate = true);
void softplus(Ctx& c, const Tensor& x, const Tensor& y);
void softplus_backward(Ctx& c, const Tensor& x, const Tensor& dy, const Tensor& dx);
void prelu(Ctx& c, const Tensor& x, const Tensor& slope, const Tensor& y);
void prelu_backward(Ctx& c, const Tensor& x, const Tensor& slope, const Tensor& dy, const Tensor& dx, const Tensor& dslope);
void scale_rows(Ctx& c, const Tensor& X, const Tensor& s, const Tensor& Y);
void scale_rows_backward(Ctx& c, const Tensor& X, const Tensor& s, const Tensor& dY, const Tensor& dX, const Tensor& ds);

// ---- row ops ----
void rowdot(Ctx& c, const Tensor& X, const Tensor& Y, const Tensor& out);
void rowdot_backward(Ctx& c, const Tensor& X, const Tensor& Y, const Tensor& dout, const Tensor& dX, const Tensor& dY);
void l2norm_rows(Ctx& c, const Tensor& X, double eps, const Tensor& Y, const Tensor& norm);
void l2norm_rows_backward(Ctx& c, const Tensor& Y, const Tensor& norm, double eps, const Tensor& dY, const Tensor& dX);
void softmax_rows(Ctx& c, const Tensor& X, const Tensor& Y);
void softmax_rows_backward(Ctx& c, const Tensor& Y, const Tensor& dY, const Tensor& dX);
void mean_of(Ctx& c, const std::vector<Tensor>& xs, const Tensor& Y);
void mean_of_backward(Ctx& c, const Tensor& dY, const std::vector<Tensor>& dxs);
void col_get(Ctx& c, const Tensor& X, int64_t m, const Tensor& y, bool accumulate);
void col_add(Ctx& c, const Tensor& x, int64_t m, const Tensor& Y);
void sqnorm_sum(Ctx& c, const Tensor& x, double coef, const Tensor& out);
void sqnorm_sum_backward(Ctx& c, const Tensor& x, double coef, const Tensor& dout, const Tensor& dx);
void sum(Ctx& c, const Tensor& x, double coef, const Tensor& out);
void sum_backward(Ctx& c, double coef, const Tensor& dout, const Tensor& dx);

// ---- dense products ----
// C = alpha·op(A)·op(B) + beta·C with shapes taken from the tensors (A, B, C contiguous).
void gemm(Ctx& c, bool trans_a, bool trans_b, double alpha, const Tensor& A, const Tensor& B, double beta,
          const Tensor& C);
void linear_forward(Ctx& c, const Tensor& X, const Tensor& W, const Tensor& b, const Tensor& Y);
void linear_backward(Ctx& c, const Tensor& X, const Tensor& W, const Tensor& dY, const Tensor& dX, const Tensor& dW,
                     const Tensor& db);

// ---- sparse, gather ----
void spmm(Ctx& c, const Csr& A, const Tensor& X, const Tensor& Y, bool accumulate);
void gather_rows(Ctx& c, const Tensor& table, const IdxTensor& idx, const Tensor& out);
void scatter_add_rows(Ctx& c, const Tensor& dout, const IdxTensor& idx, const Tensor& dtable);

// ---- losses ----
void bpr_forward(Ctx& c, const Tensor& U, const Tensor& P, const Tensor& N, const Tensor& w, double scale,
                 bool reverse, const Tensor& x, const Tensor& loss);
void bpr_backward(Ctx& c, const Tensor& U, const Tensor& P, const Tensor& N, const Tensor& w, double scale,
                  bool reverse, const Tensor& x, const Tensor& dloss, const Tensor& dU, const Tensor& dP,
                  const Tensor& dN);
void infonce_forward(Ctx& c, const Tensor& X, const Tensor& Y, double tau, const Tensor& Xn, const Tensor& Yn,
                     const Tensor& nx, const Tensor& ny, const Tensor& P, const Tensor& loss);
void infonce_backward(Ctx& c, const Tensor& Xn, const Tensor& Yn, const Tensor& nx, const Tensor& ny,
                      const Tensor& P, double tau, const Tensor& dloss, const Tensor& dX, const Tensor& dY);

// ---- slab reductions and optimizers ----
// offsets: nseg+1 int64 on the context's device; returns the nseg squared norms on the host.
std::vector<double> segmented_sqnorm(Ctx& c, const Tensor& x, const int64_t* offsets, int64_t nseg);
double clip_global_norm(Ctx& c, const Tensor& x, double max_norm);  // returns the pre-clip norm
void adam_step(Ctx& c, const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const AdamHp& hp,
               const uint8_t* mask, SegScale seg);
void sgd_step(Ctx& c, const Tensor& p, const Tensor& g, double lr, const uint8_t* mask, SegScale seg);
void grad_combine(Ctx& c, const Tensor& out, const Tensor& gf, const Tensor& gr, const uint8_t* mask, SegScale seg);

// ---- the training step's own state (kernels/step.h; st in memory on the context's device) ----
void step_begin(Ctx& c, StepState* st, double beta1, double beta2, const IdxTensor& all_users,
                const IdxTensor& all_items, int64_t batch, const IdxTensor& users, const IdxTensor& items);
// Undefined terms count 0; total is required.
void accumulate_losses(Ctx& c, StepState* st, const Tensor& total, const Tensor& rank, const Tensor& reg,
                       const Tensor& aux);
void adam_step_at(Ctx& c, const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const StepState* st,
                  const AdamHp& hp);
void sample_negatives_at(Ctx& c, uint64_t seed, const StepState* st, const IdxTensor& users, const IdxTensor& pool,
                         const Csr& train, const IdxTensor& out);
// Adam applied to a parameter table P (N×in) with the gradient G = dY·Wᵀ (dY N×out, W in×out):
// the dX product of a linear layer whose input is P, when that product is P's whole gradient
// (kernels/optim.h: gemm_adam_at). The product is applied as it is computed and never stored on
// a GPU (one kernel) and on a CPU with AVX-512 (bit for bit the stored product and adam_step_at);
// otherwise G (P's gradient buffer) receives it and Adam runs over it. M, V: P's Adam moments;
// st: the step's state. Returns whether G was written.
bool linear_dx_adam(Ctx& c, const Tensor& dY, const Tensor& W, const Tensor& G, const Tensor& P, const Tensor& M,
                    const Tensor& V, const StepState* st, const AdamHp& hp);

// ---- ranking and sampling ----
// idx: R×K int32 on the device (Mat<int32_t>), val: R×K tensor.
void topk_rows(Ctx& c, const Tensor& S, const Csr* exclude, int64_t row0, int K, Mat<int32_t> idx, const Tensor& val);
void sample_negatives(Ctx& c, uint64_t seed, uint64_t stream, const IdxTensor& users, const IdxTensor& pool,
                      const Csr& train, const IdxTensor& out);
void dropout_forward(Ctx& c, const Tensor& x, double p, uint64_t seed, uint64_t stream, const Tensor& y,
                     uint8_t* mask);
void dropout_backward(Ctx& c, const Tensor& dy, const uint8_t* mask, double p, const Tensor& dx);
void fill_uniform(Ctx& c, const Tensor& x, double lo, double hi, uint64_t seed, uint64_t stream);

// ---- MIG-GT ops ----
// (Implemented in engine/ops_miggt.cpp; kernels/batchnorm.h, attention.h, tur.h, edgedrop.h.)
// Batch normalisation over the rows of X (N×C); gamma, beta, mean, invstd and the running
// statistics hold C elements in any 2-D shape. running_mean/var may be undefined (no update).
void batchnorm_forward_train(Ctx& c, const Tensor& X, const Tensor& gamma, const Tensor& beta, double eps,
                             double momentum, const Tensor& Y, const Tensor& mean, const Tensor& invstd,
                             const Tensor& running_mean, const Tensor& running_var);
void batchnorm_forward_eval(Ctx& c, const Tensor& X, const Tensor& gamma, const Tensor& beta,
                            const Tensor& running_mean, const Tensor& running_var, double eps, const Tensor& Y,
                            const Tensor& mean, const Tensor& invstd);
void batchnorm_backward(Ctx& c, const Tensor& X, const Tensor& gamma, const Tensor& mean, const Tensor& invstd,
                        const Tensor& dY, bool batch_stats, const Tensor& dX, const Tensor& dgamma,
                        const Tensor& dbeta);
// Independent attention blocks of L rows: Q, K (N·L)×a, V and O (N·L)×d, P (N·L)×L.
void block_attention_forward(Ctx& c, const Tensor& Q, const Tensor& K, const Tensor& V, int64_t L, double scale,
                             double c_att, double c_res, const Tensor& O, const Tensor& P);
void block_attention_backward(Ctx& c, const Tensor& Q, const Tensor& K, const Tensor& V, const Tensor& P,
                              const Tensor& dO, int64_t L, double scale, double c_att, double c_res, const Tensor& dQ,
                              const Tensor& dK, const Tensor& dV);
// out: N·L indices on the device, row-major N×L (node itself first, then L−1 draws in [lo, lo+count)).
void attn_sample_indices(Ctx& c, uint64_t seed, uint64_t stream, int32_t lo, int32_t count, int64_t N, int64_t L,
                         const IdxTensor& out);
// TUR cross-entropy: U B×d, Ob (B·L)×d, P B×L, ce B, loss 1×1.
void tur_forward(Ctx& c, const Tensor& U, const Tensor& Ob, int64_t L, double scale, const Tensor& P,
                 const Tensor& ce, const Tensor& loss);
void tur_backward(Ctx& c, const Tensor& U, const Tensor& Ob, int64_t L, double scale, const Tensor& P,
                  const Tensor& dloss, const Tensor& dU, const Tensor& dOb);
// Edge dropout of nnz CSR values (float on every device: graph weights are float) into out;
// ids = the edge id of every entry (null: the position). Pointers on the context's device.
void edge_dropout(Ctx& c, const float* val, const int32_t* ids, int64_t nnz, double p, uint64_t seed,
                  uint64_t stream, float* out);

}  // namespace lethe::ops
