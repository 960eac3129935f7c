// io/normal.h — normal draws N(0, sd²) from the counter-based RNG on the host, identical on every
// machine: Marsaglia's polar method (pair j tries counters j·32 + t, two candidate points each,
// as io/synth.cpp) with io/detmath.h's logarithm and the correctly rounded sqrt, so the bits do
// not depend on the machine's libm. Used for MIG-GT's initialisation and random projection and
// for the certified head's objective-perturbation noise.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "io/detmath.h"
#include "kernels/philox.h"

namespace lethe::io {

// n draws of N(0, sd²), the normals of `stream` under `seed` in order.
inline std::vector<double> philox_normals(int64_t n, uint64_t seed, uint64_t stream, double sd) {
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t j = 0; 2 * j < n; ++j) {
    double z0 = 0.0, z1 = 0.0;  // 64 rejections in a row (probability 0.215^64) leave (0, 0)
    bool done = false;
    for (uint64_t t = 0; t < 32 && !done; ++t) {
      const U32x4 r = philox(seed, stream, (static_cast<uint64_t>(j) << 5) | t);
      for (int h = 0; h < 2 && !done; ++h) {
        const double a = (static_cast<double>(r.v[2 * h]) + 0.5) * (2.0 / 4294967296.0) - 1.0;
        const double b = (static_cast<double>(r.v[2 * h + 1]) + 0.5) * (2.0 / 4294967296.0) - 1.0;
        const double q = a * a + b * b;
        if (q < 1.0 && q > 0.0) {
          const double f = std::sqrt(-2.0 * detmath::log(q) / q);
          z0 = a * f;
          z1 = b * f;
          done = true;
        }
      }
    }
    v[2 * j] = sd * z0;
    if (2 * j + 1 < n) v[2 * j + 1] = sd * z1;
  }
  return v;
}

}  // namespace lethe::io
