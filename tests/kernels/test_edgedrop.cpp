// tests/kernels/test_edgedrop.cpp — edge dropout family (kernels/edgedrop.h): reference sanity
// (the keep rule equals sampling.h's dropout rule, ids select the draws so a CSR and its
// transpose drop the same edges, keep rate ≈ 1 − p with 1/(1 − p) scaling, p = 0 is a copy,
// guards) and CUDA against the reference with exact (bit-identical) equality over sizes and
// permuted ids. Not differentiable (graph weights are constants), so no finite-difference test.
#include <algorithm>
#include <numeric>
#include <random>

#include "kernels/edgedrop.h"
#include "kernels/philox.h"
#include "kernels/sampling.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

using test::random_vec;
using VF = Vec<const float>;

TEST(EdgeDropRef, SameRuleAsDropoutAndScaling) {
  const int64_t n = 10007;
  const auto v = random_vec<float>(n, 1, 0.1, 1.0);
  std::vector<float> a(n), y(n);
  std::vector<uint8_t> mask(n);
  const uint64_t stream = rng_stream(RngPurpose::kEdgeDropout, 4, 9);
  ref::edge_dropout<float>(VF(v.data(), n), Vec<const int32_t>(), 0.3f, 5, stream, Vec<float>(a.data(), n));
  ref::dropout_forward<float>(VF(v.data(), n), 0.3f, 5, stream, Vec<float>(y.data(), n), Vec<uint8_t>(mask.data(), n));
  EXPECT_EQ(a, y);  // identity ids: exactly the dropout op's values
  const int64_t kept = std::count_if(a.begin(), a.end(), [](float x) { return x != 0.f; });
  EXPECT_NEAR(static_cast<double>(kept) / n, 0.7, 0.02);
  for (int64_t k = 0; k < n; ++k) {
    if (a[k] != 0.f) {
      EXPECT_EQ(a[k], v[k] / 0.7f);
    }
  }
  // p = 0 copies.
  ref::edge_dropout<float>(VF(v.data(), n), Vec<const int32_t>(), 0.f, 5, stream, Vec<float>(a.data(), n));
  EXPECT_EQ(a, v);
}

TEST(EdgeDropRef, IdsSelectTheDrawSoPermutedCopiesAgree) {
  // A "transpose" stores the same edges in another order: with ids = original positions, the
  // entry for edge e is kept exactly when e is kept in the original.
  const int64_t n = 5000;
  const auto v = random_vec<float>(n, 2, 0.1, 1.0);
  std::vector<int32_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), std::mt19937_64(3));
  std::vector<float> vt(n), a(n), at(n);
  for (int64_t k = 0; k < n; ++k) vt[k] = v[perm[k]];
  const uint64_t stream = rng_stream(RngPurpose::kEdgeDropout, 1, 2);
  ref::edge_dropout<float>(VF(v.data(), n), Vec<const int32_t>(), 0.4f, 7, stream, Vec<float>(a.data(), n));
  ref::edge_dropout<float>(VF(vt.data(), n), Vec<const int32_t>(perm.data(), n), 0.4f, 7, stream, Vec<float>(at.data(), n));
  for (int64_t k = 0; k < n; ++k) EXPECT_EQ(at[k], a[perm[k]]);
  // A different stream drops different edges; double agrees with float on the decisions.
  std::vector<float> b(n);
  ref::edge_dropout<float>(VF(v.data(), n), Vec<const int32_t>(), 0.4f, 7, stream + 1, Vec<float>(b.data(), n));
  EXPECT_NE(a, b);
  std::vector<double> vd(v.begin(), v.end()), ad(n);
  ref::edge_dropout<double>(Vec<const double>(vd.data(), n), Vec<const int32_t>(), 0.4, 7, stream,
                            Vec<double>(ad.data(), n));
  for (int64_t k = 0; k < n; ++k) EXPECT_EQ(ad[k] == 0.0, a[k] == 0.f);
}

TEST(EdgeDropRef, GuardsThrow) {
  std::vector<float> v(4), o(4);
  std::vector<int32_t> ids = {0, 1, -2, 3};
  EXPECT_THROW(ref::edge_dropout<float>(VF(v.data(), 4), Vec<const int32_t>(), 1.f, 1, 1, Vec<float>(o.data(), 4)), Error);
  EXPECT_THROW(ref::edge_dropout<float>(VF(v.data(), 4), Vec<const int32_t>(), 0.1f, 1, 1, Vec<float>(o.data(), 3)), Error);
  EXPECT_THROW(ref::edge_dropout<float>(VF(v.data(), 4), Vec<const int32_t>(ids.data(), 3), 0.1f, 1, 1,
                                        Vec<float>(o.data(), 4)), Error);
  EXPECT_THROW(ref::edge_dropout<float>(VF(v.data(), 4), Vec<const int32_t>(ids.data(), 4), 0.1f, 1, 1,
                                        Vec<float>(o.data(), 4)), Error);
}

TEST(CudaVsRef_edge_dropout, EdgeDropExact) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (int64_t n : {int64_t(1), int64_t(3), int64_t(255), int64_t(100003), int64_t(352000)}) {
    for (bool with_ids : {false, true}) {
      SCOPED_TRACE(test::case_name("edge_dropout", {n, with_ids ? 1 : 0}, 13));
      const auto v = random_vec<float>(n, static_cast<uint64_t>(n), 0.01, 1.0);
      std::vector<int32_t> ids(n);
      std::iota(ids.begin(), ids.end(), 0);
      std::shuffle(ids.begin(), ids.end(), std::mt19937_64(static_cast<uint64_t>(n)));
      const uint64_t stream = rng_stream(RngPurpose::kEdgeDropout, 3, 11);
      test::Guarded<float> h(n);
      const Vec<const int32_t> hid = with_ids ? Vec<const int32_t>(ids.data(), n) : Vec<const int32_t>();
      ref::edge_dropout<float>(VF(v.data(), n), hid, 0.3f, 13, stream, h.vec());
      test::DeviceGuarded<float> vd(ctx, v), od(ctx, n);
      test::DeviceGuarded<int32_t> idd(ctx, ids);
      const Vec<const int32_t> did = with_ids ? Vec<const int32_t>(idd.data(), n) : Vec<const int32_t>();
      cuda::edge_dropout(VF(vd.data(), n), did, 0.3f, 13, stream, od.vec(), ctx.exec());
      EXPECT_EQ(od.download(), h.get());  // bit-identical
      EXPECT_TRUE(od.guards_intact() && h.guards_intact());
    }
  }
  test::DeviceGuarded<float> v(ctx, 4), o(ctx, 4);
  EXPECT_THROW(cuda::edge_dropout(VF(v.data(), 4), Vec<const int32_t>(), 1.f, 1, 1, o.vec(), ctx.exec()), Error);
}

}  // namespace
}  // namespace lethe
