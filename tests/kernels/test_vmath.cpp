// tests/kernels/test_vmath.cpp — the vectorised exp, tanh and sigmoid (kernels/vmath.h) against
// the scalar functions, which stay the reference: within a few ulp over the whole float range the
// pipeline meets (and at the edges: overflow to inf, underflow to 0, signed zeros), for every
// array length around the vector width (tails), and the same value for an input wherever it sits.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/vmath.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

// Distance in units in the last place between two finite floats of the same sign (or both zero).
int64_t ulp_diff(float a, float b) {
  if (a == b) return 0;
  if (std::isnan(a) || std::isnan(b) || std::signbit(a) != std::signbit(b)) return std::numeric_limits<int64_t>::max();
  int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  return std::abs(static_cast<int64_t>(ia) - static_cast<int64_t>(ib));
}

std::vector<float> inputs(float lo, float hi, int n) {
  std::vector<float> x;
  for (int i = 0; i < n; ++i) x.push_back(lo + (hi - lo) * static_cast<float>(i) / static_cast<float>(n - 1));
  for (float v : {0.f, -0.f, 1e-30f, -1e-30f, 1e-7f, -1e-7f, 0.5f, -0.5f, 20.f, -20.f}) x.push_back(v);
  return x;
}

template <class Fast, class Ref>
void expect_close(const std::vector<float>& x, Fast fast, Ref ref, int64_t max_ulp, const char* what) {
  std::vector<float> y(x.size());
  fast(x.data(), y.data(), static_cast<int64_t>(x.size()));
  int64_t worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const float want = ref(x[i]);
    if (std::isinf(want) || want == 0.f) {
      EXPECT_EQ(y[i], want) << what << "(" << x[i] << ")";
      continue;
    }
    const int64_t d = ulp_diff(y[i], want);
    worst = std::max(worst, d);
    EXPECT_LE(d, max_ulp) << what << "(" << x[i] << ") = " << y[i] << ", scalar " << want;
  }
  ::testing::Test::RecordProperty(std::string(what) + "_worst_ulp", static_cast<int>(worst));
}

TEST(Vmath, ExpWithinFourUlpOfScalar) {
  expect_close(inputs(-103.f, 89.f, 20011), vmath::exp, [](float v) { return std::exp(v); }, 4, "exp");
}

TEST(Vmath, TanhWithinFourUlpOfScalar) {
  expect_close(inputs(-12.f, 12.f, 20011), vmath::tanh, [](float v) { return std::tanh(v); }, 4, "tanh");
}

TEST(Vmath, SigmoidWithinFourUlpOfTheStableScalarForm) {
  const auto ref = [](float v) {
    if (v >= 0.f) return 1.f / (1.f + std::exp(-v));
    const float e = std::exp(v);
    return e / (1.f + e);
  };
  expect_close(inputs(-90.f, 40.f, 20011), vmath::sigmoid, ref, 4, "sigmoid");
}

// Tails: every length up to three vector widths, and a value's result does not depend on its
// position in the array (lane-wise functions, masked tails).
TEST(Vmath, TailsAndPositionIndependence) {
  const float probe = 0.3183f;
  std::vector<float> one(1, probe), y1(1);
  vmath::exp(one.data(), y1.data(), 1);
  for (int64_t n = 1; n <= 50; ++n) {
    std::vector<float> x(static_cast<size_t>(n), probe), y(static_cast<size_t>(n) + 1, -7.f);
    vmath::exp(x.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[static_cast<size_t>(i)], y1[0]) << "n " << n << " i " << i;
    EXPECT_EQ(y[static_cast<size_t>(n)], -7.f) << "write past the end, n " << n;
    vmath::tanh(x.data(), x.data(), n);  // in place
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(x[static_cast<size_t>(i)], x[0]);
  }
  EXPECT_NE(std::string(vmath::implementation()), "");
}

// max is exact; sum_f64 follows its documented order exactly (eight running sums by j mod 8,
// combined pairwise), whatever the length.
TEST(Vmath, MaxAndOrderedDoubleSum) {
  for (int64_t n : {int64_t(1), int64_t(7), int64_t(8), int64_t(9), int64_t(100), int64_t(2048), int64_t(2053)}) {
    const auto x = test::random_vec<float>(n, static_cast<uint64_t>(n), -50, 50);
    EXPECT_EQ(vmath::max(x.data(), n), *std::max_element(x.begin(), x.end())) << n;
    double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t j = 0; j < n; ++j) s[j % 8] += static_cast<double>(x[static_cast<size_t>(j)]);
    const double want = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    EXPECT_EQ(vmath::sum_f64(x.data(), n), want) << n;
  }
}

// exp_shifted_sum (InfoNCE's row softmax in one pass) gives the bits of subtract, exp, sum_f64,
// for lengths with and without a partial vector or a partial group of eight.
TEST(Vmath, ExpShiftedSumEqualsThreePassesBitForBit) {
  for (int64_t n : {int64_t(1), int64_t(5), int64_t(8), int64_t(13), int64_t(16), int64_t(24), int64_t(31),
                    int64_t(2048), int64_t(2053)}) {
    const auto x = test::random_vec<float>(n, static_cast<uint64_t>(n) + 11, -9, 3);
    const float shift = vmath::max(x.data(), n);
    std::vector<float> a = x, b = x;
    for (auto& v : a) v -= shift;
    vmath::exp(a.data(), a.data(), n);
    const double want = vmath::sum_f64(a.data(), n);
    const double got = vmath::exp_shifted_sum(b.data(), shift, n);
    EXPECT_EQ(0, std::memcmp(&want, &got, sizeof want)) << n << ": sum " << got << ", three passes " << want;
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float))) << n << ": the exponentials";
  }
}

}  // namespace
}  // namespace lethe
