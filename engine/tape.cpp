// engine/tape.cpp — see tape.h. Each op: allocate the output in the arena, run the forward
// engine op, and (when any input needs a gradient) record a closure that calls the backward
// engine ops, which accumulate into the inputs' gradient buffers obtained through g().
#include "engine/tape.h"

#include <cstring>

#include "engine/op_profile.h"
#include "engine/ops.h"

namespace lethe {

Tape::Tape(Ctx& ctx, const ParamStore& ps) : ctx_(ctx), ps_(ps), dtype_(ps.dtype()), arena_(ctx.is_cuda()) {
  LETHE_CHECK(ps.device() == ctx.device(), "Tape: parameters on " + std::string(device_name(ps.device())) +
                                               " but the context is " + device_name(ctx.device()));
  param_uses_.assign(static_cast<size_t>(ps.count()), 0);
}

void Tape::clear() {
  nodes_.clear();
  arena_.reset();
  ctx_.scratch().reset();
  param_uses_.assign(static_cast<size_t>(ps_.count()), 0);
}

Tensor Tape::alloc(int64_t rows, int64_t cols) {
  LETHE_CHECK(rows >= 0 && cols >= 0, "Tape::alloc of a negative shape");
  void* p = arena_.alloc(static_cast<size_t>(rows * cols) * dtype_size(dtype_));
  return Tensor(p, dtype_, ctx_.device(), rows, cols);
}

Tensor Tape::zeros(int64_t rows, int64_t cols) {
  Tensor t = alloc(rows, cols);
  if (t.numel()) ops::fill(ctx_, t, 0.0);
  return t;
}

Tensor Tape::upload(const std::vector<double>& host, int64_t rows, int64_t cols) {
  Tensor t = alloc(rows, cols);
  t.from_host(ctx_, host);
  prof::transfer(prof::Transfer::Upload, static_cast<double>(t.bytes()));
  return t;
}

IdxTensor Tape::upload_idx(const std::vector<int32_t>& host) {
  const size_t bytes = host.size() * sizeof(int32_t);
  auto* p = static_cast<int32_t*>(arena_.alloc(bytes));
  if (bytes) {
    prof::transfer(prof::Transfer::Upload, static_cast<double>(bytes));
    if (ctx_.is_cuda()) cuda::memcpy_h2d(p, host.data(), bytes, ctx_.gpu());
    else std::memcpy(p, host.data(), bytes);
  }
  return IdxTensor{p, static_cast<int64_t>(host.size()), ctx_.device()};
}

IdxTensor Tape::alloc_idx(int64_t n) {
  return IdxTensor{static_cast<int32_t*>(arena_.alloc(static_cast<size_t>(n) * sizeof(int32_t))), n, ctx_.device()};
}

uint8_t* Tape::alloc_bytes(int64_t n) { return static_cast<uint8_t*>(arena_.alloc(static_cast<size_t>(n))); }

const Tape::Node& Tape::node(Var v) const {
  LETHE_CHECK(v.id >= 0 && v.id < static_cast<int>(nodes_.size()), "invalid Var " + std::to_string(v.id));
  return nodes_[static_cast<size_t>(v.id)];
}

Var Tape::push(Tensor value, bool requires_grad, std::function<void(const Tensor&)> back) {
  Node n;
  n.value = value;
  n.requires_grad = requires_grad;
  if (requires_grad) n.back = std::move(back);
  nodes_.push_back(std::move(n));
  return Var{static_cast<int>(nodes_.size()) - 1};
}

Var Tape::push(Tensor value, std::initializer_list<Var> inputs, std::function<void(const Tensor&)> back) {
  bool rg = false;
  for (Var v : inputs) {
    use(v);
    if (v.valid() && node(v).requires_grad) rg = true;
  }
  return push(value, rg, std::move(back));
}

Var Tape::push(Tensor value, const std::vector<Var>& inputs, std::function<void(const Tensor&)> back) {
  bool rg = false;
  for (Var v : inputs) {
    use(v);
    if (v.valid() && node(v).requires_grad) rg = true;
  }
  return push(value, rg, std::move(back));
}

void Tape::use(Var v) {
  if (!v.valid()) return;
  const int pid = node(v).param;
  if (pid >= 0) ++param_uses_[static_cast<size_t>(pid)];
}

bool Tape::fusable(Var x) const {
  if (!fused_ || !fused_->state || !x.valid()) return false;
  const int pid = node(x).param;
  return pid >= 0 && param_uses_[static_cast<size_t>(pid)] == 1 && grads_->pending(pid) &&
         !node(x).grad.defined();
}

Var Tape::param(int pid) {
  Node n;
  n.value = ps_.value(pid);
  n.requires_grad = true;
  n.param = pid;
  nodes_.push_back(std::move(n));
  return Var{static_cast<int>(nodes_.size()) - 1};
}

Var Tape::constant(const Tensor& t) {
  LETHE_CHECK(t.device == ctx_.device() && t.dtype == dtype_, "Tape::constant: tensor on the wrong device or dtype");
  return push(t, false, nullptr);
}

Var Tape::leaf(const Tensor& t) {
  LETHE_CHECK(t.device == ctx_.device() && t.dtype == dtype_, "Tape::leaf: tensor on the wrong device or dtype");
  return push(t, true, [](const Tensor&) {});
}

const Tensor& Tape::value(Var v) const { return node(v).value; }
bool Tape::requires_grad(Var v) const { return node(v).requires_grad; }
Tensor Tape::grad(Var v) const { return node(v).grad; }

double Tape::item(Var v) {
  const Tensor& t = value(v);
  LETHE_CHECK(t.numel() == 1, "Tape::item of a non-scalar " + t.shape());
  prof::transfer(prof::Transfer::HostRead, static_cast<double>(t.bytes()));
  return t.to_host(ctx_)[0];
}

Tensor Tape::g(Var v) {
  if (!v.valid()) return Tensor();
  Node& n = nodes_[static_cast<size_t>(v.id)];
  if (!n.requires_grad) return Tensor();
  if (!n.grad.defined()) {
    if (n.param >= 0) {
      n.grad = grads_->view(n.param);
    } else if (n.view_of >= 0) {
      const int64_t r0 = n.view_r0, rows = n.value.rows;
      const Tensor pg = g(Var{n.view_of});  // may grow nodes_' elements' grads, never nodes_ itself
      nodes_[static_cast<size_t>(v.id)].grad = pg.slice_rows(r0, rows);
    } else {
      n.grad = zeros(n.value.rows, n.value.cols);
    }
  }
  return nodes_[static_cast<size_t>(v.id)].grad;
}

Tensor Tape::g_first(Var v, bool& first) {
  first = false;
  if (!v.valid()) return Tensor();
  Node& n = nodes_[static_cast<size_t>(v.id)];
  if (!n.requires_grad) return Tensor();
  if (!n.grad.defined()) {
    if (n.param >= 0) {
      n.grad = grads_->view_first(n.param, first);  // first when the slab's zero is still pending
    } else if (n.view_of >= 0) {
      return g(v);  // the parent's rows: they may hold other contributions already
    } else {
      n.grad = alloc(n.value.rows, n.value.cols);
      first = true;
    }
    return n.grad;
  }
  return g(v);
}

void Tape::backward(Var loss, const GradSlab& grads, double seed, FusedAdam* fused) {
  LETHE_CHECK(value(loss).numel() == 1, "backward from a non-scalar " + value(loss).shape());
  LETHE_CHECK(grads.numel() == ps_.numel(), "backward: gradient slab layout differs from the parameters'");
  grads_ = &grads;
  fused_ = fused;
  if (fused) {
    LETHE_CHECK(fused->m.numel() == ps_.numel() && fused->v.numel() == ps_.numel(),
                "backward: the fused Adam's moments do not have the parameters' layout");
    fused->done.assign(static_cast<size_t>(ps_.count()), 0);
  }
  for (auto& n : nodes_) n.grad = Tensor();
  if (!node(loss).requires_grad) { grads_ = nullptr; fused_ = nullptr; return; }
  Tensor dl = alloc(1, 1);
  ops::fill(ctx_, dl, seed);
  nodes_[static_cast<size_t>(loss.id)].grad = dl;
  for (int i = loss.id; i >= 0; --i) {
    Node& n = nodes_[static_cast<size_t>(i)];
    // Backward closures never push nodes, so `n` stays valid while its closure runs.
    aliased_.clear();
    if (n.back && n.grad.defined()) n.back(n.grad);
  }
  grads_ = nullptr;
  fused_ = nullptr;
}

// ---- ops -------------------------------------------------------------------------------------

Var Tape::gather(Var table, const IdxTensor& idx) {
  const Tensor& t = value(table);
  Tensor y = alloc(idx.n, t.cols);
  ops::gather_rows(ctx_, t, idx, y);
  return push(y, {table}, [this, table, idx](const Tensor& dy) {
    Tensor gt = g(table);
    if (gt.defined()) ops::scatter_add_rows(ctx_, dy, idx, gt);
  });
}

Var Tape::spmm(const SpOp& A, Var x) {
  LETHE_CHECK(A.A && A.At, "Tape::spmm needs the matrix and its transpose");
  const Tensor& xv = value(x);
  LETHE_CHECK(A.A->cols() == xv.rows, "spmm: A is " + shape_str(A.A->rows(), A.A->cols()) + ", x is " + xv.shape());
  Tensor y = alloc(A.A->rows(), xv.cols);
  ops::spmm(ctx_, A.A->view(), xv, y, false);
  return push(y, {x}, [this, A, x](const Tensor& dy) {
    bool first;
    Tensor gx = g_first(x, first);
    if (gx.defined()) ops::spmm(ctx_, A.At->view(), dy, gx, !first);
  });
}

Var Tape::linear(Var x, Var W, Var b) {
  const Tensor &xv = value(x), &Wv = value(W);
  LETHE_CHECK(xv.cols == Wv.rows, "linear: x " + xv.shape() + " · W " + Wv.shape());
  Tensor bv = b.valid() ? value(b) : Tensor();
  Tensor y = alloc(xv.rows, Wv.cols);
  ops::linear_forward(ctx_, xv, Wv, bv, y);
  return push(y, {x, W, b}, [this, x, W, b](const Tensor& dy) {
    if (fusable(x)) {  // x's whole gradient is dY·Wᵀ: Adam takes it as it is computed
      ops::linear_backward(ctx_, value(x), value(W), dy, Tensor(), g(W), g(b));  // dW, db read x before it moves
      const int pid = node(x).param;
      const ParamInfo& pi = ps_.info(pid);
      const auto part = [&](const Tensor& slab) {
        return slab.slice_rows(pi.offset, pi.numel()).reshaped(pi.rows, pi.cols);
      };
      const Tensor G = grads_->raw(pid);  // written only where the update is not fused
      if (ops::linear_dx_adam(ctx_, dy, value(W), G, ps_.value(pid), part(fused_->m), part(fused_->v), fused_->state,
                              fused_->hp)) {
        bool first;
        grads_->view_first(pid, first);  // G now holds the gradient: its zero is no longer pending
      }
      fused_->done[static_cast<size_t>(pid)] = 1;
      return;
    }
    bool first;
    const Tensor gx = g_first(x, first);
    if (first) {  // dX = dY·Wᵀ written (β = 0) instead of zero-filled and accumulated: the same values
      ops::gemm(ctx_, false, true, 1.0, dy, value(W), 0.0, gx);
      ops::linear_backward(ctx_, value(x), value(W), dy, Tensor(), g(W), g(b));
    } else {
      ops::linear_backward(ctx_, value(x), value(W), dy, gx, g(W), g(b));
    }
  });
}

namespace {
void same_shape(const Tensor& a, const Tensor& b, const char* op) {
  if (a.rows != b.rows || a.cols != b.cols) LETHE_FAIL(std::string(op) + ": shapes " + a.shape() + " and " + b.shape());
}
}  // namespace

Var Tape::add(Var a, Var b) {
  same_shape(value(a), value(b), "add");
  Tensor y = alloc(value(a).rows, value(a).cols);
  ops::add(ctx_, value(a), value(b), y);
  return push(y, {a, b}, [this, a, b](const Tensor& dy) {
    add_scaled(a, 1.0, dy);
    add_scaled(b, 1.0, dy);
  });
}

void Tape::add_scaled(Var v, double alpha, const Tensor& dy) {
  if (!v.valid()) return;
  Node& n = nodes_[static_cast<size_t>(v.id)];
  if (!n.requires_grad) return;
  if (alpha == 1.0 && !n.grad.defined() && n.param < 0 && n.view_of < 0 && claim_alias(dy)) {
    // The first contribution is dy itself: v's gradient becomes a view of dy's buffer, no copy.
    n.grad = Tensor(dy.data, dy.dtype, dy.device, n.value.rows, n.value.cols);
    return;
  }
  bool first;
  Tensor gv = g_first(v, first);
  if (!gv.defined()) return;
  if (!first) ops::axpy(ctx_, alpha, dy, gv);
  else if (alpha == 1.0) ops::copy(ctx_, dy, gv);
  else ops::scale(ctx_, dy, alpha, gv);
}

bool Tape::claim_alias(const Tensor& dy) {
  const char* lo = static_cast<const char*>(dy.data);
  const char* hi = lo + dy.bytes();
  for (const auto& [a, b] : aliased_)
    if (lo < b && a < hi) return false;
  aliased_.emplace_back(lo, hi);
  return true;
}

Var Tape::sub(Var a, Var b) {
  same_shape(value(a), value(b), "sub");
  Tensor y = alloc(value(a).rows, value(a).cols);
  ops::sub(ctx_, value(a), value(b), y);
  return push(y, {a, b}, [this, a, b](const Tensor& dy) {
    add_scaled(a, 1.0, dy);
    add_scaled(b, -1.0, dy);
  });
}

Var Tape::mul(Var a, Var b) {
  same_shape(value(a), value(b), "mul");
  Tensor y = alloc(value(a).rows, value(a).cols);
  ops::mul(ctx_, value(a), value(b), y);
  return push(y, {a, b}, [this, a, b](const Tensor& dy) {
    if (a.id == b.id) {  // y = a², dy·2a: accumulate the two halves one after the other
      Tensor ga = g(a);
      ops::mul_backward(ctx_, value(a), value(b), dy, ga, Tensor());
      ops::mul_backward(ctx_, value(a), value(b), dy, Tensor(), ga);
      return;
    }
    // A first contribution is written (da = dy·b) rather than zero-filled and accumulated.
    bool fa, fb;
    Tensor ga = g_first(a, fa), gb = g_first(b, fb);
    if (fa) ops::mul(ctx_, dy, value(b), ga);
    if (fb) ops::mul(ctx_, dy, value(a), gb);
    if (!fa || !fb) ops::mul_backward(ctx_, value(a), value(b), dy, fa ? Tensor() : ga, fb ? Tensor() : gb);
  });
}

Var Tape::scale(Var x, double alpha) {
  Tensor y = alloc(value(x).rows, value(x).cols);
  ops::scale(ctx_, value(x), alpha, y);
  return push(y, {x}, [this, x, alpha](const Tensor& dy) { add_scaled(x, alpha, dy); });
}

Var Tape::sigmoid(Var x) {
  Tensor y = alloc(value(x).rows, value(x).cols);
  ops::sigmoid(ctx_, value(x), y);
  return push(y, {x}, [this, x, y](const Tensor& dy) {
    bool first;  // a first contribution writes dx instead of zero-filling and adding
    if (Tensor gx = g_first(x, first); gx.defined()) ops::sigmoid_backward(ctx_, y, dy, gx, !first);
  });
}

Var Tape::tanh(Var x) {
  Tensor y = alloc(value(x).rows, value(x).cols);
  ops::tanh(ctx_, value(x), y);
  return push(y, {x}, [this, x, y](const Tensor& dy) {
    bool first;
    if (Tensor gx = g_first(x, first); gx.defined()) ops::tanh_backward(ctx_, y, dy, gx, !first);
  });
}

Var Tape::softplus(Var x) {
  Tensor y = alloc(value(x).rows, value(x).cols);
  ops::softplus(ctx_, value(x), y);
  return push(y, {x}, [this, x](const Tensor& dy) {
    if (Tensor gx = g(x); gx.defined()) ops::softplus_backward(ctx_, value(x), dy, gx);
  });
}

Var Tape::prelu(Var x, Var slope) {
  LETHE_CHECK(value(slope).numel() == 1, "prelu: the slope must be 1x1");
  Tensor y = alloc(value(x).rows, value(x).cols);
  ops::prelu(ctx_, value(x), value(slope), y);
  return push(y, {x, slope}, [this, x, slope](const Tensor& dy) {
    ops::prelu_backward(ctx_, value(x), value(slope), dy, g(x), g(slope));
  });
}

Var Tape::scale_rows(Var x, Var s) {
  LETHE_CHECK(value(s).numel() == value(x).rows, "scale_rows: one scale per row needed");
  Tensor y = alloc(value(x).rows, value(x).cols);
  ops::scale_rows(ctx_, value(x), value(s), y);
  return push(y, {x, s}, [this, x, s](const Tensor& dy) {
    ops::scale_rows_backward(ctx_, value(x), value(s), dy, g(x), g(s));
  });
}

Var Tape::rowdot(Var a, Var b) {
  same_shape(value(a), value(b), "rowdot");
  Tensor y = alloc(value(a).rows, 1);
  ops::rowdot(ctx_, value(a), value(b), y);
  return push(y, {a, b}, [this, a, b](const Tensor& dy) {
    if (a.id == b.id) {  // <x, x>: the two halves, one after the other
      ops::rowdot_backward(ctx_, value(a), value(b), dy, g(a), Tensor());
      ops::rowdot_backward(ctx_, value(a), value(b), dy, Tensor(), g(b));
    } else {
      ops::rowdot_backward(ctx_, value(a), value(b), dy, g(a), g(b));
    }
  });
}

Var Tape::l2norm(Var x, double eps) {
  Tensor y = alloc(value(x).rows, value(x).cols);
  Tensor norm = alloc(value(x).rows, 1);
  ops::l2norm_rows(ctx_, value(x), eps, y, norm);
  return push(y, {x}, [this, x, y, norm, eps](const Tensor& dy) {
    if (Tensor gx = g(x); gx.defined()) ops::l2norm_rows_backward(ctx_, y, norm, eps, dy, gx);
  });
}

Var Tape::softmax_rows(Var x) {
  Tensor y = alloc(value(x).rows, value(x).cols);
  ops::softmax_rows(ctx_, value(x), y);
  return push(y, {x}, [this, x, y](const Tensor& dy) {
    if (Tensor gx = g(x); gx.defined()) ops::softmax_rows_backward(ctx_, y, dy, gx);
  });
}

Var Tape::mean_of(const std::vector<Var>& xs) {
  LETHE_CHECK(!xs.empty() && xs.size() <= 8, "mean_of takes 1 to 8 inputs");
  std::vector<Tensor> vals;
  for (Var v : xs) {
    same_shape(value(v), value(xs[0]), "mean_of");
    vals.push_back(value(v));
  }
  Tensor y = alloc(vals[0].rows, vals[0].cols);
  ops::mean_of(ctx_, vals, y);
  return push(y, xs, [this, xs](const Tensor& dy) {
    // Inputs may repeat; mean_of_backward then adds into the same buffer twice, in order.
    std::vector<Tensor> gs;
    for (Var v : xs) gs.push_back(g(v));
    ops::mean_of_backward(ctx_, dy, gs);
  });
}

Var Tape::sum_of(const std::vector<Var>& xs) {
  LETHE_CHECK(!xs.empty(), "sum_of of nothing");
  Tensor y = alloc(value(xs[0]).rows, value(xs[0]).cols);
  ops::copy(ctx_, value(xs[0]), y);
  for (size_t i = 1; i < xs.size(); ++i) {
    same_shape(value(xs[i]), y, "sum_of");
    ops::axpy(ctx_, 1.0, value(xs[i]), y);
  }
  return push(y, xs, [this, xs](const Tensor& dy) {
    for (Var v : xs) add_scaled(v, 1.0, dy);
  });
}

Var Tape::concat_rows(Var a, Var b) {
  const Tensor &av = value(a), &bv = value(b);
  LETHE_CHECK(av.cols == bv.cols, "concat_rows: " + av.shape() + " and " + bv.shape());
  Tensor y;
  if (av.numel() && bv.numel() && av.dtype == bv.dtype && static_cast<const char*>(av.data) + av.bytes() == bv.data) {
    // b's rows follow a's in memory (a user table and the item table beside it in the slab):
    // the concatenation is a view of both. Values are never modified after creation.
    y = Tensor(av.data, av.dtype, av.device, av.rows + bv.rows, av.cols);
  } else {
    y = alloc(av.rows + bv.rows, av.cols);
    if (av.numel()) ops::copy(ctx_, av, y.slice_rows(0, av.rows));
    if (bv.numel()) ops::copy(ctx_, bv, y.slice_rows(av.rows, bv.rows));
  }
  const int64_t ra = av.rows, rb = bv.rows;
  return push(y, {a, b}, [this, a, b, ra, rb](const Tensor& dy) {
    if (ra) add_scaled(a, 1.0, dy.slice_rows(0, ra));
    if (rb) add_scaled(b, 1.0, dy.slice_rows(ra, rb));
  });
}

Var Tape::slice_rows(Var x, int64_t r0, int64_t n) {
  Tensor y = value(x).slice_rows(r0, n);  // a view: values are never modified after creation
  Var s = push(y, {x}, [this, x, r0, n](const Tensor& dy) {
    if (Tensor gx = g(x); gx.defined() && n) {
      const Tensor rows = gx.slice_rows(r0, n);
      if (dy.data != rows.data) ops::axpy(ctx_, 1.0, dy, rows);  // else the contributions are there already
    }
  });
  // The slice's gradient lives in its parent's when the parent is an intermediate node (a
  // parameter's gradient is the slab's, which a slice must not zero or alias).
  if (node(x).requires_grad && node(x).param < 0) {
    nodes_[static_cast<size_t>(s.id)].view_of = x.id;
    nodes_[static_cast<size_t>(s.id)].view_r0 = r0;
  }
  return s;
}

Var Tape::stack_cols(const std::vector<Var>& cols) {
  LETHE_CHECK(!cols.empty(), "stack_cols of nothing");
  const int64_t N = value(cols[0]).numel();
  Tensor y = zeros(N, static_cast<int64_t>(cols.size()));
  for (size_t m = 0; m < cols.size(); ++m) {
    LETHE_CHECK(value(cols[m]).numel() == N, "stack_cols: columns of different lengths");
    ops::col_add(ctx_, value(cols[m]), static_cast<int64_t>(m), y);
  }
  return push(y, cols, [this, cols](const Tensor& dy) {
    for (size_t m = 0; m < cols.size(); ++m)
      if (Tensor gc = g(cols[m]); gc.defined()) ops::col_get(ctx_, dy, static_cast<int64_t>(m), gc, true);
  });
}

Var Tape::col(Var x, int64_t m) {
  LETHE_CHECK(m >= 0 && m < value(x).cols, "col: column " + std::to_string(m) + " of " + value(x).shape());
  Tensor y = alloc(value(x).rows, 1);
  ops::col_get(ctx_, value(x), m, y, false);
  return push(y, {x}, [this, x, m](const Tensor& dy) {
    if (Tensor gx = g(x); gx.defined()) ops::col_add(ctx_, dy, m, gx);
  });
}

Var Tape::bpr(Var u, Var pos, Var neg, const Tensor& w, double scale, bool reverse) {
  const Tensor &U = value(u), &P = value(pos), &N = value(neg);
  same_shape(U, P, "bpr");
  same_shape(U, N, "bpr");
  LETHE_CHECK(!w.defined() || w.numel() == U.rows, "bpr: one weight per triple needed");
  Tensor x = alloc(U.rows, 1), loss = alloc(1, 1);
  ops::bpr_forward(ctx_, U, P, N, w, scale, reverse, x, loss);
  return push(loss, {u, pos, neg}, [this, u, pos, neg, w, scale, reverse, x](const Tensor& dy) {
    ops::bpr_backward(ctx_, value(u), value(pos), value(neg), w, scale, reverse, x, dy, g(u), g(pos), g(neg));
  });
}

Var Tape::infonce(Var x, Var y, double tau) {
  const Tensor &X = value(x), &Y = value(y);
  same_shape(X, Y, "infonce");
  const int64_t B = X.rows, d = X.cols;
  Tensor Xn = alloc(B, d), Yn = alloc(B, d), nx = alloc(B, 1), ny = alloc(B, 1), P = alloc(B, B), loss = alloc(1, 1);
  ops::infonce_forward(ctx_, X, Y, tau, Xn, Yn, nx, ny, P, loss);
  return push(loss, {x, y}, [this, x, y, Xn, Yn, nx, ny, P, tau](const Tensor& dy) {
    ops::infonce_backward(ctx_, Xn, Yn, nx, ny, P, tau, dy, g(x), g(y));
  });
}

Var Tape::sqnorm(Var x, double coef) {
  Tensor out = alloc(1, 1);
  ops::sqnorm_sum(ctx_, value(x), coef, out);
  return push(out, {x}, [this, x, coef](const Tensor& dy) {
    if (Tensor gx = g(x); gx.defined()) ops::sqnorm_sum_backward(ctx_, value(x), coef, dy, gx);
  });
}

Var Tape::sum(Var x, double coef) {
  Tensor out = alloc(1, 1);
  ops::sum(ctx_, value(x), coef, out);
  return push(out, {x}, [this, x, coef](const Tensor& dy) {
    if (Tensor gx = g(x); gx.defined()) ops::sum_backward(ctx_, coef, dy, gx);
  });
}

Var Tape::dropout(Var x, double p, uint64_t seed, uint64_t stream) {
  LETHE_CHECK(p >= 0.0 && p < 1.0, "dropout probability must be in [0, 1)");
  if (p == 0.0) return x;
  const Tensor& xv = value(x);
  Tensor y = alloc(xv.rows, xv.cols);
  uint8_t* mask = alloc_bytes(xv.numel());
  ops::dropout_forward(ctx_, xv, p, seed, stream, y, mask);
  return push(y, {x}, [this, x, mask, p](const Tensor& dy) {
    if (Tensor gx = g(x); gx.defined()) ops::dropout_backward(ctx_, dy, mask, p, gx);
  });
}

}  // namespace lethe
