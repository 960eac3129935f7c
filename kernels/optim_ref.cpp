// kernels/optim_ref.cpp — CPU reference for kernels/optim.h (the spec): Adam, SGD and TRU's
// gradient combination over the flat parameter slab, with the optional 0/1 mask and per-segment
// gradient scale.
//
// Conventions fixed here (the CUDA version implements exactly the same):
//  * Segments: element e takes scale[s] when offsets[s] ≤ e < offsets[s+1]. Offsets must be
//    non-decreasing with 0 ≤ offsets[0] and offsets[nseg] ≤ n; elements outside
//    [offsets[0], offsets[nseg]) take scale 1 (normally the segments cover the slab exactly).
//    The reference walks the slab piece by piece (one loop per segment).
//  * Adam, as torch.optim.Adam (amsgrad off): g' = scale·g (+ wd·p when wd ≠ 0 — the segment
//    scale acts on the loss gradient, weight decay is the optimizer's own term);
//    m = β1·m + (1−β1)·g';  v = β2·v + (1−β2)·g'²;
//    p −= (lr / bc1) · m / (sqrt(v) / sqrt(bc2) + eps),  bc_k = 1 − β_k^t  (computed in double
//    on the host, then rounded to T, as torch does with its Python-float step size).
//  * mask[e] == 0: p, m and v are not written at all (bit-identical); any non-zero byte is 1.
//  * grad_combine: out = (mask ? scale·gf : 0) + gr, where a masked-out element gets gr (or 0)
//    without reading gf, so a NaN in a masked-out forget gradient cannot leak into the update.
#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>

#include "kernels/adam_cpu.h"
#include "kernels/cpu_simd.h"
#include "kernels/gemm.h"
#include "kernels/gemm_cpu.h"
#include "kernels/optim.h"
#include "kernels/optim_check.h"
#include "kernels/ref_util.h"
#include "kernels/step.h"

namespace lethe::ref {

namespace {

void check_seg(const SegScale& seg, int64_t n, const char* op) {
  LETHE_CHECK(seg.nseg >= 0, std::string(op) + ": negative segment count");
  if (seg.nseg == 0) return;
  LETHE_CHECK(seg.offsets != nullptr && seg.scale != nullptr,
              std::string(op) + ": SegScale with nseg > 0 needs offsets and scale");
  LETHE_CHECK(seg.offsets[0] >= 0 && seg.offsets[seg.nseg] <= n,
              std::string(op) + ": segment offsets [" + std::to_string(seg.offsets[0]) + ", " +
                  std::to_string(seg.offsets[seg.nseg]) + "] exceed the slab of " + std::to_string(n) + " elements");
  for (int64_t s = 0; s < seg.nseg; ++s)
    if (seg.offsets[s + 1] < seg.offsets[s])
      LETHE_FAIL(std::string(op) + ": segment offsets must be non-decreasing, but offsets[" + std::to_string(s + 1) +
                 "] < offsets[" + std::to_string(s) + "]");
}

// Calls body(lo, hi, scale) for consecutive pieces covering [0, n): the uncovered head and tail
// with scale 1, each segment with its own scale. Each piece runs in parallel when large.
template <class Body>
void for_each_piece(int64_t n, const SegScale& seg, Body&& body) {
  if (seg.nseg == 0) {
    body(int64_t(0), n, 1.0f);
    return;
  }
  body(int64_t(0), seg.offsets[0], 1.0f);
  for (int64_t s = 0; s < seg.nseg; ++s) body(seg.offsets[s], seg.offsets[s + 1], seg.scale[s]);
  body(seg.offsets[seg.nseg], n, 1.0f);
}

template <class F>
void map_range(int64_t lo, int64_t hi, F&& f) {
#pragma omp parallel for schedule(static) if (hi - lo > kOmpMin)
  for (int64_t e = lo; e < hi; ++e) f(e);
}

}  // namespace

// The float update (every training step; with a mask, TRU's layer isolation): the reference's
// arithmetic, operation for operation and never contracted into FMAs, written with AVX-512 or
// AVX2 intrinsics (picked once per process by the CPU's features) — every operation is an IEEE
// single-precision multiply, add, subtract, divide or square root, each lane rounded exactly as
// the scalar loop rounds its element, so the result is bit for bit the scalar loop's
// (tests/kernels/test_optim.cpp compares them); masked-out lanes are never stored. GCC leaves the
// plain loop scalar (std::sqrt keeps errno semantics), which made Adam compute-bound at ~2.5 ns an
// element. Declared in kernels/adam_cpu.h: the GEMM whose epilogue applies Adam (gemm_ref.cpp)
// runs it on its tiles.
namespace {
#if defined(__GNUC__) && !defined(__clang__)
#define LETHE_NO_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define LETHE_NO_CONTRACT
#endif

// The scalar loop: the reference, and the vector paths' remainders. mask: nullptr (every element)
// or one byte an element, 0 = leave p, m and v unwritten.
LETHE_NO_CONTRACT inline void adam_f32_scalar(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
                                              float* __restrict__ v, const uint8_t* mask, int64_t lo, int64_t hi,
                                              float sc, const AdamF32& f) {
  for (int64_t e = lo; e < hi; ++e) {
    if (mask && !mask[e]) continue;
    float gi = g[e] * sc;
    if (f.use_wd) gi += f.wd * p[e];
    const float mi = f.b1 * m[e] + f.omb1 * gi;
    const float vi = f.b2 * v[e] + f.omb2 * gi * gi;
    m[e] = mi;
    v[e] = vi;
    const float denom = std::sqrt(vi) / f.bc2_sqrt + f.eps;
    p[e] -= f.step_size * (mi / denom);
  }
}

#if LETHE_HAVE_AVX512_PATH
// (GCC 12 reports its own _mm512_sqrt_ps as "maybe uninitialized" under an optimize attribute.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// W lanes at a time; the same expression tree as adam_f32_scalar. SELECT sets up the lanes' mask
// (and skips a group with none selected), STORE writes the selected lanes only.
#define LETHE_ADAM_VECTOR_BODY(V, W, PS, SELECT, STORE)                                                 \
  const V vsc = PS(set1)(sc), vwd = PS(set1)(f.wd), vb1 = PS(set1)(f.b1), vomb1 = PS(set1)(f.omb1);   \
  const V vb2 = PS(set1)(f.b2), vomb2 = PS(set1)(f.omb2), vbc2 = PS(set1)(f.bc2_sqrt);               \
  const V veps = PS(set1)(f.eps), vstep = PS(set1)(f.step_size);                                     \
  int64_t e = lo;                                                                                  \
  for (; e + (W) <= hi; e += (W)) {                                                                \
    SELECT                                                                                         \
    V gi = PS(mul)(PS(loadu)(g + e), vsc);                                                         \
    if (f.use_wd) gi = PS(add)(gi, PS(mul)(vwd, PS(loadu)(p + e)));                                \
    const V mi = PS(add)(PS(mul)(vb1, PS(loadu)(m + e)), PS(mul)(vomb1, gi));                      \
    const V vi = PS(add)(PS(mul)(vb2, PS(loadu)(v + e)), PS(mul)(PS(mul)(vomb2, gi), gi));         \
    STORE(m + e, mi);                                                                              \
    STORE(v + e, vi);                                                                              \
    const V denom = PS(add)(PS(div)(PS(sqrt)(vi), vbc2), veps);                                    \
    STORE(p + e, PS(sub)(PS(loadu)(p + e), PS(mul)(vstep, PS(div)(mi, denom))));                  \
  }                                                                                                \
  adam_f32_scalar(p, g, m, v, mask, e, hi, sc, f);
#define LETHE_PS512(op) _mm512_##op##_ps
#define LETHE_PS256(op) _mm256_##op##_ps

template <bool kMasked>
LETHE_TARGET_AVX512 LETHE_NO_CONTRACT void adam_f32_avx512(float* p, const float* g, float* m, float* v,
                                                           const uint8_t* mask, int64_t lo, int64_t hi, float sc,
                                                           const AdamF32& f) {
#define LETHE_SELECT_512                                                                         \
  __mmask16 k = 0xFFFF;                                                                        \
  if (kMasked) {                                                                               \
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(mask + e));             \
    k = _mm_test_epi8_mask(b, b);                                                              \
    if (!k) continue;                                                                          \
  }
#define LETHE_STORE_512(ptr, val) \
  if (kMasked) _mm512_mask_storeu_ps(ptr, k, val); else _mm512_storeu_ps(ptr, val)
  LETHE_ADAM_VECTOR_BODY(__m512, 16, LETHE_PS512, LETHE_SELECT_512, LETHE_STORE_512)
#undef LETHE_SELECT_512
#undef LETHE_STORE_512
}
template <bool kMasked>
__attribute__((target("arch=x86-64-v3"))) LETHE_NO_CONTRACT void adam_f32_avx2(float* p, const float* g, float* m,
                                                                               float* v, const uint8_t* mask,
                                                                               int64_t lo, int64_t hi, float sc,
                                                                               const AdamF32& f) {
#define LETHE_SELECT_256                                                                          \
  __m256i k = _mm256_set1_epi32(-1);                                                            \
  if (kMasked) {                                                                                \
    const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(mask + e));              \
    k = _mm256_cmpgt_epi32(_mm256_cvtepu8_epi32(b), _mm256_setzero_si256());                    \
    if (_mm256_testz_si256(k, k)) continue;                                                     \
  }
#define LETHE_STORE_256(ptr, val) \
  if (kMasked) _mm256_maskstore_ps(ptr, k, val); else _mm256_storeu_ps(ptr, val)
  LETHE_ADAM_VECTOR_BODY(__m256, 8, LETHE_PS256, LETHE_SELECT_256, LETHE_STORE_256)
#undef LETHE_SELECT_256
#undef LETHE_STORE_256
}
#undef LETHE_PS512
#undef LETHE_PS256
#undef LETHE_ADAM_VECTOR_BODY
#pragma GCC diagnostic pop
#endif

// The dispatch without a check: the callers below pass a path this CPU has.
void run_adam_path(AdamPath path, float* p, const float* g, float* m, float* v, const uint8_t* mask, int64_t lo,
                   int64_t hi, float sc, const AdamF32& f) {
#if LETHE_HAVE_AVX512_PATH
  if (path == AdamPath::Avx512)
    return mask ? adam_f32_avx512<true>(p, g, m, v, mask, lo, hi, sc, f)
                : adam_f32_avx512<false>(p, g, m, v, nullptr, lo, hi, sc, f);
  if (path == AdamPath::Avx2)
    return mask ? adam_f32_avx2<true>(p, g, m, v, mask, lo, hi, sc, f)
                : adam_f32_avx2<false>(p, g, m, v, nullptr, lo, hi, sc, f);
#endif
  adam_f32_scalar(p, g, m, v, mask, lo, hi, sc, f);
}

// The widest path this CPU has, decided once per process.
AdamPath best_adam_path() {
  static const AdamPath path = adam_f32_path_available(AdamPath::Avx512) ? AdamPath::Avx512
                               : adam_f32_path_available(AdamPath::Avx2) ? AdamPath::Avx2
                                                                         : AdamPath::Scalar;
  return path;
}
}  // namespace

bool adam_f32_path_available(AdamPath path) {
  switch (path) {
    case AdamPath::Scalar: return true;
#if LETHE_HAVE_AVX512_PATH
    case AdamPath::Avx2:  // compiled for x86-64-v3: AVX2, FMA and BMI2 at least
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2");
    case AdamPath::Avx512: return cpu::avx512_available();
#endif
    default: return false;
  }
}

void adam_f32_range(AdamPath path, float* p, const float* g, float* m, float* v, const uint8_t* mask, int64_t lo,
                    int64_t hi, float sc, const AdamF32& f) {
  LETHE_CHECK(adam_f32_path_available(path), "adam_f32_range: this CPU (or build) has no such vector path");
  run_adam_path(path, p, g, m, v, mask, lo, hi, sc, f);
}

void adam_f32_range(float* p, const float* g, float* m, float* v, int64_t lo, int64_t hi, float sc, const AdamF32& f) {
  run_adam_path(best_adam_path(), p, g, m, v, nullptr, lo, hi, sc, f);
}

void adam_f32_range(float* p, const float* g, float* m, float* v, const uint8_t* mask, int64_t lo, int64_t hi,
                    float sc, const AdamF32& f) {
  run_adam_path(best_adam_path(), p, g, m, v, mask, lo, hi, sc, f);
}

AdamF32 adam_f32_factors(const AdamHp& hp, double step_size, double bc2_sqrt) {
  AdamF32 f;
  f.b1 = static_cast<float>(hp.beta1);
  f.omb1 = static_cast<float>(1.0 - hp.beta1);
  f.b2 = static_cast<float>(hp.beta2);
  f.omb2 = static_cast<float>(1.0 - hp.beta2);
  f.step_size = static_cast<float>(step_size);
  f.bc2_sqrt = static_cast<float>(bc2_sqrt);
  f.eps = static_cast<float>(hp.eps);
  f.wd = static_cast<float>(hp.weight_decay);
  f.use_wd = hp.weight_decay != 0.0;
  return f;
}

namespace {

// Adam over [0, n) with the step's factors step_size = lr / (1 − β1^t) and bc2_sqrt =
// sqrt(1 − β2^t) given in double (rounded to T here, as torch rounds its Python-float step size).
template <class T>
void adam_apply(T* p, const T* g, T* m, T* v, int64_t n, double step_size_d, double bc2_sqrt_d, const AdamHp& hp,
                const uint8_t* mask, SegScale seg) {
  const T b1 = static_cast<T>(hp.beta1), omb1 = static_cast<T>(1.0 - hp.beta1);
  const T b2 = static_cast<T>(hp.beta2), omb2 = static_cast<T>(1.0 - hp.beta2);
  const T step_size = static_cast<T>(step_size_d), bc2_sqrt = static_cast<T>(bc2_sqrt_d);
  const T eps = static_cast<T>(hp.eps), wd = static_cast<T>(hp.weight_decay);
  const bool use_wd = hp.weight_decay != 0.0;
  for_each_piece(n, seg, [&](int64_t lo, int64_t hi, float scale) {
    const T sc = static_cast<T>(scale);
    if constexpr (std::is_same_v<T, float>) {  // fixed chunks, each vectorised (masked or not)
      const AdamF32 f = adam_f32_factors(hp, step_size_d, bc2_sqrt_d);
      constexpr int64_t kChunk = 1 << 14;
      const int64_t nch = (hi - lo + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (hi - lo > kOmpMin)
      for (int64_t c = 0; c < nch; ++c)
        adam_f32_range(p, g, m, v, mask, lo + c * kChunk, std::min(hi, lo + (c + 1) * kChunk), sc, f);
      return;
    }
    map_range(lo, hi, [&](int64_t e) {
      if (mask && !mask[e]) return;
      T gi = g[e] * sc;
      if (use_wd) gi += wd * p[e];
      const T mi = b1 * m[e] + omb1 * gi;
      const T vi = b2 * v[e] + omb2 * gi * gi;
      m[e] = mi;
      v[e] = vi;
      const T denom = std::sqrt(vi) / bc2_sqrt + eps;
      p[e] -= step_size * (mi / denom);
    });
  });
}

}  // namespace

template <class T>
void adam_step(T* p, const T* g, T* m, T* v, int64_t n, const AdamHp& hp, const uint8_t* mask, SegScale seg) {
  detail::check_adam_step(p, g, m, v, n, hp);
  check_seg(seg, n, "adam_step");
  const double bc1 = 1.0 - std::pow(hp.beta1, static_cast<double>(hp.step));
  const double bc2 = 1.0 - std::pow(hp.beta2, static_cast<double>(hp.step));
  adam_apply(p, g, m, v, n, hp.lr / bc1, std::sqrt(bc2), hp, mask, seg);
}

template <class T>
void adam_step_at(T* p, const T* g, T* m, T* v, int64_t n, const StepState* st, const AdamHp& hp) {
  detail::check_adam_step(p, g, m, v, n, hp);
  LETHE_CHECK(st != nullptr, "adam_step_at: no step state");
  LETHE_CHECK(st->adam_t >= 1, "adam_step_at: the step state's Adam count is " + std::to_string(st->adam_t) +
                                   " (step_begin has not run)");
  adam_apply(p, g, m, v, n, st->step_size, st->bc2_sqrt, hp, nullptr, SegScale{});
}

template <class T>
bool gemm_adam_at(Mat<const T> dY, Mat<const T> W, Mat<T> P, Mat<T> M, Mat<T> V, const StepState* st, const AdamHp& hp,
                  Mat<T> G) {
  detail::check_gemm_adam_at(dY, W, P, M, V, st);
  AdamHp h = hp;
  h.step = 1;  // (t comes from the state)
  detail::check_adam_step(P.data, P.data, M.data, V.data, P.size(), h);
  LETHE_CHECK(st->adam_t >= 1, "gemm_adam_at: the step state's Adam count is " + std::to_string(st->adam_t) +
                                   " (step_begin has not run)");
  if constexpr (std::is_same_v<T, float>) {
    if (sgemm_adam(P.rows, P.cols, dY.cols, dY.data, dY.cols, W.data, W.cols, P.data, M.data, V.data,
                   adam_f32_factors(hp, st->step_size, st->bc2_sqrt)))
      return false;
  }
  check_same_shape(G, P, "gemm_adam_at (G)");
  gemm<T>(false, true, P.rows, P.cols, dY.cols, T(1), dY.data, dY.cols, W.data, W.cols, T(0), G.data, G.cols);
  adam_step_at<T>(P.data, G.data, M.data, V.data, P.size(), st, h);
  return true;
}

template <class T>
void sgd_step(T* p, const T* g, int64_t n, double lr, const uint8_t* mask, SegScale seg) {
  detail::check_sgd_step(p, g, n);
  check_seg(seg, n, "sgd_step");
  const T lrt = static_cast<T>(lr);
  for_each_piece(n, seg, [&](int64_t lo, int64_t hi, float scale) {
    const T sc = static_cast<T>(scale);
    map_range(lo, hi, [&](int64_t e) {
      if (mask && !mask[e]) return;
      p[e] -= lrt * (sc * g[e]);
    });
  });
}

template <class T>
void grad_combine(T* out, const T* gf, const T* gr, int64_t n, const uint8_t* mask, SegScale seg) {
  detail::check_grad_combine(out, gf, n);
  check_seg(seg, n, "grad_combine");
  for_each_piece(n, seg, [&](int64_t lo, int64_t hi, float scale) {
    const T sc = static_cast<T>(scale);
    map_range(lo, hi, [&](int64_t e) {
      const T r = gr ? gr[e] : T(0);
      out[e] = (mask && !mask[e]) ? r : (gr ? sc * gf[e] + r : sc * gf[e]);
    });
  });
}

#define LETHE_INSTANTIATE(T)                                                                              \
  template void adam_step<T>(T*, const T*, T*, T*, int64_t, const AdamHp&, const uint8_t*, SegScale);    \
  template void adam_step_at<T>(T*, const T*, T*, T*, int64_t, const StepState*, const AdamHp&);         \
  template bool gemm_adam_at<T>(Mat<const T>, Mat<const T>, Mat<T>, Mat<T>, Mat<T>, const StepState*,      \
                                const AdamHp&, Mat<T>);                                                  \
  template void sgd_step<T>(T*, const T*, int64_t, double, const uint8_t*, SegScale);                    \
  template void grad_combine<T>(T*, const T*, const T*, int64_t, const uint8_t*, SegScale);
LETHE_INSTANTIATE(float)
LETHE_INSTANTIATE(double)
#undef LETHE_INSTANTIATE

}  // namespace lethe::ref
