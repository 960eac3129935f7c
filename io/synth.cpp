// io/synth.cpp — the synthetic generator and fitted features (see synth.h for the model).
// Determinism: every random number is philox(seed, stream, counter) with a stream per
// (stage, entity) — rng_stream(kSynth, stage, entity) — so any user's or item's draws are
// independent of the order in which they are computed (OpenMP over users/items changes
// nothing); exp/log come from io/detmath.h; every sum has a fixed order.
#include "io/synth.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

#include "io/detmath.h"
#include "io/fs.h"
#include "io/hash.h"
#include "kernels/common.h"
#include "kernels/philox.h"

namespace lethe::io {
namespace {

// Stages: the 24-bit "epoch" field of rng_stream. Modality streams carry a 20-bit key of the
// modality's name in the low bits.
constexpr uint32_t kStUserFactors = 1, kStItemFactors = 2, kStPopularity = 3, kStActivity = 4, kStSample = 5,
                   kStSplit = 6, kStColdFix = 7, kStFitInit = 8;
constexpr uint32_t kStModA = 0x100000, kStModNoise = 0x200000;

uint64_t stream(uint32_t stage, uint32_t step) { return rng_stream(RngPurpose::kSynth, stage, step); }
uint32_t name_key(const std::string& s) { return static_cast<uint32_t>(hash64(s.data(), s.size()) & 0xFFFFFu); }

// Uniform double in [0, 1) with 53 random bits.
double u53(uint32_t a, uint32_t b) {
  return (static_cast<double>(a >> 5) * 67108864.0 + static_cast<double>(b >> 6)) * (1.0 / 9007199254740992.0);
}

// A standard normal pair (Marsaglia's polar method), the j-th of stream `st`: attempt t uses
// philox(seed, st, j·32 + t), two candidate points per call. 64 rejections in a row
// (probability 0.215^64) would return (0, 0).
void normal_pair(uint64_t seed, uint64_t st, uint64_t j, double* z0, double* z1) {
  for (uint64_t t = 0; t < 32; ++t) {
    const U32x4 r = philox(seed, st, (j << 5) | t);
    for (int h = 0; h < 2; ++h) {
      const double u = (static_cast<double>(r.v[2 * h]) + 0.5) * (2.0 / 4294967296.0) - 1.0;
      const double v = (static_cast<double>(r.v[2 * h + 1]) + 0.5) * (2.0 / 4294967296.0) - 1.0;
      const double s = u * u + v * v;
      if (s < 1.0 && s > 0.0) {
        const double f = std::sqrt(-2.0 * detmath::log(s) / s);
        *z0 = u * f;
        *z1 = v * f;
        return;
      }
    }
  }
  *z0 = *z1 = 0.0;
}

// out[k] = scale · z_k for k < n, the normals of stream `st` in order.
void fill_normals(uint64_t seed, uint64_t st, double* out, int64_t n, double scale) {
  for (int64_t j = 0; 2 * j < n; ++j) {
    double a, b;
    normal_pair(seed, st, static_cast<uint64_t>(j), &a, &b);
    out[2 * j] = scale * a;
    if (2 * j + 1 < n) out[2 * j + 1] = scale * b;
  }
}

class Progress {
 public:
  Progress(bool on, const std::string& what) : on_(on), t0_(std::chrono::steady_clock::now()) {
    if (on_) std::fprintf(stderr, "synth: %s ...\n", what.c_str());
  }
  void done(const std::string& detail = "") {
    if (!on_) return;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    std::fprintf(stderr, "synth:   done in %.2f s%s%s\n", s, detail.empty() ? "" : ", ", detail.c_str());
  }

 private:
  bool on_;
  std::chrono::steady_clock::time_point t0_;
};

// Fenwick (binary indexed) tree over item weights, for successive sampling without replacement.
struct Fenwick {
  std::vector<double> t;  // 1-based
  int32_t n = 0, top = 1;
  void build(const double* w, int32_t len) {
    n = len;
    t.assign(static_cast<size_t>(n) + 1, 0.0);
    for (int32_t i = 1; i <= n; ++i) t[static_cast<size_t>(i)] = w[i - 1];
    for (int32_t i = 1; i <= n; ++i) {
      const int32_t j = i + (i & -i);
      if (j <= n) t[static_cast<size_t>(j)] += t[static_cast<size_t>(i)];
    }
    top = 1;
    while (top * 2 <= n) top *= 2;
  }
  void add(int32_t i, double v) {  // 0-based
    for (int32_t k = i + 1; k <= n; k += k & -k) t[static_cast<size_t>(k)] += v;
  }
  double total() const {
    double s = 0.0;
    for (int32_t k = n; k > 0; k -= k & -k) s += t[static_cast<size_t>(k)];
    return s;
  }
  // The 0-based index whose cumulative range holds `target` (clamped to n − 1).
  int32_t find(double target) const {
    int32_t pos = 0;
    for (int32_t step = top; step > 0; step >>= 1) {
      const int32_t nxt = pos + step;
      if (nxt <= n && t[static_cast<size_t>(nxt)] <= target) {
        pos = nxt;
        target -= t[static_cast<size_t>(nxt)];
      }
    }
    return std::min(pos, n - 1);
  }
};

// Symmetric eigen-decomposition by cyclic Jacobi rotations (k small). a: k×k row-major,
// destroyed; on return evals[j] and evecs column j (row-major k×k), unsorted.
void jacobi_eigen(std::vector<double>& a, int k, std::vector<double>& evals, std::vector<double>& evecs) {
  evecs.assign(static_cast<size_t>(k) * k, 0.0);
  for (int i = 0; i < k; ++i) evecs[static_cast<size_t>(i) * k + i] = 1.0;
  auto A = [&](int r, int c) -> double& { return a[static_cast<size_t>(r) * k + c]; };
  auto V = [&](int r, int c) -> double& { return evecs[static_cast<size_t>(r) * k + c]; };
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0.0, diag = 0.0;
    for (int p = 0; p < k; ++p)
      for (int q = 0; q < k; ++q) (p == q ? diag : off) += A(p, q) * A(p, q);
    if (off <= 1e-30 * diag || off == 0.0) break;
    for (int p = 0; p < k - 1; ++p)
      for (int q = p + 1; q < k; ++q) {
        const double apq = A(p, q);
        if (apq == 0.0) continue;
        const double theta = (A(q, q) - A(p, p)) / (2.0 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
        for (int r = 0; r < k; ++r) {  // A ← A·J
          const double arp = A(r, p), arq = A(r, q);
          A(r, p) = c * arp - s * arq;
          A(r, q) = s * arp + c * arq;
        }
        for (int r = 0; r < k; ++r) {  // A ← Jᵀ·A
          const double apr = A(p, r), aqr = A(q, r);
          A(p, r) = c * apr - s * aqr;
          A(q, r) = s * apr + c * aqr;
        }
        for (int r = 0; r < k; ++r) {  // V ← V·J
          const double vrp = V(r, p), vrq = V(r, q);
          V(r, p) = c * vrp - s * vrq;
          V(r, q) = s * vrp + c * vrq;
        }
      }
  }
  evals.resize(static_cast<size_t>(k));
  for (int i = 0; i < k; ++i) evals[static_cast<size_t>(i)] = A(i, i);
}

// Modified Gram–Schmidt on the k columns of X (n×k row-major), twice for stability. A column
// that vanishes (rank deficiency) is set to zero: one whose length falls below 1e-10 of what
// it was before the pass's projections are removed is what rounding left of a vector already in
// the span of the earlier columns, and normalising it would make a spurious, non-orthogonal one.
void orthonormalise(std::vector<double>& X, int64_t n, int k) {
  for (int pass = 0; pass < 2; ++pass)
    for (int c = 0; c < k; ++c) {
      double before = 0.0;
      for (int64_t i = 0; i < n; ++i) before += X[static_cast<size_t>(i * k + c)] * X[static_cast<size_t>(i * k + c)];
      for (int c2 = 0; c2 < c; ++c2) {
        double dot = 0.0;
        for (int64_t i = 0; i < n; ++i) dot += X[static_cast<size_t>(i * k + c2)] * X[static_cast<size_t>(i * k + c)];
        for (int64_t i = 0; i < n; ++i) X[static_cast<size_t>(i * k + c)] -= dot * X[static_cast<size_t>(i * k + c2)];
      }
      double nrm = 0.0;
      for (int64_t i = 0; i < n; ++i) nrm += X[static_cast<size_t>(i * k + c)] * X[static_cast<size_t>(i * k + c)];
      nrm = std::sqrt(nrm);
      const double inv = nrm > 1e-150 && nrm > 1e-10 * std::sqrt(before) ? 1.0 / nrm : 0.0;
      for (int64_t i = 0; i < n; ++i) X[static_cast<size_t>(i * k + c)] *= inv;
    }
}

std::string fmt_int(int64_t v) {
  std::string s = std::to_string(v < 0 ? -v : v), out;
  for (size_t k = 0; k < s.size(); ++k) {
    if (k > 0 && (s.size() - k) % 3 == 0) out += ',';
    out += s[k];
  }
  return v < 0 ? "-" + out : out;
}

}  // namespace

bool image_like(const std::string& m) {
  std::string l = m;
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l.find("image") != std::string::npos || l.find("visual") != std::string::npos;
}

double default_snr(const std::string& m) {
  if (image_like(m)) return 1.0;
  std::string l = m;
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l.find("text") != std::string::npos) return 3.0;
  return 2.0;
}

std::vector<ModalitySpec> parse_modalities(const std::string& list, const std::string& snr) {
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    size_t b = 0;
    for (;;) {
      const size_t c = s.find(',', b);
      out.push_back(s.substr(b, c == std::string::npos ? std::string::npos : c - b));
      if (c == std::string::npos) break;
      b = c + 1;
    }
    return out;
  };
  auto name_ok = [](const std::string& n) {
    if (n.empty()) return false;
    for (char c : n)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;  // no '_' : <name>_feat.npy
    return true;
  };
  std::vector<ModalitySpec> out;
  if (list.empty()) return out;
  for (const auto& item : split(list)) {
    const size_t c = item.find(':');
    const std::string name = item.substr(0, c);
    if (c == std::string::npos || !name_ok(name))
      throw Error("modality '" + item + "': expected name:dim, e.g. image:4096 (name of letters, digits, '-')");
    const std::string dim = item.substr(c + 1);
    char* end = nullptr;
    const long long d = std::strtoll(dim.c_str(), &end, 10);
    if (dim.empty() || *end != '\0' || d <= 0 || d > (1 << 20))
      throw Error("modality '" + item + "': the width must be an integer in 1..1048576");
    for (const auto& m : out)
      if (m.name == name) throw Error("modality '" + name + "' is listed twice");
    out.push_back({name, d, default_snr(name)});
  }
  if (!snr.empty())
    for (const auto& item : split(snr)) {
      const size_t c = item.find(':');
      if (c == std::string::npos) throw Error("snr '" + item + "': expected name:value, e.g. text:3.0");
      const std::string name = item.substr(0, c), val = item.substr(c + 1);
      char* end = nullptr;
      const double v = std::strtod(val.c_str(), &end);
      if (val.empty() || *end != '\0' || !(v > 0) || !std::isfinite(v))
        throw Error("snr '" + item + "': the ratio must be a positive number");
      bool found = false;
      for (auto& m : out)
        if (m.name == name) { m.snr = v; found = true; }
      if (!found) throw Error("snr '" + item + "': no modality named '" + name + "' in the modality list");
    }
  return out;
}

std::vector<FeatureTable> synth_features(const std::vector<double>& q, int32_t items, int rank,
                                         const std::vector<ModalitySpec>& modalities, uint64_t seed, bool progress) {
  LETHE_CHECK(static_cast<int64_t>(q.size()) == static_cast<int64_t>(items) * rank, "item factors must be items × rank");
  std::vector<FeatureTable> out;
  const double inv_sqrt_r = 1.0 / std::sqrt(static_cast<double>(rank));
  for (const auto& m : modalities) {
    LETHE_CHECK(m.dim > 0 && m.snr > 0, "modality " + m.name + ": width and snr must be positive");
    Progress pr(progress, "features " + m.name + ": " + fmt_int(items) + " × " + fmt_int(m.dim) +
                              (image_like(m.name) ? " (ReLU)" : " (L2-normalised)") + ", snr " + std::to_string(m.snr));
    const uint32_t key = name_key(m.name);
    const int64_t d = m.dim;
    std::vector<double> A(static_cast<size_t>(d * rank));
    for (int64_t a = 0; a < d; ++a)
      fill_normals(seed, stream(kStModA | key, static_cast<uint32_t>(a)), &A[static_cast<size_t>(a * rank)], rank, inv_sqrt_r);
    // Signal power: mean over items and coordinates of (A q_i)², through G = AᵀA (r×r).
    std::vector<double> G(static_cast<size_t>(rank) * rank, 0.0);
    for (int64_t a = 0; a < d; ++a)
      for (int x = 0; x < rank; ++x)
        for (int y = 0; y < rank; ++y)
          G[static_cast<size_t>(x * rank + y)] += A[static_cast<size_t>(a * rank + x)] * A[static_cast<size_t>(a * rank + y)];
    double power = 0.0;
    for (int32_t i = 0; i < items; ++i) {
      const double* qi = &q[static_cast<size_t>(i) * rank];
      double s = 0.0;
      for (int x = 0; x < rank; ++x) {
        double gx = 0.0;
        for (int y = 0; y < rank; ++y) gx += G[static_cast<size_t>(x * rank + y)] * qi[y];
        s += qi[x] * gx;
      }
      power += s;
    }
    power /= static_cast<double>(items) * static_cast<double>(d);
    const double sigma = power > 0 ? std::sqrt(power / m.snr) : 1.0;

    FeatureTable t;
    t.modality = m.name;
    t.rows = items;
    t.cols = d;
    t.data.resize(static_cast<size_t>(items) * static_cast<size_t>(d));
    const bool relu = image_like(m.name);
    // Aᵀ (r × d): the signal loop runs over the d outputs (vectorised); each output still sums
    // its r products in order k = 0..r−1 from 0, exactly as a dot product per row would.
    std::vector<double> At(static_cast<size_t>(rank * d));
    for (int64_t a = 0; a < d; ++a)
      for (int k = 0; k < rank; ++k) At[static_cast<size_t>(k * d + a)] = A[static_cast<size_t>(a * rank + k)];
#pragma omp parallel
    {
      std::vector<double> x(static_cast<size_t>(d)), sig(static_cast<size_t>(d));
#pragma omp for schedule(dynamic, 16)
      for (int32_t i = 0; i < items; ++i) {
        fill_normals(seed, stream(kStModNoise | key, static_cast<uint32_t>(i)), x.data(), d, sigma);
        const double* qi = &q[static_cast<size_t>(i) * rank];
        double* sp = sig.data();
        for (int64_t a = 0; a < d; ++a) sp[a] = 0.0;
        for (int k = 0; k < rank; ++k) {
          const double qk = qi[k];
          const double* Ak = &At[static_cast<size_t>(k * d)];
          for (int64_t a = 0; a < d; ++a) sp[a] += Ak[a] * qk;
        }
        for (int64_t a = 0; a < d; ++a) x[static_cast<size_t>(a)] += sp[a];
        float* row = &t.data[static_cast<size_t>(i) * static_cast<size_t>(d)];
        if (relu) {
          for (int64_t a = 0; a < d; ++a) row[a] = x[static_cast<size_t>(a)] > 0 ? static_cast<float>(x[static_cast<size_t>(a)]) : 0.0f;
        } else {
          double nrm = 0.0;
          for (int64_t a = 0; a < d; ++a) nrm += x[static_cast<size_t>(a)] * x[static_cast<size_t>(a)];
          nrm = std::sqrt(nrm);
          const double inv = nrm > 0 ? 1.0 / nrm : 0.0;
          for (int64_t a = 0; a < d; ++a) row[a] = static_cast<float>(x[static_cast<size_t>(a)] * inv);
        }
      }
    }
    pr.done();
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(), [](const FeatureTable& a, const FeatureTable& b) { return a.modality < b.modality; });
  return out;
}

Dataset generate_synth(const SynthSpec& s) {
  const int32_t U = s.users, I = s.items;
  const int r = s.rank;
  const int64_t base = s.min_train + 2;
  if (U < 1 || I < 1) throw Error("synth: --users and --items must be at least 1");
  if (U >= kMaxId || I >= kMaxId) throw Error("synth: --users and --items must be below " + std::to_string(kMaxId));
  if (r < 1 || r > 256) throw Error("synth: the rank must be in 1..256");
  if (s.min_train < 1) throw Error("synth: min_train must be at least 1");
  if (!(s.tau > 0) || !(s.zipf >= 0) || !(s.activity_sigma >= 0)) throw Error("synth: tau must be > 0, zipf and activity_sigma >= 0");
  if (I < base)
    throw Error("synth: --items " + std::to_string(I) + " is too small: every user needs " + std::to_string(base) +
                " distinct items (" + std::to_string(s.min_train) + " train + 1 valid + 1 test)");
  if (s.interactions < base * U)
    throw Error("synth: --interactions " + fmt_int(s.interactions) + " is below the minimum " + fmt_int(base * U) +
                " (" + std::to_string(base) + " rows per user × " + fmt_int(U) + " users)");
  if (s.interactions > static_cast<int64_t>(U) * I)
    throw Error("synth: --interactions " + fmt_int(s.interactions) + " exceeds users × items = " +
                fmt_int(static_cast<int64_t>(U) * I));
  const uint64_t seed = s.seed;
  const double inv_sqrt_r = 1.0 / std::sqrt(static_cast<double>(r));

  // ---- latent factors, popularity, activity -------------------------------------------------
  Progress pf(s.progress, "factors and popularity for " + fmt_int(U) + " users × " + fmt_int(I) + " items, rank " +
                               std::to_string(r));
  std::vector<double> P(static_cast<size_t>(U) * r), Q(static_cast<size_t>(I) * r);
  for (int32_t u = 0; u < U; ++u)
    fill_normals(seed, stream(kStUserFactors, static_cast<uint32_t>(u)), &P[static_cast<size_t>(u) * r], r, inv_sqrt_r);
  for (int32_t i = 0; i < I; ++i)
    fill_normals(seed, stream(kStItemFactors, static_cast<uint32_t>(i)), &Q[static_cast<size_t>(i) * r], r, inv_sqrt_r);
  std::vector<double> logpop(static_cast<size_t>(I));
  {
    std::vector<std::pair<uint64_t, int32_t>> keys(static_cast<size_t>(I));
    for (int32_t i = 0; i < I; ++i) {
      const U32x4 x = philox(seed, stream(kStPopularity, 0), static_cast<uint64_t>(i));
      keys[static_cast<size_t>(i)] = {(static_cast<uint64_t>(x.v[0]) << 32) | x.v[1], i};
    }
    std::sort(keys.begin(), keys.end());
    for (int32_t rank = 0; rank < I; ++rank)
      logpop[static_cast<size_t>(keys[static_cast<size_t>(rank)].second)] = -s.zipf * detmath::log(static_cast<double>(rank) + 1.0);
  }
  std::vector<double> zact(static_cast<size_t>(U));
  for (int32_t u = 0; u < U; ++u) {
    double z1;
    normal_pair(seed, stream(kStActivity, 0), static_cast<uint64_t>(u), &zact[static_cast<size_t>(u)], &z1);
  }
  auto count_for = [&](double mu, int32_t u) -> int64_t {
    const double t = detmath::exp(mu + s.activity_sigma * zact[static_cast<size_t>(u)]);
    const double extra_max = static_cast<double>(I - base);
    return base + static_cast<int64_t>(std::floor(std::min(t, extra_max)));
  };
  auto total_for = [&](double mu) {
    int64_t tot = 0;
    for (int32_t u = 0; u < U; ++u) tot += count_for(mu, u);
    return tot;
  };
  double lo = -60.0, hi = 60.0;  // total_for(lo) = base·U <= interactions
  for (int it = 0; it < 100; ++it) {
    const double mid = 0.5 * (lo + hi);
    if (total_for(mid) <= s.interactions) lo = mid;
    else hi = mid;
  }
  std::vector<int64_t> nu(static_cast<size_t>(U)), off(static_cast<size_t>(U) + 1, 0);
  for (int32_t u = 0; u < U; ++u) {
    nu[static_cast<size_t>(u)] = count_for(lo, u);
    off[static_cast<size_t>(u) + 1] = off[static_cast<size_t>(u)] + nu[static_cast<size_t>(u)];
  }
  pf.done(fmt_int(off.back()) + " rows planned");

  // ---- interactions: successive sampling without replacement ----------------------------------
  Progress ps(s.progress, "sampling interactions per user from softmax(p·q/τ + log pop)");
  std::vector<int32_t> drawn(static_cast<size_t>(off.back()));
  // The logits are computed in float (r·I multiply-adds per user, vectorised over items with Q
  // stored r × I; per item the sum runs over k = 0..r−1 in order, so vectorisation does not
  // change the result), the weights by detmath::expf_nonpos, the tree sums in double.
  std::vector<float> Pf(P.begin(), P.end()), Qt(static_cast<size_t>(r) * I), lpf(logpop.begin(), logpop.end());
  for (int32_t i = 0; i < I; ++i)
    for (int k = 0; k < r; ++k) Qt[static_cast<size_t>(k) * I + i] = static_cast<float>(Q[static_cast<size_t>(i) * r + k]);
  const float inv_tau = static_cast<float>(1.0 / s.tau);
  constexpr int32_t kChunk = 1024;  // items per pass: the chunk of logits stays in L1
#pragma omp parallel
  {
    std::vector<float> z(static_cast<size_t>(I)), w(static_cast<size_t>(I));
    std::vector<double> wd(static_cast<size_t>(I));
    Fenwick fw;
#pragma omp for schedule(dynamic, 32)
    for (int32_t u = 0; u < U; ++u) {
      const float* pu = &Pf[static_cast<size_t>(u) * r];
      float* zp = z.data();
      for (int32_t c0 = 0; c0 < I; c0 += kChunk) {
        const int32_t c1 = std::min(I, c0 + kChunk);
        for (int32_t i = c0; i < c1; ++i) zp[i] = 0.0f;
        for (int k = 0; k < r; ++k) {
          const float pk = pu[k];
          const float* qk = &Qt[static_cast<size_t>(k) * I];
          for (int32_t i = c0; i < c1; ++i) zp[i] += pk * qk[i];
        }
        for (int32_t i = c0; i < c1; ++i) zp[i] = zp[i] * inv_tau + lpf[static_cast<size_t>(i)];
      }
      float zmax = zp[0];
      for (int32_t i = 1; i < I; ++i) zmax = zp[i] > zmax ? zp[i] : zmax;
      float* wp = w.data();
      for (int32_t i = 0; i < I; ++i) wp[i] = detmath::expf_nonpos(zp[i] - zmax);
      for (int32_t i = 0; i < I; ++i) wd[static_cast<size_t>(i)] = static_cast<double>(wp[i]);
      fw.build(wd.data(), I);
      const uint64_t st = stream(kStSample, static_cast<uint32_t>(u));
      uint64_t ctr = 0;
      int32_t* out = &drawn[static_cast<size_t>(off[static_cast<size_t>(u)])];
      for (int64_t k = 0; k < nu[static_cast<size_t>(u)]; ++k) {
        int32_t pick = -1;
        for (int attempt = 0; attempt < 64 && pick < 0; ++attempt) {
          const U32x4 x = philox(seed, st, ctr++);
          const int32_t c = fw.find(u53(x.v[0], x.v[1]) * fw.total());
          if (wd[static_cast<size_t>(c)] > 0) pick = c;  // taken (weight −1): draw again
        }
        if (pick < 0) {  // tree rounding residue only: the untaken item with the largest logit
          for (int32_t i = 0; i < I; ++i)
            if (wd[static_cast<size_t>(i)] > 0 && (pick < 0 || zp[i] > zp[pick])) pick = i;
        }
        out[k] = pick;
        fw.add(pick, -wd[static_cast<size_t>(pick)]);
        wd[static_cast<size_t>(pick)] = -1.0;
      }
    }
  }
  ps.done();

  // ---- items nobody drew: one extra train row each ----------------------------------------------
  std::vector<std::vector<int32_t>> extra(static_cast<size_t>(U));
  {
    std::vector<uint8_t> seen(static_cast<size_t>(I), 0);
    for (int32_t i : drawn) seen[static_cast<size_t>(i)] = 1;
    int64_t fixed = 0;
    std::vector<double> cdf(static_cast<size_t>(U));
    for (int32_t i = 0; i < I; ++i) {
      if (seen[static_cast<size_t>(i)]) continue;
      const double* qi = &Q[static_cast<size_t>(i) * r];
      double ymax = -1e300;
      for (int32_t u = 0; u < U; ++u) {
        double y = 0.0;
        for (int k = 0; k < r; ++k) y += P[static_cast<size_t>(u) * r + k] * qi[k];
        cdf[static_cast<size_t>(u)] = y / s.tau;
        ymax = std::max(ymax, y / s.tau);
      }
      double acc = 0.0;
      for (int32_t u = 0; u < U; ++u) {
        acc += detmath::exp(cdf[static_cast<size_t>(u)] - ymax);
        cdf[static_cast<size_t>(u)] = acc;
      }
      const U32x4 x = philox(seed, stream(kStColdFix, static_cast<uint32_t>(i)), 0);
      const double target = u53(x.v[0], x.v[1]) * acc;
      const int32_t u = static_cast<int32_t>(std::min<ptrdiff_t>(
          std::upper_bound(cdf.begin(), cdf.end(), target) - cdf.begin(), U - 1));
      extra[static_cast<size_t>(u)].push_back(i);
      ++fixed;
    }
    if (s.progress && fixed > 0)
      std::fprintf(stderr, "synth:   %s item(s) drawn by no user got one train row each\n", fmt_int(fixed).c_str());
  }

  // ---- per-user split -------------------------------------------------------------------------
  Dataset d;
  d.name = s.name;
  d.n_users = U;
  d.n_items = I;
  std::vector<int32_t> tr, va, te;
  for (int32_t u = 0; u < U; ++u) {
    const int64_t n = nu[static_cast<size_t>(u)];
    const int32_t* items = &drawn[static_cast<size_t>(off[static_cast<size_t>(u)])];
    const int64_t nv = n >= 10 ? n / 10 : 1, nt = nv, ntr = n - nv - nt;
    std::vector<std::pair<uint32_t, int64_t>> order(static_cast<size_t>(n));
    const uint64_t st = stream(kStSplit, static_cast<uint32_t>(u));
    for (int64_t j = 0; j < n; ++j) order[static_cast<size_t>(j)] = {philox(seed, st, static_cast<uint64_t>(j)).v[0], j};
    std::sort(order.begin(), order.end());
    tr.clear(); va.clear(); te.clear();
    for (int64_t j = 0; j < n; ++j) {
      const int32_t it = items[order[static_cast<size_t>(j)].second];
      (j < ntr ? tr : (j < ntr + nv ? va : te)).push_back(it);
    }
    for (int32_t it : extra[static_cast<size_t>(u)]) tr.push_back(it);
    std::sort(tr.begin(), tr.end());
    std::sort(va.begin(), va.end());
    std::sort(te.begin(), te.end());
    for (int32_t it : tr) d.train.push(u, it);
    for (int32_t it : va) d.valid.push(u, it);
    for (int32_t it : te) d.test.push(u, it);
  }
  d.features = synth_features(Q, I, r, s.modalities, seed, s.progress);
  return d;
}

std::vector<double> truncated_svd_items(int32_t U, int32_t I, const Interactions& rows, const std::vector<double>& wt,
                                        int rank, int skip, uint64_t seed, int iters) {
  LETHE_CHECK(rank >= 1 && skip >= 0, "truncated_svd_items: rank must be positive and skip non-negative");
  LETHE_CHECK(wt.size() == static_cast<size_t>(rows.size()), "truncated_svd_items: one weight per row");
  std::vector<double> q(static_cast<size_t>(I) * rank, 0.0);
  const int k = static_cast<int>(std::min<int64_t>(rank + skip + 8, std::min<int64_t>(I, U)));
  if (k < 2 || rows.size() == 0) return q;
  const int64_t nnz = rows.size();
  // Y = A X (U×k), Z = Aᵀ Y (I×k), both by one pass over the rows in order.
  auto mul = [&](const std::vector<double>& X, std::vector<double>& Y) {
    Y.assign(static_cast<size_t>(U) * k, 0.0);
    for (int64_t e = 0; e < nnz; ++e) {
      const double w = wt[static_cast<size_t>(e)];
      double* y = &Y[static_cast<size_t>(rows.user[static_cast<size_t>(e)]) * k];
      const double* x = &X[static_cast<size_t>(rows.item[static_cast<size_t>(e)]) * k];
      for (int c = 0; c < k; ++c) y[c] += w * x[c];
    }
  };
  auto mul_t = [&](const std::vector<double>& Y, std::vector<double>& Z) {
    Z.assign(static_cast<size_t>(I) * k, 0.0);
    for (int64_t e = 0; e < nnz; ++e) {
      const double w = wt[static_cast<size_t>(e)];
      double* z = &Z[static_cast<size_t>(rows.item[static_cast<size_t>(e)]) * k];
      const double* y = &Y[static_cast<size_t>(rows.user[static_cast<size_t>(e)]) * k];
      for (int c = 0; c < k; ++c) z[c] += w * y[c];
    }
  };
  std::vector<double> X(static_cast<size_t>(I) * k), Y, Z;
  for (int32_t i = 0; i < I; ++i)
    fill_normals(seed, stream(kStFitInit, static_cast<uint32_t>(i)), &X[static_cast<size_t>(i) * k], k, 1.0);
  orthonormalise(X, I, k);
  for (int it = 0; it < iters; ++it) {
    mul(X, Y);
    mul_t(Y, Z);
    X.swap(Z);
    orthonormalise(X, I, k);
  }
  // Rayleigh–Ritz: M = (AX)ᵀ(AX) = W Λ Wᵀ; the singular vectors are X W, σ = √λ.
  mul(X, Y);
  std::vector<double> M(static_cast<size_t>(k) * k, 0.0);
  for (int32_t u = 0; u < U; ++u)
    for (int a = 0; a < k; ++a)
      for (int b = 0; b < k; ++b) M[static_cast<size_t>(a * k + b)] += Y[static_cast<size_t>(u) * k + a] * Y[static_cast<size_t>(u) * k + b];
  std::vector<double> lam, W;
  jacobi_eigen(M, k, lam, W);
  std::vector<int> ord(static_cast<size_t>(k));
  std::iota(ord.begin(), ord.end(), 0);
  std::stable_sort(ord.begin(), ord.end(), [&](int a, int b) { return lam[static_cast<size_t>(a)] > lam[static_cast<size_t>(b)]; });
  for (int j = 0; j < rank && j + skip < k; ++j) {
    const int col = ord[static_cast<size_t>(j + skip)];
    const double scale = std::sqrt(std::sqrt(std::max(lam[static_cast<size_t>(col)], 0.0)));
    for (int32_t i = 0; i < I; ++i) {
      double v = 0.0;
      for (int c = 0; c < k; ++c) v += X[static_cast<size_t>(i) * k + c] * W[static_cast<size_t>(c * k + col)];
      q[static_cast<size_t>(i) * rank + j] = v * scale;
    }
  }
  return q;
}

std::vector<double> fit_item_factors(const Dataset& d, int rank, uint64_t seed, int iters) {
  LETHE_CHECK(rank >= 1, "fit_item_factors: rank must be positive");
  const int32_t U = d.n_users, I = d.n_items;
  const int64_t nnz = d.train.size();
  std::vector<double> du(static_cast<size_t>(U), 0.0), di(static_cast<size_t>(I), 0.0);
  for (int64_t e = 0; e < nnz; ++e) {
    du[static_cast<size_t>(d.train.user[static_cast<size_t>(e)])] += 1.0;
    di[static_cast<size_t>(d.train.item[static_cast<size_t>(e)])] += 1.0;
  }
  std::vector<double> wt(static_cast<size_t>(nnz));
  for (int64_t e = 0; e < nnz; ++e)
    wt[static_cast<size_t>(e)] = 1.0 / std::sqrt(du[static_cast<size_t>(d.train.user[static_cast<size_t>(e)])] *
                                                 di[static_cast<size_t>(d.train.item[static_cast<size_t>(e)])]);
  // Skip the leading pair (σ = 1, the degree vector), keep the next `rank`.
  return truncated_svd_items(U, I, d.train, wt, rank, 1, seed, iters);
}

void write_dataset(const std::string& dir, const Dataset& d) {
  if (d.name.empty() || d.name.find('/') != std::string::npos) throw Error("write_dataset: invalid data set name '" + d.name + "'");
  make_dirs(dir);
  const std::string inter = d.name + ".inter";
  std::vector<std::string> conflicts;
  for (const auto& n : list_dir(dir)) {
    if (ends_with(n, ".inter") && n != inter) conflicts.push_back(n);
    if (ends_with(n, "_feat.npy")) {
      bool ours = false;
      for (const auto& f : d.features) ours = ours || n == f.modality + "_feat.npy";
      if (!ours) conflicts.push_back(n);
    }
  }
  if (!conflicts.empty()) {
    std::string list;
    for (const auto& c : conflicts) list += (list.empty() ? "" : ", ") + c;
    throw Error(dir + " already holds " + list + ", which would become part of this data set; write to an empty folder");
  }
  for (const auto& f : d.features) {
    LETHE_CHECK(f.rows == d.n_items, "feature table " + f.modality + " must have one row per item");
    write_npy_f32(path_join(dir, f.modality + "_feat.npy"), f);
  }
  write_inter(path_join(dir, inter), d);
}

}  // namespace lethe::io
