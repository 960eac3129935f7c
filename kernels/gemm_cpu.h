// kernels/gemm_cpu.h — the CPU float GEMM's two paths, selectable for tests and benchmarks:
// the packed 6×16 micro-kernel (AVX2+FMA clone or baseline, kernels/cpu_simd.h) and the 6×64
// AVX-512 micro-kernel. ref::gemm<float> uses Auto (AVX-512 whenever the CPU has it). Both paths
// compute every element of C with the same operations in the same order (kernels/gemm_ref.cpp),
// so on a CPU that can run both they agree bit for bit.
#pragma once

#include <cstdint>

#include "kernels/cpu_simd.h"

namespace lethe::ref {
enum class SgemmPath { Auto, Packed6x16, Avx512 };

// Row-major C (m×n) = α·op(A)·op(B) + β·C through the given path (Avx512 on a CPU without it
// throws). Arguments as ref::gemm's; checked by the caller (ref::gemm) — call that in engine code.
void sgemm(SgemmPath path, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);
}  // namespace lethe::ref
