// engine/unlearn/push.cpp — see push.h.
#include "engine/unlearn/push.h"

#include <algorithm>
#include <cmath>

#include "kernels/common.h"

namespace lethe::unlearn {

namespace {

// y = P x for N×d row-major x (y overwritten).
void spmm_host(const graph::HostCsr& P, const std::vector<double>& x, int64_t d, std::vector<double>& y) {
  y.assign(x.size(), 0.0);
  for (int64_t r = 0; r < P.rows; ++r)
    for (int32_t k = P.rowptr[r]; k < P.rowptr[r + 1]; ++k) {
      const double w = P.val[k];
      const double* xs = &x[static_cast<size_t>(P.col[k]) * d];
      double* yr = &y[static_cast<size_t>(r) * d];
      for (int64_t c = 0; c < d; ++c) yr[c] += w * xs[c];
    }
}

void check_graph(const graph::HostCsr& P, int64_t N, const char* what) {
  LETHE_CHECK(P.rows == N && P.cols == N && P.val.size() == P.col.size(),
              std::string("push: ") + what + " must be an N×N matrix with values");
}

}  // namespace

std::vector<double> propagate_full(const graph::HostCsr& P, const std::vector<double>& weights,
                                   const std::vector<double>& H0, int64_t d) {
  check_graph(P, static_cast<int64_t>(H0.size()) / std::max<int64_t>(d, 1), "the graph");
  LETHE_CHECK(!weights.empty(), "push: no propagation weights");
  std::vector<double> q = H0, next, z(H0.size(), 0.0);
  for (size_t l = 0; l < weights.size(); ++l) {
    if (l > 0) {
      spmm_host(P, q, d, next);
      q.swap(next);
    }
    for (size_t e = 0; e < z.size(); ++e) z[e] += weights[l] * q[e];
  }
  return z;
}

double relative_r_max(const std::vector<double>& H0, int64_t d, double rel) {
  double s = 0;
  for (double v : H0) s += std::abs(v);
  return d > 0 ? rel * s / static_cast<double>(d) : 0.0;
}

PushResult push_update(const graph::HostCsr& P_old, const graph::HostCsr& P_new, const std::vector<double>& weights,
                       const std::vector<double>& H0, int64_t d, double r_max) {
  LETHE_CHECK(d > 0 && H0.size() % static_cast<size_t>(d) == 0, "push: H0 must be N×d");
  const int64_t N = static_cast<int64_t>(H0.size()) / d;
  check_graph(P_old, N, "the old graph");
  check_graph(P_new, N, "the new graph");
  LETHE_CHECK(!weights.empty() && r_max >= 0 && std::isfinite(r_max), "push: weights and a finite r_max >= 0 needed");
  const size_t L = weights.size() - 1;
  PushResult out;
  out.r_max = r_max;

  // Exact levels of the old graph.
  std::vector<std::vector<double>> q(L + 1);
  q[0] = H0;
  for (size_t l = 1; l <= L; ++l) spmm_host(P_old, q[l - 1], d, q[l]);
  out.view_old.assign(H0.size(), 0.0);
  for (size_t l = 0; l <= L; ++l)
    for (size_t e = 0; e < H0.size(); ++e) out.view_old[e] += weights[l] * q[l][e];

  // Rows whose weights the edit changed, and the residuals r^(l+1) = P_new q^(l) − q^(l+1) there.
  std::vector<int64_t> changed;
  for (int64_t r = 0; r < N; ++r) {
    const int32_t a0 = P_old.rowptr[r], a1 = P_old.rowptr[r + 1], b0 = P_new.rowptr[r], b1 = P_new.rowptr[r + 1];
    bool same = a1 - a0 == b1 - b0;
    for (int32_t k = 0; same && k < a1 - a0; ++k)
      same = P_old.col[a0 + k] == P_new.col[b0 + k] && P_old.val[a0 + k] == P_new.val[b0 + k];
    if (!same) changed.push_back(r);
  }
  out.changed_rows = static_cast<int64_t>(changed.size());
  std::vector<std::vector<double>> res(L + 1);
  for (size_t l = 1; l <= L; ++l) res[l].assign(H0.size(), 0.0);
  std::vector<char> touched(static_cast<size_t>(N), 0);
  for (size_t l = 0; l < L; ++l)
    for (int64_t r : changed) {
      double* rr = &res[l + 1][static_cast<size_t>(r) * d];
      for (int32_t k = P_new.rowptr[r]; k < P_new.rowptr[r + 1]; ++k) {
        const double w = P_new.val[k];
        const double* xs = &q[l][static_cast<size_t>(P_new.col[k]) * d];
        for (int64_t c = 0; c < d; ++c) rr[c] += w * xs[c];
      }
      const double* qn = &q[l + 1][static_cast<size_t>(r) * d];
      for (int64_t c = 0; c < d; ++c) rr[c] -= qn[c];
    }

  // Push level by level. Column s of P_new is row s of its transpose.
  const graph::HostCsr Pt = graph::transpose(P_new);
  int64_t dmax = 0;
  for (int64_t r = 0; r < N; ++r) dmax = std::max<int64_t>(dmax, P_new.row_len(r));
  std::vector<double> tau(static_cast<size_t>(N), 0.0);
  for (int64_t r = 0; r < N; ++r)
    if (P_new.row_len(r) > 0)
      tau[r] = r_max * std::sqrt(static_cast<double>(P_new.row_len(r)) / static_cast<double>(dmax));
  for (size_t l = 1; l < L; ++l)
    for (int64_t s = 0; s < N; ++s) {
      double* rs = &res[l][static_cast<size_t>(s) * d];
      double m = 0;
      for (int64_t c = 0; c < d; ++c) m = std::max(m, std::abs(rs[c]));
      if (m == 0 || m <= tau[s]) continue;
      double* qs = &q[l][static_cast<size_t>(s) * d];
      for (int64_t c = 0; c < d; ++c) qs[c] += rs[c];
      for (int32_t k = Pt.rowptr[s]; k < Pt.rowptr[s + 1]; ++k) {
        const double w = Pt.val[k];
        double* rt = &res[l + 1][static_cast<size_t>(Pt.col[k]) * d];
        for (int64_t c = 0; c < d; ++c) rt[c] += w * rs[c];
      }
      std::fill(rs, rs + d, 0.0);
      touched[s] = 1;
      ++out.pushes;
    }
  if (L >= 1)
    for (int64_t s = 0; s < N; ++s) {
      const double* rs = &res[L][static_cast<size_t>(s) * d];
      double* qs = &q[L][static_cast<size_t>(s) * d];
      bool any = false;
      for (int64_t c = 0; c < d; ++c) {
        qs[c] += rs[c];
        any = any || rs[c] != 0;
      }
      if (any) touched[s] = 1;
    }
  for (char t : touched) out.touched += t;

  out.view_new.assign(H0.size(), 0.0);
  for (size_t l = 0; l <= L; ++l)
    for (size_t e = 0; e < H0.size(); ++e) out.view_new[e] += weights[l] * q[l][e];
  double coef = 0;
  for (size_t l = 1; l <= L; ++l) coef += std::abs(weights[l]) * static_cast<double>(std::min(l, L - 1));
  out.bound = r_max * coef;
  return out;
}

}  // namespace lethe::unlearn
