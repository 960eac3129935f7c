// engine/recommend.cpp — see recommend.h.
#include "engine/recommend.h"

#include <cmath>
#include <cstdio>

#include "engine/evaluator.h"
#include "io/atomic_file.h"

namespace lethe {

RankedLists compute_topk(Ctx& ctx, const Tensor& users, const Tensor& items, const DevCsr* mask, int K,
                  const std::vector<int32_t>& which, int64_t tile_users) {
  RankedLists t;
  t.K = K;
  const size_t n = which.empty() ? static_cast<size_t>(users.rows) : which.size();
  t.users.reserve(n);
  t.items.reserve(n * static_cast<size_t>(K));
  t.scores.reserve(n * static_cast<size_t>(K));
  topk_lists_scored(ctx, users, items, mask, K, which, tile_users,
                    [&](int32_t u, const int32_t* it, const double* sc, int k) {
                      t.users.push_back(u);
                      for (int j = 0; j < K; ++j) {  // k < K when there are fewer items than K
                        t.items.push_back(j < k ? it[j] : -1);
                        t.scores.push_back(j < k && it[j] >= 0 ? sc[j] : -INFINITY);
                      }
                    });
  return t;
}

std::vector<int32_t> evaluated_users(const graph::HostCsr& truth, const std::vector<char>* exclude) {
  std::vector<int32_t> out;
  for (int64_t u = 0; u < truth.rows; ++u)
    if (truth.row_len(u) > 0 && !(exclude && (*exclude)[u])) out.push_back(static_cast<int32_t>(u));
  return out;
}

TopKFormat parse_topk_format(const std::string& s) {
  if (s == "lethe") return TopKFormat::kLethe;
  if (s == "mmrec") return TopKFormat::kMmrec;
  throw Error("top-K format must be lethe or mmrec, got '" + s + "'");
}

std::string topk_text(const RankedLists& t, TopKFormat f) {
  std::string out;
  char buf[64];
  if (f == TopKFormat::kLethe) {
    out = "user\trank\titem\tscore\n";
    for (size_t r = 0; r < t.size(); ++r)
      for (int k = 0; k < t.K; ++k) {
        const size_t i = r * static_cast<size_t>(t.K) + static_cast<size_t>(k);
        if (t.items[i] < 0) break;
        std::snprintf(buf, sizeof buf, "%d\t%d\t%d\t%.9g\n", t.users[r], k + 1, t.items[i], t.scores[i]);
        out += buf;
      }
    return out;
  }
  out = "id";
  for (int k = 0; k < t.K; ++k) out += "\ttop_" + std::to_string(k);
  out += "\n";
  for (size_t r = 0; r < t.size(); ++r) {
    out += std::to_string(t.users[r]);
    for (int k = 0; k < t.K; ++k) out += "\t" + std::to_string(t.items[r * static_cast<size_t>(t.K) + k]);
    out += "\n";
  }
  return out;
}

void write_topk(const std::string& path, const RankedLists& t, TopKFormat f) { io::write_file_atomic(path, topk_text(t, f)); }

}  // namespace lethe
