// kernels/philox.h — the counter-based RNG shared bit for bit by the CPU and CUDA paths.
// Philox4x32-10 (Salmon et al., SC'11): a pure function of a 128-bit counter and a 64-bit key,
// so any thread can draw its numbers independently and the CPU can reproduce the GPU exactly
// (integer arithmetic only; the CudaVsRef_ sampling tests compare the draws exactly — not yet
// confirmed on a GPU).
// Keying convention: key = seed; counter = (counter_lo, counter_hi, stream_lo, stream_hi), where
// `stream` names the purpose and position (e.g. negative sampling at epoch e, step s; see
// rng_stream()) and `counter` the element (row, attempt) within it.
#pragma once

#include <cstdint>

#include "kernels/common.h"

namespace lethe {

struct U32x4 {
  uint32_t v[4];
};

namespace philox_detail {
LETHE_HD uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  uint64_t p = static_cast<uint64_t>(a) * static_cast<uint64_t>(b);
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
}
}  // namespace philox_detail

LETHE_HD U32x4 philox4x32_10(U32x4 c, uint32_t k0, uint32_t k1) {
  constexpr uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
  for (int r = 0; r < 10; ++r) {
    uint32_t hi0, hi1;
    uint32_t lo0 = philox_detail::mulhilo(M0, c.v[0], &hi0);
    uint32_t lo1 = philox_detail::mulhilo(M1, c.v[2], &hi1);
    U32x4 n;
    n.v[0] = hi1 ^ c.v[1] ^ k0;
    n.v[1] = lo1;
    n.v[2] = hi0 ^ c.v[3] ^ k1;
    n.v[3] = lo0;
    c = n;
    k0 += W0;
    k1 += W1;
  }
  return c;
}

// Four independent 32-bit draws for (seed, stream, counter).
LETHE_HD U32x4 philox(uint64_t seed, uint64_t stream, uint64_t counter) {
  U32x4 c;
  c.v[0] = static_cast<uint32_t>(counter);
  c.v[1] = static_cast<uint32_t>(counter >> 32);
  c.v[2] = static_cast<uint32_t>(stream);
  c.v[3] = static_cast<uint32_t>(stream >> 32);
  return philox4x32_10(c, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

// Uniform float in [0, 1) from the top 24 bits (exact in float, identical on host and device).
LETHE_HD float u01(uint32_t x) { return static_cast<float>(x >> 8) * (1.0f / 16777216.0f); }
// Uniform integer in [0, n) by the multiply-shift method (bias < n / 2^32, negligible here).
LETHE_HD uint32_t below(uint32_t x, uint32_t n) {
  return static_cast<uint32_t>((static_cast<uint64_t>(x) * n) >> 32);
}

// Purposes: the top byte of a stream id keeps different uses of one seed apart.
enum class RngPurpose : uint8_t {
  kInit = 1,          // parameter initialisation
  kShuffle = 2,       // epoch permutation of training rows
  kNegative = 3,      // negative sampling
  kDropout = 4,       // dropout masks
  kEdgeDropout = 5,   // edge dropout (MIG-GT)
  kAttnSample = 6,    // sampled global attention (MIG-GT)
  kProjection = 7,    // fixed random projections
  kSynth = 8,         // synthetic data generation
  kRequest = 9,       // deletion request selection
  kAudit = 10,        // audits (membership inference splits, backdoor injection)
  kUnlearn = 11,      // unlearning batches
};

// stream = purpose(8 bits) | epoch(24 bits) | step(32 bits)
LETHE_HD uint64_t rng_stream(RngPurpose p, uint32_t epoch, uint32_t step) {
  return (static_cast<uint64_t>(static_cast<uint8_t>(p)) << 56) |
         (static_cast<uint64_t>(epoch & 0xFFFFFFu) << 32) | static_cast<uint64_t>(step);
}

}  // namespace lethe
