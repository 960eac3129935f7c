// engine/evaluator.cpp — see evaluator.h.
#include "engine/evaluator.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "engine/op_profile.h"
#include "engine/ops.h"

namespace lethe {

double Metrics::get(const std::string& k) const {
  auto it = v.find(k);
  if (it == v.end()) LETHE_FAIL("metric '" + k + "' was not computed");
  return it->second;
}

double Metrics::exposure(int K) const {
  const double pairs = get("pairs@" + std::to_string(K));
  return pairs > 0 ? get("hits@" + std::to_string(K)) / pairs : 0.0;
}

const std::vector<std::string>& metric_names() {
  static const std::vector<std::string> n = {"recall", "ndcg", "precision", "map", "hit", "mrr"};
  return n;
}

std::vector<char> cold_users(int32_t n_users, const std::vector<int32_t>& train_users, const std::vector<char>* into) {
  LETHE_CHECK(!into || static_cast<int64_t>(into->size()) == n_users, "cold_users: flag vector has the wrong size");
  std::vector<char> seen(static_cast<size_t>(n_users), 0);
  for (int32_t u : train_users) {
    LETHE_CHECK(u >= 0 && u < n_users, "cold_users: user " + std::to_string(u) + " out of range");
    seen[u] = 1;
  }
  std::vector<char> out = into ? *into : std::vector<char>(static_cast<size_t>(n_users), 0);
  for (int32_t u = 0; u < n_users; ++u) out[u] = static_cast<char>(out[u] || !seen[u]);
  return out;
}

std::vector<int64_t> parse_ks(const std::string& list, const std::string& what) {
  std::vector<int64_t> ks;
  size_t pos = 0;
  while (pos <= list.size()) {
    const size_t comma = std::min(list.find(',', pos), list.size());
    std::string item = list.substr(pos, comma - pos);
    const auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    item = b == std::string::npos ? "" : item.substr(b, e - b + 1);
    char* end = nullptr;
    const long long k = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end || k < 1 || k > 1024)
      throw Error(what + ": expected a comma-separated list of cut-offs in [1, 1024], got '" + list + "'");
    if (std::find(ks.begin(), ks.end(), k) != ks.end()) throw Error(what + ": cut-off " + item + " is listed twice");
    ks.push_back(k);
    pos = comma + 1;
  }
  std::sort(ks.begin(), ks.end());
  return ks;
}

// ---- RankingMetrics -------------------------------------------------------------------------

RankingMetrics::RankingMetrics(const graph::HostCsr& truth, std::vector<int64_t> ks, const std::vector<char>* exclude)
    : gt_(truth), ks_(std::move(ks)), exclude_(exclude) {
  LETHE_CHECK(!ks_.empty(), "evaluate: no cut-offs");
  const int64_t kmax = *std::max_element(ks_.begin(), ks_.end());
  LETHE_CHECK(*std::min_element(ks_.begin(), ks_.end()) >= 1 && kmax <= 1024, "evaluate: K must be in [1, 1024]");
  kmax_ = static_cast<int>(kmax);
  LETHE_CHECK(!exclude_ || static_cast<int64_t>(exclude_->size()) >= gt_.rows, "evaluate: exclusion flags shorter than the user count");
  idcg_.assign(static_cast<size_t>(kmax_) + 1, 0.0);
  for (int k = 1; k <= kmax_; ++k) idcg_[k] = idcg_[k - 1] + 1.0 / std::log2(k + 1.0);
  const size_t nk = ks_.size();
  rec_.assign(nk, 0);
  ndcg_.assign(nk, 0);
  prec_.assign(nk, 0);
  map_.assign(nk, 0);
  hitr_.assign(nk, 0);
  mrr_.assign(nk, 0);
  hits_.assign(nk, 0);
  pairs_.assign(nk, 0);
  hit_.assign(static_cast<size_t>(kmax_), 0);
}

bool RankingMetrics::wants(int64_t u) const { return gt_.row_len(u) > 0 && !(exclude_ && (*exclude_)[u]); }

void RankingMetrics::add(int64_t u, const int32_t* top, int K) {
  if (!wants(u)) return;
  const int64_t ng = gt_.row_len(u);
  const int Kc = std::min(K, kmax_);
  ++users_;
  for (int k = 0; k < Kc; ++k) hit_[k] = top[k] >= 0 && graph::contains(gt_, u, top[k]);
  for (size_t j = 0; j < ks_.size(); ++j) {
    const int64_t Kj = ks_[j];
    double h = 0, dcg = 0, ap = 0, rr = 0;
    for (int k = 0; k < std::min<int64_t>(Kj, Kc); ++k)
      if (hit_[k]) {
        h += 1;
        dcg += 1.0 / std::log2(k + 2.0);
        ap += h / (k + 1.0);  // Precision@(k+1) at a relevant rank
        if (rr == 0) rr = 1.0 / (k + 1.0);
      }
    rec_[j] += h / static_cast<double>(ng);
    ndcg_[j] += dcg / idcg_[static_cast<size_t>(std::min<int64_t>(ng, Kj))];
    prec_[j] += h / static_cast<double>(Kj);
    map_[j] += ap / static_cast<double>(std::min<int64_t>(ng, Kj));
    hitr_[j] += h > 0 ? 1.0 : 0.0;
    mrr_[j] += rr;
    hits_[j] += h;
    pairs_[j] += static_cast<double>(ng);
  }
}

Metrics RankingMetrics::result() const {
  Metrics out;
  out.users = users_;
  const double inv = users_ > 0 ? 1.0 / static_cast<double>(users_) : 0.0;
  for (size_t j = 0; j < ks_.size(); ++j) {
    const std::string k = std::to_string(ks_[j]);
    out.v["recall@" + k] = rec_[j] * inv;
    out.v["ndcg@" + k] = ndcg_[j] * inv;
    out.v["precision@" + k] = prec_[j] * inv;
    out.v["map@" + k] = map_[j] * inv;
    out.v["hit@" + k] = hitr_[j] * inv;
    out.v["mrr@" + k] = mrr_[j] * inv;
    out.v["hits@" + k] = hits_[j];
    out.v["pairs@" + k] = pairs_[j];
  }
  return out;
}

// ---- TileScorer -----------------------------------------------------------------------------

TileScorer::TileScorer(Ctx& ctx, DType dtype, int64_t tile_users, int64_t n_items, int max_k)
    : ctx_(ctx), dtype_(dtype), tile_(std::max<int64_t>(1, tile_users)), items_(n_items),
      kmax_(static_cast<int>(std::min<int64_t>(max_k, std::max<int64_t>(n_items, 1)))) {
  LETHE_CHECK(max_k >= 1 && max_k <= 1024, "TileScorer: K must be in [1, 1024]");
  sbuf_ = Buffer(ctx, static_cast<size_t>(tile_ * items_) * dtype_size(dtype));
  vbuf_ = Buffer(ctx, static_cast<size_t>(tile_ * kmax_) * dtype_size(dtype));
  ibuf_ = Buffer(ctx, static_cast<size_t>(tile_ * kmax_) * sizeof(int32_t));
}

void TileScorer::score(const Tensor& users, const Tensor& items, int64_t u0, int64_t n) {
  LETHE_CHECK(users.dtype == dtype_ && items.dtype == dtype_, "TileScorer: embeddings of another dtype");
  LETHE_CHECK(items.rows == items_ && users.cols == items.cols, "TileScorer: embeddings of another shape");
  LETHE_CHECK(n >= 1 && n <= tile_ && u0 >= 0 && u0 + n <= users.rows, "TileScorer: tile out of range");
  u0_ = u0;
  n_ = n;
  Tensor s(sbuf_.data(), dtype_, ctx_.device(), n, items_);
  ops::gemm(ctx_, false, true, 1.0, users.slice_rows(u0, n), items, 0.0, s);
}

const std::vector<int32_t>& TileScorer::topk(const DevCsr* mask, int K, std::vector<double>* values) {
  LETHE_CHECK(n_ > 0, "TileScorer::topk before score");
  LETHE_CHECK(K >= 1 && K <= 1024, "TileScorer: K must be in [1, 1024]");
  const int Ke = std::min(K, kmax_);
  LETHE_CHECK(Ke <= kmax_, "TileScorer: K above the scorer's maximum");
  last_k_ = Ke;
  const Tensor s(sbuf_.data(), dtype_, ctx_.device(), n_, items_);
  const Tensor v(vbuf_.data(), dtype_, ctx_.device(), n_, Ke);
  const Csr m = mask ? mask->view() : Csr();
  ops::topk_rows(ctx_, s, mask ? &m : nullptr, u0_, Ke, Mat<int32_t>(static_cast<int32_t*>(ibuf_.data()), n_, Ke), v);
  ctx_.sync();
  ids_.resize(static_cast<size_t>(n_ * Ke));
  ibuf_.download(ids_.data(), ids_.size() * sizeof(int32_t));
  prof::transfer(prof::Transfer::HostRead, static_cast<double>(ids_.size() * sizeof(int32_t)));  // a synchronisation
  if (values) {
    values->resize(ids_.size());
    if (dtype_ == DType::F64) {
      vbuf_.download(values->data(), values->size() * sizeof(double));
    } else {
      tmp_f32_.resize(ids_.size());
      vbuf_.download(tmp_f32_.data(), tmp_f32_.size() * sizeof(float));
      std::copy(tmp_f32_.begin(), tmp_f32_.end(), values->begin());
    }
  }
  return ids_;
}

void TileScorer::row(int64_t r, std::vector<double>& out) {
  LETHE_CHECK(r >= 0 && r < n_, "TileScorer::row out of the tile");
  ctx_.sync();
  out.resize(static_cast<size_t>(items_));
  const size_t esz = dtype_size(dtype_);
  if (dtype_ == DType::F64) {
    sbuf_.download(out.data(), out.size() * esz, static_cast<size_t>(r * items_) * esz);
  } else {
    tmp_f32_.resize(out.size());
    sbuf_.download(tmp_f32_.data(), out.size() * esz, static_cast<size_t>(r * items_) * esz);
    std::copy(tmp_f32_.begin(), tmp_f32_.end(), out.begin());
  }
}

// ---- evaluate / topk_lists ------------------------------------------------------------------

namespace {

void check_eval(const Tensor& users, const Tensor& items, const EvalSpec& spec) {
  LETHE_CHECK(spec.truth != nullptr, "evaluate: no ground truth");
  LETHE_CHECK(users.cols == items.cols, "evaluate: user and item embeddings differ in width");
  const graph::HostCsr& gt = *spec.truth;
  LETHE_CHECK(gt.rows == users.rows && gt.cols == items.rows, "evaluate: ground truth is " +
                                                                  shape_str(gt.rows, gt.cols) + " for " +
                                                                  shape_str(users.rows, items.rows) + " scores");
}

// Scores every tile with a wanted user and counts its users' lists.
Metrics evaluate_with(TileScorer& ts, RankingMetrics& acc, const Tensor& users, const Tensor& items,
                      const EvalSpec& spec) {
  const int64_t U = users.rows;
  for (int64_t u0 = 0; u0 < U; u0 += ts.tile()) {
    const int64_t n = std::min(ts.tile(), U - u0);
    bool any = false;
    for (int64_t u = u0; u < u0 + n && !any; ++u) any = acc.wants(u);
    if (!any) continue;
    ts.score(users, items, u0, n);
    const std::vector<int32_t>& top = ts.topk(spec.mask, acc.max_k());
    const int K = ts.last_k();
    for (int64_t r = 0; r < n; ++r) acc.add(u0 + r, top.data() + r * K, K);
  }
  return acc.result();
}

}  // namespace

Metrics evaluate(Ctx& ctx, const Tensor& users, const Tensor& items, const EvalSpec& spec) {
  check_eval(users, items, spec);
  RankingMetrics acc(*spec.truth, spec.ks, spec.exclude_users);
  const int64_t U = users.rows;
  TileScorer ts(ctx, users.dtype, std::min(spec.tile_users, std::max<int64_t>(U, 1)), items.rows, acc.max_k());
  return evaluate_with(ts, acc, users, items, spec);
}

Evaluator::Evaluator(Ctx& ctx) : ctx_(ctx) {}
Evaluator::~Evaluator() = default;

int64_t Evaluator::tile_for(int64_t U, int64_t I, int64_t tile_users) const {
  int64_t tile = tile_users;
  if (ctx_.is_cuda())
    tile = std::max(tile, kGpuTileScoreBytes / (std::max<int64_t>(I, 1) * static_cast<int64_t>(sizeof(float))));
  return std::max<int64_t>(1, std::min(tile, std::max<int64_t>(U, 1)));
}

Metrics Evaluator::evaluate(const Tensor& users, const Tensor& items, const EvalSpec& spec) {
  check_eval(users, items, spec);
  RankingMetrics acc(*spec.truth, spec.ks, spec.exclude_users);
  const int64_t tile = tile_for(users.rows, items.rows, spec.tile_users);
  const int kmax = static_cast<int>(std::min<int64_t>(acc.max_k(), std::max<int64_t>(items.rows, 1)));
  if (!ts_ || ts_->tile() != tile || ts_->dtype() != users.dtype || ts_->items() != items.rows || ts_->max_k() < kmax)
    ts_ = std::make_unique<TileScorer>(ctx_, users.dtype, tile, items.rows, acc.max_k());
  return evaluate_with(*ts_, acc, users, items, spec);
}

namespace {

// The lists of topk_lists / topk_lists_scored: one TileScorer pass over the wanted users' tiles;
// the scores are copied to the host only when `scored`.
void each_topk(Ctx& ctx, const Tensor& users, const Tensor& items, const DevCsr* mask, int K,
               const std::vector<int32_t>& which, int64_t tile_users, bool scored,
               const std::function<void(int32_t, const int32_t*, const double*, int)>& sink) {
  LETHE_CHECK(K >= 1 && K <= 1024, "topk_lists: K must be in [1, 1024]");
  const int64_t U = users.rows;
  std::vector<char> want(static_cast<size_t>(U), which.empty() ? 1 : 0);
  for (int32_t u : which) {
    LETHE_CHECK(u >= 0 && u < U, "topk_lists: user " + std::to_string(u) + " out of range");
    want[u] = 1;
  }
  TileScorer ts(ctx, users.dtype, std::min(tile_users, std::max<int64_t>(U, 1)), items.rows, K);
  std::vector<double> values;
  for (int64_t u0 = 0; u0 < U; u0 += ts.tile()) {
    const int64_t n = std::min(ts.tile(), U - u0);
    if (std::none_of(want.begin() + u0, want.begin() + u0 + n, [](char c) { return c != 0; })) continue;
    ts.score(users, items, u0, n);
    const std::vector<int32_t>& top = ts.topk(mask, K, scored ? &values : nullptr);
    const int Ke = ts.last_k();
    for (int64_t r = 0; r < n; ++r) {
      if (!want[u0 + r]) continue;
      const int32_t* ids = top.data() + r * Ke;
      double* sc = scored ? values.data() + r * Ke : nullptr;
      if (sc)
        for (int k = 0; k < Ke; ++k)
          if (ids[k] < 0) sc[k] = -std::numeric_limits<double>::infinity();
      sink(static_cast<int32_t>(u0 + r), ids, sc, Ke);
    }
  }
}

}  // namespace

void topk_lists_scored(Ctx& ctx, const Tensor& users, const Tensor& items, const DevCsr* mask, int K,
                       const std::vector<int32_t>& which, int64_t tile_users,
                       const std::function<void(int32_t, const int32_t*, const double*, int)>& sink) {
  each_topk(ctx, users, items, mask, K, which, tile_users, true, sink);
}

void topk_lists(Ctx& ctx, const Tensor& users, const Tensor& items, const DevCsr* mask, int K,
                const std::vector<int32_t>& which, int64_t tile_users,
                const std::function<void(int32_t, const int32_t*, int)>& sink) {
  each_topk(ctx, users, items, mask, K, which, tile_users, false,
            [&](int32_t u, const int32_t* ids, const double*, int k) { sink(u, ids, k); });
}

}  // namespace lethe
