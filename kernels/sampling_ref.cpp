// kernels/sampling_ref.cpp — CPU reference for kernels/sampling.h (the spec): negative
// sampling (docs/MODELS.md, "Training"), inverted dropout and uniform fills, all drawn from the counter-based
// Philox RNG so that the CUDA version reproduces every draw bit for bit.
// Bit-exactness notes: the random decisions (negatives, keep masks, u01 draws) are pure integer
// / exact float operations and match exactly. Values are one IEEE-rounded float operation each
// (x / (1 − p); lo + (hi − lo)·u as three separately rounded operations); this file is built for
// baseline x86-64 (no FMA instructions), and the CUDA version uses the _rn intrinsics, which the
// compiler may not contract, so fills match bit for bit too.
#include <algorithm>
#include <string>

#include "kernels/philox.h"
#include "kernels/ref_util.h"
#include "kernels/sampling.h"
#include "kernels/sampling_check.h"
#include "kernels/step.h"

namespace lethe::ref {

void sample_negatives(uint64_t seed, uint64_t stream, Vec<const int32_t> users, Vec<const int32_t> pool,
                      const Csr& train, Vec<int32_t> out) {
  detail::check_sample_negatives(users, pool, train, out);
  if (users.n == 0) return;
  for (int64_t b = 0; b < users.n; ++b)
    if (users[b] < 0 || users[b] >= train.rows)
      LETHE_FAIL("sample_negatives: users[" + std::to_string(b) + "] = " + std::to_string(users[b]) +
                 " is outside the train CSR's " + std::to_string(train.rows) + " rows");
  const uint32_t P = static_cast<uint32_t>(pool.n);

#pragma omp parallel for schedule(static) if (users.n > 4096)
  for (int64_t b = 0; b < users.n; ++b) {
    const int32_t u = users[b];
    const int32_t* row = train.col + train.rowptr[u];
    const int32_t* row_end = train.col + train.rowptr[u + 1];
    auto rejected = [&](int32_t item) { return std::binary_search(row, row_end, item); };
    uint32_t d = 0;
    bool done = false;
    for (uint32_t a = 0; a < 64 && !done; ++a) {
      d = below(philox(seed, stream, (static_cast<uint64_t>(b) << 8) | a).v[0], P);
      if (!rejected(pool[d])) {
        out[b] = pool[d];
        done = true;
      }
    }
    if (done) continue;
    // Fallback: the first pool entry at or after the last draw, cyclically, not in the row;
    // a user who has every pool item gets pool[last draw].
    out[b] = pool[d];
    for (uint64_t t = 0; t < P; ++t) {
      const uint64_t j = (d + t) % P;
      if (!rejected(pool[static_cast<int64_t>(j)])) {
        out[b] = pool[static_cast<int64_t>(j)];
        break;
      }
    }
  }
}

void sample_negatives_at(uint64_t seed, const StepState* st, Vec<const int32_t> users, Vec<const int32_t> pool,
                         const Csr& train, Vec<int32_t> out) {
  LETHE_CHECK(st != nullptr, "sample_negatives_at: no step state");
  sample_negatives(seed, rng_stream(RngPurpose::kNegative, st->epoch, st->step), users, pool, train, out);
}

template <class T>
void dropout_forward(Vec<const T> x, T p, uint64_t seed, uint64_t stream, Vec<T> y, Vec<uint8_t> mask) {
  detail::check_dropout_forward(x, p, y, mask);
  const int64_t n = x.n, ngroups = (n + 3) / 4;
  const T keep_div = T(1) - p;
  // One Philox call yields the four draws of elements 4·grp .. 4·grp + 3.
#pragma omp parallel for schedule(static) if (n > kOmpMin)
  for (int64_t grp = 0; grp < ngroups; ++grp) {
    const U32x4 r = philox(seed, stream, static_cast<uint64_t>(grp));
    for (int j = 0; j < 4; ++j) {
      const int64_t i = grp * 4 + j;
      if (i >= n) break;
      const bool keep = static_cast<T>(u01(r.v[j])) >= p;
      mask[i] = keep ? 1 : 0;
      y[i] = keep ? x[i] / keep_div : T(0);
    }
  }
}

template <class T>
void dropout_backward(Vec<const T> dy, Vec<const uint8_t> mask, T p, Vec<T> dx) {
  detail::check_dropout_backward(dy, mask, p, dx);
  if (dx.empty()) return;
  const T keep_div = T(1) - p;
#pragma omp parallel for schedule(static) if (dy.n > kOmpMin)
  for (int64_t i = 0; i < dy.n; ++i)
    if (mask[i]) dx[i] += dy[i] / keep_div;
}

template <class T>
void fill_uniform(Vec<T> x, T lo, T hi, uint64_t seed, uint64_t stream) {
  const int64_t n = x.n, ngroups = (n + 3) / 4;
  const T span = hi - lo;
#pragma omp parallel for schedule(static) if (n > kOmpMin)
  for (int64_t grp = 0; grp < ngroups; ++grp) {
    const U32x4 r = philox(seed, stream, static_cast<uint64_t>(grp));
    for (int j = 0; j < 4; ++j) {
      const int64_t i = grp * 4 + j;
      if (i >= n) break;
      const T t = span * static_cast<T>(u01(r.v[j]));
      x[i] = lo + t;
    }
  }
}

#define LETHE_INSTANTIATE(T)                                                                          \
  template void dropout_forward<T>(Vec<const T>, T, uint64_t, uint64_t, Vec<T>, Vec<uint8_t>);       \
  template void dropout_backward<T>(Vec<const T>, Vec<const uint8_t>, T, Vec<T>);                    \
  template void fill_uniform<T>(Vec<T>, T, T, uint64_t, uint64_t);
LETHE_INSTANTIATE(float)
LETHE_INSTANTIATE(double)
#undef LETHE_INSTANTIATE

}  // namespace lethe::ref
