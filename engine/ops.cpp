// engine/ops.cpp — device dispatch for engine/ops.h. Each op: check devices, then call
// lethe::ref::<op><float|double> on a CPU context or lethe::cuda::<op> on a CUDA one.
#include "engine/ops.h"
#include "engine/ops_dispatch.h"

#include <string>
#include <type_traits>

#include "kernels/bpr.h"
#include "kernels/elementwise.h"
#include "kernels/gather.h"
#include "kernels/gemm.h"
#include "kernels/gemm_cpu.h"
#include "kernels/infonce.h"
#include "kernels/reduce.h"
#include "kernels/rowops.h"
#include "kernels/runtime.h"
#include "kernels/sampling.h"
#include "kernels/spmm.h"
#include "kernels/step.h"
#include "kernels/topk.h"

namespace lethe::ops {

using namespace detail;  // NOLINT: the dispatch helpers of ops_dispatch.h
using prof::acc;
using prof::idx_bytes;
using prof::nb;
using prof::ne;

// ---- elementwise ----
void fill(Ctx& c, const Tensor& y, double v) {
  LETHE_OPS_COST(0, nb(y));
  LETHE_OPS_BEGIN("fill", &y) ref::fill<T>(y.vec<T>(), T(v));
  LETHE_OPS_GPU cuda::fill(y.vec<float>(), float(v), c.exec());
  LETHE_OPS_END
}
void copy(Ctx& c, const Tensor& x, const Tensor& y) {
  LETHE_OPS_COST(0, nb(x) + nb(y));
  LETHE_OPS_BEGIN("copy", &x, &y) ref::copy<T>(x.cvec<T>(), y.vec<T>());
  LETHE_OPS_GPU cuda::copy(x.cvec<float>(), y.vec<float>(), c.exec());
  LETHE_OPS_END
}
void add(Ctx& c, const Tensor& a, const Tensor& b, const Tensor& y) {
  LETHE_OPS_COST(ne(y), nb(a) + nb(b) + nb(y));
  LETHE_OPS_BEGIN("add", &a, &b, &y) ref::add<T>(a.cvec<T>(), b.cvec<T>(), y.vec<T>());
  LETHE_OPS_GPU cuda::add(a.cvec<float>(), b.cvec<float>(), y.vec<float>(), c.exec());
  LETHE_OPS_END
}
void sub(Ctx& c, const Tensor& a, const Tensor& b, const Tensor& y) {
  LETHE_OPS_COST(ne(y), nb(a) + nb(b) + nb(y));
  LETHE_OPS_BEGIN("sub", &a, &b, &y) ref::sub<T>(a.cvec<T>(), b.cvec<T>(), y.vec<T>());
  LETHE_OPS_GPU cuda::sub(a.cvec<float>(), b.cvec<float>(), y.vec<float>(), c.exec());
  LETHE_OPS_END
}
void mul(Ctx& c, const Tensor& a, const Tensor& b, const Tensor& y) {
  LETHE_OPS_COST(ne(y), nb(a) + nb(b) + nb(y));
  LETHE_OPS_BEGIN("mul", &a, &b, &y) ref::mul<T>(a.cvec<T>(), b.cvec<T>(), y.vec<T>());
  LETHE_OPS_GPU cuda::mul(a.cvec<float>(), b.cvec<float>(), y.vec<float>(), c.exec());
  LETHE_OPS_END
}
void scale(Ctx& c, const Tensor& x, double alpha, const Tensor& y) {
  LETHE_OPS_COST(ne(y), nb(x) + nb(y));
  LETHE_OPS_BEGIN("scale", &x, &y) ref::scale<T>(x.cvec<T>(), T(alpha), y.vec<T>());
  LETHE_OPS_GPU cuda::scale(x.cvec<float>(), float(alpha), y.vec<float>(), c.exec());
  LETHE_OPS_END
}
void axpy(Ctx& c, double alpha, const Tensor& x, const Tensor& y) {
  LETHE_OPS_COST(2 * ne(y), nb(x) + acc(y));
  LETHE_OPS_BEGIN("axpy", &x, &y) ref::axpy<T>(T(alpha), x.cvec<T>(), y.vec<T>());
  LETHE_OPS_GPU cuda::axpy(float(alpha), x.cvec<float>(), y.vec<float>(), c.exec());
  LETHE_OPS_END
}
void mul_backward(Ctx& c, const Tensor& a, const Tensor& b, const Tensor& dy, const Tensor& da, const Tensor& db) {
  LETHE_OPS_COST_N(2 * (ne(da) + ne(db)),
                   nb(dy) + (da.defined() ? nb(b) : 0) + (db.defined() ? nb(a) : 0) + acc(da) + acc(db),
                   int(da.defined()) + int(db.defined()));
  LETHE_OPS_BEGIN("mul_backward", &a, &b, &dy, &da, &db)
  ref::mul_backward<T>(a.cvec<T>(), b.cvec<T>(), dy.cvec<T>(), ov<T>(da), ov<T>(db));
  LETHE_OPS_GPU cuda::mul_backward(a.cvec<float>(), b.cvec<float>(), dy.cvec<float>(), ov<float>(da), ov<float>(db),
                                   c.exec());
  LETHE_OPS_END
}
void sigmoid(Ctx& c, const Tensor& x, const Tensor& y) {
  LETHE_OPS_COST(3 * ne(y), nb(x) + nb(y));
  LETHE_OPS_BEGIN("sigmoid", &x, &y) ref::sigmoid<T>(x.cvec<T>(), y.vec<T>());
  LETHE_OPS_GPU cuda::sigmoid(x.cvec<float>(), y.vec<float>(), c.exec());
  LETHE_OPS_END
}
void sigmoid_backward(Ctx& c, const Tensor& y, const Tensor& dy, const Tensor& dx, bool accumulate) {
  LETHE_OPS_COST(4 * ne(dx), nb(y) + nb(dy) + (accumulate ? acc(dx) : nb(dx)));
  LETHE_OPS_BEGIN("sigmoid_backward", &y, &dy, &dx)
  ref::sigmoid_backward<T>(y.cvec<T>(), dy.cvec<T>(), dx.vec<T>(), accumulate);
  LETHE_OPS_GPU cuda::sigmoid_backward(y.cvec<float>(), dy.cvec<float>(), dx.vec<float>(), c.exec(), accumulate);
  LETHE_OPS_END
}
void tanh(Ctx& c, const Tensor& x, const Tensor& y) {
  LETHE_OPS_COST(ne(y), nb(x) + nb(y));
  LETHE_OPS_BEGIN("tanh", &x, &y) ref::tanh<T>(x.cvec<T>(), y.vec<T>());
  LETHE_OPS_GPU cuda::tanh(x.cvec<float>(), y.vec<float>(), c.exec());
  LETHE_OPS_END
}
void tanh_backward(Ctx& c, const Tensor& y, const Tensor& dy, const Tensor& dx, bool accumulate) {
  LETHE_OPS_COST(4 * ne(dx), nb(y) + nb(dy) + (accumulate ? acc(dx) : nb(dx)));
  LETHE_OPS_BEGIN("tanh_backward", &y, &dy, &dx)
  ref::tanh_backward<T>(y.cvec<T>(), dy.cvec<T>(), dx.vec<T>(), accumulate);
  LETHE_OPS_GPU cuda::tanh_backward(y.cvec<float>(), dy.cvec<float>(), dx.vec<float>(), c.exec(), accumulate);
  LETHE_OPS_END
}
void softplus(Ctx& c, const Tensor& x, const Tensor& y) {
  LETHE_OPS_COST(5 * ne(y), nb(x) + nb(y));
  LETHE_OPS_BEGIN("softplus", &x, &y) ref::softplus<T>(x.cvec<T>(), y.vec<T>());
  LETHE_OPS_GPU cuda::softplus(x.cvec<float>(), y.vec<float>(), c.exec());
  LETHE_OPS_END
}
void softplus_backward(Ctx& c, const Tensor& x, const Tensor& dy, const Tensor& dx) {
  LETHE_OPS_COST(5 * ne(dx), nb(x) + nb(dy) + acc(dx));
  LETHE_OPS_BEGIN("softplus_backward", &x, &dy, &dx)
  ref::softplus_backward<T>(x.cvec<T>(), dy.cvec<T>(), dx.vec<T>());
  LETHE_OPS_GPU cuda::softplus_backward(x.cvec<float>(), dy.cvec<float>(), dx.vec<float>(), c.exec());
  LETHE_OPS_END
}
void prelu(Ctx& c, const Tensor& x, const Tensor& slope, const Tensor& y) {
  LETHE_OPS_COST(2 * ne(y), nb(x) + nb(y));
  LETHE_OPS_BEGIN("prelu", &x, &slope, &y) ref::prelu<T>(x.cvec<T>(), slope.ptr<T>(), y.vec<T>());
  LETHE_OPS_GPU cuda::prelu(x.cvec<float>(), slope.ptr<float>(), y.vec<float>(), c.exec());
  LETHE_OPS_END
}
void prelu_backward(Ctx& c, const Tensor& x, const Tensor& slope, const Tensor& dy, const Tensor& dx,
                    const Tensor& dslope) {
  LETHE_OPS_COST_N(2 * ne(dx) + 2 * ne(x) * (dslope.defined() ? 1 : 0), nb(x) + nb(dy) + acc(dx),
                   int(dx.defined()) + 2 * int(dslope.defined()));
  LETHE_OPS_BEGIN("prelu_backward", &x, &slope, &dy, &dx, &dslope)
  ref::prelu_backward<T>(x.cvec<T>(), slope.ptr<T>(), dy.cvec<T>(), ov<T>(dx), dslope.defined() ? dslope.ptr<T>() : nullptr);
  LETHE_OPS_GPU cuda::prelu_backward(x.cvec<float>(), slope.ptr<float>(), dy.cvec<float>(), ov<float>(dx),
                                     dslope.defined() ? dslope.ptr<float>() : nullptr, c.exec());
  LETHE_OPS_END
}
void scale_rows(Ctx& c, const Tensor& X, const Tensor& s, const Tensor& Y) {
  LETHE_OPS_COST(ne(Y), nb(X) + nb(s) + nb(Y));
  LETHE_OPS_BEGIN("scale_rows", &X, &s, &Y) ref::scale_rows<T>(X.cmat<T>(), s.cvec<T>(), Y.mat<T>());
  LETHE_OPS_GPU cuda::scale_rows(X.cmat<float>(), s.cvec<float>(), Y.mat<float>(), c.exec());
  LETHE_OPS_END
}
void scale_rows_backward(Ctx& c, const Tensor& X, const Tensor& s, const Tensor& dY, const Tensor& dX,
                         const Tensor& ds) {
  LETHE_OPS_COST(2 * (ne(dX) + (ds.defined() ? ne(X) : 0)),
                 nb(dY) + nb(s) + (ds.defined() ? nb(X) : 0) + acc(dX) + acc(ds));
  LETHE_OPS_BEGIN("scale_rows_backward", &X, &s, &dY, &dX, &ds)
  ref::scale_rows_backward<T>(X.cmat<T>(), s.cvec<T>(), dY.cmat<T>(), om<T>(dX), ov<T>(ds));
  LETHE_OPS_GPU cuda::scale_rows_backward(X.cmat<float>(), s.cvec<float>(), dY.cmat<float>(), om<float>(dX),
                                          ov<float>(ds), c.exec());
  LETHE_OPS_END
}

// ---- row ops ----
void rowdot(Ctx& c, const Tensor& X, const Tensor& Y, const Tensor& out) {
  LETHE_OPS_COST(2 * ne(X), nb(X) + nb(Y) + nb(out));
  LETHE_OPS_BEGIN("rowdot", &X, &Y, &out) ref::rowdot<T>(X.cmat<T>(), Y.cmat<T>(), out.vec<T>());
  LETHE_OPS_GPU cuda::rowdot(X.cmat<float>(), Y.cmat<float>(), out.vec<float>(), c.exec());
  LETHE_OPS_END
}
void rowdot_backward(Ctx& c, const Tensor& X, const Tensor& Y, const Tensor& dout, const Tensor& dX, const Tensor& dY) {
  LETHE_OPS_COST_N(2 * (ne(dX) + ne(dY)),
                   nb(dout) + (dX.defined() ? nb(Y) : 0) + (dY.defined() ? nb(X) : 0) + acc(dX) + acc(dY),
                   int(dX.defined()) + int(dY.defined()));
  LETHE_OPS_BEGIN("rowdot_backward", &X, &Y, &dout, &dX, &dY)
  ref::rowdot_backward<T>(X.cmat<T>(), Y.cmat<T>(), dout.cvec<T>(), om<T>(dX), om<T>(dY));
  LETHE_OPS_GPU cuda::rowdot_backward(X.cmat<float>(), Y.cmat<float>(), dout.cvec<float>(), om<float>(dX),
                                      om<float>(dY), c.exec());
  LETHE_OPS_END
}
void l2norm_rows(Ctx& c, const Tensor& X, double eps, const Tensor& Y, const Tensor& norm) {
  LETHE_OPS_COST(4 * ne(X), nb(X) + nb(Y) + nb(norm));
  LETHE_OPS_BEGIN("l2norm_rows", &X, &Y, &norm) ref::l2norm_rows<T>(X.cmat<T>(), T(eps), Y.mat<T>(), norm.vec<T>());
  LETHE_OPS_GPU cuda::l2norm_rows(X.cmat<float>(), float(eps), Y.mat<float>(), norm.vec<float>(), c.exec());
  LETHE_OPS_END
}
void l2norm_rows_backward(Ctx& c, const Tensor& Y, const Tensor& norm, double eps, const Tensor& dY, const Tensor& dX) {
  LETHE_OPS_COST(6 * ne(Y), nb(Y) + nb(norm) + nb(dY) + acc(dX));
  LETHE_OPS_BEGIN("l2norm_rows_backward", &Y, &norm, &dY, &dX)
  ref::l2norm_rows_backward<T>(Y.cmat<T>(), norm.cvec<T>(), T(eps), dY.cmat<T>(), dX.mat<T>());
  LETHE_OPS_GPU cuda::l2norm_rows_backward(Y.cmat<float>(), norm.cvec<float>(), float(eps), dY.cmat<float>(),
                                           dX.mat<float>(), c.exec());
  LETHE_OPS_END
}
void softmax_rows(Ctx& c, const Tensor& X, const Tensor& Y) {
  LETHE_OPS_COST(4 * ne(X), nb(X) + nb(Y));
  LETHE_OPS_BEGIN("softmax_rows", &X, &Y) ref::softmax_rows<T>(X.cmat<T>(), Y.mat<T>());
  LETHE_OPS_GPU cuda::softmax_rows(X.cmat<float>(), Y.mat<float>(), c.exec());
  LETHE_OPS_END
}
void softmax_rows_backward(Ctx& c, const Tensor& Y, const Tensor& dY, const Tensor& dX) {
  LETHE_OPS_COST(4 * ne(Y), nb(Y) + nb(dY) + acc(dX));
  LETHE_OPS_BEGIN("softmax_rows_backward", &Y, &dY, &dX)
  ref::softmax_rows_backward<T>(Y.cmat<T>(), dY.cmat<T>(), dX.mat<T>());
  LETHE_OPS_GPU cuda::softmax_rows_backward(Y.cmat<float>(), dY.cmat<float>(), dX.mat<float>(), c.exec());
  LETHE_OPS_END
}
namespace {
template <class T>
MatList<const T> clist(const std::vector<Tensor>& xs) {
  LETHE_CHECK(xs.size() <= static_cast<size_t>(MatList<const T>::kMax), "mean_of takes at most 8 matrices");
  MatList<const T> l;
  l.n = static_cast<int>(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) l.m[i] = xs[i].cmat<T>();
  return l;
}
template <class T>
MatList<T> mlist(const std::vector<Tensor>& xs) {
  LETHE_CHECK(xs.size() <= static_cast<size_t>(MatList<T>::kMax), "mean_of takes at most 8 matrices");
  MatList<T> l;
  l.n = static_cast<int>(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) l.m[i] = om<T>(xs[i]);
  return l;
}
}  // namespace
void mean_of(Ctx& c, const std::vector<Tensor>& xs, const Tensor& Y) {
  for (const auto& x : xs) check_on(c, "mean_of", {&x, &Y});
  LETHE_OPS_COST(ne(Y) * static_cast<double>(xs.size()), nb(Y) * static_cast<double>(xs.size() + 1));
  LETHE_OPS_BEGIN("mean_of", &Y) ref::mean_of<T>(clist<T>(xs), Y.mat<T>());
  LETHE_OPS_GPU cuda::mean_of(clist<float>(xs), Y.mat<float>(), c.exec());
  LETHE_OPS_END
}
void mean_of_backward(Ctx& c, const Tensor& dY, const std::vector<Tensor>& dxs) {
  for (const auto& x : dxs) check_on(c, "mean_of_backward", {&x, &dY});
  int defined = 0;
  for (const auto& x : dxs) defined += x.defined() ? 1 : 0;
  LETHE_OPS_COST_N(2 * ne(dY) * static_cast<double>(dxs.size()), nb(dY) + 2 * nb(dY) * static_cast<double>(dxs.size()),
                   defined);
  LETHE_OPS_BEGIN("mean_of_backward", &dY) ref::mean_of_backward<T>(dY.cmat<T>(), mlist<T>(dxs));
  LETHE_OPS_GPU cuda::mean_of_backward(dY.cmat<float>(), mlist<float>(dxs), c.exec());
  LETHE_OPS_END
}
void col_get(Ctx& c, const Tensor& X, int64_t m, const Tensor& y, bool accumulate) {
  LETHE_OPS_COST(accumulate ? ne(y) : 0, nb(y) * (accumulate ? 3 : 2));
  LETHE_OPS_BEGIN("col_get", &X, &y) ref::col_get<T>(X.cmat<T>(), m, y.vec<T>(), accumulate);
  LETHE_OPS_GPU cuda::col_get(X.cmat<float>(), m, y.vec<float>(), accumulate, c.exec());
  LETHE_OPS_END
}
void col_add(Ctx& c, const Tensor& x, int64_t m, const Tensor& Y) {
  LETHE_OPS_COST(ne(x), 3 * nb(x));
  LETHE_OPS_BEGIN("col_add", &x, &Y) ref::col_add<T>(x.cvec<T>(), m, Y.mat<T>());
  LETHE_OPS_GPU cuda::col_add(x.cvec<float>(), m, Y.mat<float>(), c.exec());
  LETHE_OPS_END
}
void sqnorm_sum(Ctx& c, const Tensor& x, double coef, const Tensor& out) {
  LETHE_OPS_COST_N(2 * ne(x), nb(x) + nb(out), 2);  // CUDA: the two passes of a deterministic sum
  LETHE_OPS_BEGIN("sqnorm_sum", &x, &out) ref::sqnorm_sum<T>(x.cvec<T>(), T(coef), out.ptr<T>());
  LETHE_OPS_GPU cuda::sqnorm_sum(x.cvec<float>(), float(coef), out.ptr<float>(), c.exec());
  LETHE_OPS_END
}
void sqnorm_sum_backward(Ctx& c, const Tensor& x, double coef, const Tensor& dout, const Tensor& dx) {
  LETHE_OPS_COST(3 * ne(dx), nb(x) + acc(dx));
  LETHE_OPS_BEGIN("sqnorm_sum_backward", &x, &dout, &dx)
  ref::sqnorm_sum_backward<T>(x.cvec<T>(), T(coef), dout.ptr<T>(), dx.vec<T>());
  LETHE_OPS_GPU cuda::sqnorm_sum_backward(x.cvec<float>(), float(coef), dout.ptr<float>(), dx.vec<float>(), c.exec());
  LETHE_OPS_END
}
void sum(Ctx& c, const Tensor& x, double coef, const Tensor& out) {
  LETHE_OPS_COST_N(ne(x), nb(x) + nb(out), 2);
  LETHE_OPS_BEGIN("sum", &x, &out) ref::sum<T>(x.cvec<T>(), T(coef), out.ptr<T>());
  LETHE_OPS_GPU cuda::sum(x.cvec<float>(), float(coef), out.ptr<float>(), c.exec());
  LETHE_OPS_END
}
void sum_backward(Ctx& c, double coef, const Tensor& dout, const Tensor& dx) {
  LETHE_OPS_COST(ne(dx), acc(dx));
  LETHE_OPS_BEGIN("sum_backward", &dout, &dx) ref::sum_backward<T>(T(coef), dout.ptr<T>(), dx.vec<T>());
  LETHE_OPS_GPU cuda::sum_backward(float(coef), dout.ptr<float>(), dx.vec<float>(), c.exec());
  LETHE_OPS_END
}

// ---- dense products ----
void gemm(Ctx& c, bool ta, bool tb, double alpha, const Tensor& A, const Tensor& B, double beta, const Tensor& C) {
  const int64_t m = ta ? A.cols : A.rows, k = ta ? A.rows : A.cols;
  const int64_t kb = tb ? B.cols : B.rows, n = tb ? B.rows : B.cols;
  LETHE_CHECK(k == kb && C.rows == m && C.cols == n,
              "gemm: op(A) " + shape_str(m, k) + " · op(B) " + shape_str(kb, n) + " into C " + C.shape());
  LETHE_OPS_MATRIX_COST(2.0 * double(m) * double(n) * double(k), nb(A) + nb(B) + (beta != 0 ? acc(C) : nb(C)));
  LETHE_OPS_BEGIN("gemm", &A, &B, &C)
  ref::gemm<T>(ta, tb, m, n, k, T(alpha), A.ptr<T>(), A.cols, B.ptr<T>(), B.cols, T(beta), C.ptr<T>(), C.cols);
  LETHE_OPS_GPU cuda::gemm(ta, tb, m, n, k, float(alpha), A.ptr<float>(), A.cols, B.ptr<float>(), B.cols, float(beta),
                           C.ptr<float>(), C.cols, c.exec());
  LETHE_OPS_END
}
void linear_forward(Ctx& c, const Tensor& X, const Tensor& W, const Tensor& b, const Tensor& Y) {
  LETHE_OPS_MATRIX_COST_N(2.0 * ne(X) * double(W.cols) + ne(Y) * (b.defined() ? 1 : 0), nb(X) + nb(W) + nb(b) + nb(Y),
                          1 + int(b.defined()));  // CUDA: the bias broadcast, then the GEMM
  LETHE_OPS_BEGIN("linear_forward", &X, &W, &b, &Y)
  ref::linear_forward<T>(X.cmat<T>(), W.cmat<T>(), Vec<const T>(ov<T>(b)), Y.mat<T>());
  LETHE_OPS_GPU cuda::linear_forward(X.cmat<float>(), W.cmat<float>(), Vec<const float>(ov<float>(b)), Y.mat<float>(),
                                     c.exec());
  LETHE_OPS_END
}
void linear_backward(Ctx& c, const Tensor& X, const Tensor& W, const Tensor& dY, const Tensor& dX, const Tensor& dW,
                     const Tensor& db) {
  LETHE_OPS_MATRIX_COST_N(2.0 * ne(dY) * double(W.rows) * ((dX.defined() ? 1 : 0) + (dW.defined() ? 1 : 0)) +
                              ne(dY) * (db.defined() ? 1 : 0),
                          nb(dY) + (dX.defined() ? nb(W) : 0) + (dW.defined() ? nb(X) : 0) + acc(dX) + acc(dW) + acc(db),
                          int(dX.defined()) + int(dW.defined()) + 2 * int(db.defined()));  // db: two-pass column sum
  LETHE_OPS_BEGIN("linear_backward", &X, &W, &dY, &dX, &dW, &db)
  ref::linear_backward<T>(X.cmat<T>(), W.cmat<T>(), dY.cmat<T>(), om<T>(dX), om<T>(dW), ov<T>(db));
  LETHE_OPS_GPU cuda::linear_backward(X.cmat<float>(), W.cmat<float>(), dY.cmat<float>(), om<float>(dX), om<float>(dW),
                                      ov<float>(db), c.exec());
  LETHE_OPS_END
}

// ---- sparse, gather ----
void spmm(Ctx& c, const Csr& A, const Tensor& X, const Tensor& Y, bool accumulate) {
  LETHE_OPS_COST(2.0 * double(A.nnz) * double(X.cols),
                 idx_bytes(A.rows + 1) + 8.0 * double(A.nnz) + nb(X) + (accumulate ? acc(Y) : nb(Y)));
  LETHE_OPS_BEGIN("spmm", &X, &Y) ref::spmm<T>(A, X.cmat<T>(), Y.mat<T>(), accumulate);
  LETHE_OPS_GPU cuda::spmm(A, X.cmat<float>(), Y.mat<float>(), accumulate, c.exec());
  LETHE_OPS_END
}
void gather_rows(Ctx& c, const Tensor& table, const IdxTensor& idx, const Tensor& out) {
  check_idx(c, "gather_rows", idx);
  LETHE_OPS_COST(0, idx_bytes(idx.n) + 2 * nb(out));
  LETHE_OPS_BEGIN("gather_rows", &table, &out) ref::gather_rows<T>(table.cmat<T>(), idx.vec(), out.mat<T>());
  LETHE_OPS_GPU cuda::gather_rows(table.cmat<float>(), idx.vec(), out.mat<float>(), c.exec());
  LETHE_OPS_END
}
void scatter_add_rows(Ctx& c, const Tensor& dout, const IdxTensor& idx, const Tensor& dtable) {
  check_idx(c, "scatter_add_rows", idx);
  // CUDA: positions, CUB's radix sort (one single-tile kernel for a batch of up to ~4k rows; an
  // estimate of its onesweep passes above that), the segment sums.
  LETHE_OPS_COST_N(ne(dout), idx_bytes(idx.n) + nb(dout) + 2 * nb(dout), 2 + (idx.n <= 4096 ? 1 : 6));
  LETHE_OPS_BEGIN("scatter_add_rows", &dout, &dtable)
  ref::scatter_add_rows<T>(dout.cmat<T>(), idx.vec(), dtable.mat<T>());
  LETHE_OPS_GPU cuda::scatter_add_rows(dout.cmat<float>(), idx.vec(), dtable.mat<float>(), c.exec());
  LETHE_OPS_END
}

// ---- losses ----
void bpr_forward(Ctx& c, const Tensor& U, const Tensor& P, const Tensor& N, const Tensor& w, double scale, bool reverse,
                 const Tensor& x, const Tensor& loss) {
  LETHE_OPS_COST_N(4 * ne(U) + 8 * ne(x), nb(U) + nb(P) + nb(N) + nb(w) + nb(x) + nb(loss), 3);
  LETHE_OPS_BEGIN("bpr_forward", &U, &P, &N, &w, &x, &loss)
  ref::bpr_forward<T>(U.cmat<T>(), P.cmat<T>(), N.cmat<T>(), optr<T>(w), T(scale), reverse, x.vec<T>(), loss.ptr<T>());
  LETHE_OPS_GPU cuda::bpr_forward(U.cmat<float>(), P.cmat<float>(), N.cmat<float>(), optr<float>(w), float(scale),
                                  reverse, x.vec<float>(), loss.ptr<float>(), c.exec());
  LETHE_OPS_END
}
void bpr_backward(Ctx& c, const Tensor& U, const Tensor& P, const Tensor& N, const Tensor& w, double scale,
                  bool reverse, const Tensor& x, const Tensor& dloss, const Tensor& dU, const Tensor& dP,
                  const Tensor& dN) {
  LETHE_OPS_COST(4 * (ne(dU) + ne(dP) + ne(dN)) + 6 * ne(x),
                 nb(U) + nb(P) + nb(N) + nb(w) + nb(x) + acc(dU) + acc(dP) + acc(dN));
  LETHE_OPS_BEGIN("bpr_backward", &U, &P, &N, &w, &x, &dloss, &dU, &dP, &dN)
  ref::bpr_backward<T>(U.cmat<T>(), P.cmat<T>(), N.cmat<T>(), optr<T>(w), T(scale), reverse, x.cvec<T>(),
                       dloss.ptr<T>(), om<T>(dU), om<T>(dP), om<T>(dN));
  LETHE_OPS_GPU cuda::bpr_backward(U.cmat<float>(), P.cmat<float>(), N.cmat<float>(), optr<float>(w), float(scale),
                                   reverse, x.cvec<float>(), dloss.ptr<float>(), om<float>(dU), om<float>(dP),
                                   om<float>(dN), c.exec());
  LETHE_OPS_END
}
void infonce_forward(Ctx& c, const Tensor& X, const Tensor& Y, double tau, const Tensor& Xn, const Tensor& Yn,
                     const Tensor& nx, const Tensor& ny, const Tensor& P, const Tensor& loss) {
  // CUDA: two row normalisations, the GEMM, the row softmax, the two passes of the mean.
  LETHE_OPS_MATRIX_COST_N(2.0 * ne(X) * double(X.rows) + 8 * ne(X) + 5 * ne(P),
                          nb(X) + nb(Y) + nb(Xn) + nb(Yn) + nb(nx) + nb(ny) + nb(P), 6);
  LETHE_OPS_BEGIN("infonce_forward", &X, &Y, &Xn, &Yn, &nx, &ny, &P, &loss)
  ref::infonce_forward<T>(X.cmat<T>(), Y.cmat<T>(), T(tau), Xn.mat<T>(), Yn.mat<T>(), nx.vec<T>(), ny.vec<T>(),
                          P.mat<T>(), loss.ptr<T>());
  LETHE_OPS_GPU cuda::infonce_forward(X.cmat<float>(), Y.cmat<float>(), float(tau), Xn.mat<float>(), Yn.mat<float>(),
                                      nx.vec<float>(), ny.vec<float>(), P.mat<float>(), loss.ptr<float>(), c.exec());
  LETHE_OPS_END
}
void infonce_backward(Ctx& c, const Tensor& Xn, const Tensor& Yn, const Tensor& nx, const Tensor& ny, const Tensor& P,
                      double tau, const Tensor& dloss, const Tensor& dX, const Tensor& dY) {
  // CUDA: dS, then a GEMM and a row-normalisation backward per requested gradient.
  LETHE_OPS_MATRIX_COST_N(4.0 * ne(Xn) * double(Xn.rows) + 3 * ne(P) + 12 * ne(Xn),
                          nb(Xn) + nb(Yn) + nb(nx) + nb(ny) + nb(P) + acc(dX) + acc(dY),
                          (dX.defined() || dY.defined()) ? 1 + 2 * int(dX.defined()) + 2 * int(dY.defined()) : 0);
  LETHE_OPS_BEGIN("infonce_backward", &Xn, &Yn, &nx, &ny, &P, &dloss, &dX, &dY)
  ref::infonce_backward<T>(Xn.cmat<T>(), Yn.cmat<T>(), nx.cvec<T>(), ny.cvec<T>(), P.cmat<T>(), T(tau),
                           dloss.ptr<T>(), om<T>(dX), om<T>(dY));
  LETHE_OPS_GPU cuda::infonce_backward(Xn.cmat<float>(), Yn.cmat<float>(), nx.cvec<float>(), ny.cvec<float>(),
                                       P.cmat<float>(), float(tau), dloss.ptr<float>(), om<float>(dX), om<float>(dY),
                                       c.exec());
  LETHE_OPS_END
}

// ---- slab reductions and optimizers ----
std::vector<double> segmented_sqnorm(Ctx& c, const Tensor& x, const int64_t* offsets, int64_t nseg) {
  std::vector<double> out(static_cast<size_t>(nseg), 0.0);
  if (nseg == 0) return out;
  LETHE_OPS_COST_N(2 * ne(x), nb(x), 2);
  LETHE_OPS_BEGIN("segmented_sqnorm", &x) ref::segmented_sqnorm<T>(x.ptr<T>(), x.numel(), offsets, nseg, out.data());
  LETHE_OPS_GPU
  double* d = c.scratch().alloc_n<double>(nseg);
  cuda::segmented_sqnorm(x.ptr<float>(), x.numel(), offsets, nseg, d, c.exec());
  cuda::memcpy_d2h(out.data(), d, static_cast<size_t>(nseg) * sizeof(double), c.gpu());
  LETHE_OPS_END
  prof::transfer(prof::Transfer::HostRead, static_cast<double>(nseg) * sizeof(double));
  return out;
}
double clip_global_norm(Ctx& c, const Tensor& x, double max_norm) {
  double norm = 0.0;
  LETHE_OPS_COST_N(3 * ne(x), 3 * nb(x), 3);
  LETHE_OPS_BEGIN("clip_global_norm", &x) ref::clip_global_norm<T>(x.ptr<T>(), x.numel(), max_norm, &norm);
  LETHE_OPS_GPU
  double* d = c.scratch().alloc_n<double>(1);
  cuda::clip_global_norm(x.ptr<float>(), x.numel(), max_norm, d, c.exec());
  cuda::memcpy_d2h(&norm, d, sizeof(double), c.gpu());
  LETHE_OPS_END
  prof::transfer(prof::Transfer::HostRead, sizeof(double));
  return norm;
}
void adam_step(Ctx& c, const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const AdamHp& hp,
               const uint8_t* mask, SegScale seg) {
  LETHE_CHECK(p.numel() == g.numel() && p.numel() == m.numel() && p.numel() == v.numel(), "adam_step: slab sizes differ");
  LETHE_OPS_COST(14 * ne(p), 7 * nb(p) + (mask ? ne(p) : 0));
  LETHE_OPS_BEGIN("adam_step", &p, &g, &m, &v)
  ref::adam_step<T>(p.ptr<T>(), g.ptr<T>(), m.ptr<T>(), v.ptr<T>(), p.numel(), hp, mask, seg);
  LETHE_OPS_GPU cuda::adam_step(p.ptr<float>(), g.ptr<float>(), m.ptr<float>(), v.ptr<float>(), p.numel(), hp, mask, seg,
                                c.exec());
  LETHE_OPS_END
}
void sgd_step(Ctx& c, const Tensor& p, const Tensor& g, double lr, const uint8_t* mask, SegScale seg) {
  LETHE_CHECK(p.numel() == g.numel(), "sgd_step: slab sizes differ");
  LETHE_OPS_COST(2 * ne(p), 3 * nb(p) + (mask ? ne(p) : 0));
  LETHE_OPS_BEGIN("sgd_step", &p, &g) ref::sgd_step<T>(p.ptr<T>(), g.ptr<T>(), p.numel(), lr, mask, seg);
  LETHE_OPS_GPU cuda::sgd_step(p.ptr<float>(), g.ptr<float>(), p.numel(), lr, mask, seg, c.exec());
  LETHE_OPS_END
}
void grad_combine(Ctx& c, const Tensor& out, const Tensor& gf, const Tensor& gr, const uint8_t* mask, SegScale seg) {
  LETHE_CHECK(out.numel() == gf.numel() && (!gr.defined() || gr.numel() == out.numel()), "grad_combine: slab sizes differ");
  LETHE_OPS_COST(2 * ne(out), nb(out) + nb(gf) + nb(gr) + (mask ? ne(out) : 0));
  LETHE_OPS_BEGIN("grad_combine", &out, &gf, &gr)
  ref::grad_combine<T>(out.ptr<T>(), gf.ptr<T>(), optr<T>(gr), out.numel(), mask, seg);
  LETHE_OPS_GPU cuda::grad_combine(out.ptr<float>(), gf.ptr<float>(), optr<float>(gr), out.numel(), mask, seg, c.exec());
  LETHE_OPS_END
}

// ---- the training step's own state ----
void step_begin(Ctx& c, StepState* st, double beta1, double beta2, const IdxTensor& all_users,
                const IdxTensor& all_items, int64_t batch, const IdxTensor& users, const IdxTensor& items) {
  for (const IdxTensor* i : {&all_users, &all_items, &users, &items}) check_idx(c, "step_begin", *i);
  LETHE_OPS_COST(0, sizeof(StepState) + idx_bytes(4 * users.n));
  LETHE_OPS_SCOPE("step_begin");
  Vec<int32_t> u(users.data, users.n), it(items.data, items.n);
  if (c.is_cuda()) cuda::step_begin(st, beta1, beta2, all_users.vec(), all_items.vec(), batch, u, it, c.exec());
  else ref::step_begin(st, beta1, beta2, all_users.vec(), all_items.vec(), batch, u, it);
}
void accumulate_losses(Ctx& c, StepState* st, const Tensor& total, const Tensor& rank, const Tensor& reg,
                       const Tensor& aux) {
  LETHE_OPS_COST(4, sizeof(StepState) + nb(total) + nb(rank) + nb(reg) + nb(aux));
  LETHE_OPS_BEGIN("accumulate_losses", &total, &rank, &reg, &aux)
  ref::accumulate_losses<T>(st, total.ptr<T>(), optr<T>(rank), optr<T>(reg), optr<T>(aux));
  LETHE_OPS_GPU cuda::accumulate_losses(st, total.ptr<float>(), optr<float>(rank), optr<float>(reg), optr<float>(aux),
                                        c.exec());
  LETHE_OPS_END
}
void adam_step_at(Ctx& c, const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const StepState* st,
                  const AdamHp& hp) {
  LETHE_CHECK(p.numel() == g.numel() && p.numel() == m.numel() && p.numel() == v.numel(),
              "adam_step_at: slab sizes differ");
  LETHE_OPS_COST(14 * ne(p), 7 * nb(p));
  LETHE_OPS_BEGIN("adam_step_at", &p, &g, &m, &v)
  ref::adam_step_at<T>(p.ptr<T>(), g.ptr<T>(), m.ptr<T>(), v.ptr<T>(), p.numel(), st, hp);
  LETHE_OPS_GPU cuda::adam_step_at(p.ptr<float>(), g.ptr<float>(), m.ptr<float>(), v.ptr<float>(), p.numel(), st, hp,
                                   c.exec());
  LETHE_OPS_END
}
namespace {
// The negative samplers' index tensors, each on the context's device.
void check_negatives(Ctx& c, const char* op, const IdxTensor& users, const IdxTensor& pool, const IdxTensor& out) {
  for (const IdxTensor* t : {&users, &pool, &out}) check_idx(c, op, *t);
}
// Per draw: the user's train row bounds and a binary search of its items (about log2 of 64).
double negatives_bytes(const IdxTensor& users, const IdxTensor& out) {
  return idx_bytes(users.n) + idx_bytes(out.n) + 8.0 * double(out.n) + 24.0 * double(out.n);
}
}  // namespace
void sample_negatives_at(Ctx& c, uint64_t seed, const StepState* st, const IdxTensor& users, const IdxTensor& pool,
                         const Csr& train, const IdxTensor& out) {
  check_negatives(c, "sample_negatives_at", users, pool, out);
  Vec<int32_t> o(out.data, out.n);
  LETHE_OPS_COST(8 * double(out.n), negatives_bytes(users, out));
  LETHE_OPS_SCOPE("sample_negatives_at");
  if (c.is_cuda()) cuda::sample_negatives_at(seed, st, users.vec(), pool.vec(), train, o, c.exec());
  else ref::sample_negatives_at(seed, st, users.vec(), pool.vec(), train, o);
}
bool linear_dx_adam(Ctx& c, const Tensor& dY, const Tensor& W, const Tensor& G, const Tensor& P, const Tensor& M,
                    const Tensor& V, const StepState* st, const AdamHp& hp) {
  LETHE_CHECK(G.numel() == P.numel(), "linear_dx_adam: the gradient buffer does not match P " + P.shape());
  // Declared as the fused update moves it (P, M, V read and written; dY, W read): the CUDA kernel
  // and the CPU's AVX-512 path; the CPU's plain path also writes and reads G.
  LETHE_OPS_MATRIX_COST(2.0 * ne(dY) * double(W.rows) + 14 * ne(P), nb(dY) + nb(W) + 6 * nb(P));
  bool wrote = false;
  LETHE_OPS_BEGIN("linear_dx_adam", &dY, &W, &G, &P, &M, &V)
  wrote = ref::gemm_adam_at<T>(dY.cmat<T>(), W.cmat<T>(), P.mat<T>(), M.reshaped(P.rows, P.cols).mat<T>(),
                               V.reshaped(P.rows, P.cols).mat<T>(), st, hp, G.reshaped(P.rows, P.cols).mat<T>());
  LETHE_OPS_GPU cuda::gemm_adam_at(dY.cmat<float>(), W.cmat<float>(), P.mat<float>(),
                                   M.reshaped(P.rows, P.cols).mat<float>(), V.reshaped(P.rows, P.cols).mat<float>(), st,
                                   hp, c.exec());
  LETHE_OPS_END
  return wrote;
}

// ---- ranking and sampling ----
void topk_rows(Ctx& c, const Tensor& S, const Csr* exclude, int64_t row0, int K, Mat<int32_t> idx, const Tensor& val) {
  LETHE_OPS_COST(ne(S), nb(S) + 2 * nb(val));
  LETHE_OPS_BEGIN("topk_rows", &S, &val) ref::topk_rows<T>(S.cmat<T>(), exclude, row0, K, idx, val.mat<T>());
  LETHE_OPS_GPU cuda::topk_rows(S.cmat<float>(), exclude, row0, K, idx, val.mat<float>(), c.exec());
  LETHE_OPS_END
}
void sample_negatives(Ctx& c, uint64_t seed, uint64_t stream, const IdxTensor& users, const IdxTensor& pool,
                      const Csr& train, const IdxTensor& out) {
  check_negatives(c, "sample_negatives", users, pool, out);
  Vec<int32_t> o(out.data, out.n);
  LETHE_OPS_COST(8 * double(out.n), negatives_bytes(users, out));
  LETHE_OPS_SCOPE("sample_negatives");
  if (c.is_cuda()) cuda::sample_negatives(seed, stream, users.vec(), pool.vec(), train, o, c.exec());
  else ref::sample_negatives(seed, stream, users.vec(), pool.vec(), train, o);
}
void dropout_forward(Ctx& c, const Tensor& x, double p, uint64_t seed, uint64_t stream, const Tensor& y,
                     uint8_t* mask) {
  LETHE_OPS_COST(3 * ne(x), nb(x) + nb(y) + ne(x));
  LETHE_OPS_BEGIN("dropout_forward", &x, &y)
  ref::dropout_forward<T>(x.cvec<T>(), T(p), seed, stream, y.vec<T>(), Vec<uint8_t>(mask, x.numel()));
  LETHE_OPS_GPU cuda::dropout_forward(x.cvec<float>(), float(p), seed, stream, y.vec<float>(),
                                      Vec<uint8_t>(mask, x.numel()), c.exec());
  LETHE_OPS_END
}
void dropout_backward(Ctx& c, const Tensor& dy, const uint8_t* mask, double p, const Tensor& dx) {
  LETHE_OPS_COST(ne(dx), nb(dy) + ne(dy) + acc(dx));
  LETHE_OPS_BEGIN("dropout_backward", &dy, &dx)
  ref::dropout_backward<T>(dy.cvec<T>(), Vec<const uint8_t>(mask, dy.numel()), T(p), dx.vec<T>());
  LETHE_OPS_GPU cuda::dropout_backward(dy.cvec<float>(), Vec<const uint8_t>(mask, dy.numel()), float(p), dx.vec<float>(),
                                       c.exec());
  LETHE_OPS_END
}
void fill_uniform(Ctx& c, const Tensor& x, double lo, double hi, uint64_t seed, uint64_t stream) {
  LETHE_OPS_COST(3 * ne(x), nb(x));
  LETHE_OPS_BEGIN("fill_uniform", &x) ref::fill_uniform<T>(x.vec<T>(), T(lo), T(hi), seed, stream);
  LETHE_OPS_GPU cuda::fill_uniform(x.vec<float>(), float(lo), float(hi), seed, stream, c.exec());
  LETHE_OPS_END
}

}  // namespace lethe::ops
