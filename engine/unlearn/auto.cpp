// engine/unlearn/auto.cpp — see auto.h.
#include "engine/unlearn/auto.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>

#include "engine/audit/tuning_signals.h"
#include "engine/checkpointing.h"
#include "engine/trainer.h"
#include "engine/unlearn/approx.h"
#include "engine/unlearn/common.h"
#include "io/json.h"
#include "kernels/philox.h"

namespace lethe::unlearn {

namespace {

constexpr uint32_t kAutoDraw = 0x900000u;  // the candidates' draws (a stream of the unlearning purpose)

// A searched setting: its key, range and whether it is searched on a log scale; a switch is
// searched as on (the upper half of its unit range) or off.
struct Knob {
  std::string key;
  double lo, hi;
  bool log;
  bool flag = false;
};

// TRU or one of its ablations (tru-no-gate, ...): which interventions the runs have on.
bool tru_family(const std::string& base_method) { return base_method == "tru" || base_method.rfind("tru-no-", 0) == 0; }
bool tru_has(const std::string& base_method, const Config& base, const std::string& part) {
  return base.flag("tru." + part) && base_method != "tru-no-" + part;
}

std::vector<Knob> knobs_for(const std::string& base_method, const Config& base, double lr0, bool pairs_only) {
  std::vector<Knob> k;
  k.push_back({"unlearn.lr", lr0 * base.f64("unlearn.auto.lr_low"), lr0 * base.f64("unlearn.auto.lr_high"), true});
  if (!tru_family(base_method)) return k;
  // Whether the gate and layer isolation are worth their cost differs by request (the gate hurt on
  // deleted users and helped on deleted pairs; layer isolation can leave out every table whose
  // rows hold a deleted pair): the search decides them with the rest (unlearn.auto.*_switch).
  // Settings that do nothing in a run are not searched: the gate under rank matching (which
  // replaces the loss it weights), isolation and scaling under confinement (docs/TRU.md, (f)).
  const bool confined = pairs_only && tru_has(base_method, base, "confine") && tru_has(base_method, base, "rows");
  if (tru_has(base_method, base, "gate") && !tru_has(base_method, base, "match")) {
    if (base.flag("unlearn.auto.gate_switch")) k.push_back({"tru.gate", 0.0, 1.0, false, true});
    k.push_back({"tru.gate.lambda", 0.0, 1.0, false});
  }
  if (tru_has(base_method, base, "isolation") && !confined) {
    if (base.flag("unlearn.auto.isolation_switch")) k.push_back({"tru.isolation", 0.0, 1.0, false, true});
    k.push_back({"tru.isolation.kappa", 0.1, 0.6, false});
    k.push_back({"tru.isolation.alpha", 0.0, 0.5, false});
  }
  if (tru_has(base_method, base, "scaling") && !confined) k.push_back({"tru.scaling.gamma", 0.5, 1.5, false});
  if (tru_has(base_method, base, "rows")) k.push_back({"tru.rows.power", 0.5, 1.5, false});
  return k;
}

double unit(uint64_t seed, uint32_t knob, uint64_t counter) {
  const U32x4 r = philox(seed, rng_stream(RngPurpose::kUnlearn, kAutoDraw, knob), counter);
  return (static_cast<double>(r.v[0]) + 0.5) / 4294967296.0;
}

std::string setting_text(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

using audit::Signals;

io::Json signals_json(const Signals& s) {
  io::Json j = io::Json::object();
  j["utility"] = s.utility;
  j["utility_retained"] = s.utility_retained;
  j["forget"] = s.forget;
  j["valid"] = s.valid;
  j["target"] = s.target;
  j["parity"] = s.parity();
  j["parity_band"] = s.parity_band;
  j["parity_se"] = s.parity_se;
  j["mia_auc"] = s.mia_auc;
  j["mia_se"] = s.mia_se;
  j["parity_dev"] = s.parity_dev;
  j["mia_dev"] = s.mia_dev;
  j["utility_se"] = s.utility_se;
  j["parity_ok"] = s.parity_ok;
  j["mia_ok"] = s.mia_ok;
  j["floor_ok"] = s.floor_ok;
  return j;
}

// One candidate's run and what the search knows about it.
struct Trial {
  AutoCandidate cand;
  std::unique_ptr<UnlearnInput> in;  // the run keeps a reference
  std::unique_ptr<ApproxRun> run;
  UnlearnResult start;               // the layer choice made by begin()
  std::vector<UnlearnEpoch> log;
  std::vector<char> best_params;
  Signals best;
  int64_t best_epoch = -1;           // 1-based epoch of best_params
  // The epochs on either side of the best one (for the refinement between them) and the last.
  struct Kept {
    std::vector<char> params;
    Signals signals;
    int64_t epoch = -1;
  };
  Kept before, after, last;
  bool finished = false;             // forgot, fell below the floor for good, or ran out of epochs
  int64_t below = 0;                 // consecutive spent() epochs
  std::string why;                   // why it finished
};

// How good an epoch is, smaller first: forgot (both signals hold) within the utility floor, by
// the closer parity; within the floor, by the closer parity (then the closer membership signal);
// below the floor (only when no epoch keeps it), by the closer parity — a deletion request is
// honoured even when the floor cannot be kept. Parity decides because it is the signal the
// forgetting is judged by and V is the best guess of where a model that never saw D_f would put
// it; the membership signal alone would always prefer the deepest forgetting.
struct EpochKey {
  int cls;
  double parity_dev, mia_dev;
  bool operator<(const EpochKey& o) const {
    if (cls != o.cls) return cls < o.cls;
    if (parity_dev != o.parity_dev) return parity_dev < o.parity_dev;
    return mia_dev < o.mia_dev;
  }
};
EpochKey epoch_key(const Signals& s) {
  if (!s.floor_ok) return {2, s.parity_dev, s.mia_dev};
  return {s.forgot() ? 0 : 1, s.parity_dev, s.mia_dev};
}
// An epoch after which the run cannot improve: below the utility floor, or past parity on the
// far side (F < V − band: the reverse update only buries D_f deeper from there).
bool spent(const Signals& s) { return !s.floor_ok || (s.parity_band > 0 && s.target - s.forget > s.parity_band); }

// How good a candidate is for the halving: its best epoch's key (not evaluated yet: last).
EpochKey trial_key(const Trial& t) {
  if (t.best_epoch < 0) return {3, 0.0, 0.0};
  return epoch_key(t.best);
}

std::string key_text(const EpochKey& k) {
  static const char* cls[] = {"forgot within the utility floor", "within the utility floor, not forgotten",
                              "below the utility floor", "not evaluated"};
  return cls[k.cls];
}

}  // namespace

std::string auto_base(const std::string& method) {
  if (method == "tru-auto") return "tru";
  if (method == "mmrecun-auto") return "mmrecun";
  for (const char* part : {"gate", "scaling", "isolation", "rows", "match", "confine", "offset"})
    if (method == std::string("tru-auto-no-") + part) return std::string("tru-no-") + part;
  return "";
}

std::vector<AutoCandidate> auto_candidates(const std::string& base_method, const Config& base, double lr0, uint64_t seed,
                                           bool pairs_only) {
  LETHE_CHECK(tru_family(base_method) || base_method == "mmrecun", "auto: no search for method " + base_method);
  const int n = static_cast<int>(base.i64("unlearn.auto.candidates"));
  LETHE_CHECK(base.f64("unlearn.auto.lr_low") <= base.f64("unlearn.auto.lr_high"),
              "unlearn.auto.lr_low must not exceed unlearn.auto.lr_high");
  const std::vector<Knob> knobs = knobs_for(base_method, base, lr0, pairs_only);
  std::vector<AutoCandidate> out(static_cast<size_t>(n));
  for (int c = 0; c < n; ++c) out[static_cast<size_t>(c)].id = c;
  // Candidate 0: the run's own settings, at the centre of the learning-rate range.
  out[0].settings.push_back({"unlearn.lr", setting_text(std::sqrt(knobs[0].lo * knobs[0].hi))});
  // The others: per knob, a seeded permutation of n − 1 strata of the range, one point drawn in
  // each (a Latin hypercube: every stratum of every knob is tried once).
  const int m = n - 1;
  for (size_t k = 0; k < knobs.size() && m > 0; ++k) {
    const std::vector<int64_t> perm = shuffled(m, seed, kAutoDraw + 1 + static_cast<uint32_t>(k), 0);
    const Knob& kb = knobs[k];
    for (int c = 1; c < n; ++c) {
      const double u = (static_cast<double>(perm[static_cast<size_t>(c - 1)]) + unit(seed, static_cast<uint32_t>(k), c)) /
                       static_cast<double>(m);
      if (kb.flag) {
        out[static_cast<size_t>(c)].settings.push_back({kb.key, u >= 0.5 ? "true" : "false"});
        continue;
      }
      const double v = kb.log ? std::exp(std::log(kb.lo) + u * (std::log(kb.hi) - std::log(kb.lo))) : kb.lo + u * (kb.hi - kb.lo);
      out[static_cast<size_t>(c)].settings.push_back({kb.key, setting_text(v)});
    }
  }
  for (auto& c : out) {
    c.cfg = base;
    for (const auto& [k, v] : c.settings) c.cfg.set(k, v, "unlearn.auto candidate " + std::to_string(c.id));
  }
  return out;
}

UnlearnResult run_auto(const std::string& method, const UnlearnInput& in) {
  const RunMeter meter;
  const std::string base = auto_base(method);
  LETHE_CHECK(!base.empty(), "run_auto: " + method + " is not an auto method");
  Ctx& ctx = *in.ctx;
  // The tuner's own copy of the data holds no test row: nothing below can read one.
  io::Dataset view = *in.ds;
  view.test = io::Interactions{};
  UnlearnInput vin = in;
  vin.ds = &view;
  Config cfg = in.cfg;
  // The search's optimizer start (unlearn.auto.adam_state, default: continue θ₀'s Adam moments,
  // docs/TRU.md); a θ₀ written without its Adam state starts fresh.
  std::string adam_state = cfg.str("unlearn.auto.adam_state");
  if (adam_state != "fresh" && adam_state != "original")
    throw Error("unlearn.auto.adam_state must be fresh or original, got '" + adam_state + "'");
  std::string adam_note;
  if (adam_state == "original" && !in.original->find("adam.m")) {
    adam_state = "fresh";
    adam_note = "θ₀'s checkpoint holds no Adam state: the search started every candidate with a fresh Adam.";
  }
  cfg.set("unlearn.adam_state", adam_state, "unlearn.auto.adam_state");
  vin.cfg = cfg;

  const audit::TuningSettings ts = audit::tuning_settings(cfg);
  const int64_t tile = cfg.i64("eval.tile_users");
  audit::TuningSignals sig(ctx, view, *in.split, io::Regime::kExplicit, in.seed, ts, tile);

  UnlearnResult r;
  r.method = method;
  const SplitPatterns pats = split_patterns(view, *in.split);
  r.session = session_on_retain(vin, unlearn_model(base, vin));
  ModelSession& ses = *r.session;
  Signals s0;
  {  // θ₀ where unlearning starts (the edited graph): the reference of the utility floor
    restore_backbone_checkpoint(*in.original, "the original model", ses.params(), nullptr);
    const Embeddings e = embed(ctx, ses.model(), ses.params());
    s0 = sig.measure_reference(e.users, e.items);
  }
  const double lr0 = unlearn_lr(vin, ses.model());
  const int64_t rung0 = cfg.i64("unlearn.auto.rung_epochs"), max_epochs = cfg.i64("unlearn.auto.max_epochs");
  const int64_t eta = cfg.i64("unlearn.auto.eta");
  LETHE_CHECK(rung0 <= max_epochs, "unlearn.auto.rung_epochs must not exceed unlearn.auto.max_epochs");

  io::Json head = io::Json::object();
  head["auto"] = "start";
  head["method"] = base;
  head["regime"] = io::regime_name(sig.regime());
  head["parity_population"] = sig.population();
  head["mia_population"] = sig.plan().a_population;
  head["reference"] = signals_json(s0);
  head["utility_floor"] = sig.floor();
  head["floor_population"] = sig.floor_population();
  r.trace.push_back(head);

  std::vector<Trial> trials;
  for (AutoCandidate& c : auto_candidates(base, cfg, lr0, in.seed, deletes_pairs_only(*in.split))) {
    Trial t;
    t.cand = std::move(c);
    t.in = std::make_unique<UnlearnInput>(vin);
    t.in->cfg = t.cand.cfg;
    t.in->progress = false;
    trials.push_back(std::move(t));
  }
  FisherSums fisher;  // the layer-isolation estimate, made once for every candidate
  for (Trial& t : trials) {
    t.run = std::make_unique<ApproxRun>(base, *t.in, ses, pats);
    t.run->begin(t.start, &fisher);
    t.run->suspend();
    io::Json j = io::Json::object();
    j["auto"] = "candidate";
    j["candidate"] = t.cand.id;
    io::Json st = io::Json::object();
    for (const auto& [k, v] : t.cand.settings) st[k] = v;
    j["settings"] = st;
    io::Json layers = io::Json::array();
    for (const auto& l : t.start.selected_layers) layers.push_back(l);
    j["selected_layers"] = layers;
    r.trace.push_back(j);
  }

  const int64_t patience = cfg.i64("unlearn.auto.patience");
  // The whole search's epochs, every candidate's together, at most (0: no cap): once spent, every
  // candidate is finished and the best epoch seen so far is the result.
  const int64_t budget = cfg.i64("unlearn.auto.max_total_epochs");
  int64_t spent_epochs = 0;
  auto advance = [&](Trial& t, int64_t until, int rung) {
    if (t.finished) return;
    if (budget > 0 && spent_epochs >= budget) {
      t.finished = true;
      t.why = "the search's epoch budget (unlearn.auto.max_total_epochs) was spent";
      return;
    }
    int64_t& below = t.below;
    t.run->resume();
    while (t.run->done() < until) {
      if (budget > 0 && spent_epochs >= budget) {
        t.finished = true;
        t.why = "the search's epoch budget (unlearn.auto.max_total_epochs) was spent";
        break;
      }
      const UnlearnEpoch ue = t.run->epoch();
      ++spent_epochs;
      t.log.push_back(ue);
      const auto te = std::chrono::steady_clock::now();
      const Embeddings e = embed(ctx, ses.model(), ses.params());
      const Signals s = sig.measure(e.users, e.items);
      const double eval_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - te).count();
      const int64_t ep = t.run->done();
      const bool better = t.best_epoch < 0 || epoch_key(s) < epoch_key(t.best);
      std::vector<char> now = ses.params().slab_bytes();
      if (better) {
        t.before = t.last;
        t.after = Trial::Kept{};
        t.best = s;
        t.best_epoch = ep;
        t.best_params = now;
      } else if (t.after.epoch < 0 && ep == t.best_epoch + 1) {
        t.after = Trial::Kept{now, s, ep};
      }
      t.last = Trial::Kept{std::move(now), s, ep};
      io::Json j = io::Json::object();
      j["auto"] = "epoch";
      j["candidate"] = t.cand.id;
      j["rung"] = rung;
      j["epoch"] = ep;
      j["signals"] = signals_json(s);
      j["best"] = better;
      j["train_seconds"] = ue.seconds;
      j["eval_seconds"] = eval_s;
      if (ue.match_rank >= 0) {
        j["match_rank"] = ue.match_rank;
        j["match_target"] = ue.match_target;
      }
      r.trace.push_back(j);
      if (in.progress)
        std::fprintf(stderr,
                     "  %s candidate %d epoch %lld: valid R@20 %.4f (floor %.4f), forget %.4f vs target %.4f (band %.4f), "
                     "membership AUC %.3f (SE %.3f)%s\n",
                     method.c_str(), t.cand.id, static_cast<long long>(ep), s.utility, sig.floor(), s.forget, s.target,
                     s.parity_band, s.mia_auc, s.mia_se, s.forgot() ? " — forgot" : "");
      if (s.forgot()) {
        t.finished = true;
        t.why = "forgot at epoch " + std::to_string(ep);
        break;
      }
      below = spent(s) ? below + 1 : 0;
      if (below >= patience) {  // utility only falls and D_f only sinks as the reverse update goes on
        t.finished = true;
        t.why = "below the utility floor or past forget parity for " + std::to_string(below) + " epochs at epoch " +
                std::to_string(ep);
        break;
      }
      if (ep >= max_epochs) {
        t.finished = true;
        t.why = "reached unlearn.auto.max_epochs";
        break;
      }
    }
    t.run->suspend();
  };

  // Where every candidate starts (θ₀, plus TRU's reset of the rows whose whole support is
  // deleted): when that already forgot within the floor, no epoch is needed.
  {
    Trial& t = trials.front();
    t.run->resume();
    const Embeddings e = embed(ctx, ses.model(), ses.params());
    const Signals s = sig.measure(e.users, e.items);
    io::Json j = io::Json::object();
    j["auto"] = "epoch";
    j["candidate"] = t.cand.id;
    j["rung"] = 0;
    j["epoch"] = 0;
    j["signals"] = signals_json(s);
    r.trace.push_back(j);
    if (s.forgot() && s.floor_ok) {
      t.best = s;
      t.best_epoch = 0;
      t.best_params = ses.params().slab_bytes();
      t.finished = true;
      t.why = "forgot before the first epoch";
    }
    t.run->suspend();
  }

  auto log_rung = [&](int rung, const Trial& t, const char* decision) {
    io::Json j = io::Json::object();
    j["auto"] = "rung";
    j["rung"] = rung;
    j["candidate"] = t.cand.id;
    j["epochs"] = t.run->done();
    j["best_epoch"] = t.best_epoch;
    j["best"] = signals_json(t.best);
    j["standing"] = key_text(trial_key(t));
    j["decision"] = decision;
    if (!t.why.empty()) j["finished"] = t.why;
    r.trace.push_back(j);
  };
  auto by_key = [](const Trial* a, const Trial* b) { return trial_key(*a) < trial_key(*b); };
  std::vector<Trial*> alive, dropped;
  for (Trial& t : trials) alive.push_back(&t);
  if (trials.front().best_epoch == 0) alive.resize(1);  // the start already forgot: no search
  int64_t until = rung0;
  int rung = 0;
  for (;; ++rung) {
    for (Trial* t : alive) advance(*t, until, rung);
    std::stable_sort(alive.begin(), alive.end(), by_key);
    const bool top_done = trial_key(*alive.front()).cls == 0;  // forgot within the floor: stop searching
    bool all_done = true;
    for (const Trial* t : alive) all_done = all_done && t->finished;
    const bool last = alive.size() == 1 && (alive.front()->finished || until >= max_epochs);
    const bool end = top_done || last || all_done;
    const size_t keep = end ? 1 : std::max<size_t>(1, (alive.size() + eta - 1) / static_cast<size_t>(eta));
    for (size_t k = 0; k < alive.size(); ++k) log_rung(rung, *alive[k], k < keep ? (end ? "chosen" : "kept") : "dropped");
    dropped.insert(dropped.end(), alive.begin() + static_cast<std::ptrdiff_t>(keep), alive.end());
    alive.resize(keep);
    if (end) break;
    until = alive.size() == 1 ? max_epochs : std::min(max_epochs, until * eta);
  }
  // The halving compares candidates after the same number of epochs, which favours the fast
  // ones; a fast one can then jump past parity or below the floor within one epoch. When the
  // chosen candidate never held parity within the floor, the dropped ones are run on, best first,
  // until one does.
  Trial* winner = alive.front();
  auto reached = [](const Trial& t) { return t.best_epoch >= 0 && t.best.floor_ok && t.best.parity_ok; };
  while (!reached(*winner)) {
    std::stable_sort(dropped.begin(), dropped.end(), by_key);
    auto next = std::find_if(dropped.begin(), dropped.end(), [](const Trial* t) { return !t->finished; });
    if (next == dropped.end()) break;
    Trial* t = *next;
    dropped.erase(next);
    ++rung;
    advance(*t, max_epochs, rung);
    const bool better = trial_key(*t) < trial_key(*winner);
    log_rung(rung, *t, better ? "revived, chosen" : "revived, not better");
    if (better) winner = t;
  }

  // The result: the winner's best epoch — refined, when it and a neighbouring epoch lie on either
  // side of parity (F − V changes sign), by bisecting the straight path between their parameters:
  // an epoch is a coarse step (a dozen updates), the band around V is wider than where a Retrain
  // would land, and a point between two iterates costs one evaluation instead of more epochs.
  Trial& w = *winner;
  w.run->resume();
  w.run->set_params(w.best_params);
  const int64_t refine = cfg.i64("unlearn.auto.refine");
  double refined_t = 0;
  if (refine > 0 && w.best_epoch >= 0 && w.best.floor_ok && !w.best.forgot()) {
    const double d0 = w.best.forget - w.best.target;
    const Trial::Kept* nb = nullptr;
    for (const Trial::Kept* k : {&w.after, &w.before})
      if (!nb && k->epoch >= 0 && !k->params.empty() && (k->signals.forget - k->signals.target) * d0 < 0) nb = k;
    if (nb) {
      const std::vector<double> a = ses.params().slab().to_host(ctx);
      ses.params().set_slab_bytes(nb->params);
      const std::vector<double> b = ses.params().slab().to_host(ctx);
      double lo = 0, hi = 1;  // F − V has the sign of d0 at lo and the other sign at hi
      std::vector<double> best_x = a, x(a.size());
      Signals best_s = w.best;
      for (int64_t k = 0; k < refine; ++k) {
        const double mid = 0.5 * (lo + hi);
        for (size_t e = 0; e < a.size(); ++e) x[e] = a[e] + mid * (b[e] - a[e]);
        ses.params().slab_from_host(x);
        const Embeddings e = embed(ctx, ses.model(), ses.params());
        const Signals s = sig.measure(e.users, e.items);
        io::Json j = io::Json::object();
        j["auto"] = "refine";
        j["candidate"] = w.cand.id;
        j["between"] = io::Json::array();
        j["between"].push_back(w.best_epoch);
        j["between"].push_back(nb->epoch);
        j["t"] = mid;
        j["signals"] = signals_json(s);
        const bool better = epoch_key(s) < epoch_key(best_s);
        j["best"] = better;
        r.trace.push_back(j);
        if (better) {
          best_s = s;
          best_x = x;
          refined_t = mid;
        }
        if ((s.forget - s.target) * d0 > 0) lo = mid;
        else hi = mid;
      }
      ses.params().slab_from_host(best_x);
      w.best = best_s;
    }
  }
  for (Trial& t : trials)
    if (&t != winner) t.run.reset();
  r.log.assign(w.log.begin(), w.log.begin() + static_cast<std::ptrdiff_t>(std::max<int64_t>(w.best_epoch, 0)));
  r.selected_layers = w.start.selected_layers;
  r.layer_scores = w.start.layer_scores;
  for (const auto& [k, v] : w.start.stats) r.stats[k] = v;
  int64_t tuning_epochs = 0;
  for (const Trial& t : trials) tuning_epochs += static_cast<int64_t>(t.log.size());
  r.stats["auto_candidates"] = static_cast<double>(trials.size());
  r.stats["auto_chosen"] = w.cand.id;
  r.stats["auto_best_epoch"] = static_cast<double>(w.best_epoch);
  r.stats["auto_refined_t"] = refined_t;
  r.stats["auto_epochs_total"] = static_cast<double>(tuning_epochs);
  r.stats["auto_utility"] = w.best.utility;
  r.stats["auto_utility_floor"] = sig.floor();
  r.stats["auto_forget"] = w.best.forget;
  r.stats["auto_valid"] = w.best.valid;
  r.stats["auto_target"] = w.best.target;
  r.stats["auto_mia_auc"] = w.best.mia_auc;
  r.stats["auto_forgot"] = w.best.forgot() ? 1.0 : 0.0;
  std::string chosen;
  for (const auto& [k, v] : w.cand.settings) {
    chosen += (chosen.empty() ? "" : ", ") + k + " = " + v;
    char* end = nullptr;
    const double x = std::strtod(v.c_str(), &end);
    if (end && *end == '\0') r.stats["auto." + k] = x;
    if (v == "true" || v == "false") r.stats["auto." + k] = v == "true" ? 1.0 : 0.0;
  }
  if (!adam_note.empty()) r.notes.push_back(adam_note);
  r.notes.push_back("tuned without Retrain on the valid split: candidate " + std::to_string(w.cand.id) + " of " +
                    std::to_string(trials.size()) + " (" + chosen + "), its epoch " + std::to_string(w.best_epoch) + " (" +
                    key_text(trial_key(w)) + "); " + std::to_string(tuning_epochs) + " epochs in all, the search included in the time.");
  io::Json end = io::Json::object();
  end["auto"] = "result";
  end["candidate"] = w.cand.id;
  end["best_epoch"] = w.best_epoch;
  end["signals"] = signals_json(w.best);
  end["epochs_total"] = tuning_epochs;
  r.trace.push_back(end);
  meter.finish(ctx, r);
  r.trace.back()["seconds"] = r.seconds;
  return r;
}

}  // namespace lethe::unlearn
