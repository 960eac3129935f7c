// engine/audit/audit_rng.h — the audits' random draws: every sample, split, initialisation and
// injection of the membership-inference and backdoor audits comes from the project's Philox
// generator (kernels/philox.h) under the purpose RngPurpose::kAudit, keyed by
// (seed, stage, sub-stream, index), so a rerun draws exactly the same numbers on any machine.
#pragma once

#include <cstdint>

#include "kernels/philox.h"

namespace lethe::audit {

// What a draw is for (the "epoch" field of the stream id): different stages never share draws.
enum class AuditStage : uint32_t {
  kMembers = 1,       // the member sample M of D_f
  kNonmembersA = 2,   // family A's unseen positives
  kNonmembersB = 3,   // family B's random unobserved pairs
  kRetainedC = 4,     // family C's retained pairs (sub = resample)
  kSplit = 5,         // the attacks' stratified halves (sub = split seed)
  kGroups = 6,        // the reserved user groups V and O
  kSvd = 7,           // the factorisation's starting block
  kShadow = 8,        // the shadow model's member half
  kMlp = 9,           // the user-level attack's initialisation and shuffles
  kInject = 10,       // backdoor injection (target, triggers, fake profiles)
};

inline U32x4 audit_draw(uint64_t seed, AuditStage stage, uint32_t sub, uint64_t counter) {
  return philox(seed, rng_stream(RngPurpose::kAudit, static_cast<uint32_t>(stage), sub), counter);
}

// A 64-bit sort key: sorting candidates by it is a uniform random order (ties: by index).
inline uint64_t audit_key(uint64_t seed, AuditStage stage, uint32_t sub, uint64_t counter) {
  const U32x4 x = audit_draw(seed, stage, sub, counter);
  return (static_cast<uint64_t>(x.v[0]) << 32) | x.v[1];
}

}  // namespace lethe::audit
