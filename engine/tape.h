// engine/tape.h — the autodiff tape. Forward ops record a node (value + a backward closure over
// the views it saved); backward replays the nodes in reverse creation order, accumulating into
// input gradients. Creation order is a topological order (an op's inputs exist before it), so
// a node's gradient is complete when its own backward runs.
//
// Parameter leaves are bound to the ParamStore's slab: their gradients go into the GradSlab
// given to backward(), which accumulates (the caller zeroes it). A tape can therefore be
// backpropagated more than once from different losses into different gradient slabs — TRU's
// separate forget and retain gradients (docs/TRU.md) — because backward never modifies saved
// values. Values and intermediate gradients live in the tape's arena on the context's device,
// released together by clear() at the start of the next step, so a warmed-up training step
// allocates nothing (tests/models/test_trainer.cpp StepAllocation checks it on the CPU; on a GPU
// it is a claim until that test's CUDA case has run there). Evaluation is not a step: evaluate()
// allocates its score tiles per call, and embed() builds a fresh tape each time.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/context.h"
#include "engine/params.h"
#include "engine/sparse.h"
#include "engine/tensor.h"
#include "kernels/optim.h"

namespace lethe {

struct StepState;  // kernels/step.h

// An optimizer update a backward applies itself where it can (the trainer's Adam, engine/step.h):
// a parameter table whose only use is as the input X of a linear layer gets its whole gradient
// from that layer's dX = dY·Wᵀ, so the backward updates the table from the product
// (ops::linear_dx_adam: on a GPU and on a CPU with AVX-512 the product is never stored) instead of
// writing it into the gradient slab; `done` marks the parameter, and the caller's Adam leaves it
// out. On the CPU every element ends with the bits a stored gradient and a later Adam step would
// give it; on a GPU the product is summed in the CPU GEMM's order rather than cuBLAS's, so the two
// agree to rounding. A fused parameter's
// gradient is not in the slab afterwards (its zero stays pending: a reader sees zeros).
struct FusedAdam {
  Tensor m, v;                      // Adam's moment slabs, the parameter store's layout
  const StepState* state = nullptr; // the step's t and learning rate (kernels/step.h)
  AdamHp hp;                        // β1, β2, eps, weight decay (lr and step come from state)
  std::vector<char> done;           // per parameter id: updated during the backward
};

struct Var {
  int id = -1;
  bool valid() const { return id >= 0; }
};

class Tape {
 public:
  Tape(Ctx& ctx, const ParamStore& ps);
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  Ctx& ctx() { return ctx_; }
  const ParamStore& params() const { return ps_; }
  DType dtype() const { return dtype_; }
  // Forget every node and release the arena (and the context's op scratch).
  void clear();
  int size() const { return static_cast<int>(nodes_.size()); }
  // How many block allocations the tape's arena has made (it changes when its memory moves).
  int64_t arena_blocks() const { return arena_.block_mallocs(); }

  // ---- memory on the context's device, valid until clear() ----
  Tensor alloc(int64_t rows, int64_t cols);
  Tensor zeros(int64_t rows, int64_t cols);
  Tensor upload(const std::vector<double>& host, int64_t rows, int64_t cols);
  IdxTensor upload_idx(const std::vector<int32_t>& host);
  IdxTensor alloc_idx(int64_t n);
  uint8_t* alloc_bytes(int64_t n);

  // ---- leaves ----
  Var param(int pid);
  Var param(const std::string& name) { return param(ps_.id(name)); }
  Var constant(const Tensor& t);                  // no gradient flows into it
  Var leaf(const Tensor& t);                      // a non-parameter leaf that receives a gradient (tests)

  const Tensor& value(Var v) const;
  double item(Var v);                             // a 1×1 value, read to the host
  Tensor grad(Var v) const;                       // a non-parameter node's gradient after backward (see add_scaled)
  bool requires_grad(Var v) const;

  // ---- ops (shapes in the comments; N rows, d columns) ----
  Var gather(Var table, const IdxTensor& idx);              // (n × d) = table[idx]
  Var spmm(const SpOp& A, Var x);                           // A·x; backward Aᵀ·dy
  Var linear(Var x, Var W, Var b);                          // x·W + b (b may be Var{})
  Var add(Var a, Var b);
  Var sub(Var a, Var b);
  Var mul(Var a, Var b);
  Var scale(Var x, double alpha);
  Var sigmoid(Var x);
  Var tanh(Var x);
  Var softplus(Var x);
  Var prelu(Var x, Var slope);                              // slope: 1×1
  Var scale_rows(Var x, Var s);                             // x (N×d) · s (N×1) per row
  Var rowdot(Var a, Var b);                                 // N×1
  Var l2norm(Var x, double eps = 1e-12);
  Var softmax_rows(Var x);
  Var mean_of(const std::vector<Var>& xs);
  Var sum_of(const std::vector<Var>& xs);                   // elementwise sum of equal shapes
  Var concat_rows(Var a, Var b);                            // a view when b's rows directly follow a's
  Var slice_rows(Var x, int64_t r0, int64_t n);
  Var stack_cols(const std::vector<Var>& cols);             // N×1 each → N×M
  Var col(Var x, int64_t m);                                // N×1
  // Scalar losses (1×1). w: per-triple weights (constant) or an undefined tensor.
  Var bpr(Var u, Var pos, Var neg, const Tensor& w, double scale, bool reverse);
  Var infonce(Var x, Var y, double tau);
  Var sqnorm(Var x, double coef);                           // coef·Σx²
  Var sum(Var x, double coef);                              // coef·Σx
  Var dropout(Var x, double p, uint64_t seed, uint64_t stream);

  // ---- MIG-GT ops ----
  // (Implemented in engine/tape_miggt.cpp.)
  // Batch normalisation over rows (x N×C; gamma, beta 1×C). Training: batch statistics, and the
  // running statistics (parameter-store tensors of C elements, never given a gradient) are
  // updated in place; evaluation: normalised with the running statistics.
  Var batchnorm(Var x, Var gamma, Var beta, const Tensor& running_mean, const Tensor& running_var, bool training,
                double eps = 1e-5, double momentum = 0.1);
  // Independent softmax-attention blocks of L rows with a weighted residual (kernels/attention.h):
  // q, k (N·L)×a, v (N·L)×d → (N·L)×d.
  Var block_attention(Var q, Var k, Var v, int64_t L, double scale, double c_att, double c_res);
  // TUR cross-entropy, scale·Σ_b CE(<u_b, blocks_{b·L+s}>_s, target 0): u B×d, blocks (B·L)×d → 1×1.
  Var tur(Var u, Var blocks, int64_t L, double scale);
  // The same elements in another 2-D shape (a view; the gradient is added back element-wise).
  Var reshape(Var x, int64_t rows, int64_t cols);
  // Rows each node attends over (N×L, row-major: the node, then L−1 uniform draws from
  // [lo, lo+count)), drawn on the device into the arena (kernels/attention.h).
  IdxTensor attn_sample(int64_t N, int64_t L, int32_t lo, int32_t count, uint64_t seed, uint64_t stream);
  // A sparse operator and its transpose as plain views (values may live in the arena).
  struct SpView {
    Csr A, At;
  };
  // Edge dropout of a graph (kernels/edgedrop.h): copies of A's and Aᵀ's values in the arena
  // with the same edges dropped (t2a: the A position of every Aᵀ entry); p = 0 returns the graph.
  SpView edge_dropout(const SpOp& A, const IdxTensor& t2a, double p, uint64_t seed, uint64_t stream);
  Var spmm(const SpView& A, Var x);                         // A·x; backward Aᵀ·dy

  // Backpropagate `loss` (1×1) with upstream gradient `seed` into parameter gradients in
  // `grads` (accumulating) and into fresh intermediate gradients. With `fused`, parameters that
  // qualify are updated by Adam during the backward instead (see FusedAdam).
  void backward(Var loss, const GradSlab& grads, double seed = 1.0, FusedAdam* fused = nullptr);

 private:
  struct Node {
    Tensor value;
    Tensor grad;  // set during backward
    bool requires_grad = false;
    int param = -1;
    // A row slice of an intermediate node (slice_rows): its gradient is that node's gradient's
    // rows [view_r0, view_r0 + rows), so contributions land in the parent directly (no zero fill
    // of the slice's own buffer, no copy into the parent's).
    int view_of = -1;
    int64_t view_r0 = 0;
    std::function<void(const Tensor& dy)> back;
  };
  Var push(Tensor value, bool requires_grad, std::function<void(const Tensor&)> back);
  Var push(Tensor value, std::initializer_list<Var> inputs, std::function<void(const Tensor&)> back);
  Var push(Tensor value, const std::vector<Var>& inputs, std::function<void(const Tensor&)> back);
  void use(Var v);  // counts a use of v by the node being recorded (per parameter: param_uses_)
  // True when x is a parameter used once, by the linear layer being backpropagated, and nothing
  // has written its gradient yet: its whole gradient is that layer's dX (FusedAdam).
  bool fusable(Var x) const;
  // The gradient buffer of an input during backward (allocated and zeroed on first use; for a
  // row slice of an intermediate node, the parent's buffer's rows), or an undefined tensor if the
  // input needs none.
  Tensor g(Var v);
  // The same buffer for a closure that can write all of it: `first` is true when this is the
  // node's first contribution and the buffer holds nothing yet — fresh arena memory, or a
  // parameter's slab view whose zero fill is still pending (GradSlab::view_first) — and the
  // closure must then overwrite every element (copy instead of add); false when it must
  // accumulate. Saves the zero fill and a read of every gradient whose first contribution is a
  // whole-tensor write.
  Tensor g_first(Var v, bool& first);
  // v's gradient += alpha·dy (or = alpha·dy when it is v's first contribution: g_first). A first
  // contribution with alpha = 1 to an intermediate node takes dy's buffer itself as the node's
  // gradient when no other input of the running closure has taken an overlapping part of it: a
  // node's gradient is read only by its own closure, so once that closure has run its buffer is
  // free to become an input's (a gradient seen through grad() after backward may therefore hold
  // an input's).
  void add_scaled(Var v, double alpha, const Tensor& dy);
  bool claim_alias(const Tensor& dy);  // dy's bytes not yet taken in the running closure: take them
  const Node& node(Var v) const;

  Ctx& ctx_;
  const ParamStore& ps_;
  DType dtype_;
  cuda::Arena arena_;
  std::vector<Node> nodes_;
  const GradSlab* grads_ = nullptr;  // during backward
  FusedAdam* fused_ = nullptr;        // during backward
  std::vector<int> param_uses_;       // per parameter id: uses by recorded nodes
  std::vector<std::pair<const char*, const char*>> aliased_;  // byte ranges of dy taken in the running closure
};

}  // namespace lethe
