// kernels/cpu_simd.h — portable speed for hot CPU loops. The build never uses -march=native
// (a binary must run on any x86-64); instead a hot function may carry LETHE_SIMD_CLONES, and
// GCC emits an AVX2+FMA clone beside the baseline one, picked once at load time by the CPU's
// features (x86-64-v3 = AVX2, FMA, BMI: selected by feature bits, not by CPU model name). A given machine always runs the same clone, so results stay deterministic there.
// Apply it to non-template functions only (GCC does not multiversion templates).
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__CUDACC__)
#define LETHE_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define LETHE_SIMD_CLONES
#endif
