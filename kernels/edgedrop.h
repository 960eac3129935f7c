// kernels/edgedrop.h — edge dropout on a propagation graph's CSR values (MIG-GT, docs/MODELS.md, "The three backbones").
// Each edge e keeps its weight with probability 1 − p, decided by the same rule as
// kernels/sampling.h's dropout, keyed by the EDGE ID rather than by the position:
//   keep_e = u01(philox(seed, stream, e / 4).v[e % 4]) >= p,
//   out[k] = keep_{e} ? val[k] / (1 − p) : 0,   e = ids[k]  (ids empty: e = k).
// Running it on a CSR with identity ids and on the CSR's transpose with ids = the transpose
// entry's position in the original CSR drops the SAME edges from both, so a propagation
// Y = Â' X and its backward dX += Â'ᵀ dY see one consistent dropped graph.
// Rescaling: kept weights are scaled by 1/(1 − p) and NOT renormalised — MIG-GT's reference code
// applies torch.nn.Dropout to the precomputed edge weights deg_src^{-1/2} deg_dst^{-1/2}
// (self-loops included), which is exactly this. The decision and the division are single IEEE
// operations (the GPU uses __fdiv_rn), so CPU and GPU should agree bit for bit (checked exactly by
// CudaVsRef_edge_dropout; not yet confirmed on a GPU).
#pragma once

#include "kernels/common.h"

namespace lethe {
namespace ref {
// val, out: nnz; ids: nnz edge ids (each ≥ 0) or empty. p in [0, 1). out may alias val.
template <class T>
void edge_dropout(Vec<const T> val, Vec<const int32_t> ids, T p, uint64_t seed, uint64_t stream, Vec<T> out);
}  // namespace ref

namespace cuda {
// ids live on the device and are not checked (a negative id only changes which draw is used).
void edge_dropout(Vec<const float> val, Vec<const int32_t> ids, float p, uint64_t seed, uint64_t stream,
                  Vec<float> out, const GpuExec& g);
}  // namespace cuda
}  // namespace lethe
