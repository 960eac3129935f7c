// tests/kernels/test_step.cpp — step family (the training step's state, kernels/step.h):
// step_begin takes the next step, advances Adam's count, computes Adam's factors bit for bit as
// adam_step computes them from an AdamHp, and copies the step's rows (the last, shorter batch
// too); a row past the epoch's arrays is refused; accumulate_losses sums the terms in double,
// skips absent ones and keeps the FIRST non-finite step. Then CUDA against the reference:
// factors to double rounding (device pow), rows and sums exactly.
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/step.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

std::vector<int32_t> iota(int64_t n, int32_t start) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = start + static_cast<int32_t>(i);
  return v;
}

TEST(StepRef, StepBeginAdvancesTheStateAndCopiesTheStepsRows) {
  const int64_t n = 10, batch = 4;
  const auto au = iota(n, 100), ai = iota(n, 500);
  StepState st;
  st.epoch = 3;
  st.adam_t = 7;
  st.lr = 0.01;
  std::vector<int32_t> u(batch), it(batch);
  for (uint32_t s = 0; s < 3; ++s) {
    const int64_t count = std::min<int64_t>(batch, n - s * batch);  // 4, 4, then the last 2
    test::Guarded<int32_t> ug(count), ig(count);
    ref::step_begin(&st, 0.9, 0.999, Vec<const int32_t>(au.data(), n), Vec<const int32_t>(ai.data(), n), batch,
                    ug.vec(), ig.vec());
    EXPECT_EQ(st.step, s);
    EXPECT_EQ(st.next_step, s + 1);
    EXPECT_EQ(st.adam_t, 8 + static_cast<int64_t>(s));
    EXPECT_EQ(st.epoch, 3u);
    for (int64_t i = 0; i < count; ++i) {
      EXPECT_EQ(ug.data()[i], 100 + s * batch + i);
      EXPECT_EQ(ig.data()[i], 500 + s * batch + i);
    }
    EXPECT_TRUE(ug.guards_intact() && ig.guards_intact());
    // Adam's factors exactly as adam_step derives them from (lr, t).
    const double t = static_cast<double>(st.adam_t);
    EXPECT_EQ(st.step_size, 0.01 / (1.0 - std::pow(0.9, t)));
    EXPECT_EQ(st.bc2_sqrt, std::sqrt(1.0 - std::pow(0.999, t)));
  }
  // A fourth step would read past the 10 rows.
  std::vector<int32_t> u2(4), i2(4);
  EXPECT_THROW(ref::step_begin(&st, 0.9, 0.999, Vec<const int32_t>(au.data(), n), Vec<const int32_t>(ai.data(), n),
                               batch, Vec<int32_t>(u2.data(), 4), Vec<int32_t>(i2.data(), 4)),
               Error);
}

TEST(StepRef, StepBeginRejectsBadArguments) {
  StepState st;
  std::vector<int32_t> a(8), b(8), u(4), i(3);
  const Vec<const int32_t> av(a.data(), 8), bv(b.data(), 8);
  EXPECT_THROW(ref::step_begin(nullptr, 0.9, 0.999, av, bv, 4, Vec<int32_t>(u.data(), 4), Vec<int32_t>(u.data(), 4)),
               Error);
  EXPECT_THROW(ref::step_begin(&st, 1.0, 0.999, av, bv, 4, Vec<int32_t>(u.data(), 4), Vec<int32_t>(u.data(), 4)),
               Error);  // β1 = 1
  EXPECT_THROW(ref::step_begin(&st, 0.9, 0.999, av, bv, 4, Vec<int32_t>(u.data(), 4), Vec<int32_t>(i.data(), 3)),
               Error);  // buffers of different lengths
  EXPECT_THROW(ref::step_begin(&st, 0.9, 0.999, av, bv, 2, Vec<int32_t>(u.data(), 4), Vec<int32_t>(u.data(), 4)),
               Error);  // more rows than the batch size
  EXPECT_THROW(ref::step_begin(&st, 0.9, 0.999, av, Vec<const int32_t>(b.data(), 7), 4, Vec<int32_t>(u.data(), 4),
                               Vec<int32_t>(u.data(), 4)),
               Error);  // epoch arrays of different lengths
}

TEST(StepRef, AccumulateLossesSumsAndKeepsTheFirstBadStep) {
  StepState st;
  const float t1 = 1.5f, r1 = 1.0f, g1 = 0.25f;
  st.step = 0;
  ref::accumulate_losses<float>(&st, &t1, &r1, &g1, nullptr);
  EXPECT_EQ(st.loss[0], 1.5);
  EXPECT_EQ(st.loss[1], 1.0);
  EXPECT_EQ(st.loss[2], 0.25);
  EXPECT_EQ(st.loss[3], 0.0);  // no aux term
  EXPECT_EQ(st.bad_step, -1);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  st.step = 5;
  ref::accumulate_losses<float>(&st, &nan, &r1, &g1, nullptr);
  EXPECT_EQ(st.bad_step, 5);
  st.step = 6;
  ref::accumulate_losses<float>(&st, &inf, &r1, &g1, nullptr);
  EXPECT_EQ(st.bad_step, 5) << "the first bad step is kept";
  EXPECT_EQ(st.steps, 3);
  EXPECT_TRUE(std::isnan(st.loss[0]));
  EXPECT_THROW(ref::accumulate_losses<float>(&st, nullptr, &r1, nullptr, nullptr), Error);
  const double d = 0.125;
  StepState sd;
  ref::accumulate_losses<double>(&sd, &d, nullptr, nullptr, &d);
  EXPECT_EQ(sd.loss[0], 0.125);
  EXPECT_EQ(sd.loss[3], 0.125);
}

// ---- CUDA vs reference ----------------------------------------------------------------------
template <class T>
std::vector<T> one(const T& v) {
  return std::vector<T>{v};
}

TEST(CudaVsRef_step_begin, StepsRowsAndFactors) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (auto [n, batch] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {10, 4}, {5000, 2048}, {118551, 2048}}) {
    SCOPED_TRACE(test::case_name("step_begin", {n, batch}, 3));
    const auto au = test::random_idx(n, 19445, 3 + n), ai = test::random_idx(n, 7050, 4 + n);
    StepState host;
    host.epoch = 2;
    host.adam_t = 100;
    host.lr = 1e-3;
    test::DeviceGuarded<int32_t> aud(ctx, au), aid(ctx, ai);
    test::DeviceGuarded<StepState> std_(ctx, one(host));
    const int64_t nb = (n + batch - 1) / batch;
    for (int64_t s = 0; s < nb; ++s) {
      const int64_t count = std::min(batch, n - s * batch);
      std::vector<int32_t> ur(static_cast<size_t>(count)), ir(static_cast<size_t>(count));
      ref::step_begin(&host, 0.9, 0.999, Vec<const int32_t>(au.data(), n), Vec<const int32_t>(ai.data(), n), batch,
                      Vec<int32_t>(ur.data(), count), Vec<int32_t>(ir.data(), count));
      test::DeviceGuarded<int32_t> ud(ctx, count), id(ctx, count);
      cuda::step_begin(std_.data(), 0.9, 0.999, Vec<const int32_t>(aud.data(), n), Vec<const int32_t>(aid.data(), n),
                       batch, ud.vec(), id.vec(), ctx.exec());
      EXPECT_EQ(ud.download(), ur);
      EXPECT_EQ(id.download(), ir);
      EXPECT_TRUE(ud.guards_intact() && id.guards_intact());
      const StepState got = std_.download()[0];
      EXPECT_EQ(got.step, host.step);
      EXPECT_EQ(got.next_step, host.next_step);
      EXPECT_EQ(got.adam_t, host.adam_t);
      // CUDA's double pow is within an ulp or two of glibc's; Adam rounds the factors to float.
      EXPECT_NEAR(got.step_size, host.step_size, 1e-14 * host.step_size);
      EXPECT_NEAR(got.bc2_sqrt, host.bc2_sqrt, 1e-14 * host.bc2_sqrt);
      EXPECT_EQ(static_cast<float>(got.step_size), static_cast<float>(host.step_size));
    }
    EXPECT_TRUE(std_.guards_intact());
  }
}

TEST(CudaVsRef_accumulate_losses, SumsAndFirstBadStep) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  StepState host;
  test::DeviceGuarded<StepState> sd(ctx, one(host));
  const std::vector<std::vector<float>> terms = {
      {0.7f, 0.5f, 0.1f, 0.1f}, {0.6f, 0.45f, 0.1f, 0.05f}, {std::nanf(""), 0.4f, 0.1f, 0.0f}, {0.5f, 0.4f, 0.05f, 0.05f}};
  for (size_t s = 0; s < terms.size(); ++s) {
    SCOPED_TRACE(s);
    host.step = static_cast<uint32_t>(s);
    StepState dev_state = sd.download()[0];
    dev_state.step = host.step;  // as step_begin would set it
    sd.upload(one(dev_state));
    test::DeviceGuarded<float> t(ctx, terms[s]);
    const bool with_aux = s % 2 == 0;
    ref::accumulate_losses<float>(&host, &terms[s][0], &terms[s][1], &terms[s][2], with_aux ? &terms[s][3] : nullptr);
    cuda::accumulate_losses(sd.data(), t.data(), t.data() + 1, t.data() + 2, with_aux ? t.data() + 3 : nullptr,
                            ctx.exec());
  }
  const StepState got = sd.download()[0];
  EXPECT_EQ(got.bad_step, 2);
  EXPECT_EQ(got.steps, 4);
  for (int k = 1; k < 4; ++k) EXPECT_EQ(got.loss[k], host.loss[k]) << k;  // same additions in double
  EXPECT_TRUE(std::isnan(got.loss[0]));
  EXPECT_TRUE(sd.guards_intact());
}

}  // namespace
}  // namespace lethe
