// engine/evaluator.h — full-ranking evaluation (SPEC §3.5). For every user with ≥ 1 row in the
// ground truth: score all items (GEMM of a tile of user embeddings with all item embeddings),
// exclude the masked items (−∞: the user's train items), take the top-K (the top-K kernel), and
// count hits. U×I is never materialised: users go in tiles of eval.tile_users.
//   Recall@K = hits/|gt_u|,  NDCG@K = DCG/IDCG (binary gains, DCG = Σ hit_k / log2(k+1), IDCG over
//   min(|gt_u|, K)),  Precision@K = hits/K,  each averaged over the evaluated users.
// Also reported per K: total hits and total ground-truth pairs (the pair-level hit rate is the
// Exposure@K of SPEC §4.4 when the ground truth is the forget set).
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
  std::map<std::string, double> v;  // "recall@20", "ndcg@10", "precision@50", "hits@20", "pairs@20", ...
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
  // Users to skip even when they have ground truth (e.g. deleted users in the retain test).
  const std::vector<char>* exclude_users = nullptr;
};

// users: U×d, items: I×d (f32 or f64 tensors on ctx's device).
Metrics evaluate(Ctx& ctx, const Tensor& users, const Tensor& items, const EvalSpec& spec);

// The top-K list (best first, masked items excluded) of each user in `which` (all users when
// empty), K ≤ 1024. Calls sink(user, items) in increasing user order.
void topk_lists(Ctx& ctx, const Tensor& users, const Tensor& items, const DevCsr* mask, int K,
                const std::vector<int32_t>& which, int64_t tile_users,
                const std::function<void(int32_t user, const int32_t* items, int K)>& sink);

}  // namespace lethe
