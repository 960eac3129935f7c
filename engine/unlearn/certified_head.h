// engine/unlearn/certified_head.h — certified removal for a logistic head (Guo et al., "Certified
// data removal from machine learning models", ICML 2020), the part of ScaleGUN that carries a
// certificate (scalegun_certified.cpp; docs/BASELINES.md).
// Examples z_k ∈ R^d with labels y_k = ±1. On the active set S (n = |S|) the head minimises the
// perturbed objective, in the sum form the certificate is stated in,
//     J_S(w) = Σ_{k∈S} log(1 + exp(−y_k z_kᵀw)) + (λ n / 2)‖w‖² + bᵀw,   b ~ N(0, σ² I),
// i.e. n × (mean loss + (λ/2)‖w‖² + bᵀw/n). fit() draws fresh noise and runs L-BFGS from w = 0.
// remove() deactivates examples and takes one Newton step on the remaining objective from the
// current w (exact gradient, exact Hessian, d×d Cholesky), then adds the data-dependent bound on
// the new gradient-residual norm, ¼·‖Δ‖·‖Z′Δ‖·‖Z′‖₂ (Δ the step, Z′ the remaining examples,
// ‖Z′‖₂ = √λ_max(Z′ᵀZ′), ¼ the Lipschitz constant of the logistic loss's second derivative as
// Guo et al. use it), to the accumulated bound. When the accumulated bound passes the budget
// σε/√(2 ln(1.5/δ)) the head is retrained on the remaining examples with fresh noise and the bound
// restarts at 0; the output is then (ε, δ)-indistinguishable from a head trained on the remaining
// examples alone — for the head, given its input features.
// Host code in double; the products go through the engine's f64 CPU ops.
#pragma once

#include <cstdint>
#include <vector>

namespace lethe::unlearn {

// σε / √(2 ln(1.5/δ)): the largest gradient-residual norm (ε, δ)-certified removal tolerates.
double certified_budget(double epsilon, double delta, double sigma);

struct HeadSettings {
  double lambda = 1e-2, sigma = 0.1, epsilon = 1.0, delta = 1e-4;
  int lbfgs_iters = 100;
  uint64_t seed = 1;  // noise draws: one fresh stream per (re)training
};

class CertifiedHead {
 public:
  // Z: n×d row-major, y: ±1. All examples start active; call fit() before remove().
  CertifiedHead(std::vector<double> Z, std::vector<double> y, int64_t d, const HeadSettings& s);

  // (Re)trains on the active examples with fresh noise; the accumulated bound restarts at 0.
  void fit();

  struct Removal {
    int64_t removed = 0;
    double step_bound = 0;   // this step's bound increment
    bool retrained = false;  // the bound passed the budget and the head was retrained
  };
  // Deactivates the examples `ids` (each active, no repeats) and takes one Newton step.
  Removal remove(const std::vector<int64_t>& ids);

  const std::vector<double>& w() const { return w_; }
  const std::vector<double>& noise() const { return b_; }
  double bound() const { return bound_; }
  double budget() const { return budget_; }
  int retrains() const { return fits_ - 1; }  // fits after the first
  int64_t active() const { return n_active_; }
  double train_grad_norm() const { return train_grad_norm_; }  // ‖∇J‖ when the last fit stopped
  int train_iterations() const { return train_iters_; }

  // J on the active set, its gradient (sum form, current noise) and its Hessian (d×d).
  double objective(const std::vector<double>& w) const;
  std::vector<double> gradient(const std::vector<double>& w) const;
  std::vector<double> hessian(const std::vector<double>& w) const;
  // Mean logistic loss (no regulariser, no noise) over the given examples.
  double mean_loss(const std::vector<int64_t>& ids) const;
  // L-BFGS on the current objective from w0 (tests compare the Newton removals with it); stops
  // after `iters` iterations or when ‖∇J‖ ≤ gtol. Returns w; *grad_norm the final ‖∇J‖.
  std::vector<double> minimise(std::vector<double> w0, int iters, double gtol, double* grad_norm = nullptr,
                               int* iterations = nullptr) const;

 private:
  std::vector<double> margins(const std::vector<double>& w) const;  // y_k z_kᵀw, all k
  std::vector<double> Z_, y_, a_;  // features, labels, 1/0 active weights
  int64_t n_ = 0, d_ = 0, n_active_ = 0;
  HeadSettings s_;
  double budget_ = 0, bound_ = 0, train_grad_norm_ = 0;
  int fits_ = 0, train_iters_ = 0;
  std::vector<double> w_, b_;
};

// The largest eigenvalue of a symmetric d×d matrix (cyclic Jacobi; exact to rounding, never an
// underestimate from early stopping as power iteration would be).
double sym_max_eigenvalue(std::vector<double> A, int64_t d);

}  // namespace lethe::unlearn
