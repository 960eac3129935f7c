// kernels/edgedrop.cu — CUDA version of kernels/edgedrop.h: one thread per CSR entry, one
// Philox call each (entries of a transpose map to scattered edge ids, so the dropout family's
// one-call-per-group-of-4 trick does not apply). __fdiv_rn keeps the division uncontracted and
// correctly rounded, so the values equal the reference's bit for bit.
#include "kernels/cuda_util.cuh"
#include "kernels/edgedrop.h"
#include "kernels/edgedrop_check.h"
#include "kernels/philox.h"

namespace lethe::cuda {

void edge_dropout(Vec<const float> val, Vec<const int32_t> ids, float p, uint64_t seed, uint64_t stream,
                  Vec<float> out, const GpuExec& g) {
  detail::check_edge_dropout(val, ids, p, out);
  const float* v = val.data;
  const int32_t* id = ids.empty() ? nullptr : ids.data;
  float* o = out.data;
  const float keep_div = 1.0f - p;  // host float subtraction, as in the reference
  launch_map("edge_dropout", val.n, g, [=] __device__(int64_t k) {
    const uint64_t e = id ? static_cast<uint64_t>(static_cast<uint32_t>(id[k])) : static_cast<uint64_t>(k);
    const U32x4 r = philox(seed, stream, e / 4);
    const bool keep = u01(r.v[e % 4]) >= p;
    o[k] = keep ? __fdiv_rn(v[k], keep_div) : 0.0f;
  });
}

}  // namespace lethe::cuda
