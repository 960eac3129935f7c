// engine/unlearn/certified_head.cpp — see certified_head.h.
#include "engine/unlearn/certified_head.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

#include "engine/ops.h"
#include "io/normal.h"
#include "kernels/philox.h"

namespace lethe::unlearn {

namespace {

Tensor view(const std::vector<double>& v, int64_t rows, int64_t cols) {
  return Tensor(const_cast<double*>(v.data()), DType::F64, Device::CPU, rows, cols);
}

double dotv(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }
double sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); }

// Solves H x = rhs for a symmetric positive definite d×d H (Cholesky).
std::vector<double> spd_solve(std::vector<double> H, std::vector<double> rhs, int64_t d) {
  for (int64_t j = 0; j < d; ++j) {
    double s = H[j * d + j];
    for (int64_t k = 0; k < j; ++k) s -= H[j * d + k] * H[j * d + k];
    LETHE_CHECK(s > 0, "certified head: the Hessian is not positive definite (is scalegun.cert.lambda > 0?)");
    const double l = std::sqrt(s);
    H[j * d + j] = l;
    for (int64_t i = j + 1; i < d; ++i) {
      double t = H[i * d + j];
      for (int64_t k = 0; k < j; ++k) t -= H[i * d + k] * H[j * d + k];
      H[i * d + j] = t / l;
    }
  }
  for (int64_t i = 0; i < d; ++i) {  // L y = rhs
    for (int64_t k = 0; k < i; ++k) rhs[i] -= H[i * d + k] * rhs[k];
    rhs[i] /= H[i * d + i];
  }
  for (int64_t i = d - 1; i >= 0; --i) {  // Lᵀ x = y
    for (int64_t k = i + 1; k < d; ++k) rhs[i] -= H[k * d + i] * rhs[k];
    rhs[i] /= H[i * d + i];
  }
  return rhs;
}

}  // namespace

double certified_budget(double epsilon, double delta, double sigma) {
  LETHE_CHECK(epsilon > 0 && delta > 0 && delta < 1.5 && sigma > 0,
              "certified removal needs ε > 0, 0 < δ < 1.5 and σ > 0");
  return sigma * epsilon / std::sqrt(2.0 * std::log(1.5 / delta));
}

double sym_max_eigenvalue(std::vector<double> A, int64_t d) {
  LETHE_CHECK(static_cast<int64_t>(A.size()) == d * d && d > 0, "sym_max_eigenvalue: A must be d×d");
  double fro = 0;
  for (double v : A) fro += v * v;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (int64_t p = 0; p < d; ++p)
      for (int64_t q = p + 1; q < d; ++q) off += 2 * A[p * d + q] * A[p * d + q];
    if (off <= 1e-30 * fro) break;
    for (int64_t p = 0; p < d; ++p)
      for (int64_t q = p + 1; q < d; ++q) {
        const double apq = A[p * d + q];
        if (apq == 0) continue;
        const double theta = (A[q * d + q] - A[p * d + p]) / (2 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int64_t k = 0; k < d; ++k) {  // A ← Jᵀ A J: columns p, q, then rows p, q
          const double akp = A[k * d + p], akq = A[k * d + q];
          A[k * d + p] = c * akp - s * akq;
          A[k * d + q] = s * akp + c * akq;
        }
        for (int64_t k = 0; k < d; ++k) {
          const double apk = A[p * d + k], aqk = A[q * d + k];
          A[p * d + k] = c * apk - s * aqk;
          A[q * d + k] = s * apk + c * aqk;
        }
      }
  }
  double m = -std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < d; ++i) m = std::max(m, A[i * d + i]);
  return m;
}

CertifiedHead::CertifiedHead(std::vector<double> Z, std::vector<double> y, int64_t d, const HeadSettings& s)
    : Z_(std::move(Z)), y_(std::move(y)), d_(d), s_(s) {
  LETHE_CHECK(d > 0 && Z_.size() == y_.size() * static_cast<size_t>(d), "certified head: Z must be n×d with n labels");
  LETHE_CHECK(s.lambda > 0 && s.lbfgs_iters >= 1, "certified head: λ > 0 and at least one L-BFGS iteration needed");
  n_ = static_cast<int64_t>(y_.size());
  n_active_ = n_;
  a_.assign(static_cast<size_t>(n_), 1.0);
  for (double v : y_) LETHE_CHECK(v == 1.0 || v == -1.0, "certified head: labels must be +1 or -1");
  budget_ = certified_budget(s.epsilon, s.delta, s.sigma);  // ε = ∞: an infinite budget, never retrains
  w_.assign(static_cast<size_t>(d), 0.0);
  b_.assign(static_cast<size_t>(d), 0.0);
}

std::vector<double> CertifiedHead::margins(const std::vector<double>& w) const {
  Ctx host(Device::CPU);
  std::vector<double> m(static_cast<size_t>(n_));
  ops::gemm(host, false, false, 1.0, view(Z_, n_, d_), view(w, d_, 1), 0.0, view(m, n_, 1));
  for (int64_t k = 0; k < n_; ++k) m[k] *= y_[k];
  return m;
}

double CertifiedHead::objective(const std::vector<double>& w) const {
  const std::vector<double> m = margins(w);
  double f = 0;
  for (int64_t k = 0; k < n_; ++k)
    if (a_[k] != 0) f += softplus(-m[k]);
  return f + 0.5 * s_.lambda * static_cast<double>(n_active_) * dotv(w, w) + dotv(b_, w);
}

std::vector<double> CertifiedHead::gradient(const std::vector<double>& w) const {
  const std::vector<double> m = margins(w);
  std::vector<double> c(static_cast<size_t>(n_)), g(static_cast<size_t>(d_));
  for (int64_t k = 0; k < n_; ++k) c[k] = a_[k] * -y_[k] * sigmoid(-m[k]);
  Ctx host(Device::CPU);
  ops::gemm(host, true, false, 1.0, view(Z_, n_, d_), view(c, n_, 1), 0.0, view(g, d_, 1));
  for (int64_t j = 0; j < d_; ++j) g[j] += s_.lambda * static_cast<double>(n_active_) * w[j] + b_[j];
  return g;
}

std::vector<double> CertifiedHead::hessian(const std::vector<double>& w) const {
  const std::vector<double> m = margins(w);
  std::vector<double> r(static_cast<size_t>(n_)), Zs(Z_.size()), H(static_cast<size_t>(d_ * d_));
  for (int64_t k = 0; k < n_; ++k) {
    const double p = sigmoid(m[k]);
    r[k] = std::sqrt(a_[k] * p * (1 - p));
  }
  Ctx host(Device::CPU);
  ops::scale_rows(host, view(Z_, n_, d_), view(r, n_, 1), view(Zs, n_, d_));
  ops::gemm(host, true, false, 1.0, view(Zs, n_, d_), view(Zs, n_, d_), 0.0, view(H, d_, d_));
  for (int64_t j = 0; j < d_; ++j) H[j * d_ + j] += s_.lambda * static_cast<double>(n_active_);
  return H;
}

double CertifiedHead::mean_loss(const std::vector<int64_t>& ids) const {
  if (ids.empty()) return 0.0;
  const std::vector<double> m = margins(w_);
  double f = 0;
  for (int64_t k : ids) f += softplus(-m[k]);
  return f / static_cast<double>(ids.size());
}

std::vector<double> CertifiedHead::minimise(std::vector<double> w, int iters, double gtol, double* grad_norm,
                                            int* iterations) const {
  constexpr size_t kMemory = 10;
  std::deque<std::vector<double>> S, Y;
  std::deque<double> rho;
  double f = objective(w);
  std::vector<double> g = gradient(w);
  int it = 0;
  for (; it < iters && std::sqrt(dotv(g, g)) > gtol; ++it) {
    // Two-loop recursion: dir = −H_k g.
    std::vector<double> q = g, alpha(S.size());
    for (size_t i = S.size(); i-- > 0;) {
      alpha[i] = rho[i] * dotv(S[i], q);
      for (int64_t j = 0; j < d_; ++j) q[j] -= alpha[i] * Y[i][j];
    }
    const double gamma = S.empty() ? 1.0 / std::max(1.0, std::sqrt(dotv(g, g))) : dotv(S.back(), Y.back()) / dotv(Y.back(), Y.back());
    for (double& v : q) v *= gamma;
    for (size_t i = 0; i < S.size(); ++i) {
      const double beta = rho[i] * dotv(Y[i], q);
      for (int64_t j = 0; j < d_; ++j) q[j] += (alpha[i] - beta) * S[i][j];
    }
    for (double& v : q) v = -v;
    double gd = dotv(g, q);
    if (!(gd < 0)) {  // not a descent direction: restart from steepest descent
      S.clear();
      Y.clear();
      rho.clear();
      q = g;
      for (double& v : q) v = -v / std::max(1.0, std::sqrt(dotv(g, g)));
      gd = dotv(g, q);
    }
    // Backtracking to the Armijo condition. Near the minimum the decrease falls below the
    // rounding of J (a sum of n terms); there a step is taken when it shrinks the gradient.
    const double gnorm = std::sqrt(dotv(g, g)), noise = 1e-13 * (1.0 + std::abs(f));
    double t = 1.0, fn = 0;
    bool ok = false;
    std::vector<double> wn(w.size()), gn;
    for (int ls = 0; ls < 60 && !ok; ++ls, t *= 0.5) {
      for (int64_t j = 0; j < d_; ++j) wn[j] = w[j] + t * q[j];
      fn = objective(wn);
      if (fn <= f + 1e-4 * t * gd) {
        ok = true;
      } else if (fn <= f + noise) {
        gn = gradient(wn);
        ok = std::sqrt(dotv(gn, gn)) < gnorm;
      }
      if (ok && gn.empty()) gn = gradient(wn);
      if (!ok) gn.clear();
    }
    if (!ok) break;  // no acceptable step: converged as far as doubles allow
    std::vector<double> s(w.size()), yv(w.size());
    for (int64_t j = 0; j < d_; ++j) {
      s[j] = wn[j] - w[j];
      yv[j] = gn[j] - g[j];
    }
    const double sy = dotv(s, yv);
    if (sy > 0) {
      if (S.size() == kMemory) {
        S.pop_front();
        Y.pop_front();
        rho.pop_front();
      }
      S.push_back(s);
      Y.push_back(yv);
      rho.push_back(1.0 / sy);
    }
    w.swap(wn);
    g = gn;
    f = fn;
  }
  if (grad_norm) *grad_norm = std::sqrt(dotv(g, g));
  if (iterations) *iterations = it;
  return w;
}

void CertifiedHead::fit() {
  b_ = io::philox_normals(d_, s_.seed, rng_stream(RngPurpose::kUnlearn, 0x500000u, static_cast<uint32_t>(fits_)),
                          s_.sigma);
  ++fits_;
  const std::vector<double> g0 = gradient(std::vector<double>(static_cast<size_t>(d_), 0.0));
  const double gtol = 1e-10 * std::max(1.0, std::sqrt(dotv(g0, g0)));
  w_ = minimise(std::vector<double>(static_cast<size_t>(d_), 0.0), s_.lbfgs_iters, gtol, &train_grad_norm_,
                &train_iters_);
  // The fitted head is a near-minimiser: its own gradient norm starts the accumulated bound.
  bound_ = train_grad_norm_;
}

CertifiedHead::Removal CertifiedHead::remove(const std::vector<int64_t>& ids) {
  LETHE_CHECK(fits_ > 0, "certified head: fit() before remove()");
  Removal out;
  for (int64_t k : ids) {
    LETHE_CHECK(k >= 0 && k < n_ && a_[k] != 0, "certified head: example " + std::to_string(k) + " is not active");
    a_[k] = 0;
    --n_active_;
    ++out.removed;
  }
  LETHE_CHECK(n_active_ > 0, "certified head: every example was removed");
  // One Newton step on the remaining objective: Δ = −H⁻¹∇J′(w).
  std::vector<double> g = gradient(w_);
  for (double& v : g) v = -v;
  const std::vector<double> delta = spd_solve(hessian(w_), g, d_);
  for (int64_t j = 0; j < d_; ++j) w_[j] += delta[j];
  // ¼ ‖Δ‖ ‖Z′Δ‖ ‖Z′‖₂ with Z′ the remaining examples (G′ = Z′ᵀZ′).
  std::vector<double> Za(Z_.size()), G(static_cast<size_t>(d_ * d_)), Gd(static_cast<size_t>(d_));
  Ctx host(Device::CPU);
  ops::scale_rows(host, view(Z_, n_, d_), view(a_, n_, 1), view(Za, n_, d_));
  ops::gemm(host, true, false, 1.0, view(Za, n_, d_), view(Za, n_, d_), 0.0, view(G, d_, d_));
  ops::gemm(host, false, false, 1.0, view(G, d_, d_), view(delta, d_, 1), 0.0, view(Gd, d_, 1));
  out.step_bound = 0.25 * std::sqrt(dotv(delta, delta)) * std::sqrt(std::max(0.0, dotv(delta, Gd))) *
                   std::sqrt(std::max(0.0, sym_max_eigenvalue(G, d_)));
  bound_ += out.step_bound;
  if (bound_ > budget_) {
    fit();
    out.retrained = true;
  }
  return out;
}

}  // namespace lethe::unlearn
