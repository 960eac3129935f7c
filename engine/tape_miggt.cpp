// engine/tape_miggt.cpp — the MIG-GT section of engine/tape.h. These are ordinary Tape members
// (defined in their own file), so they record nodes through the same private push()/g() as
// tape.cpp: no extra hook was needed. Each op allocates its outputs and saved tensors in the
// arena, runs the forward engine op and records a backward closure that accumulates into the
// inputs' gradients.
#include <string>

#include "engine/ops.h"
#include "engine/tape.h"

namespace lethe {

Var Tape::batchnorm(Var x, Var gamma, Var beta, const Tensor& running_mean, const Tensor& running_var, bool training,
                    double eps, double momentum) {
  const Tensor& xv = value(x);
  const int64_t C = xv.cols;
  LETHE_CHECK(value(gamma).numel() == C && value(beta).numel() == C,
              "batchnorm: gamma and beta need one entry per column of " + xv.shape());
  LETHE_CHECK(running_mean.numel() == C && running_var.numel() == C,
              "batchnorm: the running statistics need one entry per column of " + xv.shape());
  Tensor y = alloc(xv.rows, C), mean = alloc(1, C), invstd = alloc(1, C);
  if (training)
    ops::batchnorm_forward_train(ctx_, xv, value(gamma), value(beta), eps, momentum, y, mean, invstd, running_mean,
                                 running_var);
  else
    ops::batchnorm_forward_eval(ctx_, xv, value(gamma), value(beta), running_mean, running_var, eps, y, mean, invstd);
  return push(y, {x, gamma, beta}, [this, x, gamma, beta, mean, invstd, training](const Tensor& dy) {
    ops::batchnorm_backward(ctx_, value(x), value(gamma), mean, invstd, dy, training, g(x), g(gamma), g(beta));
  });
}

Var Tape::block_attention(Var q, Var k, Var v, int64_t L, double scale, double c_att, double c_res) {
  // The kernels take the three gradients as non-aliasing buffers.
  LETHE_CHECK(q.id != k.id && q.id != v.id && k.id != v.id, "block_attention: q, k and v must be distinct nodes");
  const Tensor &Q = value(q), &K = value(k), &V = value(v);
  Tensor O = alloc(V.rows, V.cols), P = alloc(V.rows, L);
  ops::block_attention_forward(ctx_, Q, K, V, L, scale, c_att, c_res, O, P);
  return push(O, {q, k, v}, [this, q, k, v, P, L, scale, c_att, c_res](const Tensor& dy) {
    ops::block_attention_backward(ctx_, value(q), value(k), value(v), P, dy, L, scale, c_att, c_res, g(q), g(k), g(v));
  });
}

Var Tape::tur(Var u, Var blocks, int64_t L, double scale) {
  const Tensor &U = value(u), &Ob = value(blocks);
  LETHE_CHECK(u.id != blocks.id, "tur: the user rows and the candidate blocks must be different nodes");
  Tensor P = alloc(U.rows, L), ce = alloc(U.rows, 1), loss = alloc(1, 1);
  ops::tur_forward(ctx_, U, Ob, L, scale, P, ce, loss);
  return push(loss, {u, blocks}, [this, u, blocks, P, L, scale](const Tensor& dy) {
    ops::tur_backward(ctx_, value(u), value(blocks), L, scale, P, dy, g(u), g(blocks));
  });
}

Var Tape::reshape(Var x, int64_t rows, int64_t cols) {
  const Tensor& xv = value(x);
  LETHE_CHECK(rows >= 0 && cols >= 0 && rows * cols == xv.numel(),
              "reshape: " + xv.shape() + " cannot be viewed as " + shape_str(rows, cols));
  Tensor y = xv.reshaped(rows, cols);  // a view: values are never modified after creation
  return push(y, {x}, [this, x](const Tensor& dy) {
    if (dy.numel()) add_scaled(x, 1.0, dy);
  });
}

IdxTensor Tape::attn_sample(int64_t N, int64_t L, int32_t lo, int32_t count, uint64_t seed, uint64_t stream) {
  IdxTensor out = alloc_idx(N * L);
  ops::attn_sample_indices(ctx_, seed, stream, lo, count, N, L, out);
  return out;
}

Tape::SpView Tape::edge_dropout(const SpOp& A, const IdxTensor& t2a, double p, uint64_t seed, uint64_t stream) {
  LETHE_CHECK(A.A && A.At, "edge_dropout needs the matrix and its transpose");
  SpView v{A.A->view(), A.At->view()};
  LETHE_CHECK(p >= 0.0 && p < 1.0, "edge dropout probability must be in [0, 1)");
  if (p == 0.0) return v;
  const int64_t nnz = v.A.nnz;
  LETHE_CHECK(v.At.nnz == nnz && t2a.n == nnz,
              "edge_dropout: the transpose and its edge-id map must have the matrix's " + std::to_string(nnz) +
                  " entries");
  LETHE_CHECK(t2a.n == 0 || t2a.device == ctx_.device(), "edge_dropout: edge-id map on the wrong device");
  LETHE_CHECK(nnz == 0 || (v.A.val && v.At.val), "edge_dropout: the graph has no values");
  float* a = static_cast<float*>(arena_.alloc(static_cast<size_t>(nnz) * sizeof(float)));
  float* at = static_cast<float*>(arena_.alloc(static_cast<size_t>(nnz) * sizeof(float)));
  if (nnz) {
    ops::edge_dropout(ctx_, v.A.val, nullptr, nnz, p, seed, stream, a);
    ops::edge_dropout(ctx_, v.At.val, t2a.data, nnz, p, seed, stream, at);
  }
  v.A.val = a;
  v.At.val = at;
  return v;
}

Var Tape::spmm(const SpView& A, Var x) {
  const Tensor& xv = value(x);
  LETHE_CHECK(A.A.cols == xv.rows && A.At.rows == xv.rows && A.At.cols == A.A.rows,
              "spmm: A is " + shape_str(A.A.rows, A.A.cols) + " (transpose " + shape_str(A.At.rows, A.At.cols) +
                  "), x is " + xv.shape());
  Tensor y = alloc(A.A.rows, xv.cols);
  ops::spmm(ctx_, A.A, xv, y, false);
  return push(y, {x}, [this, A, x](const Tensor& dy) {
    bool first;
    if (Tensor gx = g_first(x, first); gx.defined()) ops::spmm(ctx_, A.At, dy, gx, !first);
  });
}

}  // namespace lethe
