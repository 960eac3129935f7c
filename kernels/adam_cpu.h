// kernels/adam_cpu.h — the CPU float Adam update of one contiguous range, shared by ref::adam_step
// (optim_ref.cpp) and the GEMM whose epilogue applies Adam to the product it has just computed
// instead of storing it as a gradient (kernels/gemm_cpu.h: sgemm_adam). Both call this one
// function, so an element updated either way gets the same bits.
#pragma once

#include <cstdint>

#include "kernels/optim.h"

namespace lethe::ref {

// Adam's per-step constants in float, rounded from the double values as adam_step rounds them.
struct AdamF32 {
  float b1 = 0, omb1 = 0, b2 = 0, omb2 = 0, step_size = 0, bc2_sqrt = 0, eps = 0, wd = 0;
  bool use_wd = false;
};
// step_size = lr / (1 − β1^t), bc2_sqrt = sqrt(1 − β2^t), both in double; β, eps, wd from hp.
AdamF32 adam_f32_factors(const AdamHp& hp, double step_size, double bc2_sqrt);

// For e in [lo, hi): g' = sc·g[e] (+ wd·p[e]); m, v, p updated as torch.optim.Adam does.
// Vectorised (AVX-512 or AVX2 intrinsics, or the scalar loop, chosen once per process by the
// CPU's features), never contracted into FMAs: every path gives every element the same bits.
void adam_f32_range(float* p, const float* g, float* m, float* v, int64_t lo, int64_t hi, float sc, const AdamF32& f);

// The same with a 0/1 mask (one byte an element, any non-zero byte is 1): an element whose byte is
// 0 is not written at all (layer isolation).
void adam_f32_range(float* p, const float* g, float* m, float* v, const uint8_t* mask, int64_t lo, int64_t hi,
                    float sc, const AdamF32& f);

// The same through a named path, for tests and benchmarks (mask may be nullptr; throws on a CPU or
// build without the path).
enum class AdamPath { Scalar, Avx2, Avx512 };
bool adam_f32_path_available(AdamPath path);
void adam_f32_range(AdamPath path, float* p, const float* g, float* m, float* v, const uint8_t* mask, int64_t lo,
                    int64_t hi, float sc, const AdamF32& f);

}  // namespace lethe::ref
