// tests/kernels/test_gather.cpp — gather family: the scatter-add backward against finite
// differences of the gather (repeated indices, accumulating into a non-zero gradient); the CPU
// reference's index checks, summation order and thread-count independence; and CUDA against
// the reference — bit-exact, since both do the same float additions in the same order — for
// n = 1, repeated indices, rows never hit, widths not a multiple of anything.
#include <omp.h>

#include <cstring>

#include "kernels/gather.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

using test::allclose;
using test::Guarded;
using test::random_idx;
using test::random_vec;

// ---- finite differences (double) ------------------------------------------------------------
TEST(FiniteDiff_gather, ScatterAddIsTheGatherGradient) {
  const int64_t R = 7, d = 3;
  const std::vector<int32_t> idx = {2, 5, 2, 0, 2, 6, 5};  // repeats; rows 1, 3, 4 never hit
  const int64_t n = static_cast<int64_t>(idx.size());
  auto table = random_vec<double>(R * d, 91);
  const auto W = random_vec<double>(n * d, 92);
  std::vector<double> out(n * d);
  auto f = [&] {
    ref::gather_rows<double>(Mat<const double>(table.data(), R, d), Vec<const int32_t>(idx.data(), n),
                             Mat<double>(out.data(), n, d));
    return test::project(out, W);
  };
  const auto ft = test::fd_gradient(f, table);
  std::vector<double> dt(R * d, 0.25);  // accumulates
  ref::scatter_add_rows<double>(Mat<const double>(W.data(), n, d), Vec<const int32_t>(idx.data(), n),
                                Mat<double>(dt.data(), R, d));
  for (auto& v : dt) v -= 0.25;
  EXPECT_TRUE(allclose(dt, ft, test::kTolFd, "dtable"));
}

// ---- CPU reference --------------------------------------------------------------------------
TEST(Ref_gather, OutOfRangeIndicesThrow) {
  std::vector<float> table(4 * 2), out(2 * 2);
  for (std::vector<int32_t> idx : {std::vector<int32_t>{0, 4}, std::vector<int32_t>{-1, 0}}) {
    EXPECT_THROW(ref::gather_rows<float>(Mat<const float>(table.data(), 4, 2), Vec<const int32_t>(idx.data(), 2),
                                         Mat<float>(out.data(), 2, 2)),
                 Error);
    EXPECT_THROW(ref::scatter_add_rows<float>(Mat<const float>(out.data(), 2, 2), Vec<const int32_t>(idx.data(), 2),
                                              Mat<float>(table.data(), 4, 2)),
                 Error);
  }
  std::vector<int32_t> idx = {0, 1, 2};
  EXPECT_THROW(ref::gather_rows<float>(Mat<const float>(table.data(), 4, 2), Vec<const int32_t>(idx.data(), 3),
                                       Mat<float>(out.data(), 2, 2)),
               Error);  // out has 2 rows for 3 indices
}

// The documented order: s = 0; s += dout[k] for increasing k; dtable[r] += s.
std::vector<float> scatter_in_documented_order(const std::vector<float>& dout, const std::vector<int32_t>& idx,
                                               std::vector<float> dtable, int64_t d) {
  const int64_t R = static_cast<int64_t>(dtable.size()) / d;
  for (int64_t r = 0; r < R; ++r)
    for (int64_t c = 0; c < d; ++c) {
      float s = 0.f;
      bool hit = false;
      for (size_t k = 0; k < idx.size(); ++k)
        if (idx[k] == r) { s += dout[k * d + c]; hit = true; }
      if (hit) dtable[r * d + c] += s;
    }
  return dtable;
}

TEST(Ref_gather, ScatterAddFollowsTheDocumentedOrderExactly) {
  const int64_t R = 50, d = 5, n = 400;  // ~8 hits per row, some rows never hit (range 45)
  const auto idx = random_idx(n, 45, 93);
  const auto dout = random_vec<float>(n * d, 94, -100, 100);
  const auto dt0 = random_vec<float>(R * d, 95);
  Guarded<float> dt(dt0);
  ref::scatter_add_rows<float>(Mat<const float>(dout.data(), n, d), Vec<const int32_t>(idx.data(), n), dt.mat(R, d));
  const auto want = scatter_in_documented_order(dout, idx, dt0, d);
  EXPECT_TRUE(allclose(dt.get(), want, test::Tol{0, 0}, "dtable (bit-exact)"));
  EXPECT_TRUE(dt.guards_intact());
  for (int64_t r = 45; r < R; ++r)
    for (int64_t c = 0; c < d; ++c) EXPECT_EQ(dt.get()[r * d + c], dt0[r * d + c]) << "row never hit changed";
}

TEST(Ref_gather, ResultsDoNotDependOnThreadCount) {
  const int64_t R = 19445, d = 64, n = 20000;
  const auto idx = random_idx(n, 3000, 96);  // heavy repetition
  const auto dout = random_vec<float>(n * d, 97);
  const int keep = omp_get_max_threads();
  std::vector<std::vector<float>> out;
  for (int t : {1, 2, 3}) {
    omp_set_num_threads(t);
    std::vector<float> dt(R * d, 0.5f);
    ref::scatter_add_rows<float>(Mat<const float>(dout.data(), n, d), Vec<const int32_t>(idx.data(), n),
                                 Mat<float>(dt.data(), R, d));
    out.push_back(dt);
  }
  omp_set_num_threads(keep);
  for (size_t i = 1; i < out.size(); ++i)
    EXPECT_EQ(0, std::memcmp(out[0].data(), out[i].data(), out[0].size() * sizeof(float)));
}

TEST(Ref_gather, GatherCopiesRows) {
  const int64_t R = 6, d = 3;
  const auto table = random_vec<float>(R * d, 98);
  const std::vector<int32_t> idx = {5, 0, 5};
  Guarded<float> out(3 * d);
  ref::gather_rows<float>(Mat<const float>(table.data(), R, d), Vec<const int32_t>(idx.data(), 3), out.mat(3, d));
  const auto o = out.get();
  for (int64_t k = 0; k < 3; ++k)
    for (int64_t c = 0; c < d; ++c) EXPECT_EQ(o[k * d + c], table[idx[k] * d + c]);
  EXPECT_TRUE(out.guards_intact());
}

// ---- CUDA vs reference ----------------------------------------------------------------------
struct GatherCase {
  int64_t R, n, d;
  int32_t range;  // indices drawn from [0, range): range < R leaves rows never hit
};
const std::vector<GatherCase> kGatherCases = {
    {1, 1, 1, 1}, {7, 1, 64, 7}, {10, 100, 3, 4}, {300, 257, 65, 250}, {19445, 2048, 64, 19445}, {19445, 2048, 64, 50},
};

TEST(CudaVsRef_gather_rows, Cases) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  uint64_t seed = 700;
  for (const auto& c : kGatherCases) {
    ++seed;
    SCOPED_TRACE(test::case_name("gather_rows", {c.R, c.n, c.d, c.range}, seed));
    const auto table = random_vec<float>(c.R * c.d, seed);
    const auto idx = random_idx(c.n, c.range, seed + 1);
    std::vector<float> out(c.n * c.d);
    ref::gather_rows<float>(Mat<const float>(table.data(), c.R, c.d), Vec<const int32_t>(idx.data(), c.n),
                            Mat<float>(out.data(), c.n, c.d));
    test::DeviceGuarded<float> td(ctx, table), od(ctx, c.n * c.d);
    test::DeviceGuarded<int32_t> id(ctx, idx);
    cuda::gather_rows(Mat<const float>(td.data(), c.R, c.d), Vec<const int32_t>(id.data(), c.n), od.mat(c.n, c.d),
                      ctx.exec());
    EXPECT_TRUE(allclose(od.download(), out, test::Tol{0, 0}, "out (a copy: exact)"));
    EXPECT_TRUE(od.guards_intact());
  }
}

TEST(CudaVsRef_scatter_add_rows, CasesBitExact) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  uint64_t seed = 800;
  for (const auto& c : kGatherCases) {
    ++seed;
    SCOPED_TRACE(test::case_name("scatter_add_rows", {c.R, c.n, c.d, c.range}, seed));
    const auto dout = random_vec<float>(c.n * c.d, seed, -10, 10);
    const auto idx = random_idx(c.n, c.range, seed + 1);
    const auto dt0 = random_vec<float>(c.R * c.d, seed + 2);  // accumulates into non-zero values
    std::vector<float> dt = dt0;
    ref::scatter_add_rows<float>(Mat<const float>(dout.data(), c.n, c.d), Vec<const int32_t>(idx.data(), c.n),
                                 Mat<float>(dt.data(), c.R, c.d));
    test::DeviceGuarded<float> dd(ctx, dout), tdd(ctx, dt0);
    test::DeviceGuarded<int32_t> id(ctx, idx);
    cuda::scatter_add_rows(Mat<const float>(dd.data(), c.n, c.d), Vec<const int32_t>(id.data(), c.n),
                           tdd.mat(c.R, c.d), ctx.exec());
    ctx.sync();
    // Same additions in the same order as the CPU (see kernels/gather.h): bit-exact.
    const auto got = tdd.download();
    EXPECT_TRUE(allclose(got, dt, test::Tol{0, 0}, "dtable"));
    EXPECT_TRUE(tdd.guards_intact());
    // Run-to-run: the same bits again.
    tdd.upload(dt0);
    cuda::scatter_add_rows(Mat<const float>(dd.data(), c.n, c.d), Vec<const int32_t>(id.data(), c.n),
                           tdd.mat(c.R, c.d), ctx.exec());
    ctx.sync();
    EXPECT_EQ(0, std::memcmp(got.data(), tdd.download().data(), got.size() * sizeof(float)));
    ctx.arena().reset();
  }
}

}  // namespace
}  // namespace lethe
