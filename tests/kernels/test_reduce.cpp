// tests/kernels/test_reduce.cpp — reduce family: the CPU reference against plain double loops
// (segment layouts with empty segments, a non-zero start, heavy skew, segments across many of the
// GPU's chunks), clipping semantics, and CUDA against the reference over the same table,
// including run-to-run bit-identity.
#include <cstring>

#include "kernels/reduce.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

using test::allclose;
using test::Guarded;
using test::random_vec;

// Both sides sum squares in double; only the order differs, so the relative difference is a
// few ulps of double — far below the float tolerances.
constexpr test::Tol kTolDoubleSum{0.0, 1e-12};

struct SegCase {
  const char* name;
  std::vector<int64_t> offsets;  // nseg + 1 entries
};

// Offsets over a slab of `n` elements: every layout the engine can produce plus awkward ones.
std::vector<SegCase> seg_cases() {
  std::vector<SegCase> c;
  c.push_back({"one_element", {0, 1}});
  c.push_back({"one_segment_257", {0, 257}});
  c.push_back({"empty_segments", {0, 0, 5, 5, 5, 300, 300}});
  c.push_back({"nonzero_start", {17, 40, 1000, 1001}});
  c.push_back({"skew", {0, 3, 200003, 200004, 200260, 201283}});
  // 20 segments of very different sizes, like an MGCN slab (a 4096-wide table beside biases).
  std::vector<int64_t> o = {0};
  const int64_t sizes[20] = {64, 1, 4096 * 3, 0, 255, 256, 257, 7, 1, 31, 65537, 1000, 0, 384 * 5, 2, 129, 1, 33, 513, 9};
  for (int64_t s : sizes) o.push_back(o.back() + s);
  c.push_back({"twenty_segments", o});
  // Segments spanning many of the GPU's 16384-element chunks, starting and ending inside chunks,
  // beside tiny ones sharing a chunk (the multi-block reduction's slots chunk + segment).
  c.push_back({"multi_chunk", {5, 16384, 16385, 16390, 100003, 100003, 100004, 163840, 400001}});
  return c;
}

std::vector<double> naive_sqnorm(const std::vector<float>& x, const std::vector<int64_t>& off) {
  std::vector<double> out(off.size() - 1, 0.0);
  for (size_t s = 0; s + 1 < off.size(); ++s)
    for (int64_t e = off[s]; e < off[s + 1]; ++e) out[s] += double(x[e]) * double(x[e]);
  return out;
}

TEST(ReduceRef, SegmentedSqnormMatchesPlainLoops) {
  for (const auto& sc : seg_cases()) {
    SCOPED_TRACE(sc.name);
    const int64_t n = sc.offsets.back() + 3;
    const auto x = random_vec<float>(n, 5 + n, -2, 2);
    const int64_t nseg = static_cast<int64_t>(sc.offsets.size()) - 1;
    Guarded<double> out(nseg);
    ref::segmented_sqnorm<float>(x.data(), n, sc.offsets.data(), nseg, out.data());
    EXPECT_TRUE(out.guards_intact());
    EXPECT_TRUE(allclose(out.get(), naive_sqnorm(x, sc.offsets), kTolDoubleSum, "sqnorm"));
    // The double instantiation sees the same values widened: same sums.
    const auto xd = test::cast_vec<double>(x);
    std::vector<double> outd(nseg);
    ref::segmented_sqnorm<double>(xd.data(), n, sc.offsets.data(), nseg, outd.data());
    EXPECT_TRUE(allclose(outd, out.get(), kTolDoubleSum, "double instantiation"));
  }
}

TEST(ReduceRef, SegmentedSqnormRejectsBadOffsets) {
  std::vector<float> x(10, 1.0f);
  std::vector<double> out(3);
  const std::vector<int64_t> dec = {0, 5, 4, 10};
  EXPECT_THROW(ref::segmented_sqnorm<float>(x.data(), 10, dec.data(), 3, out.data()), Error);
  const std::vector<int64_t> neg = {-1, 5};
  EXPECT_THROW(ref::segmented_sqnorm<float>(x.data(), 10, neg.data(), 1, out.data()), Error);
  const std::vector<int64_t> past = {0, 5, 11};  // ends past the 10 elements of x
  EXPECT_THROW(ref::segmented_sqnorm<float>(x.data(), 10, past.data(), 2, out.data()), Error);
  EXPECT_NO_THROW(ref::segmented_sqnorm<float>(x.data(), 10, nullptr, 0, nullptr));  // nothing to do
}

TEST(ReduceRef, ClipLeavesSmallGradientsBitIdentical) {
  auto x = random_vec<float>(1000, 3, -0.01, 0.01);
  const auto before = x;
  double norm = -1;
  ref::clip_global_norm<float>(x.data(), 1000, 10.0, &norm);
  EXPECT_EQ(std::memcmp(x.data(), before.data(), x.size() * sizeof(float)), 0);
  double want = 0;
  for (float v : before) want += double(v) * v;
  EXPECT_NEAR(norm, std::sqrt(want), 1e-12 * std::sqrt(want));
}

TEST(ReduceRef, ClipScalesToMaxNormAndReportsPreClipNorm) {
  auto x = random_vec<double>(5000, 4, -3, 3);
  double pre = 0;
  for (double v : x) pre += v * v;
  pre = std::sqrt(pre);
  double norm = -1;
  ref::clip_global_norm<double>(x.data(), 5000, 1.5, &norm);
  EXPECT_NEAR(norm, pre, 1e-12 * pre);
  double post = 0;
  for (double v : x) post += v * v;
  EXPECT_NEAR(std::sqrt(post), 1.5, 1e-12);
}

TEST(ReduceRef, ClipEdgeCases) {
  double norm = -1;
  ref::clip_global_norm<float>(nullptr, 0, 1.0, &norm);
  EXPECT_EQ(norm, 0.0);
  std::vector<float> x = {3.0f, 4.0f};
  EXPECT_THROW(ref::clip_global_norm<float>(x.data(), 2, -1.0, &norm), Error);
  ref::clip_global_norm<float>(x.data(), 2, 0.0, &norm);  // max 0 zeroes the gradient
  EXPECT_EQ(norm, 5.0);
  EXPECT_EQ(x[0], 0.0f);
  EXPECT_EQ(x[1], 0.0f);
}

// ---- CUDA vs reference ----------------------------------------------------------------------
TEST(CudaVsRef_segmented_sqnorm, SegmentLayouts) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (const auto& sc : seg_cases()) {
    SCOPED_TRACE(sc.name);
    const int64_t n = sc.offsets.back() + 3;
    const int64_t nseg = static_cast<int64_t>(sc.offsets.size()) - 1;
    const auto x = random_vec<float>(n, 50 + n, -2, 2);
    std::vector<double> want(nseg);
    ref::segmented_sqnorm<float>(x.data(), n, sc.offsets.data(), nseg, want.data());
    test::DeviceGuarded<float> xd(ctx, x);
    test::DeviceGuarded<int64_t> od(ctx, sc.offsets);
    test::DeviceGuarded<double> out(ctx, nseg);
    cuda::segmented_sqnorm(xd.data(), n, od.data(), nseg, out.data(), ctx.exec());
    const auto got = out.download();
    EXPECT_TRUE(out.guards_intact());
    EXPECT_TRUE(allclose(got, want, kTolDoubleSum, "sqnorm"));
    // Deterministic: a second run gives the same bits.
    ctx.arena().reset();
    out.poison();
    cuda::segmented_sqnorm(xd.data(), n, od.data(), nseg, out.data(), ctx.exec());
    const auto again = out.download();
    EXPECT_EQ(std::memcmp(got.data(), again.data(), got.size() * sizeof(double)), 0) << "not bit-identical";
    ctx.arena().reset();
  }
}

TEST(CudaVsRef_clip_global_norm, LengthsAndThresholds) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (int64_t n : {int64_t(0), int64_t(1), int64_t(7), int64_t(255), int64_t(257), int64_t(1000), int64_t(65537),
                    int64_t(1) << 20}) {
    for (double max_norm : {0.5, 1e9}) {  // clipped, and left alone
      SCOPED_TRACE(test::case_name("clip_global_norm", {n, int64_t(max_norm)}, 60));
      auto x = random_vec<float>(n, 60 + n, -1, 1);
      test::DeviceGuarded<float> xd(ctx, x);
      test::DeviceGuarded<double> nd(ctx, 1);
      double want_norm = -1;
      ref::clip_global_norm<float>(x.data(), n, max_norm, &want_norm);
      cuda::clip_global_norm(xd.data(), n, max_norm, nd.data(), ctx.exec());
      ctx.sync();
      EXPECT_TRUE(allclose(nd.download(), std::vector<double>{want_norm}, kTolDoubleSum, "norm"));
      // Same factor applied the same way; the factor itself differs by the norm's last ulps.
      EXPECT_TRUE(allclose(xd.download(), x, test::kTolMap, "x"));
      if (max_norm > 1e6) {
        const auto got = xd.download();
        EXPECT_EQ(std::memcmp(got.data(), x.data(), x.size() * sizeof(float)), 0) << "unclipped x must be untouched";
      }
      EXPECT_TRUE(xd.guards_intact() && nd.guards_intact());
      ctx.arena().reset();
    }
  }
}

}  // namespace
}  // namespace lethe
