// engine/unlearn/approx.cpp — the approximate unlearning methods (docs/MODELS.md, "Unlearning methods"; docs/TRU.md): finetune,
// neggrad, neggrad+, mmrecun and TRU (with its ablations), in one loop.
// Every method starts from θ₀ with the user–item graph rebuilt from D_r, and a fresh Adam at the
// training lr. An epoch is one pass over the forget set in shuffled batches; each forget batch
// is paired with the next equally sized batch of D_r (a shuffled pass over D_r, restarted when
// it runs out). finetune instead makes E passes over D_r alone. Shuffles and negatives come from
// the counter-based RNG keyed by the run's seed, so a run is reproducible bit for bit.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>

#include "engine/audit/mia.h"
#include "engine/audit/tuning_signals.h"
#include "engine/ops.h"
#include "engine/trainer.h"
#include "engine/unlearn/approx.h"
#include "engine/unlearn/common.h"
#include "engine/unlearn/tru.h"
#include "engine/unlearn/unlearn.h"

namespace lethe {

namespace {

enum class ForgetTerm { kNone, kAscent, kReverse };

struct Recipe {
  ForgetTerm forget = ForgetTerm::kNone;
  double wf = 0.0;  // weight of the forget term
  bool retain = true;
  double wr = 1.0;  // weight of the retain term
  bool finetune = false;
  double clip = 0.0;  // > 0: clip the gradient's global norm
  bool tru = false;
  TruSwitches sw;
};

Recipe recipe_for(const std::string& method, const Config& cfg, const io::ForgetSplit& split) {
  Recipe r;
  if (method == "finetune") {
    r.finetune = true;
  } else if (method == "neggrad") {
    r.forget = ForgetTerm::kAscent;
    r.wf = 1.0;
    r.retain = false;
    r.clip = cfg.f64("neggrad.clip");
  } else if (method == "neggrad+") {
    const double beta = cfg.f64("neggrad_plus.beta");
    r.forget = ForgetTerm::kAscent;
    r.wf = 1.0 - beta;
    r.wr = beta;
  } else {  // mmrecun, tru, tru-no-*
    r.forget = ForgetTerm::kReverse;
    r.wf = cfg.f64("mmrecun.alpha");
    r.wr = cfg.f64("mmrecun.beta");
    if (method.rfind("tru", 0) == 0) {
      r.tru = true;
      r.sw.gate = cfg.flag("tru.gate") && method != "tru-no-gate";
      r.sw.scaling = cfg.flag("tru.scaling") && method != "tru-no-scaling";
      r.sw.isolation = cfg.flag("tru.isolation") && method != "tru-no-isolation";
      r.sw.rows = cfg.flag("tru.rows") && method != "tru-no-rows";
      r.sw.match = cfg.flag("tru.match") && method != "tru-no-match";
      if (r.sw.match) r.sw.gate = false;  // the gate weights the reverse loss, which matching replaces
      // Confinement needs the row weights (which rows D_f touches) and applies to pair requests.
      r.sw.confine = cfg.flag("tru.confine") && method != "tru-no-confine" && r.sw.rows && deletes_pairs_only(split);
      r.sw.offset = r.sw.confine && cfg.flag("tru.offset") && method != "tru-no-offset";
      if (r.sw.confine) {
        r.retain = false;          // nothing outside the forget users' rows moves (docs/TRU.md (f))
        r.sw.isolation = false;    // the confinement is the isolation: one table, the rows D_f touches
        r.sw.scaling = false;      // one branch carries the whole update
      }
    }
  }
  return r;
}

using unlearn::EarlyStop;
using unlearn::RetainCycle;
using unlearn::shuffled;
using unlearn::unlearn_lr;

using unlearn::kFisherNeg;
using unlearn::kForgetNeg;
using unlearn::kRetainNeg;

struct Loop {
  const UnlearnInput& in;
  const Recipe& rc;
  ModelSession& s;
  const SplitPatterns& pats;
  Tape tape;
  GradSlab G, Gf, Gr;
  Adam adam;
  tru::GateSettings gs;
  std::unique_ptr<tru::BranchScaler> scaler;
  Buffer mask_dev, seg_scale_dev;
  const uint8_t* forget_mask = nullptr;  // isolation: applied to the forget gradient
  const uint8_t* step_mask = nullptr;    // isolate-retain: applied to the whole update
  double gate_sum = 0;
  int64_t gate_n = 0;
  std::vector<int32_t> anchors;  // rank matching: the current forget batch's anchor items

  Loop(const UnlearnInput& i, const Recipe& r, ModelSession& ses, const SplitPatterns& p, double lr)
      : in(i), rc(r), s(ses), pats(p), tape(*i.ctx, ses.params()), G(ses.params()), adam(ses.params(), [&] {
          AdamConfig ac;
          ac.lr = lr;
          return ac;
        }()) {
    if (separate_grads()) {
      Gf = GradSlab(s.params());
      Gr = GradSlab(s.params());
    }
    if (rc.tru && rc.sw.rows) row_weights();
    gs.k = static_cast<int>(in.cfg.i64("tru.gate.k"));
    gs.temp = in.cfg.f64("tru.gate.temp");
    gs.lambda = in.cfg.f64("tru.gate.lambda");
    gs.margin = in.cfg.f64("tru.gate.margin");
  }

  Ctx& ctx() { return *in.ctx; }
  Model& model() { return s.model(); }
  // TRU's interventions other than the gate act on the forget gradient on its own.
  bool separate_grads() const { return rc.tru && (rc.sw.scaling || rc.sw.isolation || rc.sw.rows); }

  // Row-granular isolation: one weight per row of every user- and item-indexed table.
  std::vector<std::pair<int, OwnedTensor>> row_w;
  std::vector<std::pair<int, std::vector<double>>> row_w_host;
  void row_weights() {
    const tru::RowWeights w = tru::row_weights(in.ds->n_users, in.ds->n_items, in.split->forget, in.ds->train,
                                               in.cfg.f64("tru.rows.power"));
    const UiPropagation up = model().ui_propagation();
    int user_table = up.user_param;
    if (rc.sw.offset) {  // the forget users move through their offset rows (the session's model is wrapped)
      LETHE_CHECK(has_user_offset(model().name()), "tru.offset: the session's model " + model().name() + " has no user offset");
      user_table = offset_param = s.params().id("offset.user");
      backbone_user_param = up.user_param;
    }
    std::vector<std::pair<int, const std::vector<double>*>> tables;
    if (user_table >= 0) tables.push_back({user_table, &w.user});
    if (!rc.sw.confine) {
      if (up.item_param >= 0) tables.push_back({up.item_param, &w.item});
      for (int id : model().item_row_params()) tables.push_back({id, &w.item});
    }
    for (const auto& [id, v] : tables) {
      const ParamInfo& pi = s.params().info(id);
      LETHE_CHECK(pi.rows == static_cast<int64_t>(v->size()), "tru rows: " + pi.name + " has " + std::to_string(pi.rows) +
                                                                  " rows, not one per " +
                                                                  (v == &w.user ? std::string("user") : std::string("item")));
      row_w_host.emplace_back(id, *v);
    }
    upload_row_weights();
    if (rc.sw.confine) confine_mask(user_table, w.user);
  }
  int offset_param = -1, backbone_user_param = -1;  // tru.offset: the offset table and the backbone's user table
  // Confinement: the optimizer step (forget and retain alike) is masked to the rows of the user
  // table (tru.offset: of the user offset) whose users lose pairs; every other element keeps its bits.
  void confine_mask(int user_param, const std::vector<double>& wu) {
    LETHE_CHECK(user_param >= 0, "tru.confine: " + model().name() + " has no user table to confine the update to");
    const ParamInfo& pi = s.params().info(user_param);
    std::vector<uint8_t> m(static_cast<size_t>(s.params().numel()), 0);
    for (int64_t r = 0; r < pi.rows; ++r)
      if (wu[static_cast<size_t>(r)] > 0)
        std::fill(m.begin() + pi.offset + r * pi.cols, m.begin() + pi.offset + (r + 1) * pi.cols, uint8_t{1});
    mask_dev = Buffer(ctx(), m.size());
    mask_dev.upload(m.data(), m.size());
    forget_mask = step_mask = static_cast<const uint8_t*>(mask_dev.data());
  }
  void upload_row_weights() {
    row_w.clear();
    for (const auto& [id, v] : row_w_host) {
      OwnedTensor t(ctx(), s.params().dtype(), static_cast<int64_t>(v.size()), 1);
      t.t().from_host(ctx(), v);
      row_w.emplace_back(id, std::move(t));
    }
  }

  // Rows whose whole train support is deleted (weight 1) get what Retrain gives them: a fresh
  // draw of the model's initialisation (an independent draw: the run's seed on another stream),
  // zero optimizer moments, and no forget gradient from then on. Returns how many were reset.
  int64_t reset_rows() {
    ParamStore fresh = s.params().clone();
    model().init(fresh, in.seed ^ 0xA5A5F00DC0FFEEull);
    const Tensor m = adam.m(), v = adam.v();
    int64_t n = 0;
    for (auto& [table, w] : row_w_host) {
      // tru.offset: a user with no pair left has no edge on the edited graph, so its row of the
      // backbone's user table reaches no other score — that row restarts, as without the offset.
      const int id = table == offset_param ? backbone_user_param : table;
      const ParamInfo& pi = s.params().info(id);
      std::vector<double> cur = s.params().get(id);
      const std::vector<double> init = fresh.get(id);
      for (int64_t r = 0; r < pi.rows; ++r) {
        if (w[static_cast<size_t>(r)] < 1.0) continue;
        for (int64_t c = 0; c < pi.cols; ++c) cur[static_cast<size_t>(r * pi.cols + c)] = init[static_cast<size_t>(r * pi.cols + c)];
        for (const Tensor& mom : {m, v}) ops::fill(ctx(), mom.slice_rows(pi.offset + r * pi.cols, pi.cols), 0.0);
        w[static_cast<size_t>(r)] = 0.0;
        ++n;
      }
      s.params().set(id, cur);
    }
    upload_row_weights();
    return n;
  }

  void prepare(Batch& b, uint32_t neg_epoch, uint32_t step) {
    b.u = tape.upload_idx(b.users);
    b.p = tape.upload_idx(b.pos);
    sample_batch_negatives(tape, model(), s.data(), b, in.seed, neg_epoch, step);
  }

  // The forget term on a prepared forget batch, after the forward. `use_gate` adds TRU's gate.
  Var forget_loss(Batch& fb, bool use_gate) {
    if (rc.tru && rc.sw.match) return tape.scale(match_loss(fb), rc.wf);
    if (rc.forget == ForgetTerm::kAscent) return tape.scale(model().loss(tape, fb, RankSpec{}).rank, -rc.wf);
    RankSpec rs;
    rs.reverse = true;
    if (!use_gate) return tape.scale(model().loss(tape, fb, rs).total, rc.wf);
    const tru::GateValues gv = tru::gate_values(ctx(), tape, tape.value(model().users()), tape.value(model().items()),
                                                fb.users, fb.pos, pats.full_train, gs);
    const int64_t B = fb.size();
    std::vector<double> tm(static_cast<size_t>(B));
    for (int64_t b = 0; b < B; ++b) {
      tm[b] = gv.t[b] - gs.margin;
      gate_sum += gv.g[b];
    }
    gate_n += B;
    rs.weights = tape.upload(gv.g, B, 1);
    Var lt = model().loss(tape, fb, rs).total;  // mean g·ℓ_rev + reg + aux
    // Hinge: λ_g · mean_b g_b · softplus(s_b − t_b + margin), t stop-grad, g a constant weight.
    Var sc = tape.rowdot(tape.gather(model().users(), fb.u), tape.gather(model().items(), fb.p));
    Var h = tape.softplus(tape.sub(sc, tape.constant(tape.upload(tm, B, 1))));
    Var hinge = tape.sum(tape.mul(h, tape.constant(rs.weights)), gs.lambda / static_cast<double>(B));
    return tape.scale(tape.add(lt, hinge), rc.wf);
  }

  // Rank matching: mean over the batch of T_b·log cosh((s_b − τ_b)/T_b), τ_b the anchor's current
  // score and T_b = tru.match.temp × the std of the user's scores (both constants): the gradient
  // on s_b is tanh((s_b − τ_b)/T_b), ±1 far from the target (like the reverse loss's) and fading
  // to 0 at it, from either side. A pair without an anchor weighs 0.
  Var match_loss(Batch& fb) {
    const int64_t B = fb.size();
    LETHE_CHECK(static_cast<int64_t>(anchors.size()) == B, "rank matching: the batch has no anchors");
    const Tensor& U = tape.value(model().users());
    const Tensor& It = tape.value(model().items());
    std::vector<int32_t> a(anchors);
    for (int32_t& x : a) x = std::max(x, 0);
    Tensor Ub = tape.alloc(B, U.cols), Ab = tape.alloc(B, U.cols), tau = tape.alloc(B, 1);
    ops::gather_rows(ctx(), U, fb.u, Ub);
    ops::gather_rows(ctx(), It, tape.upload_idx(a), Ab);
    ops::rowdot(ctx(), Ub, Ab, tau);
    const std::vector<double> sd = tru::score_std(ctx(), tape, Ub, It);
    const double temp = in.cfg.f64("tru.match.temp");
    std::vector<double> inv(static_cast<size_t>(B)), T(static_cast<size_t>(B)), off(static_cast<size_t>(B));
    for (int64_t b = 0; b < B; ++b) {
      const double t = std::max(temp * sd[b], 1e-12);
      const bool on = anchors[b] >= 0;
      inv[b] = on ? 1.0 / t : 0.0;
      T[b] = on ? t : 0.0;
      off[b] = std::log(2.0);
    }
    Var sc = tape.rowdot(tape.gather(model().users(), fb.u), tape.gather(model().items(), fb.p));
    Var z = tape.mul(tape.sub(sc, tape.constant(tau)), tape.constant(tape.upload(inv, B, 1)));
    // log cosh z = softplus(2z) − z − ln 2
    Var lc = tape.sub(tape.sub(tape.softplus(tape.scale(z, 2.0)), z), tape.constant(tape.upload(off, B, 1)));
    return tape.sum(tape.mul(lc, tape.constant(tape.upload(T, B, 1))), 1.0 / static_cast<double>(B));
  }

  void fisher_and_mask(const io::Interactions& forget, tru::LayerChoice* out_choice, unlearn::FisherSums* cache) {
    const int nb = static_cast<int>(in.cfg.i64("tru.isolation.batches"));
    const int64_t bs = unlearn_batch();
    if (cache && cache->filled) {
      LETHE_CHECK(cache->batches == nb && cache->batch_size == bs, "ApproxRun: Fisher sums of other batches reused");
      choose(cache->forget, cache->retain, out_choice);
      return;
    }
    std::map<int, double> ff, fr;
    const std::vector<int64_t> perm = shuffled(forget.size(), in.seed, 0x200000u, 0);
    RetainCycle rcyc(in.split->retain, in.seed ^ 0x5F5Full);
    int done = 0;
    for (int k = 0; k < nb; ++k) {
      const int64_t lo = (k * bs) % std::max<int64_t>(forget.size(), 1);
      Batch fb, rb;
      for (int64_t j = 0; j < std::min(bs, forget.size()); ++j) {
        const int64_t idx = perm[(lo + j) % forget.size()];
        fb.users.push_back(forget.user[idx]);
        fb.pos.push_back(forget.item[idx]);
      }
      rcyc.take(fb.size(), rb);
      tape.clear();
      prepare(fb, kFisherNeg, static_cast<uint32_t>(2 * k));
      prepare(rb, kFisherNeg, static_cast<uint32_t>(2 * k + 1));
      model().forward(tape, true, kFisherNeg, static_cast<uint32_t>(k));
      RankSpec rs;
      rs.reverse = true;
      Var lf = model().loss(tape, fb, rs).total;
      Var lr = model().loss(tape, rb, RankSpec{}).total;
      Gf.zero(ctx());
      tape.backward(lf, Gf);
      for (const auto& [l, v] : tru::layer_sqnorms(ctx(), s.params(), Gf.all())) ff[l] += v;
      Gr.zero(ctx());
      tape.backward(lr, Gr);
      for (const auto& [l, v] : tru::layer_sqnorms(ctx(), s.params(), Gr.all())) fr[l] += v;
      ++done;
    }
    for (auto& [l, v] : ff) v /= done;
    for (auto& [l, v] : fr) v /= done;
    if (cache) {
      cache->forget = ff;
      cache->retain = fr;
      cache->batches = nb;
      cache->batch_size = bs;
      cache->filled = true;
    }
    choose(ff, fr, out_choice);
  }

  void choose(const std::map<int, double>& ff, const std::map<int, double>& fr, tru::LayerChoice* out_choice) {
    // Row-granular isolation's tables are chosen whatever their score (tru.rows.id_tables): their
    // row weights confine the forget update to the rows D_f touches, so the capacity budget,
    // which guards dense layers every prediction goes through, has nothing to guard there.
    std::vector<int> always;
    if (rc.tru && rc.sw.rows && in.cfg.flag("tru.rows.id_tables"))
      for (const auto& [id, w] : row_w_host) {
        const int l = s.params().info(id).layer;
        if (std::find(always.begin(), always.end(), l) == always.end()) always.push_back(l);
      }
    *out_choice = tru::choose_layers(s.params(), ff, fr, in.cfg.f64("tru.isolation.kappa"),
                                     static_cast<int>(in.cfg.i64("tru.isolation.kmax")),
                                     in.cfg.f64("tru.isolation.alpha"), always);
    const std::vector<uint8_t> m = tru::layer_mask(s.params(), out_choice->layers);
    mask_dev = Buffer(ctx(), m.size());
    mask_dev.upload(m.data(), m.size());
    forget_mask = static_cast<const uint8_t*>(mask_dev.data());
    if (in.cfg.flag("tru.isolation.retain")) step_mask = forget_mask;
  }

  int64_t unlearn_batch() const { return unlearn::unlearn_batch(in, s.model()); }

  // One optimisation step on a prepared forget batch (may be empty for finetune) and retain batch.
  std::pair<double, double> step(Batch* fb, Batch* rb, uint32_t epoch, uint32_t stepno) {
    model().forward(tape, true, epoch, stepno);
    Var lf, lr;
    if (fb && rc.forget != ForgetTerm::kNone) lf = forget_loss(*fb, rc.tru && rc.sw.gate);
    if (rb && rc.retain) lr = tape.scale(model().loss(tape, *rb, RankSpec{}).total, rc.wr);
    const double vf = lf.valid() ? tape.item(lf) : 0.0, vr = lr.valid() ? tape.item(lr) : 0.0;
    if (!std::isfinite(vf) || !std::isfinite(vr))
      LETHE_FAIL("unlearning diverged: forget loss " + std::to_string(vf) + ", retain loss " + std::to_string(vr) +
                 " at epoch " + std::to_string(epoch + 1));
    const bool separate = separate_grads() && lf.valid();
    if (separate) {
      Gf.zero(ctx());
      tape.backward(lf, Gf);
      for (const auto& [id, w] : row_w) ops::scale_rows(ctx(), Gf.view(id), w, Gf.view(id));
      Tensor gr;
      if (lr.valid()) {
        Gr.zero(ctx());
        tape.backward(lr, Gr);
        gr = Gr.all();
      }
      SegScale seg;
      if (rc.sw.scaling) {
        scaler->update(ctx(), s.params(), Gf.all());
        const std::vector<float> sc = scaler->segment_scales(s.params());
        if (seg_scale_dev.bytes() != sc.size() * sizeof(float)) seg_scale_dev = Buffer(ctx(), sc.size() * sizeof(float));
        seg_scale_dev.upload(sc.data(), sc.size() * sizeof(float));
        seg.offsets = s.params().offsets_device();
        seg.scale = static_cast<const float*>(seg_scale_dev.data());
        seg.nseg = s.params().count();
      }
      ops::grad_combine(ctx(), G.all(), Gf.all(), gr, (rc.sw.isolation || rc.sw.confine) ? forget_mask : nullptr, seg);
      adam.step(ctx(), s.params(), G.all(), step_mask);
    } else {
      Var total = lf.valid() && lr.valid() ? tape.add(lf, lr) : (lf.valid() ? lf : lr);
      G.zero(ctx());
      tape.backward(total, G);
      if (rc.clip > 0) ops::clip_global_norm(ctx(), G.all(), rc.clip);
      adam.step(ctx(), s.params(), G.all());
    }
    return {vf, vr};
  }
};

// For item requests under the gate: D_f plus (u, i) for every user whose current top-K (D_r
// masked) holds a deleted item (docs/TRU.md) — the item persists through collaborative signal.
io::Interactions item_gate_pairs(Ctx& ctx, ModelSession& s, const SplitPatterns& pats, const io::ForgetSplit& split,
                                 int K, int64_t tile) {
  io::Interactions out = split.forget;
  std::set<std::pair<int32_t, int32_t>> have;
  for (int64_t k = 0; k < out.size(); ++k) have.insert({out.user[k], out.item[k]});
  std::vector<char> deleted(static_cast<size_t>(s.data().n_items), 0);
  for (int32_t i : split.deleted_items) deleted[i] = 1;
  Embeddings e = embed(ctx, s.model(), s.params());
  topk_lists(ctx, e.users, e.items, &s.data().train_mask, K, {}, tile, [&](int32_t u, const int32_t* items, int k) {
    if (pats.deleted_user[u]) return;
    for (int j = 0; j < k; ++j)
      if (items[j] >= 0 && deleted[items[j]] && have.insert({u, items[j]}).second) out.push(u, items[j]);
  });
  return out;
}

// Rank matching's targets for this epoch, from the current model (docs/TRU.md, "(e)").
tru::MatchTargets match_targets_now(const UnlearnInput& in, ModelSession& ses, const SplitPatterns& pats, Tape& tape) {
  const io::ForgetSplit& sp = *in.split;
  const io::Interactions unseen =
      audit::unseen_population(*in.ds, sp, audit::effective_regime(*in.ds, sp, io::Regime::kExplicit));
  tape.clear();
  const Embeddings e = embed(*in.ctx, ses.model(), ses.params());
  return tru::match_targets(*in.ctx, e.users, e.items, sp.forget, unseen, pats.retain_train,
                            static_cast<int>(in.cfg.i64("tru.match.strata")));
}

}  // namespace

namespace unlearn {

struct ApproxRun::Impl {
  const UnlearnInput& in;
  ModelSession& s;
  const SplitPatterns& pats;
  const std::string method;
  const Recipe rc;
  Loop L;
  int64_t bs = 0, planned = 0, done = 0;
  bool item_regime = false;
  RetainCycle rcyc;
  EarlyStop early;
  std::vector<char> saved;  // the parameters while suspended
  bool suspended = false;

  Impl(const std::string& m, const UnlearnInput& i, ModelSession& ses, const SplitPatterns& p)
      : in(i), s(ses), pats(p), method(m), rc(recipe_for(m, i.cfg, *i.split)), L(i, rc, ses, p, unlearn_lr(i, ses.model())),
        rcyc(i.split->retain, i.seed), early(i, p, ses) {}
};

ApproxRun::ApproxRun(const std::string& method, const UnlearnInput& in, ModelSession& s, const SplitPatterns& pats)
    : p_(std::make_unique<Impl>(method, in, s, pats)) {}

ApproxRun::~ApproxRun() = default;

void ApproxRun::begin(UnlearnResult& r, FisherSums* fisher) {
  Impl& P = *p_;
  const UnlearnInput& in = P.in;
  unlearn::restore_original(in, P.s, &P.L.adam, P.L.adam.lr());
  if (P.rc.tru && P.rc.sw.rows && in.cfg.flag("tru.rows.reset"))
    r.stats["rows_reset"] = static_cast<double>(P.L.reset_rows());
  P.bs = P.L.unlearn_batch();
  P.planned = P.rc.finetune ? in.cfg.i64_or("finetune.epochs", in.cfg.i64("unlearn.epochs")) : in.cfg.i64("unlearn.epochs");
  LETHE_CHECK(P.bs >= 1 && P.planned >= 1, "unlearning needs unlearn.batch_size >= 1 and unlearn.epochs >= 1");
  if (P.rc.tru && P.rc.sw.isolation) {
    tru::LayerChoice choice;
    P.L.fisher_and_mask(in.split->forget, &choice, fisher);
    for (int l : choice.layers) r.selected_layers.push_back(choice.name[l]);
    for (const auto& [l, v] : choice.score) r.layer_scores[choice.name[l]] = v;
  }
  if (P.rc.tru && P.rc.sw.scaling)
    P.L.scaler = std::make_unique<tru::BranchScaler>(P.s.params(), in.cfg.f64("tru.scaling.gamma"),
                                                     in.cfg.f64("tru.scaling.cmin"), in.cfg.f64("tru.scaling.cmax"),
                                                     in.cfg.f64("tru.scaling.ema"));
  P.item_regime = !in.split->deleted_items.empty();
}

int64_t ApproxRun::done() const { return p_->done; }
int64_t ApproxRun::planned() const { return p_->planned; }

UnlearnEpoch ApproxRun::epoch() {
  Impl& P = *p_;
  LETHE_CHECK(!P.suspended, "ApproxRun: epoch() on a suspended run");
  const UnlearnInput& in = P.in;
  const Recipe& rc = P.rc;
  Loop& L = P.L;
  const int64_t e = P.done, bs = P.bs;
  const auto te = std::chrono::steady_clock::now();
  UnlearnEpoch ue;
  ue.epoch = e;
  L.gate_sum = 0;
  L.gate_n = 0;
  const uint32_t ep = static_cast<uint32_t>(e);
  int64_t nb = 0;
  if (rc.finetune) {
    const std::vector<int64_t> perm = shuffled(in.split->retain.size(), in.seed, 0x100000u, ep);
    const int64_t n = in.split->retain.size();
    for (int64_t lo = 0; lo < n; lo += bs, ++nb) {
      Batch rb;
      for (int64_t k = lo; k < std::min(n, lo + bs); ++k) {
        rb.users.push_back(in.split->retain.user[perm[k]]);
        rb.pos.push_back(in.split->retain.item[perm[k]]);
      }
      L.tape.clear();
      L.prepare(rb, kRetainNeg + ep, static_cast<uint32_t>(nb));
      ue.retain_loss += L.step(nullptr, &rb, ep, static_cast<uint32_t>(nb)).second;
    }
  } else {
    const io::Interactions forget =
        (rc.tru && rc.sw.gate && P.item_regime)
            ? item_gate_pairs(*in.ctx, P.s, P.pats, *in.split, L.gs.k, in.cfg.i64("eval.tile_users"))
            : in.split->forget;
    ue.forget_pairs = forget.size();
    tru::MatchTargets mt;
    if (rc.tru && rc.sw.match) {
      mt = match_targets_now(in, P.s, P.pats, L.tape);
      double tr = 0, cr = 0;
      for (size_t k = 0; k < mt.target.size(); ++k) {
        tr += std::log(static_cast<double>(mt.target[k]));
        cr += std::log(static_cast<double>(mt.rank[k]));
      }
      if (!mt.target.empty()) {
        ue.match_rank = std::exp(cr / static_cast<double>(mt.target.size()));
        ue.match_target = std::exp(tr / static_cast<double>(mt.target.size()));
      }
    }
    const std::vector<int64_t> perm = shuffled(forget.size(), in.seed, 0x000000u, ep);
    const bool with_retain = rc.retain && in.split->retain.size() > 0;  // a request may leave nothing to retain
    for (int64_t lo = 0; lo < forget.size(); lo += bs, ++nb) {
      Batch fb, rb;
      L.anchors.clear();
      for (int64_t k = lo; k < std::min(forget.size(), lo + bs); ++k) {
        fb.users.push_back(forget.user[perm[k]]);
        fb.pos.push_back(forget.item[perm[k]]);
        if (!mt.anchor.empty()) L.anchors.push_back(mt.anchor[static_cast<size_t>(perm[k])]);
      }
      if (with_retain) P.rcyc.take(fb.size(), rb);
      L.tape.clear();
      L.prepare(fb, kForgetNeg + ep, static_cast<uint32_t>(nb));
      if (with_retain) L.prepare(rb, kRetainNeg + ep, static_cast<uint32_t>(nb));
      const auto [vf, vr] = L.step(&fb, with_retain ? &rb : nullptr, ep, static_cast<uint32_t>(nb));
      ue.forget_loss += vf;
      ue.retain_loss += vr;
    }
  }
  if (nb > 0) {
    ue.forget_loss /= static_cast<double>(nb);
    ue.retain_loss /= static_cast<double>(nb);
  }
  if (L.gate_n > 0) ue.gate_mean = L.gate_sum / static_cast<double>(L.gate_n);
  if (L.scaler)
    for (size_t b = 0; b < P.s.params().branches().size(); ++b)
      ue.branch_scale[P.s.params().branches()[b]] = L.scaler->scales()[b];
  ue.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - te).count();
  ++P.done;
  return ue;
}

bool ApproxRun::early_stop_reached() {
  Impl& P = *p_;
  if (!P.early.enabled() || P.rc.finetune) return false;
  P.L.tape.clear();
  return P.early.reached(*P.in.ctx, P.s);
}

void ApproxRun::suspend() {
  Impl& P = *p_;
  if (P.suspended) return;
  P.L.tape.clear();
  P.saved = P.s.params().slab_bytes();
  P.suspended = true;
}

void ApproxRun::resume() {
  Impl& P = *p_;
  if (!P.suspended) return;
  P.s.params().set_slab_bytes(P.saved);
  P.saved.clear();
  P.saved.shrink_to_fit();
  P.suspended = false;
}

void ApproxRun::set_params(const std::vector<char>& bytes) {
  LETHE_CHECK(!p_->suspended, "ApproxRun: set_params on a suspended run");
  p_->s.params().set_slab_bytes(bytes);
}

std::string unlearn_model(const std::string& method, const UnlearnInput& in) {
  return recipe_for(method, in.cfg, *in.split).sw.offset ? in.model + kUserOffsetSuffix : std::string();
}

std::vector<char> ApproxRun::params() const { return p_->suspended ? p_->saved : p_->s.params().slab_bytes(); }

}  // namespace unlearn

UnlearnResult run_approximate(const std::string& method, const UnlearnInput& in) {
  const unlearn::RunMeter meter;
  Ctx& ctx = *in.ctx;
  const SplitPatterns pats = split_patterns(*in.ds, *in.split);

  UnlearnResult r;
  r.method = method;
  // θ₀ on the edited graph: the deleted edges stop propagating from the first step.
  r.session = unlearn::session_on_retain(in, unlearn::unlearn_model(method, in));
  unlearn::ApproxRun run(method, in, *r.session, pats);
  run.begin(r);
  const int64_t epochs = run.planned();
  for (int64_t e = 0; e < epochs; ++e) {
    const UnlearnEpoch ue = run.epoch();
    r.log.push_back(ue);
    if (in.progress) {
      std::fprintf(stderr, "  %s epoch %lld/%lld: forget loss %.5f, retain loss %.5f", method.c_str(),
                   static_cast<long long>(e + 1), static_cast<long long>(epochs), ue.forget_loss, ue.retain_loss);
      if (ue.gate_mean >= 0) std::fprintf(stderr, ", mean gate %.3f", ue.gate_mean);
      std::fprintf(stderr, " (%.1fs; %s)\n", ue.seconds, meter.progress(e + 1, epochs).c_str());
    }
    if (run.early_stop_reached()) break;
  }
  meter.finish(ctx, r);
  return r;
}

}  // namespace lethe
