// kernels/gemm_cpu.h — the CPU float GEMM's two paths, selectable for tests and benchmarks:
// the packed 6×16 micro-kernel (AVX2+FMA clone or baseline, kernels/cpu_simd.h) and the 6×64
// AVX-512 micro-kernel. ref::gemm<float> uses Auto (AVX-512 whenever the CPU has it). Both paths
// compute every element of C with the same operations in the same order (kernels/gemm_ref.cpp),
// so on a CPU that can run both they agree bit for bit.
#pragma once

#include <cstdint>
#include <functional>

#include "kernels/adam_cpu.h"
#include "kernels/cpu_simd.h"

namespace lethe::ref {
enum class SgemmPath { Auto, Packed6x16, Avx512 };

// Row-major C (m×n) = α·op(A)·op(B) + β·C through the given path (Avx512 on a CPU without it
// throws). Arguments as ref::gemm's; checked by the caller (ref::gemm) — call that in engine code.
void sgemm(SgemmPath path, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// Adam applied to P (m×n, contiguous) with the gradient G = A·Bᵀ — A m×k (row stride lda), B n×k
// (row stride ldb): the dX = dY·Wᵀ product of a linear layer whose input is a trainable table —
// without G ever being stored: each block of rows of G is computed into a per-thread buffer
// exactly as sgemm's AVX-512 path computes C = 1·A·Bᵀ (k ≤ 256: one k block), then
// adam_f32_range updates those rows of P, M and V (contiguous, so the update streams through
// memory). Every element gets the bits a stored G followed by adam_step would give it, and the
// gradient's write and read (8 bytes an element) are saved. Returns false, touching nothing, when
// the fused path does not apply (no AVX-512 on this CPU, k = 0 or k > 256): the caller then
// computes G and runs Adam.
bool sgemm_adam(int64_t m, int64_t n, int64_t k, const float* A, int64_t lda, const float* B, int64_t ldb, float* P,
                float* M, float* V, const AdamF32& f);

// C = α·A·Bᵀ (A m×k with row stride lda, B n×k with row stride ldb, k ≤ 256), a block of `rows`
// rows at a time: Bᵀ is packed once, each block is computed into a per-thread buffer (nr × n,
// contiguous, every element with the bits sgemm's AVX-512 path gives it with β = 0) and handed to
// visit(i0, nr, block) while it is still in cache; blocks may be visited concurrently, from
// several threads, in any order. InfoNCE's B×B similarities are normalised this way before
// they are stored. Returns false, touching nothing, when the path does not apply (no AVX-512 on
// this CPU, k = 0 or k > 256): the caller then runs gemm.
bool sgemm_nt_rows(int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, const float* B,
                   int64_t ldb, int64_t rows, const std::function<void(int64_t, int64_t, float*)>& visit);
}  // namespace lethe::ref
