// engine/models/miggt.cpp — MIG-GT (Hu, Hooi, He, Wei, AAAI 2025; docs/MODELS.md, "The three backbones"): modality-
// independent receptive fields (one MGDCF propagation per branch, each with its own hop count)
// plus a sampled global transformer.
//
// Forward over the whole graph (U users, I items, N = U + I nodes, d = dim):
//   features  x_m: the raw table, or, when d_m > proj_dim, l2norm(x_m R_m) with R_m a fixed
//             Gaussian d_m×proj_dim matrix (Philox on the host, keyed by the config seed and the
//             modality's index; computed once when the model is built — a constant).
//   encoders  enc_m = PReLU(BN(Linear(Drop(PReLU(BN(Linear(x_m))))))), H hidden units → d; one
//             PReLU slope per activation (init 0.25); BN over the I item rows.
//   branches  ID: x = [E_u; 0]; modality m: x = [0; enc_m]. MGDCF with the branch's K:
//             h⁰ = x, h^{k+1} = β Ê_b h^k + α h⁰, out_b = h^K / γ_K, γ_K = β^K + α Σ_{i<K} β^i
//             (= 1 for α + β = 1: the division is skipped then). Ê_b is the MIG-GT graph with an
//             edge-dropout mask of its own per branch (same mask for all K hops of the branch).
//   z         = Drop(Σ_b out_b).
//   global    idx (N×L, L = S+1) = [n, S uniform item rows]; M = z[idx] ((N·L)×d);
//   transformer Q = M W_q + b_q, K = M W_k + b_k (d→attn_dim); O = 0.1·softmax(Q Kᵀ/√attn_dim)·M
//             + 0.9·M per node block; the node's embedding is O's row 0 of its block.
// Loss for a batch (u, i, j) (MIG-GT sums over the batch rather than averaging):
//   Σ_b −log σ(s_ui − s_uj)   [the tape's BPR with scale 1; reverse / weights per RankSpec]
//   + l2 · ½ Σ_b (‖o_u‖² + ‖o_i‖² + ‖o_j‖²)          over the batch's rows
//   + tur · Σ_b CE((o_u · O_{U+i}[s])_{s=0..S}, target 0)   (not in reverse mode, see below)
//
// Design decisions the maths leaves open (the project's choices, documented here):
//  * Score scale 1/√attn_dim (the paper: /2 with attn_dim 4) — the reference code's /√(head width).
//  * Edge dropout: torch.nn.Dropout on the normalised edge weights, self-loops included (kept
//    weights × 1/(1−p), no renormalisation), as the reference code; an independent mask per
//    branch (the reference builds one MGDCF module, hence one dropout call, per branch).
//  * Random draws are keyed by (config seed, epoch, step) and a site: each dropout site (z, each
//    encoder, each branch's edges) uses the Philox key seed ⊕ golden·(site+1), so the sites are
//    independent while sharing the trainer's (epoch, step) streams.
//  * Evaluation mode: no dropout, no edge dropout, BN with running statistics, and the global
//    transformer samples from ONE fixed stream (epoch field 0xFFFFFF, step 0) whatever (epoch,
//    step) the caller passes — evaluation is reproducible and every evaluation of a run sees the
//    same context rows. (The reference code samples afresh at every evaluation.)
//  * BN running statistics live in the parameter store (names *.running_mean / *.running_var, on
//    the BN's branch and layer) so that checkpoints, clones and unlearning carry them. They
//    never receive a gradient; Adam (weight decay 0) then never moves them; the training forward
//    updates them in place (momentum 0.1, eps 1e-5: torch's defaults).
//  * The l2 term is taken over the batch's rows (u, i, j) like the other backbones' regularisers;
//    the reference code sums over all U + I output rows.
//  * Reverse mode (unlearning): the TUR term is left out. Its target logit is o_u·o_i of the very
//    pair being forgotten, so it would push against the reverse update; the retain batch's
//    ordinary loss keeps it.
//  * Initialisation: E_u ~ N(0, 1/d) (the reference's randn/√d), linear weights Xavier-uniform
//    and biases 0 (the reference's MyLinear), BN γ = 1, β = 0, running mean 0 / var 1.
//  * Modalities listed in miggt.k_modality take that hop count; the others the auto rule
//    (text 2, image/visual 1, others 2).
//  * Only the dropouts named in docs/MODELS.md (MIG-GT) are applied (inside the encoders and on z, rate
//    miggt.feat_dropout); the reference code's extra dropouts on the raw features and on the
//    branch inputs are not. The random projection's entries are N(0, 1/proj_dim) (the scale
//    cancels in the row normalisation), drawn libm-independently (io/detmath.h).
//  * The transformer is composed from existing ops — M by gather (whose backward is the
//    deterministic scatter_add_rows: the gradients of a sampled item's many copies are summed in
//    a fixed order, no atomics), Q and K by linear — around the block-attention op; the TUR
//    candidates are the positive items' rows of O, viewed N × (L·d) and gathered.
// Tags: E_u is branch "id", layer 0; each modality's linear / BN / PReLU modules are six layers
// of its own branch; the transformer's W_q, b_q, W_k, b_k one "shared" layer.
#include <cmath>
#include <sstream>

#include "engine/models/model.h"
#include "engine/ops.h"
#include "io/normal.h"
#include "kernels/philox.h"

namespace lethe {
namespace {

constexpr double kBnEps = 1e-5, kBnMomentum = 0.1;
constexpr double kAttnWeight = 0.1, kResidualWeight = 0.9;
constexpr uint32_t kEvalEpoch = 0xFFFFFF;  // the attention-sampling stream of evaluation

uint64_t site_key(uint64_t seed, uint64_t site) { return seed ^ (0x9E3779B97F4A7C15ULL * (site + 1)); }

int64_t auto_hops(const std::string& modality) {
  if (modality == "image" || modality == "visual" || modality == "v") return 1;
  return 2;  // text and anything else
}

class MIGGT final : public Model {
 public:
  MIGGT(ModelData& data, const Config& cfg)
      : data_(data),
        d_(cfg.i64("dim")),
        H_(cfg.i64("miggt.hidden")),
        proj_dim_(cfg.i64("miggt.proj_dim")),
        k_id_(cfg.i64("miggt.k_id")),
        alpha_(cfg.f64("miggt.alpha")),
        beta_(cfg.f64("miggt.beta")),
        edge_p_(cfg.f64("miggt.edge_dropout")),
        feat_p_(cfg.f64("miggt.feat_dropout")),
        S_(cfg.i64("miggt.samples")),
        a_(cfg.i64("miggt.attn_dim")),
        l2_(cfg.f64("miggt.l2")),
        tur_(cfg.f64("miggt.tur")),
        seed_(static_cast<uint64_t>(cfg.i64("seed"))) {
    LETHE_CHECK(d_ > 0 && H_ > 0 && proj_dim_ > 0 && a_ > 0, "miggt: dim, miggt.hidden, miggt.proj_dim and miggt.attn_dim must be > 0");
    LETHE_CHECK(k_id_ >= 0, "miggt: miggt.k_id must be >= 0");
    LETHE_CHECK(S_ >= 0, "miggt: miggt.samples must be >= 0");
    LETHE_CHECK(edge_p_ >= 0 && edge_p_ < 1 && feat_p_ >= 0 && feat_p_ < 1,
                "miggt: miggt.edge_dropout and miggt.feat_dropout must lie in [0, 1)");
    LETHE_CHECK(l2_ >= 0 && tur_ >= 0, "miggt: miggt.l2 and miggt.tur must be >= 0");
    LETHE_CHECK(data.n_items > 0 || S_ == 0, "miggt: sampling context items needs at least one item");
    parse_hops(cfg.str("miggt.k_modality"));
    build_features();
    // Row n·L of the transformer output is node n's own row.
    const int64_t N = static_cast<int64_t>(data.n_users) + data.n_items, L = S_ + 1;
    std::vector<int32_t> first(static_cast<size_t>(N));
    for (int64_t n = 0; n < N; ++n) first[n] = static_cast<int32_t>(n * L);
    LETHE_CHECK(N * L < (int64_t(1) << 31), "miggt: (users + items) × (samples + 1) exceeds the int32 index range");
    first_rows_ = OwnedIdx(data.ctx(), first);
  }
  std::string name() const override { return "miggt"; }

  void declare(ParamStore& ps) override {
    pu_ = ps.add("user_emb", data_.n_users, d_, "id", 0);
    int layer = 1;
    for (size_t m = 0; m < data_.mods.size(); ++m) {
      const std::string& b = data_.mods[m].name;
      const int64_t din = feats_[m].t().cols;
      Enc e;
      e.W1 = ps.add(b + ".enc1.W", din, H_, b, layer);
      e.b1 = ps.add(b + ".enc1.b", 1, H_, b, layer++);
      e.bn1 = declare_bn(ps, b + ".bn1", H_, b, layer++);
      e.a1 = ps.add(b + ".prelu1", 1, 1, b, layer++);
      e.W2 = ps.add(b + ".enc2.W", H_, d_, b, layer);
      e.b2 = ps.add(b + ".enc2.b", 1, d_, b, layer++);
      e.bn2 = declare_bn(ps, b + ".bn2", d_, b, layer++);
      e.a2 = ps.add(b + ".prelu2", 1, 1, b, layer++);
      enc_.push_back(e);
    }
    wq_ = ps.add("attn.Wq", d_, a_, "shared", layer);
    bq_ = ps.add("attn.bq", 1, a_, "shared", layer);
    wk_ = ps.add("attn.Wk", d_, a_, "shared", layer);
    bk_ = ps.add("attn.bk", 1, a_, "shared", layer);
  }

  void init(const ParamStore& ps, uint64_t seed) override {
    uint32_t tid = 0;
    ps.set(pu_, io::philox_normals(data_.n_users * d_, seed, rng_stream(RngPurpose::kInit, 0, tid++), 1.0 / std::sqrt(double(d_))));
    auto fill = [&](int id, double v) { ps.set(id, std::vector<double>(static_cast<size_t>(ps.info(id).numel()), v)); };
    auto init_bn = [&](const Bn& bn) {
      fill(bn.gamma, 1.0);
      fill(bn.beta, 0.0);
      fill(bn.mean, 0.0);
      fill(bn.var, 1.0);
    };
    for (const Enc& e : enc_) {
      const ParamInfo &w1 = ps.info(e.W1), &w2 = ps.info(e.W2);
      ps.set(e.W1, xavier_uniform(w1.rows, w1.cols, seed, tid++));
      fill(e.b1, 0.0);
      init_bn(e.bn1);
      fill(e.a1, 0.25);
      ps.set(e.W2, xavier_uniform(w2.rows, w2.cols, seed, tid++));
      fill(e.b2, 0.0);
      init_bn(e.bn2);
      fill(e.a2, 0.25);
    }
    ps.set(wq_, xavier_uniform(d_, a_, seed, tid++));
    fill(bq_, 0.0);
    ps.set(wk_, xavier_uniform(d_, a_, seed, tid++));
    fill(bk_, 0.0);
    data_.ctx().sync();
  }

  void forward(Tape& t, bool training, uint32_t epoch, uint32_t step) override {
    const int64_t U = data_.n_users, I = data_.n_items, N = U + I, L = S_ + 1;
    const ParamStore& ps = t.params();
    const uint64_t drop_stream = rng_stream(RngPurpose::kDropout, epoch, step);
    const uint64_t edge_stream = rng_stream(RngPurpose::kEdgeDropout, epoch, step);
    std::vector<Var> outs;
    mod_items_.clear();
    // ID branch: [E_u; 0].
    eu_ = t.param(pu_);
    Var x_id = t.concat_rows(eu_, t.constant(t.zeros(I, d_)));
    outs.push_back(propagate(t, x_id, k_id_, training, 0, edge_stream));
    // Modality branches: [0; enc_m(x_m)].
    for (size_t m = 0; m < enc_.size(); ++m) {
      const Enc& e = enc_[m];
      Var h = t.linear(t.constant(feats_[m]), t.param(e.W1), t.param(e.b1));
      h = t.prelu(batchnorm(t, ps, h, e.bn1, training), t.param(e.a1));
      if (training) h = t.dropout(h, feat_p_, site_key(seed_, 1 + m), drop_stream);
      h = t.linear(h, t.param(e.W2), t.param(e.b2));
      h = t.prelu(batchnorm(t, ps, h, e.bn2, training), t.param(e.a2));
      Var x_m = t.concat_rows(t.constant(t.zeros(U, d_)), h);
      outs.push_back(propagate(t, x_m, hops_[m], training, 1 + m, edge_stream));
      mod_items_.push_back(t.slice_rows(outs.back(), U, I));
    }
    Var z = outs.size() == 1 ? outs[0] : t.sum_of(outs);
    if (training) z = t.dropout(z, feat_p_, site_key(seed_, 0), drop_stream);
    // Sampled global transformer.
    const uint64_t attn_stream =
        training ? rng_stream(RngPurpose::kAttnSample, epoch, step) : rng_stream(RngPurpose::kAttnSample, kEvalEpoch, 0);
    const IdxTensor idx = t.attn_sample(N, L, static_cast<int32_t>(U), static_cast<int32_t>(I), seed_, attn_stream);
    Var M = t.gather(z, idx);  // (N·L) × d
    Var Q = t.linear(M, t.param(wq_), t.param(bq_));
    Var K = t.linear(M, t.param(wk_), t.param(bk_));
    Var O = t.block_attention(Q, K, M, L, 1.0 / std::sqrt(static_cast<double>(a_)), kAttnWeight, kResidualWeight);
    blocks_ = t.reshape(O, N, L * d_);  // row n: node n's L output rows
    Var o = t.gather(O, first_rows_);   // N × d: each node's own row
    users_ = t.slice_rows(o, 0, U);
    items_ = t.slice_rows(o, U, I);
  }
  Var users() const override { return users_; }
  Var items() const override { return items_; }
  // The item rows of each modality branch's propagated output.
  std::vector<Var> modality_items() const override { return mod_items_; }
  // The ID branch: h^K = β^K Ê^K x + α Σ_{l<K} β^l Ê^l x (divided by γ_K when it is not 1).
  UiPropagation ui_propagation() const override {
    UiPropagation up;
    up.mig = true;
    double gamma = std::pow(beta_, static_cast<double>(k_id_));
    for (int64_t l = 0; l < k_id_; ++l) {
      up.weights.push_back(alpha_ * std::pow(beta_, static_cast<double>(l)));
      gamma += up.weights.back();
    }
    up.weights.push_back(std::pow(beta_, static_cast<double>(k_id_)));
    if (std::abs(gamma - 1.0) > 1e-12)
      for (double& w : up.weights) w /= gamma;
    up.user_param = pu_;
    return up;
  }

  LossTerms loss(Tape& t, const Batch& b, const RankSpec& rs) override {
    const int64_t U = data_.n_users, I = data_.n_items, L = S_ + 1;
    Var u = t.gather(users_, b.u), ip = t.gather(items_, b.p), in = t.gather(items_, b.n);
    LossTerms Lt;
    Lt.rank = t.bpr(u, ip, in, rs.weights, 1.0, rs.reverse);  // a sum over the batch
    const double c = 0.5 * l2_;
    Lt.reg = t.sum_of({t.sqnorm(u, c), t.sqnorm(ip, c), t.sqnorm(in, c)});
    std::vector<Var> terms{Lt.rank, Lt.reg};
    if (tur_ > 0 && !rs.reverse) {
      Var item_blocks = t.slice_rows(blocks_, U, I);  // I × (L·d)
      Var cand = t.reshape(t.gather(item_blocks, b.p), b.p.n * L, d_);
      Lt.aux = t.tur(u, cand, L, tur_);
      terms.push_back(Lt.aux);
    }
    Lt.total = t.sum_of(terms);
    return Lt;
  }

  bool negatives_reject_positives() const override { return false; }
  double rank_scale(int64_t) const override { return 1.0; }  // the ranking term is a sum over the batch

 private:
  struct Bn {
    int gamma = -1, beta = -1, mean = -1, var = -1;
  };
  struct Enc {
    int W1 = -1, b1 = -1, a1 = -1, W2 = -1, b2 = -1, a2 = -1;
    Bn bn1, bn2;
  };

  static Bn declare_bn(ParamStore& ps, const std::string& name, int64_t C, const std::string& branch, int layer) {
    Bn bn;
    bn.gamma = ps.add(name + ".gamma", 1, C, branch, layer);
    bn.beta = ps.add(name + ".beta", 1, C, branch, layer);
    bn.mean = ps.add(name + ".running_mean", 1, C, branch, layer, /*trainable=*/false);
    bn.var = ps.add(name + ".running_var", 1, C, branch, layer, /*trainable=*/false);
    return bn;
  }
  static Var batchnorm(Tape& t, const ParamStore& ps, Var x, const Bn& bn, bool training) {
    return t.batchnorm(x, t.param(bn.gamma), t.param(bn.beta), ps.value(bn.mean), ps.value(bn.var), training, kBnEps,
                       kBnMomentum);
  }

  // MGDCF over the MIG-GT graph for one branch (its own edge-dropout mask in training).
  Var propagate(Tape& t, Var x, int64_t K, bool training, uint64_t branch, uint64_t edge_stream) {
    if (K == 0) return x;  // γ_0 = 1
    const Tape::SpView g = (training && edge_p_ > 0)
                               ? t.edge_dropout(data_.mig_op(), data_.mig_t2a, edge_p_, site_key(seed_, 100 + branch), edge_stream)
                               : t.edge_dropout(data_.mig_op(), data_.mig_t2a, 0.0, 0, 0);
    Var ah0 = t.scale(x, alpha_);
    Var h = x;
    for (int64_t k = 0; k < K; ++k) h = t.add(t.scale(t.spmm(g, h), beta_), ah0);
    double gamma = std::pow(beta_, static_cast<double>(K));
    for (int64_t i = 0; i < K; ++i) gamma += alpha_ * std::pow(beta_, static_cast<double>(i));
    if (std::abs(gamma - 1.0) > 1e-12) h = t.scale(h, 1.0 / gamma);
    return h;
  }

  void parse_hops(const std::string& spec) {
    hops_.clear();
    for (const auto& m : data_.mods) hops_.push_back(auto_hops(m.name));
    if (spec == "auto") return;
    std::stringstream ss(spec);
    std::string item;
    while (std::getline(ss, item, ',')) {
      const auto colon = item.find(':');
      LETHE_CHECK(colon != std::string::npos && colon > 0 && colon + 1 < item.size(),
                  "miggt.k_modality expects name:K entries separated by commas (e.g. image:1,text:2), got '" + spec + "'");
      const std::string name = item.substr(0, colon);
      char* end = nullptr;
      const long long k = std::strtoll(item.c_str() + colon + 1, &end, 10);
      LETHE_CHECK(*end == '\0' && k >= 0, "miggt.k_modality: hop count for '" + name + "' must be an integer >= 0");
      bool found = false;
      std::string have;
      for (size_t m = 0; m < data_.mods.size(); ++m) {
        have += (m ? ", " : "") + data_.mods[m].name;
        if (data_.mods[m].name == name) {
          hops_[m] = k;
          found = true;
        }
      }
      LETHE_CHECK(found, "miggt.k_modality names modality '" + name + "', but the dataset has " +
                             (have.empty() ? std::string("none") : have));
    }
  }

  // The encoder inputs: raw features, or their fixed random projection, row-L2-normalised.
  void build_features() {
    Ctx& ctx = data_.ctx();
    for (size_t m = 0; m < data_.mods.size(); ++m) {
      const ModalityData& md = data_.mods[m];
      const Tensor& raw = md.raw;
      if (md.dim <= proj_dim_) {
        feats_.emplace_back(ctx, data_.dtype(), raw.rows, raw.cols);
        ops::copy(ctx, raw, feats_.back());
        continue;
      }
      OwnedTensor R(ctx, data_.dtype(), md.dim, proj_dim_);
      R.t().from_host(ctx, io::philox_normals(md.dim * proj_dim_, seed_, rng_stream(RngPurpose::kProjection, 0, static_cast<uint32_t>(m)),
                               1.0 / std::sqrt(static_cast<double>(proj_dim_))));
      OwnedTensor xr(ctx, data_.dtype(), raw.rows, proj_dim_), norm(ctx, data_.dtype(), raw.rows, 1);
      ops::gemm(ctx, false, false, 1.0, raw, R, 0.0, xr);
      feats_.emplace_back(ctx, data_.dtype(), raw.rows, proj_dim_);
      ops::l2norm_rows(ctx, xr, 1e-12, feats_.back(), norm);
      ctx.sync();  // R, xr and norm are released at the end of this iteration
    }
    ctx.sync();
  }

  ModelData& data_;
  int64_t d_, H_, proj_dim_, k_id_;
  double alpha_, beta_, edge_p_, feat_p_;
  int64_t S_, a_;
  double l2_, tur_;
  uint64_t seed_;
  std::vector<int64_t> hops_;
  std::vector<OwnedTensor> feats_;
  OwnedIdx first_rows_;
  int pu_ = -1, wq_ = -1, bq_ = -1, wk_ = -1, bk_ = -1;
  std::vector<Enc> enc_;
  Var eu_, blocks_, users_, items_;
  std::vector<Var> mod_items_;
};

}  // namespace

std::unique_ptr<Model> make_miggt(ModelData& data, const Config& cfg) { return std::make_unique<MIGGT>(data, cfg); }

}  // namespace lethe
