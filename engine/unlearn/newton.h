// engine/unlearn/newton.h — the linear algebra of ScaleGUN's Newton step (scalegun.cpp) on
// parameter-slab-shaped vectors on the context's device: conjugate gradient for
// (A + damping·I) x = b with A given as a product, and Hessian-vector products of a loss by
// central finite differences of its gradient.
//
// Why finite differences of gradients and not forward-over-reverse: the tape records first
// derivatives only — its backward closures call kernels, they are not themselves recorded — so a
// forward-mode pass through the backward would need a tangent rule for every op and for every
// op's backward (each with a CPU reference, a CUDA version and tests). Two gradient evaluations
// per product reuse the tested backward as it is; the central difference has O(ε²) truncation
// error, and ε is chosen to balance it against float rounding (FdHvp below). The product is
// checked against a Hessian built from second differences of the loss value (tests/unlearn).
#pragma once

#include <functional>

#include "engine/context.h"
#include "engine/params.h"

namespace lethe::unlearn {

// aᵀb of two equally shaped tensors (on the context's device), read to the host.
double dot(Ctx& ctx, const Tensor& a, const Tensor& b);

struct CgResult {
  int iterations = 0;              // products evaluated
  double relative_residual = 0;    // ‖b − (A + damping·I)x‖ / ‖b‖ as CG tracks it
  bool converged = false;          // relative_residual ≤ tol
  bool negative_curvature = false; // stopped at a direction with pᵀ(A + damping·I)p ≤ 0
};

// out = A·p (out is written, not accumulated).
using LinearOp = std::function<void(const Tensor& p, const Tensor& out)>;

// Solves (A + damping·I) x = b by conjugate gradient from x = 0 (x is overwritten), at most
// max_iters products, stopping when the residual norm falls to tol·‖b‖. A need not be
// positive definite: at a direction of non-positive curvature the iteration stops and keeps the
// x reached so far (the truncated-Newton rule), which is reported.
CgResult conjugate_gradient(Ctx& ctx, const LinearOp& A, double damping, const Tensor& b, const Tensor& x,
                            int max_iters, double tol);

// Hessian-vector products of L at the store's current parameters θ:
//   H p ≈ (∇L(θ + εp) − ∇L(θ − εp)) / (2ε),   ε = h/‖p‖,   h = ∛u · (1 + ‖θ ⊙ p‖/‖p‖)
// with u the unit roundoff of the parameters' dtype (the step that balances the O(h²) truncation
// error against the O(u/h) rounding error of the gradient difference) and ‖θ ⊙ p‖/‖p‖ the size of
// θ along p. `grad` writes ∇L at the store's current values into the given slab (it zeroes it
// first). θ is restored bit for bit after every product.
class FdHvp {
 public:
  FdHvp(Ctx& ctx, const ParamStore& ps, std::function<void(const GradSlab&)> grad);
  void apply(const Tensor& p, const Tensor& out);
  int64_t gradient_evaluations() const { return evals_; }

 private:
  Ctx& ctx_;
  const ParamStore& ps_;
  std::function<void(const GradSlab&)> grad_;
  OwnedTensor theta_, tmp_;
  GradSlab gp_, gm_;
  int64_t evals_ = 0;
};

}  // namespace lethe::unlearn
