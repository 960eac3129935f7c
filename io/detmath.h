// io/detmath.h — exp and log built from IEEE-754 +, −, ×, ÷ and exact bit manipulation only, so
// that their results are the same bits on every machine and with every libm. The synthetic
// generator (io/synth.cpp) uses them instead of std::exp/std::log because libm implementations
// differ in their last bit between versions and between CPU-specific code paths (e.g. glibc's
// FMA variants), and a generated data set must be identical everywhere for a given seed.
// This holds as long as the compiler does not contract a*b+c into an FMA: the project compiles
// in ISO C++ mode (-std=c++17, no GNU extensions), where GCC's default is -ffp-contract=off,
// and the baseline x86-64 target has no FMA instruction anyway. Vectorising a loop over these
// functions does not change results (every lane does the same IEEE operations).
// Accuracy (tests/io/test_synth.cpp checks against libm): exp and log within a few ulp in
// double; expf_nonpos within 2e-7 relative.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>

namespace lethe::io::detmath {

// ln 2 split so that k·kLn2Hi is exact for |k| < 2^11 (Cody–Waite reduction).
constexpr double kLn2Hi = 6.93147180369123816490e-01;
constexpr double kLn2Lo = 1.90821492927058770002e-10;
constexpr double kInvLn2 = 1.44269504088896338700e+00;

// e^x for x in [-708, 709] (no checks: the caller guarantees the range). Branch-free so that a
// loop over it vectorises. Round-to-nearest k = x/ln2 by the 1.5·2^52 shifter (exact in IEEE
// double for |x/ln2| < 2^51), r = x − k·ln2 in [−ln2/2, ln2/2], e^r by its Taylor series to
// degree 13 (truncation error r^14/14! < 1e-17), 2^k assembled from exponent bits.
inline double exp_core(double x) {
  const double shifter = 6755399441055744.0;  // 1.5·2^52
  const double t = x * kInvLn2 + shifter;
  uint64_t tb;
  std::memcpy(&tb, &t, 8);
  const double kd = t - shifter;
  const double r = (x - kd * kLn2Hi) - kd * kLn2Lo;
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const uint64_t sb = (tb - 0x4338000000000000ull + 1023ull) << 52;  // bits of 2^k
  double s;
  std::memcpy(&s, &sb, 8);
  return p * s;
}

// e^x for any double: NaN stays NaN, overflow gives +inf, x < −708 gives 0.
inline double exp(double x) {
  if (!(x == x)) return x;
  if (x > 709.0) return std::numeric_limits<double>::infinity();
  if (x < -708.0) return 0.0;
  return exp_core(x);
}

// e^x in float for x <= 0, branch-free (vectorises): x below −87 is clamped to −87 (result
// ≈ 1.6e-38 instead of a subnormal or 0). The clamp compares the bit patterns as unsigned
// integers (for x <= 0 a larger pattern is a more negative number), which, unlike a float
// comparison, GCC if-converts without -fno-trapping-math. Degree-7 Taylor series after the
// same reduction as exp_core: relative error < 2e-7.
inline float expf_nonpos(float x) {
  uint32_t xb;
  std::memcpy(&xb, &x, 4);
  xb = xb > 0xC2AE0000u ? 0xC2AE0000u : xb;  // 0xC2AE0000 = −87.0f
  std::memcpy(&x, &xb, 4);
  const float shifter = 12582912.0f;  // 1.5·2^23
  const float t = x * 1.44269504f + shifter;
  uint32_t tb;
  std::memcpy(&tb, &t, 4);
  const float kd = t - shifter;
  const float r = (x - kd * 0.693145751953125f) - kd * 1.428606765330187e-06f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const uint32_t sb = (tb - 0x4B400000u + 127u) << 23;  // bits of 2^k
  float s;
  std::memcpy(&s, &sb, 4);
  return p * s;
}

// Natural logarithm of any double (0 → −inf, negative or NaN → NaN, +inf → +inf).
// x = m·2^e with m in [√½, √2) taken from the bits (subnormals scaled up by 2^54 first);
// log m = 2·atanh(f), f = (m−1)/(m+1), |f| <= 0.1716, by its series in s = f² to s^11 (error
// below f·s^12/25 < 1e-20); result e·ln2 + log m with ln2 split in two.
inline double log(double x) {
  if (!(x > 0.0)) return x == 0.0 ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  if (x == std::numeric_limits<double>::infinity()) return x;
  int e = 0;
  if (x < 2.2250738585072014e-308) {  // subnormal: scale into the normal range (exact)
    x *= 18014398509481984.0;         // 2^54
    e = -54;
  }
  uint64_t b;
  std::memcpy(&b, &x, 8);
  e += static_cast<int>((b >> 52) & 0x7FF) - 1023;
  b = (b & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull;  // m in [1, 2)
  double m;
  std::memcpy(&m, &b, 8);
  if (m > 1.41421356237309504880) { m *= 0.5; ++e; }  // m in [√½, √2)
  const double f = (m - 1.0) / (m + 1.0), s = f * f;
  double p = 1.0 / 23.0;
  p = p * s + 1.0 / 21.0;
  p = p * s + 1.0 / 19.0;
  p = p * s + 1.0 / 17.0;
  p = p * s + 1.0 / 15.0;
  p = p * s + 1.0 / 13.0;
  p = p * s + 1.0 / 11.0;
  p = p * s + 1.0 / 9.0;
  p = p * s + 1.0 / 7.0;
  p = p * s + 1.0 / 5.0;
  p = p * s + 1.0 / 3.0;
  const double logm = 2.0 * f + 2.0 * f * s * p;
  const double ed = static_cast<double>(e);
  return ed * kLn2Hi + (logm + ed * kLn2Lo);
}

}  // namespace lethe::io::detmath
