// kernels/cpu_simd.h — portable speed for hot CPU loops. The build never uses -march=native
// (a binary must run on any x86-64); instead a hot function may carry LETHE_SIMD_CLONES, and
// GCC emits an AVX2+FMA clone beside the baseline one, picked once at load time by the CPU's
// features (x86-64-v3 = AVX2, FMA, BMI: selected by feature bits, not by CPU model name). A given machine always runs the same clone, so results stay deterministic there.
// Apply it to non-template functions only (GCC does not multiversion templates).
#pragma once

//
// A few kernels go further with hand-written AVX-512 code (x86-64-v4: AVX512F/BW/CD/DQ/VL): such
// a function carries LETHE_TARGET_AVX512 and is called only when lethe::cpu::avx512_available() says so
// at run time (the GEMM's 6×64 micro-kernel: kernels/gemm_ref.cpp). LETHE_HAVE_AVX512_PATH is 0 where
// the compiler cannot build them.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__CUDACC__)
#define LETHE_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#define LETHE_TARGET_AVX512 __attribute__((target("arch=x86-64-v4")))
#define LETHE_HAVE_AVX512_PATH 1
#include <immintrin.h>
#else
#define LETHE_SIMD_CLONES
#define LETHE_TARGET_AVX512
#define LETHE_HAVE_AVX512_PATH 0
#endif

namespace lethe::cpu {
// Whether this CPU (and its OS) runs AVX-512 code: decided once per process.
inline bool avx512_available() {
#if LETHE_HAVE_AVX512_PATH
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
                         __builtin_cpu_supports("avx512cd");
  return ok;
#else
  return false;
#endif
}
}  // namespace lethe::cpu
