// engine/unlearn/push.h — lazy local propagation (ScaleGUN's first step): when edges are deleted,
// update a propagated view
//     Z = Σ_{l=0..L} w_l P^l H⁰
// from the old graph's to the new graph's by forward push from the rows the edit changed, instead
// of recomputing it (the design and the error bound: docs/BASELINES.md).
// Levels q^(l) = P_old^l H⁰ are computed once (what a deployment would keep from training). The
// edit leaves residuals r^(l+1) = (P_new − P_old) q^(l), non-zero only on rows whose weights
// changed, and the invariant P_new^l H⁰ = q^(l) + Σ_{k=1..l} P_new^{l−k} r^(k) holds. Level by
// level (l = 1 .. L−1), every node s whose residual row exceeds τ_s = r_max·√(deg_s / deg_max) in
// max-norm is pushed: q^(l)_s += r^(l)_s, r^(l+1) += P_new[:, s] r^(l)_s, r^(l)_s = 0 (a node of degree
// 0 is pushed whenever its residual is non-zero); the last level's residual is absorbed whole.
// For P = D^{-1/2} A D^{-1/2} with D the row sums of A (Â, and MIG-GT's self-loop graph), every
// entry of the result is then within bound = r_max · Σ_l |w_l| · min(l, L−1) of the exact new view.
// Host code in double (the propagation weights come from the graph's float values).
#pragma once

#include <cstdint>
#include <vector>

#include "graph/csr.h"

namespace lethe::unlearn {

struct PushResult {
  std::vector<double> view_old, view_new;  // N × d, row-major
  double r_max = 0;        // the push threshold's scale
  double bound = 0;        // guaranteed max |view_new − exact| (docs/BASELINES.md)
  int64_t pushes = 0;      // node pushes over all levels
  int64_t changed_rows = 0;  // rows of P the edit changed (the push sources)
  int64_t touched = 0;     // nodes whose levels the update changed
};

// P_old, P_new: N×N symmetric-pattern propagation matrices with values; weights: w_0..w_L;
// H0: N×d row-major. r_max ≥ 0 (0: exact up to rounding).
PushResult push_update(const graph::HostCsr& P_old, const graph::HostCsr& P_new, const std::vector<double>& weights,
                       const std::vector<double>& H0, int64_t d, double r_max);

// Σ_l w_l P^l H⁰ by full propagation (the reference the push is measured against).
std::vector<double> propagate_full(const graph::HostCsr& P, const std::vector<double>& weights,
                                   const std::vector<double>& H0, int64_t d);

// rel × the mean column L1 norm of H⁰ (N×d): scalegun.r_max's scale.
double relative_r_max(const std::vector<double>& H0, int64_t d, double rel);

}  // namespace lethe::unlearn
