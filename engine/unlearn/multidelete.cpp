// engine/unlearn/multidelete.cpp — MultiDelete (Cheng & Amiri, ECCV 2024), adapted to multimodal
// recommenders (the design and every choice: docs/BASELINES.md).
// θ₀ is frozen: its forward is computed once per run and kept, θ′ (a copy of θ₀ on the graph
// rebuilt from D_r) is trained. With the fused pair representation z_ui = e*_u ⊙ e*_i of the final
// embeddings and d their width, each step takes a forget batch B_f and a retain batch B_r of the
// same size and minimises
//   L_MD  = mean_{b∈B_f} ‖z′_{u_b i_b} − z⁰_{u_b i_π(b)}‖² / d   (modality decoupling: the forgotten
//           pair is pulled onto θ₀'s representation of the same user with another batch item that
//           is not one of the user's train pairs, π from decoupled_items; z⁰ from θ₀ on D's graph)
//   L_MKR = mean_{b∈B_r} ‖z′_{u_b i_b} − z⁰_{u_b i_b}‖² / d       (multimodal knowledge retention)
//   L_UKR = Σ_r mean_{b∈B_f} ‖h′_r[i_b] − h⁰_r[i_b]‖² / d          (unimodal knowledge retention, over
//           the backbone's modality item representations r: Model::modality_items; none for LightGCN)
//   + the backbone's regulariser on the retain batch (its `reg` term; a negative per row from the
//     usual sampler) — not on the forget batch, where Adam would turn it into a norm-shrinking
//     forgetting signal of its own (docs/BASELINES.md),
// all with weight 1, by Adam at unlearn.lr for unlearn.epochs passes over D_f; every parameter
// is trainable. The retention references are θ₀'s forward on the edited graph by default
// (multidelete.retain_reference = edited), so L_MKR = L_UKR = 0 exactly at the first step; with
// `original` they are θ₀'s forward on D's graph, like the decoupling targets. θ′'s forward runs in
// evaluation mode (MIG-GT: no dropout, running BN statistics, the fixed attention sample), the
// mode θ₀'s references are computed in, so the comparison measures parameter drift only.
// Switches: multidelete.md / .mkr / .ukr, or the methods multidelete-no-md / -no-mkr / -no-ukr.
#include "engine/unlearn/multidelete.h"

#include <cmath>
#include <cstdio>

#include "engine/ops.h"
#include "engine/trainer.h"
#include "engine/unlearn/common.h"
#include "kernels/philox.h"

namespace lethe {

namespace unlearn {

std::vector<int32_t> decoupled_items(const std::vector<int32_t>& users, const std::vector<int32_t>& items,
                                     const graph::HostCsr& train, const std::vector<int32_t>& pool, uint64_t seed,
                                     uint32_t epoch, uint32_t step, int64_t* fallbacks) {
  LETHE_CHECK(users.size() == items.size(), "decoupled_items: users and items differ in length");
  const int64_t B = static_cast<int64_t>(users.size());
  const std::vector<int64_t> perm = shuffled(B, seed, 0x600000u + (epoch & 0xFFFFu), step);
  std::vector<int32_t> out(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) out[b] = items[perm[b]];
  auto bad = [&](int64_t b, int32_t item) { return graph::contains(train, users[b], item); };
  const uint64_t st = rng_stream(RngPurpose::kUnlearn, 0x700000u + (epoch & 0xFFFFu), step);
  for (int64_t b = 0; b < B; ++b) {
    if (!bad(b, out[b])) continue;
    bool fixed = false;
    const int64_t start = below(philox(seed, st, static_cast<uint64_t>(b)).v[0], static_cast<uint32_t>(B));
    for (int64_t k = 0; k < B && !fixed; ++k) {
      const int64_t c = (start + k) % B;
      if (c != b && !bad(b, out[c]) && !bad(c, out[b])) {
        std::swap(out[b], out[c]);
        fixed = true;
      }
    }
    if (fixed) continue;
    // No partner in the batch: an item from the pool outside D(u), 64 draws then a cyclic scan.
    LETHE_CHECK(!pool.empty(), "decoupled_items: no item to pair with");
    const uint32_t P = static_cast<uint32_t>(pool.size());
    uint32_t at = 0;
    bool found = false;
    for (uint64_t a = 0; a < 64 && !found; ++a) {
      at = below(philox(seed, st, (static_cast<uint64_t>(b) << 8) | (1u << 7) | a).v[1], P);
      found = !bad(b, pool[at]);
    }
    for (uint32_t k = 0; k < P && !found; ++k) found = !bad(b, pool[at = (at + 1) % P]);
    out[b] = pool[at];  // if the user holds every pool item, any one: no valid partner exists
    if (fallbacks) ++*fallbacks;
  }
  return out;
}

}  // namespace unlearn

namespace {

using unlearn::kRetainNeg;

// θ₀'s forward in evaluation mode on the session's current graph, copied out of the tape.
struct Reference {
  OwnedTensor users, items;
  std::vector<OwnedTensor> mods;
};

OwnedTensor keep(Ctx& ctx, const Tensor& t) {
  OwnedTensor o(ctx, t.dtype, t.rows, t.cols);
  ops::copy(ctx, t, o);
  return o;
}

Reference capture(Ctx& ctx, ModelSession& s) {
  Tape tape(ctx, s.params());
  s.model().forward(tape, false, 0, 0);
  Reference r;
  r.users = keep(ctx, tape.value(s.model().users()));
  r.items = keep(ctx, tape.value(s.model().items()));
  for (Var v : s.model().modality_items()) r.mods.push_back(keep(ctx, tape.value(v)));
  ctx.sync();
  return r;
}

struct Switches {
  bool md = true, mkr = true, ukr = true;
};

}  // namespace

UnlearnResult run_multidelete(const std::string& method, const UnlearnInput& in) {
  const unlearn::RunMeter meter;
  Ctx& ctx = *in.ctx;
  Switches sw;
  sw.md = in.cfg.flag("multidelete.md") && method != "multidelete-no-md";
  sw.mkr = in.cfg.flag("multidelete.mkr") && method != "multidelete-no-mkr";
  sw.ukr = in.cfg.flag("multidelete.ukr") && method != "multidelete-no-ukr";
  const std::string refname = in.cfg.str("multidelete.retain_reference");
  if (refname != "edited" && refname != "original")
    throw Error("multidelete.retain_reference must be edited or original, got '" + refname + "'");
  const SplitPatterns pats = split_patterns(*in.ds, *in.split);

  UnlearnResult r;
  r.method = method;
  r.session = unlearn::session_on_retain(in);
  ModelSession& s = *r.session;
  Model& model = s.model();
  const double lr = unlearn::unlearn_lr(in, model);
  AdamConfig ac;
  ac.lr = lr;
  Adam adam(s.params(), ac);
  unlearn::restore_original(in, s, &adam, lr);
  const int64_t bs = unlearn::unlearn_batch(in, model), epochs = in.cfg.i64("unlearn.epochs");
  LETHE_CHECK(bs >= 1 && epochs >= 1, "unlearning needs unlearn.batch_size >= 1 and unlearn.epochs >= 1");

  // θ₀'s forward, once: on the edited graph (the session's), and on D's graph for the decoupling
  // targets (the graph is switched to D and back; the rebuilt D_r graph is the same bits).
  const Reference ref_edited = capture(ctx, s);
  s.data().set_train(in.ds->train);
  const Reference ref_orig = capture(ctx, s);
  s.data().set_train(in.split->retain);
  const Reference& ref_keep = refname == "edited" ? ref_edited : ref_orig;
  const int64_t d = ref_edited.users.t().cols;
  if (sw.ukr && ref_keep.mods.empty())
    r.notes.push_back(model.name() + " has no modality representations: the unimodal retention term is empty");

  Tape tape(ctx, s.params());
  GradSlab G(s.params());
  unlearn::RetainCycle rcyc(in.split->retain, in.seed);
  const unlearn::EarlyStop early(in, pats, s);
  const io::Interactions& forget = in.split->forget;
  const std::vector<int32_t>& pool = s.data().graph.pool;
  int64_t fallbacks = 0;
  bool first = true;

  for (int64_t e = 0; e < epochs; ++e) {
    const auto te = std::chrono::steady_clock::now();
    const uint32_t ep = static_cast<uint32_t>(e);
    UnlearnEpoch ue;
    ue.epoch = e;
    ue.forget_pairs = forget.size();
    std::map<std::string, double> sums;
    int64_t nb = 0;
    const std::vector<int64_t> perm = unlearn::shuffled(forget.size(), in.seed, 0x000000u, ep);
    for (int64_t lo = 0; lo < forget.size(); lo += bs, ++nb) {
      const uint32_t st = static_cast<uint32_t>(nb);
      Batch fb, rb;
      for (int64_t k = lo; k < std::min(forget.size(), lo + bs); ++k) {
        fb.users.push_back(forget.user[perm[k]]);
        fb.pos.push_back(forget.item[perm[k]]);
      }
      rcyc.take(fb.size(), rb);
      const double B = static_cast<double>(fb.size()), c = 1.0 / (B * static_cast<double>(d));
      tape.clear();
      for (Batch* b : {&fb, &rb}) {
        b->u = tape.upload_idx(b->users);
        b->p = tape.upload_idx(b->pos);
      }
      sample_batch_negatives(tape, model, s.data(), rb, in.seed, kRetainNeg + ep, st);
      model.forward(tape, false, ep, st);
      const Var U = model.users(), I = model.items();
      auto pair = [&](Var users, Var items, const IdxTensor& u, const IdxTensor& i) {
        return tape.mul(tape.gather(users, u), tape.gather(items, i));
      };
      std::map<std::string, Var> term;
      if (sw.md) {
        const IdxTensor partner = tape.upload_idx(
            unlearn::decoupled_items(fb.users, fb.pos, pats.full_train, pool, in.seed, ep, st, &fallbacks));
        Var z0 = pair(tape.constant(ref_orig.users), tape.constant(ref_orig.items), fb.u, partner);
        term["md"] = tape.sqnorm(tape.sub(pair(U, I, fb.u, fb.p), z0), c);
      }
      if (sw.mkr) {
        Var z0 = pair(tape.constant(ref_keep.users), tape.constant(ref_keep.items), rb.u, rb.p);
        term["mkr"] = tape.sqnorm(tape.sub(pair(U, I, rb.u, rb.p), z0), c);
      }
      if (sw.ukr && !ref_keep.mods.empty()) {
        const std::vector<Var> hm = model.modality_items();
        std::vector<Var> parts;
        for (size_t m = 0; m < hm.size(); ++m)
          parts.push_back(tape.sqnorm(tape.sub(tape.gather(hm[m], fb.p), tape.gather(tape.constant(ref_keep.mods[m]), fb.p)), c));
        term["ukr"] = tape.sum_of(parts);
      }
      term["reg"] = model.loss(tape, rb, RankSpec{}).reg;
      std::vector<Var> all;
      for (const auto& [k, v] : term) all.push_back(v);
      const Var total = tape.sum_of(all);
      std::map<std::string, double> val;
      for (const auto& [k, v] : term) sums[k] += val[k] = tape.item(v);
      const double vt = tape.item(total);
      if (!std::isfinite(vt))
        LETHE_FAIL("multidelete diverged: loss " + std::to_string(vt) + " at epoch " + std::to_string(e + 1));
      if (first) {  // the retention terms at step 0 (0 exactly with the edited-graph references)
        for (const char* k : {"md", "mkr", "ukr"})
          if (val.count(k)) r.stats[std::string("first_step.") + k] = val[k];
        first = false;
      }
      ue.forget_loss += val.count("md") ? val["md"] : 0.0;
      ue.retain_loss += (val.count("mkr") ? val["mkr"] : 0.0) + (val.count("ukr") ? val["ukr"] : 0.0);
      G.zero(ctx);
      tape.backward(total, G);
      adam.step(ctx, s.params(), G.all());
    }
    if (nb > 0) {
      ue.forget_loss /= static_cast<double>(nb);
      ue.retain_loss /= static_cast<double>(nb);
      for (const auto& [k, v] : sums) ue.terms[k] = v / static_cast<double>(nb);
    }
    ue.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - te).count();
    r.log.push_back(ue);
    if (in.progress) {
      std::fprintf(stderr, "  %s epoch %lld/%lld:", method.c_str(), static_cast<long long>(e + 1),
                   static_cast<long long>(epochs));
      for (const auto& [k, v] : ue.terms) std::fprintf(stderr, " L_%s %.6f", k.c_str(), v);
      std::fprintf(stderr, " (%.1fs; %s)\n", ue.seconds, meter.progress(e + 1, epochs).c_str());
    }
    if (early.enabled()) {
      tape.clear();
      if (early.reached(ctx, s)) break;
    }
  }
  r.stats["decoupling_fallbacks"] = static_cast<double>(fallbacks);
  meter.finish(ctx, r);
  return r;
}

}  // namespace lethe
