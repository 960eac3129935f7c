// engine/audit/audit.h — the core audits of docs/AUDITS.md: how well a model still recommends from
// the retained data, how much of the forget set it still surfaces, and how close its rankings
// are to Retrain's. Every audit ranks all items for a user with the user's RETAINED train items
// (D_r) masked — never D's — so the forgotten items compete like any unseen item:
//   retain utility   Recall/NDCG/Precision@{10,20,50} on the retain test split (the test rows of
//                    users that were not deleted; deleted users are excluded even when a
//                    pattern still holds their rows), D_r masked;
//   forget efficacy  Recall/NDCG@20 with D_f as the ground truth, D_r masked, D_f NOT masked
//                    (target: Retrain's value, not zero);
//   Exposure@20      the fraction of forget pairs (u, i) with i in u's top-20 (pair level:
//                    hits@20 / |D_f|), and its reduction against θ₀: (exp₀ − exp) / exp₀;
//   agreement        per-user overlap@20 of top-20 lists, |A_u ∩ B_u| / max(|A_u|, |B_u|),
//                    averaged over the retained users (not deleted, ≥ 1 D_r train row), between
//                    a model and Retrain; between two Retrain runs it is the noise floor;
//   efficiency       speed-up = Retrain's wall time / the method's (same device), peak memory.
// Everything is deterministic: the top-K kernel breaks ties by item id and the averages are
// taken in increasing user order.
// Score once, audit many: Auditor::score makes ONE tiled pass over a model's users (one GEMM
// per tile, into buffers kept by the Auditor for every model it audits) and feeds every audit
// from it — the retain and forget metrics and the top-20 lists from one masked top-K, the
// per-pair statistics of the membership-inference audits (mia.h) from the same score rows, and
// the longer recommendation lists of the user-level attack (umia.h) from a second top-K of the
// same scores under that attack's own mask.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/evaluator.h"
#include "engine/sparse.h"
#include "engine/tensor.h"
#include "engine/unlearn/unlearn.h"

namespace lethe::audit {

constexpr int kAuditK = 20;  // K of forget efficacy, exposure and overlap

// Top-K lists of a set of users (ascending), K items each, best first, −1 padded when a user has
// fewer than K unmasked items. users.size() × K ints: Retrain's lists stay in memory so that
// every method's overlap is one pass over two int arrays.
struct TopLists {
  int K = 0;
  std::vector<int32_t> users;
  std::vector<int32_t> items;
  const int32_t* row(size_t r) const { return items.data() + r * static_cast<size_t>(K); }
  size_t size() const { return users.size(); }
};

// |A ∩ B| / max(|A|, |B|) for two lists of K ids (−1 entries are padding and ignored; ids in a
// list are distinct). 1 for identical lists, 0 for disjoint ones; two empty lists count as 1.
double list_overlap(const int32_t* a, const int32_t* b, int K);
// Mean list_overlap over the users of a and b, which must hold the same users with the same K.
double mean_overlap(const TopLists& a, const TopLists& b);

// Users the agreement audits average over: not deleted and at least one D_r train row.
std::vector<int32_t> retained_users(const SplitPatterns& sp);

// (exp0 − exp) / exp0; NaN when exp0 is 0 or either value is NaN.
double exposure_reduction(double exp0, double exp);
// retrain_seconds / seconds; NaN when either is unknown (NaN) or seconds ≤ 0.
double speedup(double retrain_seconds, double seconds);

struct CoreAudit {
  Metrics retain;            // retain test split, ks of the auditor (default 10, 20, 50)
  Metrics forget;            // D_f as ground truth, K = 20
  double exposure = 0;       // forget hits@20 / forget pairs
  TopLists top;              // top-20 of the retained users (empty when not asked for)
};

// One (user, item) pair whose statistics an audit needs from a model's scores.
struct PairQuery {
  int32_t user = 0, item = 0;
};

// A pair's statistics under one model, read from the user's row of scores s_u· (all items):
//   score       s_ui;
//   row_mean    the mean of s_uj over all I items;
//   percentile  where i ranks among itself and the items NOT masked for u (D_r masked, so the
//               forgotten and the unseen items compete): with rank r = 1 + #{j unmasked, j ≠ i:
//               s_uj > s_ui, or s_uj = s_ui and j < i} (the top-K kernel's order) over N such
//               items (i included), 1 − (r − 1)/(N − 1), 1 = top; 1 when N = 1;
//   rank        that r;
//   threshold   t_u, u's 20th-largest unmasked score (its smallest one when fewer than 20
//               items are unmasked).
struct PairStats {
  double score = 0, row_mean = 0, percentile = 0, threshold = 0;
  int64_t rank = 0;
};

// Extra top-K lists under another mask, from the same scores (the user-level attack: each
// user's own history masked, K = 100).
struct ListSpec {
  const DevCsr* mask = nullptr;  // U×I on the auditor's device; null = nothing masked
  int K = 100;
  std::vector<int32_t> users;    // ascending, distinct
};

// What one scoring pass collects besides the core audit.
struct ScoreRequest {
  bool metrics = true;                             // retain and forget metrics, exposure
  bool lists = true;                               // top-20 lists of the retained users
  const std::vector<PairQuery>* pairs = nullptr;   // pair statistics (in query order)
  const ListSpec* extra = nullptr;                 // extra lists
};

struct ModelScores {
  CoreAudit core;
  std::vector<PairStats> pairs;  // one per query
  TopLists extra;                // the extra lists (users of ListSpec, its K)
};

// Audits models against one forget/retain split on one context. Holds the D_r mask on the
// device (uploaded once), the list of retained users and the scoring buffers (allocated at the
// first model and reused for every later one).
class Auditor {
 public:
  Auditor(Ctx& ctx, const SplitPatterns& sp, std::vector<int64_t> ks = {10, 20, 50}, int64_t tile_users = 2048);
  ~Auditor();
  Auditor(const Auditor&) = delete;
  Auditor& operator=(const Auditor&) = delete;

  // users: U×d, items: I×d embeddings (embed()). One scoring pass for everything asked.
  ModelScores score(const Tensor& users, const Tensor& items, const ScoreRequest& req) const;
  // The core audit alone (one pass); keep_lists also returns the top-20 lists.
  CoreAudit audit(const Tensor& users, const Tensor& items, bool keep_lists = true) const;
  // Only the top-K lists of the retained users (D_r masked).
  TopLists top_lists(const Tensor& users, const Tensor& items, int K = kAuditK) const;

  const std::vector<int32_t>& retained() const { return retained_; }
  const SplitPatterns& patterns() const { return sp_; }
  const DevCsr& retain_mask() const { return mask_; }
  Ctx& ctx() const { return ctx_; }

 private:
  Ctx& ctx_;
  const SplitPatterns& sp_;
  std::vector<int64_t> ks_;
  int64_t tile_;
  DevCsr mask_;
  std::vector<int32_t> retained_;
  mutable std::unique_ptr<TileScorer> scorer_;
};

}  // namespace lethe::audit
