// kernels/edgedrop_ref.cpp — CPU reference for kernels/edgedrop.h (the spec).
// Bit-exactness: the keep decision is an exact comparison of an exactly representable u01 draw
// (as in sampling_ref.cpp); a kept value is one IEEE division (this file is compiled for
// baseline x86-64, without FMA contraction).
#include <string>

#include "kernels/edgedrop.h"
#include "kernels/edgedrop_check.h"
#include "kernels/philox.h"
#include "kernels/ref_util.h"

namespace lethe::ref {

template <class T>
void edge_dropout(Vec<const T> val, Vec<const int32_t> ids, T p, uint64_t seed, uint64_t stream, Vec<T> out) {
  detail::check_edge_dropout(val, ids, p, out);
  const int64_t n = val.n;
  if (!ids.empty())
    for (int64_t k = 0; k < n; ++k)
      if (ids[k] < 0) LETHE_FAIL("edge_dropout: negative edge id " + std::to_string(ids[k]) + " at " + std::to_string(k));
  const T keep_div = T(1) - p;
#pragma omp parallel for schedule(static) if (n > kOmpMin)
  for (int64_t k = 0; k < n; ++k) {
    const uint64_t e = ids.empty() ? static_cast<uint64_t>(k) : static_cast<uint64_t>(ids[k]);
    const U32x4 r = philox(seed, stream, e / 4);
    const bool keep = static_cast<T>(u01(r.v[e % 4])) >= p;
    out[k] = keep ? val[k] / keep_div : T(0);
  }
}

template void edge_dropout<float>(Vec<const float>, Vec<const int32_t>, float, uint64_t, uint64_t, Vec<float>);
template void edge_dropout<double>(Vec<const double>, Vec<const int32_t>, double, uint64_t, uint64_t, Vec<double>);

}  // namespace lethe::ref
