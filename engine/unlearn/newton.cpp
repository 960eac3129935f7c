// engine/unlearn/newton.cpp — see newton.h.
#include "engine/unlearn/newton.h"

#include <cmath>
#include <limits>

#include "engine/ops.h"

namespace lethe::unlearn {

double dot(Ctx& ctx, const Tensor& a, const Tensor& b) {
  LETHE_CHECK(a.numel() == b.numel(), "dot: " + a.shape() + " and " + b.shape());
  OwnedTensor out(ctx, a.dtype, 1, 1);
  ops::gemm(ctx, true, false, 1.0, a.reshaped(a.numel(), 1), b.reshaped(b.numel(), 1), 0.0, out);
  return out.t().to_host(ctx)[0];
}

CgResult conjugate_gradient(Ctx& ctx, const LinearOp& A, double damping, const Tensor& b, const Tensor& x,
                            int max_iters, double tol) {
  LETHE_CHECK(b.numel() == x.numel() && max_iters >= 0 && tol >= 0, "conjugate_gradient: bad arguments");
  OwnedTensor r(ctx, b.dtype, b.rows, b.cols), p(ctx, b.dtype, b.rows, b.cols), Ap(ctx, b.dtype, b.rows, b.cols);
  ops::fill(ctx, x, 0.0);
  ops::copy(ctx, b, r);
  ops::copy(ctx, b, p);
  double rs = dot(ctx, r, r);
  const double bnorm = std::sqrt(rs);
  CgResult out;
  if (bnorm == 0) {
    out.converged = true;
    return out;
  }
  out.relative_residual = 1.0;
  while (out.iterations < max_iters && out.relative_residual > tol) {
    A(p, Ap);
    ++out.iterations;
    if (damping != 0) ops::axpy(ctx, damping, p, Ap);
    const double pAp = dot(ctx, p, Ap);
    if (!(pAp > 0)) {
      out.negative_curvature = true;
      break;
    }
    const double alpha = rs / pAp;
    ops::axpy(ctx, alpha, p, x);
    ops::axpy(ctx, -alpha, Ap, r);
    const double rs_new = dot(ctx, r, r);
    out.relative_residual = std::sqrt(rs_new) / bnorm;
    // p = r + (rs_new / rs) p
    ops::scale(ctx, p, rs_new / rs, p);
    ops::axpy(ctx, 1.0, r, p);
    rs = rs_new;
  }
  out.converged = out.relative_residual <= tol;
  return out;
}

FdHvp::FdHvp(Ctx& ctx, const ParamStore& ps, std::function<void(const GradSlab&)> grad)
    : ctx_(ctx),
      ps_(ps),
      grad_(std::move(grad)),
      theta_(ctx, ps.dtype(), ps.numel(), 1),
      tmp_(ctx, ps.dtype(), ps.numel(), 1),
      gp_(ps),
      gm_(ps) {
  ops::copy(ctx, ps.slab(), theta_);
}

void FdHvp::apply(const Tensor& p, const Tensor& out) {
  const double pn = std::sqrt(dot(ctx_, p, p));
  if (pn == 0) {
    ops::fill(ctx_, out, 0.0);
    return;
  }
  ops::mul(ctx_, theta_, p, tmp_);
  const double along = std::sqrt(dot(ctx_, tmp_, tmp_)) / pn;
  const double u = ps_.dtype() == DType::F64 ? std::numeric_limits<double>::epsilon() / 2
                                             : static_cast<double>(std::numeric_limits<float>::epsilon()) / 2;
  const double eps = std::cbrt(u) * (1.0 + along) / pn;
  const Tensor th = ps_.slab();
  ops::axpy(ctx_, eps, p, th);
  grad_(gp_);
  ops::copy(ctx_, theta_, th);
  ops::axpy(ctx_, -eps, p, th);
  grad_(gm_);
  ops::copy(ctx_, theta_, th);
  evals_ += 2;
  ops::sub(ctx_, gp_.all(), gm_.all(), out);
  ops::scale(ctx_, out, 0.5 / eps, out);
}

}  // namespace lethe::unlearn
