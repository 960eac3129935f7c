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
#include <memory>
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

class TileScorer;

// Full-ranking evaluation run again and again (the trainer's, every eval_every epochs): one
// TileScorer whose buffers are allocated on the first call and kept, and on a GPU tiles of at
// least as many users as kGpuTileScoreBytes of scores hold (all of Amazon-Baby's 19,445 users in
// one tile), so a whole evaluation is a few GEMMs, top-K passes and synchronisations. Same
// metrics as evaluate() (the tiling changes no result).
class Evaluator {
 public:
  static constexpr int64_t kGpuTileScoreBytes = int64_t(1) << 30;
  explicit Evaluator(Ctx& ctx);
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;
  Metrics evaluate(const Tensor& users, const Tensor& items, const EvalSpec& spec);
  // The tile the scorer uses for U users, I items and the spec's tile_users on this context.
  int64_t tile_for(int64_t U, int64_t I, int64_t tile_users) const;

 private:
  Ctx& ctx_;
  std::unique_ptr<TileScorer> ts_;
};

// Recall/NDCG/Precision/MAP/Hit/MRR@K accumulated user by user from top-K lists (the metrics
// above), so that one ranked list can feed several ground truths (the audits score a model once).
class RankingMetrics {
 public:
  // truth: U×I pattern; exclude: users never counted (null: none). Every K in ks ≥ 1.
  RankingMetrics(const graph::HostCsr& truth, std::vector<int64_t> ks, const std::vector<char>* exclude = nullptr);
  int max_k() const { return kmax_; }
  bool wants(int64_t u) const;  // u has ground truth and is not excluded
  // Counts user u (when wanted) from its list: top[0..K) best first, −1 padding; K ≥ 1.
  void add(int64_t u, const int32_t* top, int K);
  Metrics result() const;

 private:
  const graph::HostCsr& gt_;
  std::vector<int64_t> ks_;
  const std::vector<char>* exclude_;
  int kmax_ = 0;
  std::vector<double> idcg_, rec_, ndcg_, prec_, map_, hitr_, mrr_, hits_, pairs_;
  std::vector<char> hit_;
  int64_t users_ = 0;
};

// Scores one tile of users at a time against all items (one GEMM) and takes masked top-K lists
// of that tile. The buffers (tile × I scores, tile × max_k lists) are allocated once and serve
// every tile — and every model, when the scorer is kept. Every host copy of scores goes
// through here.
class TileScorer {
 public:
  TileScorer(Ctx& ctx, DType dtype, int64_t tile_users, int64_t n_items, int max_k);
  int64_t tile() const { return tile_; }
  int64_t items() const { return items_; }
  int max_k() const { return kmax_; }
  DType dtype() const { return dtype_; }
  // The scores of users [u0, u0 + n) (n ≤ tile) against all items; kept until the next call.
  void score(const Tensor& users, const Tensor& items, int64_t u0, int64_t n);
  // The K best items (K ≤ max_k, clamped to I) of each row of the current tile, `mask` rows
  // u0.. excluded (null: nothing): n × K ids on the host, best first, −1 padded; ties by item id.
  // values (optional): the matching n × K scores (−∞ for padding).
  const std::vector<int32_t>& topk(const DevCsr* mask, int K, std::vector<double>* values = nullptr);
  int last_k() const { return last_k_; }  // K of the last topk (after the clamp to I)
  // Row r of the current tile's scores, converted to double.
  void row(int64_t r, std::vector<double>& out);

 private:
  Ctx& ctx_;
  DType dtype_;
  int64_t tile_, items_, u0_ = 0, n_ = 0;
  int kmax_, last_k_ = 0;
  Buffer sbuf_, vbuf_, ibuf_;
  std::vector<int32_t> ids_;
  std::vector<float> tmp_f32_;
};

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
