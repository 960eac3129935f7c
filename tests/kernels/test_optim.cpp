// tests/kernels/test_optim.cpp — optim family: the reference Adam against a hand-written
// double-precision Adam (textbook bias-corrected form) over several steps, the mask (masked
// elements bit-identical, even with NaN gradients there), the per-segment scale (×2 equals a
// doubled gradient bit for bit; ×0 freezes a fresh segment; uncovered head/tail take scale 1),
// SGD and grad_combine semantics including aliasing, and CUDA against the reference over a table
// of lengths × mask × segment layouts.
#include <cstring>
#include <limits>

#include "kernels/optim.h"
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
