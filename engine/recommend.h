// engine/recommend.h — top-K recommendation lists as data and as files: what `lethe eval
// --topk-out`, the C++ facade (include/lethe/lethe.h) and the Python binding return.
// Two file layouts (docs/SCHEMA.md):
//   lethe   tab-separated, a header row `user rank item score`, one row per (user, rank),
//           rank 1 = best, the score the ranking used (the dot product, printed with 9
//           significant digits so a float32 reads back exactly); padding rows are not written;
//   mmrec   the MMRec toolbox's layout: tab-separated, header `id top_0 ... top_{K-1}`, one row
//           per user, item ids only, −1 where a user has fewer than K unmasked items.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/sparse.h"
#include "engine/tensor.h"
#include "graph/csr.h"

namespace lethe {

struct RankedLists {
  int K = 0;
  std::vector<int32_t> users;  // ascending
  std::vector<int32_t> items;  // users.size() × K, best first, −1 where a user has fewer items
  std::vector<double> scores;  // users.size() × K, −∞ with item −1
  size_t size() const { return users.size(); }
};

// Each listed user's top-K (all users when `which` is empty), masked items excluded.
RankedLists compute_topk(Ctx& ctx, const Tensor& users, const Tensor& items, const DevCsr* mask, int K,
                  const std::vector<int32_t>& which, int64_t tile_users);

// The users an evaluation averages over: ≥ 1 row in `truth`, not flagged in `exclude` (may be
// null). Ascending.
std::vector<int32_t> evaluated_users(const graph::HostCsr& truth, const std::vector<char>* exclude);

enum class TopKFormat : uint8_t { kLethe = 0, kMmrec = 1 };
TopKFormat parse_topk_format(const std::string& s);  // "lethe" | "mmrec"; throws otherwise
std::string topk_text(const RankedLists& t, TopKFormat f);
// Written to a temporary name and renamed (io/atomic_file.h).
void write_topk(const std::string& path, const RankedLists& t, TopKFormat f);

}  // namespace lethe
