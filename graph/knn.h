// graph/knn.h — the per-modality item–item kNN graph of MGCN (docs/MODELS.md, "Graphs"):
//   X̄ = row-L2-normalised features (a zero row stays zero), S = X̄ X̄ᵀ (cosine similarity),
//   keep each row's top-k entries (self included; ties to the smaller item id),
//   w_ij = S_ij, deg_i = Σ_j w_ij over row i's kept entries,
//   ŵ_ij = deg_i^{-1/2} w_ij deg_j^{-1/2}   (a row with deg ≤ 0 gets zero weights).
// The graph is directed; its transpose is kept for the backward pass. S is computed in row
// tiles (GEMM + the top-K kernel) so I×I is never materialised; on a GPU with cuBLAS and the
// CUDA top-K kernel, on the CPU with their references. Built once from the raw features, never
// updated in training, and cached on disk keyed by (modality, k, content hash).
#pragma once

#include <string>

#include "graph/csr.h"
#include "io/dataset.h"

namespace lethe::graph {

struct KnnGraph {
  HostCsr S;   // I×I, normalised weights
  HostCsr St;  // its transpose
};

// use_gpu: compute the similarity tiles on CUDA device 0 (requires one).
HostCsr build_knn(const io::FeatureTable& feat, int k, bool use_gpu);

// The brute-force definition (O(I²·d) with a full sort per row): the test oracle.
HostCsr build_knn_bruteforce(const io::FeatureTable& feat, int k);

// Cached build: looks for <cache_dir>/knn_<modality>_k<k>_<hash>.bin, verifies it, else builds
// and writes it (temporary name, then rename). An unreadable or stale cache file is rebuilt.
// cache_dir "" disables the cache. `rebuilt` (optional) reports whether it was computed now.
KnnGraph knn_graph(const io::FeatureTable& feat, int k, bool use_gpu, const std::string& cache_dir,
                   bool* rebuilt = nullptr);

// The default cache folder for a dataset folder: <data_dir>/.lethe-cache when writable, else
// $LETHE_CACHE, else $XDG_CACHE_HOME/lethe/<folder name>, else ~/.cache/lethe/<folder name>.
std::string default_cache_dir(const std::string& data_dir);

}  // namespace lethe::graph
