// tests/kernels/test_sampling.cpp — sampling family: negative sampling semantics (never a train
// item while one is left, the all-but-one user, the user with every pool item and its fallback,
// determinism, rough uniformity), dropout (keep rate, scaling, masks independent of the length,
// finite differences of the backward with the mask held fixed) and uniform fills; then CUDA
// against the reference with EXACT equality of negatives, masks and fills.
#include <algorithm>
#include <cstring>
#include <set>

#include "kernels/philox.h"
#include "kernels/sampling.h"
#include "kernels/step.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

using test::allclose;
using test::random_vec;

// A train CSR (user → sorted items) over I items, and the pool of items seen in train.
// User 0 has every pool item, user 1 all but one, user 2 nothing, users 3..5 90% of the pool,
// the rest a few (skewed) items.
struct TrainGraph {
  std::vector<int32_t> rowptr, col, pool;
  int32_t missing_of_user1 = -1;
  Csr csr(int64_t items) const {
    Csr c;
    c.rowptr = rowptr.data();
    c.col = col.data();
    c.rows = static_cast<int64_t>(rowptr.size()) - 1;
    c.cols = items;
    c.nnz = static_cast<int64_t>(col.size());
    return c;
  }
};
TrainGraph make_graph(int64_t users, int32_t items, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::set<int32_t>> rows(static_cast<size_t>(users));
  // Pool: every item except every 7th (items never seen in train stay out of the pool).
  std::vector<int32_t> pool;
  for (int32_t i = 0; i < items; ++i)
    if (i % 7 != 3) pool.push_back(i);
  std::uniform_int_distribution<size_t> pick(0, pool.size() - 1);
  std::lognormal_distribution<double> deg(1.5, 1.0);
  for (int64_t u = 0; u < users; ++u) {
    auto& s = rows[static_cast<size_t>(u)];
    if (u == 0) s.insert(pool.begin(), pool.end());
    else if (u == 1) s.insert(pool.begin(), pool.end());
    else if (u == 2) {}
    else if (u <= 5) { for (int32_t it : pool) if (rng() % 10 != 0) s.insert(it); }
    else {
      const int64_t d = std::min<int64_t>(static_cast<int64_t>(deg(rng)) + 1, static_cast<int64_t>(pool.size()) / 2);
      while (static_cast<int64_t>(s.size()) < d) s.insert(pool[pick(rng)]);
    }
  }
  TrainGraph g;
  g.missing_of_user1 = pool[pool.size() / 2 + 1];
  rows[1].erase(g.missing_of_user1);
  g.rowptr.push_back(0);
  for (auto& s : rows) {
    g.col.insert(g.col.end(), s.begin(), s.end());
    g.rowptr.push_back(static_cast<int32_t>(g.col.size()));
  }
  g.pool = pool;
  return g;
}

std::vector<int32_t> make_users(int64_t B, int64_t users, uint64_t seed) {
  auto u = test::random_idx(B, static_cast<int32_t>(users), seed);
  for (int64_t b = 0; b < B; b += 5) u[b] = static_cast<int32_t>(b / 5 % 6);  // the special users, often
  return u;
}

std::vector<int32_t> run_ref(const TrainGraph& g, int32_t items, const std::vector<int32_t>& users, uint64_t seed,
                             uint64_t stream) {
  std::vector<int32_t> out(users.size(), -7);
  ref::sample_negatives(seed, stream, Vec<const int32_t>(users.data(), static_cast<int64_t>(users.size())),
                        Vec<const int32_t>(g.pool.data(), static_cast<int64_t>(g.pool.size())), g.csr(items),
                        Vec<int32_t>(out.data(), static_cast<int64_t>(out.size())));
  return out;
}

TEST(SamplingRef, NegativesAreUntrainedPoolItems) {
  const int32_t items = 300;
  const auto g = make_graph(200, items, 1);
  const auto users = make_users(3000, 200, 2);
  const uint64_t stream = rng_stream(RngPurpose::kNegative, 3, 17);
  const auto out = run_ref(g, items, users, 42, stream);
  const std::set<int32_t> pool(g.pool.begin(), g.pool.end());
  const uint32_t P = static_cast<uint32_t>(g.pool.size());
  for (size_t b = 0; b < users.size(); ++b) {
    const int32_t u = users[b];
    ASSERT_TRUE(pool.count(out[b])) << "row " << b << ": " << out[b] << " is not in the pool";
    const bool in_row = std::binary_search(g.col.begin() + g.rowptr[u], g.col.begin() + g.rowptr[u + 1], out[b]);
    if (u == 0) {
      // Every pool item trained: pool[last draw] (attempt 63).
      const uint32_t d = below(philox(42, stream, (uint64_t(b) << 8) | 63).v[0], P);
      EXPECT_EQ(out[b], g.pool[d]) << "row " << b;
    } else {
      EXPECT_FALSE(in_row) << "row " << b << " user " << u << " got train item " << out[b];
    }
    if (u == 1) {
      EXPECT_EQ(out[b], g.missing_of_user1) << "row " << b;
    }
  }
}

TEST(SamplingRef, DeterministicAndKeyedBySeedAndStream) {
  const int32_t items = 500;
  const auto g = make_graph(100, items, 3);
  const auto users = make_users(1000, 100, 4);
  const auto a = run_ref(g, items, users, 7, 11), b = run_ref(g, items, users, 7, 11);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, run_ref(g, items, users, 7, 12));
  EXPECT_NE(a, run_ref(g, items, users, 8, 11));
}

// The trainer's steps draw with the stream of the state's (epoch, step), read from memory.
TEST(SamplingRef, AtTheStepStateDrawsWhatTheStepsStreamDraws) {
  const int32_t items = 200;
  const auto g = make_graph(50, items, 3);
  const auto users = make_users(300, 50, 4);
  for (auto [epoch, step] : std::vector<std::pair<uint32_t, uint32_t>>{{0, 0}, {3, 17}, {0xFFFFFFu, 5}}) {
    StepState st;
    st.epoch = epoch;
    st.step = step;
    std::vector<int32_t> got(users.size());
    ref::sample_negatives_at(77, &st, Vec<const int32_t>(users.data(), static_cast<int64_t>(users.size())),
                             Vec<const int32_t>(g.pool.data(), static_cast<int64_t>(g.pool.size())), g.csr(items),
                             Vec<int32_t>(got.data(), static_cast<int64_t>(got.size())));
    EXPECT_EQ(got, run_ref(g, items, users, 77, rng_stream(RngPurpose::kNegative, epoch, step)));
  }
}

TEST(SamplingRef, RoughlyUniformOverThePool) {
  const int32_t items = 60;
  const auto g = make_graph(10, items, 5);
  const std::vector<int32_t> users(40000, 2);  // user 2 trained nothing: every draw accepted
  const auto out = run_ref(g, items, users, 9, 1);
  std::vector<int> count(items, 0);
  for (int32_t x : out) ++count[x];
  const double expect = 40000.0 / static_cast<double>(g.pool.size());
  for (int32_t it : g.pool) EXPECT_NEAR(count[it], expect, 0.2 * expect) << "item " << it;
}

TEST(SamplingRef, RejectsBadInput) {
  const auto g = make_graph(10, 50, 6);
  std::vector<int32_t> users = {0, 10}, out(2);
  EXPECT_THROW(run_ref(g, 50, users, 1, 1), Error);  // user 10 outside the CSR
  users = {0, 1};
  std::vector<int32_t> empty_pool;
  EXPECT_THROW(ref::sample_negatives(1, 1, Vec<const int32_t>(users.data(), 2), Vec<const int32_t>(empty_pool.data(), 0),
                                     g.csr(50), Vec<int32_t>(out.data(), 2)),
               Error);
  EXPECT_THROW(ref::sample_negatives(1, 1, Vec<const int32_t>(users.data(), 2),
                                     Vec<const int32_t>(g.pool.data(), static_cast<int64_t>(g.pool.size())), g.csr(50),
                                     Vec<int32_t>(out.data(), 1)),
               Error);
}

// ---- dropout / fill -------------------------------------------------------------------------
TEST(SamplingRef, DropoutKeepsAboutOneMinusPAndScales) {
  const int64_t n = 100003;
  const auto x = random_vec<float>(n, 1);
  std::vector<float> y(n);
  std::vector<uint8_t> mask(n);
  const float p = 0.3f;
  ref::dropout_forward<float>(Vec<const float>(x.data(), n), p, 5, 6, Vec<float>(y.data(), n), Vec<uint8_t>(mask.data(), n));
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_TRUE(mask[i] == 0 || mask[i] == 1);
    kept += mask[i];
    EXPECT_EQ(y[i], mask[i] ? x[i] / (1.0f - p) : 0.0f) << i;
  }
  EXPECT_NEAR(double(kept) / n, 0.7, 0.01);
  // The mask of element i depends on (seed, stream, i) only: a shorter call agrees on its prefix.
  std::vector<float> y2(1001);
  std::vector<uint8_t> m2(1001);
  ref::dropout_forward<float>(Vec<const float>(x.data(), 1001), p, 5, 6, Vec<float>(y2.data(), 1001),
                              Vec<uint8_t>(m2.data(), 1001));
  EXPECT_TRUE(std::equal(m2.begin(), m2.end(), mask.begin()));
  // p = 0 keeps everything unchanged.
  ref::dropout_forward<float>(Vec<const float>(x.data(), n), 0.0f, 5, 6, Vec<float>(y.data(), n), Vec<uint8_t>(mask.data(), n));
  EXPECT_EQ(std::memcmp(y.data(), x.data(), n * sizeof(float)), 0);
  EXPECT_EQ(std::count(mask.begin(), mask.end(), uint8_t(1)), n);
  EXPECT_THROW(ref::dropout_forward<float>(Vec<const float>(x.data(), n), 1.0f, 5, 6, Vec<float>(y.data(), n),
                                           Vec<uint8_t>(mask.data(), n)),
               Error);
}

TEST(FiniteDiff_dropout, BackwardWithMaskHeldFixed) {
  const int64_t n = 41;
  const double p = 0.35;
  auto x = random_vec<double>(n, 1, -2, 2);
  const auto w = random_vec<double>(n, 2);
  std::vector<double> y(n);
  std::vector<uint8_t> mask(n);
  // Same seed and stream on every evaluation: the mask is a function of the index only.
  auto f = [&] {
    ref::dropout_forward<double>(Vec<const double>(x.data(), n), p, 77, 3, Vec<double>(y.data(), n),
                                 Vec<uint8_t>(mask.data(), n));
    return test::project(y, w);
  };
  const auto fd = test::fd_gradient(f, x);
  f();
  EXPECT_GT(std::count(mask.begin(), mask.end(), uint8_t(0)), 0);
  EXPECT_GT(std::count(mask.begin(), mask.end(), uint8_t(1)), 0);
  std::vector<double> dx(n, 0.25);  // backward accumulates
  ref::dropout_backward<double>(Vec<const double>(w.data(), n), Vec<const uint8_t>(mask.data(), n), p,
                                Vec<double>(dx.data(), n));
  for (auto& v : dx) v -= 0.25;
  EXPECT_TRUE(allclose(dx, fd, test::kTolFd, "dx"));
}

TEST(SamplingRef, FillUniformRangeAndMean) {
  const int64_t n = 50001;
  std::vector<float> x(n);
  ref::fill_uniform<float>(Vec<float>(x.data(), n), -2.0f, 3.0f, 1, 2);
  double mean = 0;
  for (float v : x) {
    ASSERT_GE(v, -2.0f);
    ASSERT_LE(v, 3.0f);
    mean += v;
  }
  EXPECT_NEAR(mean / n, 0.5, 0.05);
  std::vector<double> xd(n);
  ref::fill_uniform<double>(Vec<double>(xd.data(), n), -2.0, 3.0, 1, 2);  // same draws, double arithmetic
  EXPECT_TRUE(allclose(x, xd, test::kTolMap, "float vs double fill"));
}

// ---- CUDA vs reference (exact) ---------------------------------------------------------------
TEST(CudaVsRef_sample_negatives, ExactEquality) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  const int32_t items = 1000;
  const int64_t U = 300;
  const auto g = make_graph(U, items, 7);
  test::DeviceGuarded<int32_t> rp(ctx, g.rowptr), cl(ctx, g.col), pool(ctx, g.pool);
  Csr dcsr = g.csr(items);
  dcsr.rowptr = rp.data();
  dcsr.col = cl.data();
  for (int64_t B : {int64_t(1), int64_t(7), int64_t(255), int64_t(2048), int64_t(5001)}) {
    SCOPED_TRACE(test::case_name("sample_negatives", {B}, 8 + B));
    const auto users = make_users(B, U, 8 + B);
    const uint64_t stream = rng_stream(RngPurpose::kNegative, 2, static_cast<uint32_t>(B));
    const auto want = run_ref(g, items, users, 1234, stream);
    test::DeviceGuarded<int32_t> ud(ctx, users), out(ctx, B);
    cuda::sample_negatives(1234, stream, Vec<const int32_t>(ud.data(), B),
                           Vec<const int32_t>(pool.data(), static_cast<int64_t>(g.pool.size())), dcsr, out.vec(),
                           ctx.exec());
    EXPECT_EQ(out.download(), want);
    EXPECT_TRUE(out.guards_intact());
  }
  // A user id outside the CSR: the reference throws; the kernel marks the row −1.
  test::DeviceGuarded<int32_t> bad(ctx, std::vector<int32_t>{0, static_cast<int32_t>(U), -1}), out(ctx, 3);
  cuda::sample_negatives(1, 1, Vec<const int32_t>(bad.data(), 3),
                         Vec<const int32_t>(pool.data(), static_cast<int64_t>(g.pool.size())), dcsr, out.vec(), ctx.exec());
  const auto got = out.download();
  EXPECT_NE(got[0], -1);
  EXPECT_EQ(got[1], -1);
  EXPECT_EQ(got[2], -1);
}

TEST(CudaVsRef_sample_negatives_at, ExactEquality) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  const int32_t items = 1000;
  const int64_t U = 300;
  const auto g = make_graph(U, items, 9);
  test::DeviceGuarded<int32_t> rp(ctx, g.rowptr), cl(ctx, g.col), pool(ctx, g.pool);
  Csr dcsr = g.csr(items);
  dcsr.rowptr = rp.data();
  dcsr.col = cl.data();
  for (int64_t B : {int64_t(1), int64_t(255), int64_t(2048), int64_t(5001)}) {
    SCOPED_TRACE(test::case_name("sample_negatives_at", {B}, 10 + B));
    const auto users = make_users(B, U, 10 + B);
    StepState st;
    st.epoch = 4;
    st.step = static_cast<uint32_t>(B);
    const auto want = run_ref(g, items, users, 99, rng_stream(RngPurpose::kNegative, st.epoch, st.step));
    test::DeviceGuarded<StepState> sd(ctx, std::vector<StepState>{st});
    test::DeviceGuarded<int32_t> ud(ctx, users), out(ctx, B);
    cuda::sample_negatives_at(99, sd.data(), Vec<const int32_t>(ud.data(), B),
                              Vec<const int32_t>(pool.data(), static_cast<int64_t>(g.pool.size())), dcsr, out.vec(),
                              ctx.exec());
    EXPECT_EQ(out.download(), want);
    EXPECT_TRUE(out.guards_intact());
  }
}

const std::vector<int64_t> kLengths = {1, 3, 4, 5, 255, 256, 257, 1000, 65537};

TEST(CudaVsRef_dropout_forward, ExactMasks) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (int64_t n : kLengths) {
    for (float p : {0.0f, 0.3f, 0.9f}) {
      SCOPED_TRACE(test::case_name("dropout_forward", {n, int64_t(p * 10)}, 100 + n));
      const auto x = random_vec<float>(n, 100 + n);
      std::vector<float> y(n);
      std::vector<uint8_t> mask(n);
      ref::dropout_forward<float>(Vec<const float>(x.data(), n), p, 99, 5, Vec<float>(y.data(), n),
                                  Vec<uint8_t>(mask.data(), n));
      test::DeviceGuarded<float> xd(ctx, x), yd(ctx, n);
      test::DeviceGuarded<uint8_t> md(ctx, n);
      cuda::dropout_forward(Vec<const float>(xd.data(), n), p, 99, 5, yd.vec(), md.vec(), ctx.exec());
      EXPECT_EQ(md.download(), mask);
      EXPECT_TRUE(allclose(yd.download(), y, test::kTolMap, "y"));
      EXPECT_TRUE(yd.guards_intact() && md.guards_intact());
    }
  }
}

TEST(CudaVsRef_dropout_backward, Accumulates) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (int64_t n : kLengths) {
    SCOPED_TRACE(test::case_name("dropout_backward", {n}, 200 + n));
    const auto dy = random_vec<float>(n, 200 + n);
    auto dx = random_vec<float>(n, 201 + n);
    const auto r = test::random_idx(n, 2, 202 + n);
    const std::vector<uint8_t> mask(r.begin(), r.end());
    test::DeviceGuarded<float> dyd(ctx, dy), dxd(ctx, dx);
    test::DeviceGuarded<uint8_t> md(ctx, mask);
    ref::dropout_backward<float>(Vec<const float>(dy.data(), n), Vec<const uint8_t>(mask.data(), n), 0.4f,
                                 Vec<float>(dx.data(), n));
    cuda::dropout_backward(Vec<const float>(dyd.data(), n), Vec<const uint8_t>(md.data(), n), 0.4f, dxd.vec(),
                           ctx.exec());
    EXPECT_TRUE(allclose(dxd.download(), dx, test::kTolMap, "dx"));
    EXPECT_TRUE(dxd.guards_intact());
  }
}

TEST(CudaVsRef_fill_uniform, ExactValues) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (int64_t n : kLengths) {
    SCOPED_TRACE(test::case_name("fill_uniform", {n}, 300 + n));
    std::vector<float> x(n);
    ref::fill_uniform<float>(Vec<float>(x.data(), n), -0.5f, 1.5f, 300 + n, 8);
    test::DeviceGuarded<float> xd(ctx, n);
    cuda::fill_uniform(xd.vec(), -0.5f, 1.5f, 300 + n, 8, ctx.exec());
    const auto got = xd.download();
    EXPECT_EQ(std::memcmp(got.data(), x.data(), n * sizeof(float)), 0) << "fill differs from the reference";
    EXPECT_TRUE(xd.guards_intact());
  }
}

}  // namespace
}  // namespace lethe
