// tests/kernels/test_philox.cpp — the counter-based RNG against the Random123 known-answer
// vectors for Philox4x32-10, and the properties the engine relies on.
#include "kernels/philox.h"

#include <gtest/gtest.h>

#include <set>

namespace lethe {
namespace {

void expect_kat(U32x4 ctr, uint32_t k0, uint32_t k1, U32x4 want) {
  const U32x4 got = philox4x32_10(ctr, k0, k1);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(got.v[i], want.v[i]) << "word " << i;
}

TEST(Philox, KnownAnswers) {
  expect_kat({{0, 0, 0, 0}}, 0, 0, {{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}});
  expect_kat({{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}}, 0xffffffffu, 0xffffffffu,
             {{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}});
  expect_kat({{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}}, 0xa4093822u, 0x299f31d0u,
             {{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}});
}

TEST(Philox, StreamsAndCountersAreIndependent) {
  std::set<uint32_t> seen;
  for (uint64_t s = 0; s < 4; ++s)
    for (uint64_t c = 0; c < 256; ++c) seen.insert(philox(42, rng_stream(RngPurpose::kNegative, 0, uint32_t(s)), c).v[0]);
  EXPECT_GT(seen.size(), 1000u);  // 1024 draws, collisions among 2^32 values are rare
  EXPECT_NE(philox(1, 0, 0).v[0], philox(2, 0, 0).v[0]);
}

TEST(Philox, UniformHelpersStayInRange) {
  for (uint32_t x : {0u, 1u, 0x80000000u, 0xffffffffu}) {
    EXPECT_GE(u01(x), 0.0f);
    EXPECT_LT(u01(x), 1.0f);
    EXPECT_LT(below(x, 7), 7u);
  }
  EXPECT_EQ(below(0xffffffffu, 10), 9u);
  double mean = 0;
  for (uint64_t c = 0; c < 20000; ++c) mean += u01(philox(7, 1, c).v[1]);
  EXPECT_NEAR(mean / 20000, 0.5, 0.01);
}

}  // namespace
}  // namespace lethe
