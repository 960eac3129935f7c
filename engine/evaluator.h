// engine/evaluator.h — full-ranking evaluation (docs/MODELS.md, "Evaluation"). For every user
// with ≥ 1 row in the ground truth: score all items (GEMM of a tile of user embeddings with all
// item embeddings), exclude the masked items (−∞: the user's train items), take the top-K (the
// top-K kernel), and count hits. U×I is never materialised: users go in tiles of eval.tile_users.
// With rel_k = 1 when the item at rank k (1-based) is in gt_u, per user and then averaged over
// the evaluated users (the definitions of MMRec's and RecBole's evaluators):
//   Recall@K    = hits/|gt_u|
//   NDCG@K      = DCG/IDCG, binary gains, DCG = Σ_k rel_k / log2(k+1), IDCG over min(|gt_u|, K)
//   Precision@K = hits/K
//   MAP@K       = Σ_{k≤K} Precision@k · rel_k / min(|gt_u|, K)
//   Hit@K       = 1 when hits > 0, else 0
//   MRR@K       = 1 / (rank of the first hit), 0 when there is none in the top K
// Also reported per K: total hits and total ground-truth pairs (the pair-level hit rate is the
// Exposure@K of the unlearning audits when the ground truth is the forget set).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/sparse.h"
#include "engine/tensor.h"
#include "graph/csr.h"

namespace lethe {

struct Metrics {
  // "recall@20", "ndcg@10", "precision@50", "map@20", "hit@20", "mrr@20", and the raw counts
  // "hits@20" (Σ hits over users) and "pairs@20" (Σ |gt_u|).
  std::map<std::string, double> v;
  int64_t users = 0;                 // users evaluated
  double get(const std::string& k) const;
  // Pair-level hit rate at K: hits@K / pairs (= Exposure@K for a forget-set ground truth).
  double exposure(int K) const;
};

struct EvalSpec {
  const graph::HostCsr* truth = nullptr;  // U×I ground-truth pattern (host)
  const DevCsr* mask = nullptr;           // U×I items to exclude, on the context's device (or null)
  std::vector<int64_t> ks = {10, 20, 50};
  int64_t tile_users = 2048;
  // Users to skip even when they have ground truth (e.g. deleted users in the retain test, or
  // cold-start users: cold_users()).
  const std::vector<char>* exclude_users = nullptr;
};

// The metric families evaluate() reports per K, in the order tables show them.
const std::vector<std::string>& metric_names();  // recall, ndcg, precision, map, hit, mrr

// Flags (one per user) of the users without a row in `train`: MMRec drops them from evaluation
// (its filter_out_cod_start_users), since a model has learnt nothing about them. OR-ed into
// `into` when it is given (same size), else a new vector.
std::vector<char> cold_users(int32_t n_users, const std::vector<int32_t>& train_users,
                             const std::vector<char>* into = nullptr);

// A comma-separated list of cut-offs ("5,10,20,50"): each in [1, 1024], no duplicates; throws
// naming `what` otherwise. Returned in increasing order.
std::vector<int64_t> parse_ks(const std::string& list, const std::string& what);

// users: U×d, items: I×d (f32 or f64 tensors on ctx's device).
Metrics evaluate(Ctx& ctx, const Tensor& users, const Tensor& items, const EvalSpec& spec);

// The top-K list (best first, masked items excluded) of each user in `which` (all users when
// empty), K ≤ 1024. Calls sink(user, items) in increasing user order.
void topk_lists(Ctx& ctx, const Tensor& users, const Tensor& items, const DevCsr* mask, int K,
                const std::vector<int32_t>& which, int64_t tile_users,
                const std::function<void(int32_t user, const int32_t* items, int K)>& sink);
// The same with each item's score (the dot product, as the ranking saw it); entries past the
// user's last unmasked item hold item −1 and score −∞.
void topk_lists_scored(Ctx& ctx, const Tensor& users, const Tensor& items, const DevCsr* mask, int K,
                       const std::vector<int32_t>& which, int64_t tile_users,
                       const std::function<void(int32_t user, const int32_t* items, const double* scores, int K)>& sink);

}  // namespace lethe
