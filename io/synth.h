// io/synth.h — the synthetic data generator (docs/MODELS.md, "Data"): a recommendation data set with a
// planted structure, deterministic from a seed, identical on every machine (all randomness from
// the counter-based Philox RNG, kernels/philox.h, purpose RngPurpose::kSynth; all transcendental
// functions from io/detmath.h; fixed summation orders; results do not depend on the thread
// count).
//
// The model (defaults in SynthSpec):
//  * Latent factors p_u, q_i ∈ R^r (r = 16), entries N(0, 1/r), so |p|, |q| ≈ 1 and p·q has
//    standard deviation 1/√r.
//  * Item popularity: Zipf, pop_i = 1/(rank_i + 1)^s (s = 1), ranks a seeded permutation of
//    the items (popularity is not correlated with the item ID).
//  * User activity: n_u = (min_train + 2) + ⌊exp(μ + σ z_u)⌋, z_u ~ N(0,1), σ = activity_sigma,
//    μ solved (bisection) so that Σ n_u is as close to `interactions` as possible from below;
//    n_u ≤ items. min_train + 2 rows guarantee min_train train rows after the split.
//  * Items per user: n_u draws WITHOUT replacement from softmax(p_u·q_i/τ + log pop_i)
//    (τ = 0.1), exactly as successive sampling: per user the weights go into a Fenwick tree,
//    each draw descends the tree (O(log I)) and zeroes the drawn item. O(U·I·r) for the
//    logits plus O(Σ n_u log I), parallel over users (each user's draws are keyed by its ID).
//  * Split per user, MMRec style: a seeded shuffle of the user's rows, then 8:1:1 —
//    valid = test = ⌊n/10⌋ for n ≥ 10, and n−2 / 1 / 1 for n < 10.
//  * Every item appears at least once, so that I = items exactly: an item that no user drew is
//    given to one user sampled from softmax over users of p_u·q_i/τ, as an extra train row.
//    (An item drawn only into valid/test rows still has no train rows — cold in training, as
//    some items of the real Amazon splits are.)
//  * Modality m with width d_m: x_i = φ_m(A_m q_i + ε_i), A_m ∈ R^{d_m×r} with entries
//    N(0, 1/r) (fixed by the seed and the modality's name), ε ~ N(0, σ_m² I) with σ_m chosen
//    from the measured signal power so that mean‖A_m q_i‖² / mean‖ε_i‖² = snr_m (the
//    signal-to-noise ratio before φ). φ = ReLU for image-like modalities (name contains
//    "image" or "visual": sparse, non-negative, like CNN features); identity followed by row L2
//    normalisation for the others (text, audio: like sentence embeddings).
//    Default SNRs (default_snr): image/visual 1.0, text 3.0, any other 2.0 — text is the more
//    informative modality, as in the Amazon data where TRU and MMRec find the text branch
//    carries more signal than the image branch ("modality imbalance").
//  * Streams are keyed by the modality's NAME, so adding a modality does not change the others.
//
// Default shape mirrors Amazon Baby: 19,445 users × 7,050 items, ~160k rows, image:4096,
// text:384.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/dataset.h"

namespace lethe::io {

struct ModalitySpec {
  std::string name;
  int64_t dim = 0;
  double snr = 0;  // signal-to-noise power ratio before φ; > 0
};

bool image_like(const std::string& modality);      // name contains "image" or "visual"
double default_snr(const std::string& modality);   // see above
// "image:4096,text:384" and optionally "image:1.0,text:3.0" (modalities not named in `snr`
// get default_snr). Throws lethe::Error naming the bad item.
std::vector<ModalitySpec> parse_modalities(const std::string& list, const std::string& snr = "");

struct SynthSpec {
  int32_t users = 19445;
  int32_t items = 7050;
  int64_t interactions = 160000;  // target total rows over all splits
  std::vector<ModalitySpec> modalities = {{"image", 4096, 1.0}, {"text", 384, 3.0}};
  int rank = 16;
  double tau = 0.1;
  double zipf = 1.0;
  double activity_sigma = 0.8;
  int min_train = 5;
  uint64_t seed = 1;
  std::string name = "synth";
  bool progress = false;  // progress lines on stderr for the long steps
};

// Generates the whole data set in memory (splits and features). Throws lethe::Error for an
// impossible spec (e.g. fewer interactions than users × (min_train + 2)).
Dataset generate_synth(const SynthSpec& spec);

// Item factors for an existing graph, fitted to its TRAIN split only: the item half of the
// rank-r truncated SVD of the normalised train matrix R̂ = D_u^{-1/2} R D_i^{-1/2}, q_i = row i of
// V_r Σ_r^{1/2}, computed by seeded subspace iteration (block r + 9, `iters` iterations of
// R̂ᵀR̂, modified Gram–Schmidt in double) and a Rayleigh–Ritz step (Jacobi eigen-solver). The
// leading singular pair (σ = 1, the degree vector: popularity only) is skipped, so the factors
// carry preference structure. Items without train rows get zero factors (their features are
// pure noise: they are cold). Returns n_items × r, row-major.
std::vector<double> fit_item_factors(const Dataset& d, int rank, uint64_t seed, int iters = 12);

// The item half of a rank-r truncated SVD of the sparse U×I matrix A with A[u,i] = weight of
// the row (u, i) (rows distinct): q_i = row i of V_r Σ_r^{1/2} for the singular pairs
// skip .. skip + r − 1 (in decreasing σ), by the seeded subspace iteration above (block
// r + skip + 8, capped by min(U, I); `iters` iterations of AᵀA; modified Gram–Schmidt in double;
// Rayleigh–Ritz with the Jacobi eigen-solver) — deterministic for a seed. Items without rows get
// zero factors. Returns I × r, row-major. fit_item_factors is this on R̂ with skip = 1.
std::vector<double> truncated_svd_items(int32_t U, int32_t I, const Interactions& rows, const std::vector<double>& weights,
                                        int rank, int skip, uint64_t seed, int iters = 12);

// Feature tables from item factors q (items × rank, row-major), one per modality, as above.
std::vector<FeatureTable> synth_features(const std::vector<double>& q, int32_t items, int rank,
                                         const std::vector<ModalitySpec>& modalities, uint64_t seed,
                                         bool progress = false);

// Writes d as a dataset folder: dir/<d.name>.inter and dir/<modality>_feat.npy, each through
// a temporary file and a rename. Creates dir. Refuses (before writing anything) when dir
// already holds another .inter or a *_feat.npy that is not being written, since the folder
// would then not load as this data set.
void write_dataset(const std::string& dir, const Dataset& d);

}  // namespace lethe::io
