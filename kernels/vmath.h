// kernels/vmath.h — vectorised exp and tanh over float arrays, for the CPU kernels' hot loops
// (InfoNCE's B×B exponentials, MGCN's sigmoid gates and attention tanh, softmax). Scalar
// std::exp / std::tanh cost ~10-20 ns an element and dominated those ops; these use glibc's
// vector math library (libmvec: _ZGVeN16v_expf on AVX-512, _ZGVdN8v_expf on AVX2, and tanhf),
// whose results are within a few ulp of the scalar functions (tests/kernels/test_vmath.cpp
// bounds them) and, lane by lane, do not depend on where an element sits in the array: a given
// machine always computes the same value for the same input. Without libmvec (or on another
// CPU) the scalar functions run. y may alias x.
#pragma once

#include <cstdint>

namespace lethe::vmath {
void exp(const float* x, float* y, int64_t n);
void tanh(const float* x, float* y, int64_t n);
// Logistic sigmoid, in the stable form of the reference: x ≥ 0: 1/(1+e^{−x}), else e^{x}/(1+e^{x}).
void sigmoid(const float* x, float* y, int64_t n);
// max_j x[j] (n ≥ 1). Exact, so the order of comparison does not matter (NaN-free input).
float max(const float* x, int64_t n);
// Σ_j x[j] in double, in a fixed order that is the same on every CPU: eight running sums
// (element j goes to sum j mod 8, in increasing j), then ((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7)).
// Eight independent chains instead of one: the sum is no longer bound by the add latency.
double sum_f64(const float* x, int64_t n);
// x[j] ← exp(x[j] − shift) (the difference rounded to float, then exp as exp() computes it) and
// returns sum_f64 of the new x: the bits of `x[j] -= shift; exp(x, x, n); sum_f64(x, n)` in one
// pass (InfoNCE's row softmax).
double exp_shifted_sum(float* x, float shift, int64_t n);
// Which implementation runs here: "libmvec AVX-512", "libmvec AVX2" or "scalar".
const char* implementation();
}  // namespace lethe::vmath
