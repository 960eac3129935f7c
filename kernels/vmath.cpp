// kernels/vmath.cpp — see vmath.h.
#include "kernels/vmath.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu_simd.h"

#if LETHE_HAVE_AVX512_PATH && LETHE_WITH_LIBMVEC
#define LETHE_VMATH_MVEC 1
extern "C" {
__m512 _ZGVeN16v_expf(__m512);
__m512 _ZGVeN16v_tanhf(__m512);
__m256 _ZGVdN8v_expf(__m256);
__m256 _ZGVdN8v_tanhf(__m256);
}
#else
#define LETHE_VMATH_MVEC 0
#endif

namespace lethe::vmath {

namespace {

enum class Impl { Scalar, Avx2, Avx512 };

Impl impl() {
#if LETHE_VMATH_MVEC
  static const Impl i = cpu::avx512_available()                                                   ? Impl::Avx512
                        : (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? Impl::Avx2
                                                                                                : Impl::Scalar;
  return i;
#else
  return Impl::Scalar;
#endif
}

#if LETHE_VMATH_MVEC
template <__m512 (*F)(__m512)>
LETHE_TARGET_AVX512 void map512(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, F(_mm512_loadu_ps(x + i)));
  if (i < n) {  // the tail: masked lanes (zeros in, nothing out)
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(y + i, m, F(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

template <__m256 (*F)(__m256)>
__attribute__((target("arch=x86-64-v3"))) void map256(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, F(_mm256_loadu_ps(x + i)));
  if (i < n) {
    alignas(32) float buf[8] = {};
    std::copy(x + i, x + n, buf);
    _mm256_store_ps(buf, F(_mm256_load_ps(buf)));
    std::copy(buf, buf + (n - i), y + i);
  }
}
#endif

}  // namespace

void exp(const float* x, float* y, int64_t n) {
#if LETHE_VMATH_MVEC
  if (impl() == Impl::Avx512) return map512<_ZGVeN16v_expf>(x, y, n);
  if (impl() == Impl::Avx2) return map256<_ZGVdN8v_expf>(x, y, n);
#endif
  for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
}

void tanh(const float* x, float* y, int64_t n) {
#if LETHE_VMATH_MVEC
  if (impl() == Impl::Avx512) return map512<_ZGVeN16v_tanhf>(x, y, n);
  if (impl() == Impl::Avx2) return map256<_ZGVdN8v_tanhf>(x, y, n);
#endif
  for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}

#if LETHE_VMATH_MVEC
namespace {
// The stable form lane by lane: e = e^{−|x|}; x ≥ 0: 1/(1+e), else e/(1+e).
LETHE_TARGET_AVX512 __m512 sigmoid16(__m512 x) {
  const __m512 e = _ZGVeN16v_expf(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_abs_ps(x)));
  const __m512 d = _mm512_add_ps(_mm512_set1_ps(1.f), e);
  const __mmask16 pos = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ);
  return _mm512_mask_blend_ps(pos, _mm512_div_ps(e, d), _mm512_div_ps(_mm512_set1_ps(1.f), d));
}
}  // namespace
#endif

void sigmoid(const float* x, float* y, int64_t n) {
#if LETHE_VMATH_MVEC
  if (impl() == Impl::Avx512) return map512<sigmoid16>(x, y, n);
#endif
  constexpr int64_t kChunk = 1024;  // e^{-|x|} of a chunk in an L1-resident buffer
  float e[kChunk];
  for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
    const int64_t m = std::min(kChunk, n - c0);
    for (int64_t i = 0; i < m; ++i) e[i] = -std::fabs(x[c0 + i]);
    exp(e, e, m);
    for (int64_t i = 0; i < m; ++i) {
      const float v = e[i];
      y[c0 + i] = x[c0 + i] >= 0.f ? 1.f / (1.f + v) : v / (1.f + v);
    }
  }
}

float max(const float* x, int64_t n) {
  float m[8];
  const int64_t k = std::min<int64_t>(n, 8);
  for (int64_t i = 0; i < 8; ++i) m[i] = x[i < k ? i : 0];
  int64_t i = 8;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) m[l] = std::max(m[l], x[i + l]);  // vectorises: 8 independent lanes
  for (; i < n; ++i) m[0] = std::max(m[0], x[i]);
  float r = m[0];
  for (int l = 1; l < 8; ++l) r = std::max(r, m[l]);
  return r;
}

double sum_f64(const float* x, int64_t n) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) s[l] += static_cast<double>(x[i + l]);
  for (int l = 0; i < n; ++i, ++l) s[l] += static_cast<double>(x[i]);
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

#if LETHE_VMATH_MVEC
namespace {
// The AVX-512 pass: 16 elements a vector; its low and high halves are added, in that order, to
// the eight double sums, so sum l receives x[j + l] before x[j + 8 + l] — sum_f64's order.
LETHE_TARGET_AVX512 double exp_shifted_sum_512(float* x, float shift, int64_t n) {
  const __m512 sh = _mm512_set1_ps(shift);
  __m512d acc = _mm512_setzero_pd();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 e = _ZGVeN16v_expf(_mm512_sub_ps(_mm512_loadu_ps(x + i), sh));
    _mm512_storeu_ps(x + i, e);
    // (The masked forms with an all-ones mask: the unmasked ones read an undefined source that
    // GCC 12 warns about.)
    const __m512d z = _mm512_setzero_pd();
    acc = _mm512_add_pd(acc, _mm512_mask_cvtps_pd(z, 0xFF, _mm512_mask_extractf32x8_ps(_mm256_setzero_ps(), 0xFF, e, 0)));
    acc = _mm512_add_pd(acc, _mm512_mask_cvtps_pd(z, 0xFF, _mm512_mask_extractf32x8_ps(_mm256_setzero_ps(), 0xFF, e, 1)));
  }
  alignas(64) double s[8];
  _mm512_store_pd(s, acc);
  if (i < n) {  // the tail: masked lanes; element i + t goes to sum t mod 8, in increasing t
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
    alignas(64) float e[16];
    _mm512_store_ps(e, _ZGVeN16v_expf(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), sh)));
    _mm512_mask_storeu_ps(x + i, m, _mm512_load_ps(e));
    for (int64_t t = 0; t < n - i; ++t) s[t % 8] += static_cast<double>(e[t]);
  }
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}
}  // namespace
#endif

double exp_shifted_sum(float* x, float shift, int64_t n) {
#if LETHE_VMATH_MVEC
  if (impl() == Impl::Avx512) return exp_shifted_sum_512(x, shift, n);
#endif
  for (int64_t j = 0; j < n; ++j) x[j] -= shift;
  exp(x, x, n);
  return sum_f64(x, n);
}

const char* implementation() {
  switch (impl()) {
    case Impl::Avx512: return "libmvec AVX-512";
    case Impl::Avx2: return "libmvec AVX2";
    default: return "scalar";
  }
}

}  // namespace lethe::vmath
