// tests/kernels/test_optim.cpp — optim family: the reference Adam against a hand-written
// double-precision Adam (textbook bias-corrected form) over several steps, the mask (masked
// elements bit-identical, even with NaN gradients there), the per-segment scale (×2 equals a
// doubled gradient bit for bit; ×0 freezes a fresh segment; uncovered head/tail take scale 1),
// SGD and grad_combine semantics including aliasing, Adam with its step factors read from the
// training step's state (bit for bit adam_step), and CUDA against the reference over a table of
// lengths × mask × segment layouts.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>

#include "kernels/adam_cpu.h"
#include "kernels/gemm.h"
#include "kernels/optim.h"
#include "kernels/step.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

using test::allclose;
using test::Guarded;
using test::random_vec;

template <class T>
bool bit_equal(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

std::vector<uint8_t> random_mask(int64_t n, uint64_t seed) {
  const auto r = test::random_idx(n, 2, seed);
  return std::vector<uint8_t>(r.begin(), r.end());
}

// Segment layouts over n elements: segments with empty members, an uncovered head and tail.
struct SegLayout {
  std::vector<int64_t> offsets;
  std::vector<float> scale;
  SegScale view() const {
    return SegScale{offsets.empty() ? nullptr : offsets.data(), scale.empty() ? nullptr : scale.data(),
                    static_cast<int64_t>(scale.size())};
  }
};
SegLayout make_layout(int64_t n, uint64_t seed) {
  SegLayout L;
  if (n < 4) {
    L.offsets = {0, n};
    L.scale = {1.75f};
    return L;
  }
  const int64_t head = n / 11, tail = n / 13;  // elements outside every segment: scale 1
  const int64_t a = head + (n - head - tail) / 3, b = head + 2 * (n - head - tail) / 3;
  L.offsets = {head, a, a, b, n - tail};     // one empty segment
  const auto s = random_vec<float>(4, seed, 0.25, 4.0);
  L.scale = {s[0], s[1], s[2], 0.0f};        // the last segment frozen
  return L;
}

// ---- hand-written double Adam (the textbook form) -------------------------------------------
void adam_double(std::vector<double>& p, const std::vector<double>& g, std::vector<double>& m, std::vector<double>& v,
                 const AdamHp& hp) {
  for (size_t e = 0; e < p.size(); ++e) {
    const double gi = g[e] + hp.weight_decay * p[e];
    m[e] = hp.beta1 * m[e] + (1 - hp.beta1) * gi;
    v[e] = hp.beta2 * v[e] + (1 - hp.beta2) * gi * gi;
    const double mhat = m[e] / (1 - std::pow(hp.beta1, double(hp.step)));
    const double vhat = v[e] / (1 - std::pow(hp.beta2, double(hp.step)));
    p[e] -= hp.lr * mhat / (std::sqrt(vhat) + hp.eps);
  }
}

TEST(OptimRef, AdamMatchesHandWrittenDoubleAdamOverSteps) {
  for (double wd : {0.0, 0.01}) {
    SCOPED_TRACE(wd);
    const int64_t n = 1000;
    AdamHp hp;
    hp.lr = 1e-2;
    hp.weight_decay = wd;
    auto p0 = random_vec<double>(n, 1);
    std::vector<double> ph = p0, mh(n, 0), vh(n, 0);
    std::vector<double> pd = p0, md(n, 0), vd(n, 0);
    std::vector<float> pf = test::cast_vec<float>(p0), mf(n, 0), vf(n, 0);
    for (int64_t t = 1; t <= 6; ++t) {
      hp.step = t;
      const auto g = random_vec<double>(n, 100 + t, -2, 2);
      const auto gf = test::cast_vec<float>(g);
      adam_double(ph, g, mh, vh, hp);
      ref::adam_step<double>(pd.data(), g.data(), md.data(), vd.data(), n, hp, nullptr, SegScale{});
      ref::adam_step<float>(pf.data(), gf.data(), mf.data(), vf.data(), n, hp, nullptr, SegScale{});
    }
    // double: the torch form and the textbook form differ only in rounding.
    const test::Tol tight{1e-13, 1e-11};
    EXPECT_TRUE(allclose(pd, ph, tight, "p double"));
    EXPECT_TRUE(allclose(md, mh, tight, "m double"));
    EXPECT_TRUE(allclose(vd, vh, tight, "v double"));
    // float: float rounding of the gradient and state, within the elementwise tolerance.
    EXPECT_TRUE(allclose(pf, ph, test::kTolMap, "p float"));
    EXPECT_TRUE(allclose(mf, mh, test::kTolMap, "m float"));
    EXPECT_TRUE(allclose(vf, vh, test::kTolMap, "v float"));
  }
}

TEST(OptimRef, AdamMaskedElementsAreBitIdentical) {
  const int64_t n = 777;
  auto p = random_vec<float>(n, 1), m = random_vec<float>(n, 2, 0, 0.1), v = random_vec<float>(n, 3, 0, 0.1);
  auto g = random_vec<float>(n, 4);
  const auto mask = random_mask(n, 5);
  for (int64_t e = 0; e < n; ++e)
    if (!mask[e]) g[e] = std::numeric_limits<float>::quiet_NaN();  // must not be read
  const auto p0 = p, m0 = m, v0 = v;
  AdamHp hp;
  hp.step = 3;
  hp.weight_decay = 0.1;
  const auto L = make_layout(n, 6);
  ref::adam_step<float>(p.data(), g.data(), m.data(), v.data(), n, hp, mask.data(), L.view());
  int64_t changed = 0;
  for (int64_t e = 0; e < n; ++e) {
    if (!mask[e]) {
      EXPECT_EQ(std::memcmp(&p[e], &p0[e], 4) | std::memcmp(&m[e], &m0[e], 4) | std::memcmp(&v[e], &v0[e], 4), 0)
          << "masked element " << e << " was written";
    } else {
      EXPECT_TRUE(std::isfinite(p[e]) && std::isfinite(m[e]) && std::isfinite(v[e])) << e;
      changed += p[e] != p0[e];
    }
  }
  EXPECT_GT(changed, 0);
}

// The vectorised float path (no mask) against the element loop the masked path runs (an
// all-ones mask): the same bits, with and without weight decay and segment scales, over lengths
// that leave vector tails and cross the parallel chunking.
TEST(OptimRef, AdamUnmaskedFloatPathEqualsTheElementLoopBitForBit) {
  for (int64_t n : {int64_t(1), int64_t(17), int64_t(1000), int64_t(40000)})
    for (double wd : {0.0, 0.01}) {
      auto p = random_vec<float>(n, 1), m = random_vec<float>(n, 2, 0, 0.1), v = random_vec<float>(n, 3, 0, 0.1);
      const auto g = random_vec<float>(n, 4, -3, 3);
      auto p2 = p, m2 = m, v2 = v;
      const std::vector<uint8_t> ones(static_cast<size_t>(n), 1);
      AdamHp hp;
      hp.step = 7;
      hp.lr = 0.01;
      hp.weight_decay = wd;
      const auto L = make_layout(n, 3);
      ref::adam_step<float>(p.data(), g.data(), m.data(), v.data(), n, hp, nullptr, L.view());
      ref::adam_step<float>(p2.data(), g.data(), m2.data(), v2.data(), n, hp, ones.data(), L.view());
      EXPECT_EQ(0, std::memcmp(p.data(), p2.data(), 4 * n)) << "n " << n << " wd " << wd;
      EXPECT_EQ(0, std::memcmp(m.data(), m2.data(), 4 * n));
      EXPECT_EQ(0, std::memcmp(v.data(), v2.data(), 4 * n));
    }
}

// The float update's vector paths (AVX-512, AVX2 intrinsics) against the scalar loop, bit for
// bit, without and with a 0/1 mask (masked-out elements never written): lengths that leave every
// remainder, weight decay on and off, a gradient scale, and values that reach the edges of the
// arithmetic (zero second moments, tiny and huge gradients). A path this CPU lacks is skipped by
// name.
TEST(OptimRef, AdamVectorPathsEqualTheScalarLoopBitForBit) {
  AdamHp hp;
  hp.step = 3;
  hp.lr = 0.003;
  int checked = 0;
  for (ref::AdamPath path : {ref::AdamPath::Avx2, ref::AdamPath::Avx512}) {
    if (!ref::adam_f32_path_available(path)) {
      std::printf("[ skipped path %d: this CPU lacks it ]\n", static_cast<int>(path));
      continue;
    }
    for (int64_t n : {int64_t(1), int64_t(7), int64_t(8), int64_t(15), int64_t(16), int64_t(33), int64_t(1000)})
      for (double wd : {0.0, 0.05})
        for (float sc : {1.0f, 0.37f}) {
          hp.weight_decay = wd;
          const double bc1 = 1.0 - std::pow(hp.beta1, 3.0), bc2 = 1.0 - std::pow(hp.beta2, 3.0);
          const ref::AdamF32 f = ref::adam_f32_factors(hp, hp.lr / bc1, std::sqrt(bc2));
          auto p = random_vec<float>(n, 11, -2, 2), m = random_vec<float>(n, 12, -0.1, 0.1),
               v = random_vec<float>(n, 13, 0, 0.1), g = random_vec<float>(n, 14, -3, 3);
          for (int64_t e = 0; e < n; e += 5) v[e] = 0.f;     // sqrt(0), eps alone in the denominator
          for (int64_t e = 1; e < n; e += 7) g[e] = 1e-30f;  // underflowing squares
          for (int64_t e = 2; e < n; e += 9) g[e] = 3e18f;   // overflowing squares
          // A mask with whole groups off, single lanes off and non-1 "on" bytes (any non-zero is on).
          std::vector<uint8_t> mask(static_cast<size_t>(n));
          for (int64_t e = 0; e < n; ++e) mask[e] = (e / 16) % 3 == 1 ? 0 : e % 5 == 3 ? 0 : e % 7 == 2 ? 255 : 1;
          for (const uint8_t* mk : {static_cast<const uint8_t*>(nullptr), static_cast<const uint8_t*>(mask.data())}) {
            auto p1 = p, m1 = m, v1 = v, p2 = p, m2 = m, v2 = v;
            ref::adam_f32_range(ref::AdamPath::Scalar, p1.data(), g.data(), m1.data(), v1.data(), mk, 0, n, sc, f);
            ref::adam_f32_range(path, p2.data(), g.data(), m2.data(), v2.data(), mk, 0, n, sc, f);
            const std::string what = "path " + std::to_string(static_cast<int>(path)) + " n " + std::to_string(n) +
                                     (mk ? " masked" : "");
            EXPECT_EQ(0, std::memcmp(p1.data(), p2.data(), 4 * n)) << what;
            EXPECT_EQ(0, std::memcmp(m1.data(), m2.data(), 4 * n)) << what;
            EXPECT_EQ(0, std::memcmp(v1.data(), v2.data(), 4 * n)) << what;
            if (!mk) continue;
            for (int64_t e = 0; e < n; ++e) {
              if (mask[e]) {
                EXPECT_NE(m2[e], m[e]) << what << " e " << e << ": a selected element was not updated";
              } else {
                EXPECT_EQ(0, std::memcmp(&p2[e], &p[e], 4)) << what << " e " << e;
                EXPECT_EQ(0, std::memcmp(&m2[e], &m[e], 4)) << what << " e " << e;
                EXPECT_EQ(0, std::memcmp(&v2[e], &v[e], 4)) << what << " e " << e;
              }
            }
          }
          ++checked;
        }
  }
  if (checked == 0) GTEST_SKIP() << "this CPU has neither AVX2 nor AVX-512: only the scalar loop runs";
}

TEST(OptimRef, AdamSegmentScale) {
  const int64_t n = 600;
  const auto p0 = random_vec<float>(n, 1), g = random_vec<float>(n, 2);
  AdamHp hp;
  hp.lr = 1e-2;
  // Scale 2 on segment [100, 400) equals doubling the gradient there: bit-identical (×2 is exact).
  {
    SegLayout L;
    L.offsets = {100, 400};
    L.scale = {2.0f};
    auto g2 = g;
    for (int64_t e = 100; e < 400; ++e) g2[e] *= 2.0f;
    std::vector<float> pa = p0, ma(n, 0), va(n, 0), pb = p0, mb(n, 0), vb(n, 0);
    ref::adam_step<float>(pa.data(), g.data(), ma.data(), va.data(), n, hp, nullptr, L.view());
    ref::adam_step<float>(pb.data(), g2.data(), mb.data(), vb.data(), n, hp, nullptr, SegScale{});
    EXPECT_TRUE(bit_equal(pa, pb) && bit_equal(ma, mb) && bit_equal(va, vb));
  }
  // Scale 0 on a segment of fresh state (m = v = 0, no weight decay): the segment stays put, and
  // the uncovered head and tail update as without segments.
  {
    SegLayout L;
    L.offsets = {50, 300, 550};
    L.scale = {0.0f, 1.0f};
    std::vector<float> pa = p0, ma(n, 0), va(n, 0), pb = p0, mb(n, 0), vb(n, 0);
    ref::adam_step<float>(pa.data(), g.data(), ma.data(), va.data(), n, hp, nullptr, L.view());
    ref::adam_step<float>(pb.data(), g.data(), mb.data(), vb.data(), n, hp, nullptr, SegScale{});
    for (int64_t e = 0; e < n; ++e) {
      if (e >= 50 && e < 300) {
        EXPECT_EQ(pa[e], p0[e]) << e;
        EXPECT_EQ(ma[e], 0.0f) << e;
        EXPECT_EQ(va[e], 0.0f) << e;
      } else {
        EXPECT_EQ(pa[e], pb[e]) << e;
        EXPECT_NE(pa[e], p0[e]) << e;
      }
    }
  }
}

// The state's factors as step_begin computes them for Adam's count t (its batch is empty here).
StepState state_at(int64_t t, double lr) {
  StepState st;
  st.adam_t = t - 1;
  st.lr = lr;
  ref::step_begin(&st, 0.9, 0.999, Vec<const int32_t>(), Vec<const int32_t>(), 1, Vec<int32_t>(), Vec<int32_t>());
  return st;
}

template <class T>
void expect_adam_at_equals_adam(int64_t n) {
  SCOPED_TRACE(test::case_name(sizeof(T) == 4 ? "adam_step_at_f32" : "adam_step_at_f64", {n}, 90));
  auto p = test::cast_vec<T>(random_vec<double>(n, 90 + n)), m = test::cast_vec<T>(random_vec<double>(n, 91, -0.1, 0.1)),
       v = test::cast_vec<T>(random_vec<double>(n, 92, 0, 0.1));
  auto p2 = p, m2 = m, v2 = v;
  for (int64_t t = 1; t <= 3; ++t) {
    const auto g = test::cast_vec<T>(random_vec<double>(n, 93 + t, -2, 2));
    AdamHp hp;
    hp.lr = 3e-3;
    hp.step = t;
    hp.weight_decay = t == 2 ? 1e-2 : 0.0;
    ref::adam_step<T>(p.data(), g.data(), m.data(), v.data(), n, hp, nullptr, SegScale{});
    const StepState st = state_at(t, hp.lr);
    AdamHp shared = hp;
    shared.lr = 99.0;  // not read: the state's factors are
    shared.step = 1;
    ref::adam_step_at<T>(p2.data(), g.data(), m2.data(), v2.data(), n, &st, shared);
  }
  EXPECT_TRUE(bit_equal(p, p2) && bit_equal(m, m2) && bit_equal(v, v2)) << "adam_step_at differs from adam_step";
}

TEST(OptimRef, AdamStepAtEqualsAdamStepBitForBit) {
  for (int64_t n : {int64_t(1), int64_t(15), int64_t(16), int64_t(17), int64_t(1000), int64_t(65537)}) {
    expect_adam_at_equals_adam<float>(n);
    expect_adam_at_equals_adam<double>(n);
  }
  std::vector<float> x(4);
  StepState fresh;  // step_begin never ran: t = 0
  EXPECT_THROW(ref::adam_step_at<float>(x.data(), x.data(), x.data(), x.data(), 4, &fresh, AdamHp{}), Error);
  EXPECT_THROW(ref::adam_step_at<float>(x.data(), x.data(), x.data(), x.data(), 4, nullptr, AdamHp{}), Error);
}

// The feature tables' update: Adam with the gradient dY·Wᵀ computed in place equals the product
// stored and adam_step_at run over it — bit for bit on the float path (fused where the CPU has
// AVX-512) and the double one (plain).
template <class T>
void expect_gemm_adam_equals_gemm_then_adam(int64_t N, int64_t C, int64_t K) {
  SCOPED_TRACE(test::case_name(sizeof(T) == 4 ? "gemm_adam_at_f32" : "gemm_adam_at_f64", {N, C, K}, 110));
  const auto dY = test::cast_vec<T>(random_vec<double>(N * K, 110)), W = test::cast_vec<T>(random_vec<double>(C * K, 111));
  auto P = test::cast_vec<T>(random_vec<double>(N * C, 112)), M = test::cast_vec<T>(random_vec<double>(N * C, 113, -0.1, 0.1)),
       V = test::cast_vec<T>(random_vec<double>(N * C, 114, 0, 0.1));
  auto P2 = P, M2 = M, V2 = V;
  std::vector<T> G(static_cast<size_t>(N * C)), G2(G.size());
  const StepState st = state_at(4, 2e-3);
  AdamHp hp;
  ref::gemm<T>(false, true, N, C, K, T(1), dY.data(), K, W.data(), K, T(0), G.data(), C);
  ref::adam_step_at<T>(P.data(), G.data(), M.data(), V.data(), N * C, &st, hp);
  ref::gemm_adam_at<T>(Mat<const T>(dY.data(), N, K), Mat<const T>(W.data(), C, K), Mat<T>(P2.data(), N, C),
                       Mat<T>(M2.data(), N, C), Mat<T>(V2.data(), N, C), &st, hp, Mat<T>(G2.data(), N, C));
  EXPECT_TRUE(bit_equal(P, P2) && bit_equal(M, M2) && bit_equal(V, V2)) << "gemm_adam_at differs";
}

TEST(OptimRef, GemmAdamAtEqualsTheStoredProductThenAdam) {
  for (auto [N, C, K] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{{1, 1, 1}, {7, 65, 8}, {130, 200, 64}, {9, 33, 300}}) {
    expect_gemm_adam_equals_gemm_then_adam<float>(N, C, K);
    expect_gemm_adam_equals_gemm_then_adam<double>(N, C, K);
  }
  std::vector<float> x(12);
  const StepState st = state_at(1, 1e-3);
  EXPECT_THROW(ref::gemm_adam_at<float>(Mat<const float>(x.data(), 3, 2), Mat<const float>(x.data(), 4, 3),
                                        Mat<float>(x.data(), 3, 4), Mat<float>(x.data(), 3, 4), Mat<float>(x.data(), 3, 4),
                                        &st, AdamHp{}, Mat<float>(x.data(), 3, 4)),
               Error);  // dY has 2 columns, W 3
  const StepState before_begin;  // adam_t = 0: step_begin has not run
  EXPECT_THROW(ref::gemm_adam_at<float>(Mat<const float>(x.data(), 3, 2), Mat<const float>(x.data(), 4, 2),
                                        Mat<float>(x.data(), 3, 4), Mat<float>(x.data(), 3, 4), Mat<float>(x.data(), 3, 4),
                                        &before_begin, AdamHp{}, Mat<float>(x.data(), 3, 4)),
               Error);
}

TEST(OptimRef, RejectsBadArguments) {
  std::vector<float> p(10), g(10), m(10), v(10);
  AdamHp hp;
  hp.step = 0;
  EXPECT_THROW(ref::adam_step<float>(p.data(), g.data(), m.data(), v.data(), 10, hp, nullptr, SegScale{}), Error);
  hp.step = 1;
  const std::vector<int64_t> dec = {0, 6, 5};
  const std::vector<float> sc = {1, 1};
  EXPECT_THROW(ref::sgd_step<float>(p.data(), g.data(), 10, 0.1, nullptr, SegScale{dec.data(), sc.data(), 2}), Error);
  const std::vector<int64_t> beyond = {0, 11};
  EXPECT_THROW(ref::grad_combine<float>(p.data(), g.data(), nullptr, 10, nullptr, SegScale{beyond.data(), sc.data(), 1}),
               Error);
  EXPECT_THROW(ref::adam_step<float>(p.data(), g.data(), m.data(), v.data(), 10, hp, nullptr, SegScale{nullptr, nullptr, 1}),
               Error);
}

TEST(OptimRef, SgdStep) {
  const int64_t n = 300;
  const auto p0 = random_vec<double>(n, 1), g = random_vec<double>(n, 2);
  const auto mask = random_mask(n, 3);
  const auto L = make_layout(n, 4);
  auto p = p0;
  ref::sgd_step<double>(p.data(), g.data(), n, 0.1, mask.data(), L.view());
  for (int64_t e = 0; e < n; ++e) {
    double sc = 1.0;
    for (size_t s = 0; s + 1 < L.offsets.size(); ++s)
      if (e >= L.offsets[s] && e < L.offsets[s + 1]) sc = L.scale[s];
    const double want = mask[e] ? p0[e] - 0.1 * sc * g[e] : p0[e];
    EXPECT_NEAR(p[e], want, 1e-15) << e;
  }
}

TEST(OptimRef, GradCombineFormulaAndAliasing) {
  const int64_t n = 500;
  auto gf = random_vec<float>(n, 1), gr = random_vec<float>(n, 2);
  const auto mask = random_mask(n, 3);
  for (int64_t e = 0; e < n; ++e)
    if (!mask[e]) gf[e] = std::numeric_limits<float>::quiet_NaN();  // masked: never read
  const auto L = make_layout(n, 4);
  std::vector<float> out(n);
  ref::grad_combine<float>(out.data(), gf.data(), gr.data(), n, mask.data(), L.view());
  for (int64_t e = 0; e < n; ++e) {
    float sc = 1.0f;
    for (size_t s = 0; s + 1 < L.offsets.size(); ++s)
      if (e >= L.offsets[s] && e < L.offsets[s + 1]) sc = L.scale[s];
    const float want = mask[e] ? sc * gf[e] + gr[e] : gr[e];
    EXPECT_EQ(out[e], want) << e;
  }
  // out aliasing gf, then gr: bit-identical to the separate output.
  auto a = gf;
  ref::grad_combine<float>(a.data(), a.data(), gr.data(), n, mask.data(), L.view());
  EXPECT_TRUE(bit_equal(a, out));
  auto b = gr;
  ref::grad_combine<float>(b.data(), gf.data(), b.data(), n, mask.data(), L.view());
  EXPECT_TRUE(bit_equal(b, out));
  // gr null = 0, mask null = 1.
  std::vector<float> c(n);
  const auto gf2 = random_vec<float>(n, 9);
  ref::grad_combine<float>(c.data(), gf2.data(), nullptr, n, nullptr, SegScale{});
  EXPECT_TRUE(bit_equal(c, gf2));
}

// ---- CUDA vs reference ----------------------------------------------------------------------
const std::vector<int64_t> kLengths = {1, 7, 255, 256, 257, 1000, 65537};

struct DevSeg {
  std::unique_ptr<test::DeviceGuarded<int64_t>> off;
  std::unique_ptr<test::DeviceGuarded<float>> sc;
  SegScale view;
};
DevSeg upload(cuda::Context& ctx, const SegLayout& L, bool use) {
  DevSeg d;
  if (!use) return d;
  d.off = std::make_unique<test::DeviceGuarded<int64_t>>(ctx, L.offsets);
  d.sc = std::make_unique<test::DeviceGuarded<float>>(ctx, L.scale);
  d.view = SegScale{d.off->data(), d.sc->data(), static_cast<int64_t>(L.scale.size())};
  return d;
}

// Every (length, mask?, segments?) combination, named for the trace.
template <class Body>
void for_each_case(const char* op, Body body) {
  for (int64_t n : kLengths)
    for (int use_mask = 0; use_mask < 2; ++use_mask)
      for (int use_seg = 0; use_seg < 2; ++use_seg) {
        SCOPED_TRACE(test::case_name(op, {n, use_mask, use_seg}, 70 + n));
        body(n, use_mask != 0, use_seg != 0);
      }
}

TEST(CudaVsRef_adam_step, LengthsMasksSegments) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for_each_case("adam_step", [&](int64_t n, bool use_mask, bool use_seg) {
    auto p = random_vec<float>(n, 70 + n), m = random_vec<float>(n, 71 + n, -0.1, 0.1),
         v = random_vec<float>(n, 72 + n, 0, 0.1);
    const auto mask = random_mask(n, 73 + n);
    const auto L = make_layout(n, 74 + n);
    const auto p0 = p, m0 = m, v0 = v;
    test::DeviceGuarded<float> pd(ctx, p), md(ctx, m), vd(ctx, v);
    test::DeviceGuarded<uint8_t> maskd(ctx, mask);
    const DevSeg seg = upload(ctx, L, use_seg);
    AdamHp hp;
    hp.lr = 1e-2;
    hp.weight_decay = 1e-3;
    for (int64_t t = 1; t <= 3; ++t) {  // several steps: state carries over
      hp.step = t;
      const auto g = random_vec<float>(n, 75 + n + t, -2, 2);
      test::DeviceGuarded<float> gd(ctx, g);
      ref::adam_step<float>(p.data(), g.data(), m.data(), v.data(), n, hp, use_mask ? mask.data() : nullptr,
                            use_seg ? L.view() : SegScale{});
      cuda::adam_step(pd.data(), gd.data(), md.data(), vd.data(), n, hp, use_mask ? maskd.data() : nullptr, seg.view,
                      ctx.exec());
    }
    const auto gp = pd.download(), gm = md.download(), gv = vd.download();
    EXPECT_TRUE(allclose(gp, p, test::kTolMap, "p"));
    EXPECT_TRUE(allclose(gm, m, test::kTolMap, "m"));
    EXPECT_TRUE(allclose(gv, v, test::kTolMap, "v"));
    if (use_mask) {
      for (int64_t e = 0; e < n; ++e) {
        if (mask[e]) continue;
        ASSERT_TRUE(std::memcmp(&gp[e], &p0[e], 4) == 0 && std::memcmp(&gm[e], &m0[e], 4) == 0 &&
                    std::memcmp(&gv[e], &v0[e], 4) == 0)
            << "masked element " << e << " was written on the GPU";
      }
    }
    EXPECT_TRUE(pd.guards_intact() && md.guards_intact() && vd.guards_intact());
  });
}

TEST(CudaVsRef_adam_step_at, LengthsOverSteps) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (int64_t n : kLengths) {
    SCOPED_TRACE(test::case_name("adam_step_at", {n}, 95 + n));
    auto p = random_vec<float>(n, 95 + n), m = random_vec<float>(n, 96 + n, -0.1, 0.1), v = random_vec<float>(n, 97 + n, 0, 0.1);
    test::DeviceGuarded<float> pd(ctx, p), md(ctx, m), vd(ctx, v);
    AdamHp hp;
    hp.weight_decay = 1e-3;
    for (int64_t t = 1; t <= 3; ++t) {
      const auto g = random_vec<float>(n, 98 + n + t, -2, 2);
      test::DeviceGuarded<float> gd(ctx, g);
      const StepState st = state_at(t, 1e-2);
      test::DeviceGuarded<StepState> sd(ctx, std::vector<StepState>{st});
      ref::adam_step_at<float>(p.data(), g.data(), m.data(), v.data(), n, &st, hp);
      cuda::adam_step_at(pd.data(), gd.data(), md.data(), vd.data(), n, sd.data(), hp, ctx.exec());
    }
    EXPECT_TRUE(allclose(pd.download(), p, test::kTolMap, "p"));
    EXPECT_TRUE(allclose(md.download(), m, test::kTolMap, "m"));
    EXPECT_TRUE(allclose(vd.download(), v, test::kTolMap, "v"));
    EXPECT_TRUE(pd.guards_intact() && md.guards_intact() && vd.guards_intact());
  }
}

TEST(CudaVsRef_gemm_adam_at, ShapesOverSteps) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (auto [N, C, K] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 1, 1}, {7, 65, 8}, {129, 63, 33}, {300, 200, 64}, {7050, 384, 64}, {1000, 4096, 64}, {50, 70, 300}}) {
    SCOPED_TRACE(test::case_name("gemm_adam_at", {N, C, K}, 120));
    const auto dY = random_vec<float>(N * K, 120), W = random_vec<float>(C * K, 121);
    auto P = random_vec<float>(N * C, 122), M = random_vec<float>(N * C, 123, -0.1, 0.1), V = random_vec<float>(N * C, 124, 0, 0.1);
    std::vector<float> G(static_cast<size_t>(N * C));
    test::DeviceGuarded<float> dYd(ctx, dY), Wd(ctx, W), Pd(ctx, P), Md(ctx, M), Vd(ctx, V);
    AdamHp hp;
    hp.weight_decay = 1e-3;
    for (int64_t t = 1; t <= 2; ++t) {
      const StepState st = state_at(t, 1e-2);
      test::DeviceGuarded<StepState> sd(ctx, std::vector<StepState>{st});
      ref::gemm_adam_at<float>(Mat<const float>(dY.data(), N, K), Mat<const float>(W.data(), C, K),
                               Mat<float>(P.data(), N, C), Mat<float>(M.data(), N, C), Mat<float>(V.data(), N, C), &st, hp,
                               Mat<float>(G.data(), N, C));
      cuda::gemm_adam_at(Mat<const float>(dYd.data(), N, K), Mat<const float>(Wd.data(), C, K), Pd.mat(N, C),
                         Md.mat(N, C), Vd.mat(N, C), sd.data(), hp, ctx.exec());
    }
    // The product's order is the CPU GEMM's (fmaf in k order) only while K fits one CPU k block;
    // Adam's arithmetic may be contracted differently: the elementwise tolerance, widened with K.
    const test::Tol tol{1e-5 * std::max(1.0, double(K) / 16.0), 1e-4};
    EXPECT_TRUE(allclose(Pd.download(), P, tol, "P"));
    EXPECT_TRUE(allclose(Md.download(), M, tol, "M"));
    EXPECT_TRUE(allclose(Vd.download(), V, tol, "V"));
    EXPECT_TRUE(Pd.guards_intact() && Md.guards_intact() && Vd.guards_intact());
  }
}

TEST(CudaVsRef_sgd_step, LengthsMasksSegments) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for_each_case("sgd_step", [&](int64_t n, bool use_mask, bool use_seg) {
    auto p = random_vec<float>(n, 80 + n);
    const auto g = random_vec<float>(n, 81 + n);
    const auto mask = random_mask(n, 82 + n);
    const auto L = make_layout(n, 83 + n);
    test::DeviceGuarded<float> pd(ctx, p), gd(ctx, g);
    test::DeviceGuarded<uint8_t> maskd(ctx, mask);
    const DevSeg seg = upload(ctx, L, use_seg);
    ref::sgd_step<float>(p.data(), g.data(), n, 0.05, use_mask ? mask.data() : nullptr, use_seg ? L.view() : SegScale{});
    cuda::sgd_step(pd.data(), gd.data(), n, 0.05, use_mask ? maskd.data() : nullptr, seg.view, ctx.exec());
    EXPECT_TRUE(allclose(pd.download(), p, test::kTolMap, "p"));
    EXPECT_TRUE(pd.guards_intact());
  });
}

TEST(CudaVsRef_grad_combine, LengthsMasksSegmentsAliasing) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for_each_case("grad_combine", [&](int64_t n, bool use_mask, bool use_seg) {
    const auto gf = random_vec<float>(n, 90 + n), gr = random_vec<float>(n, 91 + n);
    const auto mask = random_mask(n, 92 + n);
    const auto L = make_layout(n, 93 + n);
    const uint8_t* hm = use_mask ? mask.data() : nullptr;
    const SegScale hs = use_seg ? L.view() : SegScale{};
    std::vector<float> want(n), want_nogr(n);
    ref::grad_combine<float>(want.data(), gf.data(), gr.data(), n, hm, hs);
    ref::grad_combine<float>(want_nogr.data(), gf.data(), nullptr, n, hm, hs);
    test::DeviceGuarded<float> gfd(ctx, gf), grd(ctx, gr), out(ctx, n);
    test::DeviceGuarded<uint8_t> maskd(ctx, mask);
    const DevSeg seg = upload(ctx, L, use_seg);
    const uint8_t* dm = use_mask ? maskd.data() : nullptr;
    cuda::grad_combine(out.data(), gfd.data(), grd.data(), n, dm, seg.view, ctx.exec());
    EXPECT_TRUE(allclose(out.download(), want, test::kTolMap, "out"));
    out.poison();
    cuda::grad_combine(out.data(), gfd.data(), nullptr, n, dm, seg.view, ctx.exec());
    EXPECT_TRUE(allclose(out.download(), want_nogr, test::kTolMap, "out (gr null)"));
    EXPECT_TRUE(out.guards_intact());
    // Aliasing: out = gf, then out = gr.
    test::DeviceGuarded<float> a(ctx, gf), b(ctx, gr);
    cuda::grad_combine(a.data(), a.data(), grd.data(), n, dm, seg.view, ctx.exec());
    cuda::grad_combine(b.data(), gfd.data(), b.data(), n, dm, seg.view, ctx.exec());
    EXPECT_TRUE(allclose(a.download(), want, test::kTolMap, "out aliasing gf"));
    EXPECT_TRUE(allclose(b.download(), want, test::kTolMap, "out aliasing gr"));
    EXPECT_TRUE(a.guards_intact() && b.guards_intact());
  });
}

}  // namespace
}  // namespace lethe
