// engine/audit/backdoor.cpp — see backdoor.h.
#include "engine/audit/backdoor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

#include "engine/audit/audit_rng.h"
#include "engine/checkpointing.h"
#include "engine/run_files.h"
#include "engine/ops.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "engine/unlearn/unlearn.h"
#include "graph/knn.h"
#include "io/atomic_file.h"
#include "io/fs.h"
#include "io/hash.h"
#include "io/run_folder.h"

namespace lethe::audit {

namespace {

constexpr double kNaN = AuditRow::kNaN;

std::string pct(double a) { return io::format_double(std::round(a * 1000) / 10) + " %"; }

}  // namespace

std::string Injection::describe() const {
  std::string t;
  for (int32_t i : triggers) t += (t.empty() ? "" : ", ") + std::to_string(i);
  return "target item " + std::to_string(target) + (multimodal ? " (multimodal choice)" : " (uniform choice)") +
         ", triggers {" + t + "}, a = " + pct(attack_size) + ": " + std::to_string(fakes) + " fake users (IDs " +
         std::to_string(first_fake) + ".." + std::to_string(first_fake + fakes - 1) + "), " +
         std::to_string(profile_length) + " items each";
}

Injection make_injection(const io::Dataset& clean, double attack_size, uint64_t seed, bool multimodal) {
  LETHE_CHECK(attack_size > 0 && attack_size <= 1, "backdoor: the attack size must be in (0, 1], got " + io::format_double(attack_size));
  std::vector<int64_t> count(static_cast<size_t>(clean.n_items), 0), len(static_cast<size_t>(clean.n_users), 0);
  for (int64_t e = 0; e < clean.train.size(); ++e) {
    ++count[static_cast<size_t>(clean.train.item[static_cast<size_t>(e)])];
    ++len[static_cast<size_t>(clean.train.user[static_cast<size_t>(e)])];
  }
  // Items with train rows by popularity (ascending), ties in the seeded random order.
  struct It { int64_t c; uint64_t key; int32_t id; };
  std::vector<It> items;
  for (int32_t i = 0; i < clean.n_items; ++i)
    if (count[static_cast<size_t>(i)] > 0) items.push_back({count[static_cast<size_t>(i)], audit_key(seed, AuditStage::kInject, 0, static_cast<uint64_t>(i)), i});
  std::sort(items.begin(), items.end(), [](const It& a, const It& b) { return a.c != b.c ? a.c < b.c : a.key != b.key ? a.key < b.key : a.id < b.id; });
  const size_t n = items.size();
  if (n < 20)
    throw Error("backdoor: the data has only " + std::to_string(n) + " items with train rows; the injection needs at least 20");
  const size_t low_end = std::max<size_t>(1, static_cast<size_t>(std::ceil(0.2 * static_cast<double>(n))));
  const size_t mid_begin = n / 2, mid_end = std::max(mid_begin + 3, static_cast<size_t>(std::ceil(0.8 * static_cast<double>(n))));
  const size_t top_begin = n - std::max<size_t>(1, static_cast<size_t>(std::ceil(0.1 * static_cast<double>(n))));

  Injection inj;
  inj.attack_size = attack_size;
  {  // triggers: 3 items of the 50–80th percentile band
    std::vector<std::pair<uint64_t, int32_t>> band;
    for (size_t k = mid_begin; k < std::min(mid_end, n); ++k)
      band.push_back({audit_key(seed, AuditStage::kInject, 1, static_cast<uint64_t>(items[k].id)), items[k].id});
    std::sort(band.begin(), band.end());
    for (size_t k = 0; k < 3 && k < band.size(); ++k) inj.triggers.push_back(band[k].second);
    std::sort(inj.triggers.begin(), inj.triggers.end());
  }
  inj.multimodal = multimodal && !clean.features.empty();
  if (inj.multimodal) {
    // The least-popular-fifth item nearest the triggers' centroid: Σ over modalities of the
    // cosine distance to the mean of the triggers' L2-normalised feature rows.
    double best = INFINITY;
    std::vector<double> dist(low_end, 0.0);
    for (const auto& f : clean.features) {
      auto normed = [&](int32_t i, std::vector<double>& v) {
        v.assign(static_cast<size_t>(f.cols), 0.0);
        double ss = 0;
        for (int64_t c = 0; c < f.cols; ++c) {
          v[static_cast<size_t>(c)] = f.data[static_cast<size_t>(i * f.cols + c)];
          ss += v[static_cast<size_t>(c)] * v[static_cast<size_t>(c)];
        }
        if (ss > 0)
          for (double& x : v) x /= std::sqrt(ss);
      };
      std::vector<double> centroid(static_cast<size_t>(f.cols), 0.0), v;
      for (int32_t t : inj.triggers) {
        normed(t, v);
        for (int64_t c = 0; c < f.cols; ++c) centroid[static_cast<size_t>(c)] += v[static_cast<size_t>(c)] / static_cast<double>(inj.triggers.size());
      }
      double cn = 0;
      for (double x : centroid) cn += x * x;
      cn = std::sqrt(cn);
      for (size_t k = 0; k < low_end; ++k) {
        normed(items[k].id, v);
        double dot = 0;
        for (int64_t c = 0; c < f.cols; ++c) dot += v[static_cast<size_t>(c)] * centroid[static_cast<size_t>(c)];
        dist[k] += 1.0 - (cn > 0 ? dot / cn : 0.0);
      }
    }
    for (size_t k = 0; k < low_end; ++k)
      if (dist[k] < best) { best = dist[k]; inj.target = items[k].id; }
  } else {
    uint64_t best = UINT64_MAX;
    for (size_t k = 0; k < low_end; ++k) {
      const uint64_t key = audit_key(seed, AuditStage::kInject, 2, static_cast<uint64_t>(items[k].id));
      if (key < best) { best = key; inj.target = items[k].id; }
    }
  }
  // Profiles: {t} ∪ T_g ∪ filler from the most popular tenth, median genuine length (≥ 5).
  std::vector<int64_t> lengths;
  for (int64_t l : len)
    if (l > 0) lengths.push_back(l);
  std::sort(lengths.begin(), lengths.end());
  inj.profile_length = static_cast<int>(std::max<int64_t>(5, lengths[(lengths.size() - 1) / 2]));
  std::vector<int32_t> pool;
  for (size_t k = top_begin; k < n; ++k)
    if (items[k].id != inj.target && std::find(inj.triggers.begin(), inj.triggers.end(), items[k].id) == inj.triggers.end())
      pool.push_back(items[k].id);
  const size_t fill = std::min(pool.size(), static_cast<size_t>(std::max<int64_t>(0, inj.profile_length - 1 - static_cast<int64_t>(inj.triggers.size()))));
  inj.first_fake = clean.n_users;
  inj.fakes = static_cast<int32_t>(std::ceil(attack_size * static_cast<double>(lengths.size())));
  for (int32_t j = 0; j < inj.fakes; ++j) {
    const int32_t u = inj.first_fake + j;
    inj.rows.push(u, inj.target);
    for (int32_t t : inj.triggers) inj.rows.push(u, t);
    std::vector<std::pair<uint64_t, int32_t>> order;
    for (size_t k = 0; k < pool.size(); ++k)
      order.push_back({audit_key(seed, AuditStage::kInject, 3, (static_cast<uint64_t>(j) << 32) | k), pool[k]});
    std::sort(order.begin(), order.end());
    for (size_t k = 0; k < fill; ++k) inj.rows.push(u, order[k].second);
  }
  inj.profile_length = static_cast<int>(1 + inj.triggers.size() + fill);
  return inj;
}

io::Dataset inject(const io::Dataset& clean, const Injection& inj) {
  io::Dataset d = clean;
  d.n_users = clean.n_users + inj.fakes;
  for (int64_t e = 0; e < inj.rows.size(); ++e) d.train.push(inj.rows.user[static_cast<size_t>(e)], inj.rows.item[static_cast<size_t>(e)]);
  d.notes.push_back("backdoor injection: " + inj.describe());
  return d;
}

BackdoorProbe make_probe(const io::Dataset& clean, const Injection& inj) {
  BackdoorProbe p;
  p.target = inj.target;
  std::vector<char> trig(static_cast<size_t>(clean.n_users), 0), has_t(static_cast<size_t>(clean.n_users), 0);
  for (int64_t e = 0; e < clean.train.size(); ++e) {
    const int32_t u = clean.train.user[static_cast<size_t>(e)], i = clean.train.item[static_cast<size_t>(e)];
    if (i == inj.target) has_t[static_cast<size_t>(u)] = 1;
    if (std::binary_search(inj.triggers.begin(), inj.triggers.end(), i)) trig[static_cast<size_t>(u)] = 1;
  }
  for (int32_t u = 0; u < clean.n_users; ++u)
    if (trig[static_cast<size_t>(u)] && !has_t[static_cast<size_t>(u)]) {
      p.holders.push_back(u);
      PairQuery q;
      q.user = u;
      q.item = inj.target;
      p.queries.push_back(q);
    }
  return p;
}

BackdoorMetrics backdoor_metrics(const BackdoorProbe& probe, const ModelScores& s) {
  const TopLists& l = s.core.top;
  LETHE_CHECK(s.pairs.size() == probe.queries.size(), "backdoor_metrics: the pass did not score the probe's pairs");
  LETHE_CHECK(l.K >= kBackdoorK, "backdoor_metrics: the pass kept no top-20 lists");
  auto hit = [&](size_t r) {
    const int32_t* row = l.row(r);
    return std::find(row, row + kBackdoorK, probe.target) != row + kBackdoorK;
  };
  BackdoorMetrics m;
  int64_t er = 0, asr = 0;
  for (size_t r = 0; r < l.size(); ++r) er += hit(r);
  for (int32_t u : probe.holders) {
    const auto it = std::lower_bound(l.users.begin(), l.users.end(), u);
    if (it != l.users.end() && *it == u) asr += hit(static_cast<size_t>(it - l.users.begin()));
  }
  double rank = 0;
  for (const auto& p : s.pairs) rank += static_cast<double>(p.rank);
  m.users = static_cast<int64_t>(l.size());
  m.holders = static_cast<int64_t>(probe.holders.size());
  m.er = m.users ? static_cast<double>(er) / static_cast<double>(m.users) : kNaN;
  m.asr = m.holders ? static_cast<double>(asr) / static_cast<double>(m.holders) : kNaN;
  m.mean_rank = s.pairs.empty() ? kNaN : rank / static_cast<double>(s.pairs.size());
  m.retain_recall20 = s.core.retain.get("recall@20");
  return m;
}

double backdoor_tolerance(double clean_asr, int64_t holders) {
  if (holders <= 0 || std::isnan(clean_asr)) return 0.01;
  return std::max(0.01, 2.0 * std::sqrt(clean_asr * (1.0 - clean_asr) / static_cast<double>(holders)));
}

bool backdoor_attack_works(double asr_original, double asr_clean) {
  return asr_original >= 0.20 && asr_original >= 10.0 * asr_clean;
}

std::vector<double> backdoor_escalation(double a) {
  std::vector<double> out;
  for (double x : {0.02, 0.05})
    if (x > a + 1e-12) out.push_back(x);
  return out;
}

// ---- the experiment -------------------------------------------------------------------------

namespace {

// θ_clean's embeddings padded with zero rows for the fake user IDs, so that one Auditor (on the
// injected ID space) audits every model; the padding rows belong to deleted users and are
// never read.
OwnedTensor pad_rows(Ctx& ctx, const Tensor& t, int64_t rows) {
  OwnedTensor out(ctx, t.dtype, rows, t.cols);
  ops::fill(ctx, out.t(), 0.0);
  ops::copy(ctx, t, out.t().slice_rows(0, t.rows));
  return out;
}

Embeddings model_embeddings(Ctx& ctx, const io::Dataset& ds, const ExperimentOptions& o, const OriginalRun& run,
                            const std::string& cache) {
  ModelSession s(ctx, ds, o.model, o.cfg, cache);
  restore_model_checkpoint(run.ckpt, run.path, s.params(), nullptr, nullptr);
  return embed(ctx, s.model(), s.params());
}

// One injection with everything the audits of its models need.
struct Attempt {
  Injection inj;
  io::Dataset data;
  io::Request request;
  io::ForgetSplit split;
  SplitPatterns sp;
  BackdoorProbe probe;
  std::unique_ptr<Auditor> aud;
  OriginalRun original;
  BackdoorMetrics m0, mc;
  ModelScores s0, sc;
};

void put_backdoor(const BackdoorMetrics& m, const Attempt& at, AuditRow& row) {
  row.audit["backdoor_asr@20"] = m.asr;
  row.audit["backdoor_er@20"] = m.er;
  row.audit["backdoor_target_rank"] = m.mean_rank;
  row.audit["backdoor_attack_size"] = at.inj.attack_size;
  row.audit["backdoor_fake_users"] = at.inj.fakes;
  row.audit["backdoor_trigger_holders"] = static_cast<double>(m.holders);
  row.audit["backdoor_asr_gap"] = std::fabs(m.asr - at.mc.asr);
  row.audit["backdoor_tolerance"] = backdoor_tolerance(at.mc.asr, at.mc.holders);
  row.audit["backdoor_retain_ratio"] = at.mc.retain_recall20 > 0 ? m.retain_recall20 / at.mc.retain_recall20 : kNaN;
}

}  // namespace

std::vector<AuditRow> run_backdoor_experiment(const ExperimentOptions& o) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  auto say = [&](const std::string& msg) {
    if (!o.progress) return;
    if (o.eta) std::fprintf(stderr, "[backdoor, %s] %s\n", o.eta->text().c_str(), msg.c_str());
    else std::fprintf(stderr, "[backdoor %7.1fs] %s\n", std::chrono::duration<double>(Clock::now() - t0).count(), msg.c_str());
  };
  validate(o);
  const double a_first = o.cfg.f64("backdoor.attack_size");
  const bool multimodal = o.cfg.str("backdoor.variant") == "multimodal";
  const io::Dataset clean = o.dataset ? *o.dataset : io::load_dataset(o.data_dir);
  // OUT/backdoor is a run folder (io/run_folder.h) like every experiment folder: locked for the
  // run's life, refused when it holds another run, continued by --resume with equal settings only.
  io::RunSettings settings;
  settings["data.fingerprint"] = hex64(clean.fingerprint());
  settings["model"] = o.model;
  settings["first_seed"] = std::to_string(o.first_seed);
  const Config resolved = resolve_training_settings(o.cfg, o.model);
  for (const auto& [k, v] : resolved.values())
    if (k != "eval.tile_users") settings["config." + k] = v;
  for (const auto& [m, ms] : o.method_cfg)
    for (const auto& [k, v] : ms.overrides) settings["method." + m + "." + k] = v;
  io::RunFolderOptions ro;
  ro.command = "backdoor";
  ro.legacy = legacy_run_settings();
  ro.title = "the backdoor experiment of `lethe experiment --audits backdoor`";
  ro.settings = settings;
  ro.command_line = o.command;
  ro.resume = o.resume;
  ro.overwrite = o.overwrite;
  ro.reopen_finished = true;  // --resume adds the methods and seeds it lacks
  ro.resume_hint = "--resume";
  ro.inputs = {o.data_dir};
  ro.compare = [&](const io::RunFolderInfo& f) { return resume_difference(f, settings, o.methods, o.redo); };
  io::RunFolder rf(o.out_dir, ro);
  rf.begin(resumed_settings(rf, settings, o.redo));
  io::make_dirs(io::path_join(o.out_dir, "requests"));
  const std::string results_path = io::path_join(o.out_dir, "results.json");
  std::vector<AuditRow> rows;
  if (rf.start() == io::RunFolder::Start::kResume && io::is_regular_file(results_path))
    rows = rows_from_json(io::read_json(results_path));
  auto find = [&](const std::string& m, int64_t seed) -> const AuditRow* {
    for (const auto& r : rows)
      if (r.method == m && r.seed == seed) return &r;
    return nullptr;
  };
  auto upsert = [&](const AuditRow& row) {
    for (auto& r : rows)
      if (r.method == row.method && r.seed == row.seed) { r = row; return; }
    rows.push_back(row);
  };

  const std::string cache = o.cache_dir.empty() ? graph::default_cache_dir(o.data_dir) : o.cache_dir;
  Ctx ctx(o.device);
  const int64_t tile = o.cfg.i64("eval.tile_users");
  ReportInfo info;
  info.title = "Backdoor removal: " + o.model + " on " + clean.name;
  info.command = o.command;
  info.device = ctx.describe();
  info.dataset = clean.name;
  info.model = o.model;
  info.seeds = o.seeds;
  auto flush = [&] {
    io::write_json(results_path, rows_to_json(rows));
    results_table(rows).write_csv(io::path_join(o.out_dir, "results.csv"));
    info.date = utc_now();
    io::write_file_atomic(io::path_join(o.out_dir, "results.md"), backdoor_markdown(rows, info));
    rf.keep();  // rows worth keeping: a failure from here on leaves the folder for --resume
  };

  for (int64_t s = o.first_seed; s < o.first_seed + o.seeds; ++s) {
    const std::string tag = "seed" + std::to_string(s);
    // θ_clean: the genuine data, training seed = the injection seed (a Retrain of its own).
    ExperimentOptions oc = o;
    oc.original_dir = io::path_join(o.out_dir, "clean-" + tag);
    oc.cfg.set("seed", std::to_string(s));
    const OriginalRun clean_run = ensure_original(oc, clean, ctx, cache, say);
    const Embeddings ec = model_embeddings(ctx, clean, oc, clean_run, cache);

    std::vector<double> sizes = {a_first};
    for (double a : backdoor_escalation(a_first)) sizes.push_back(a);
    std::unique_ptr<Attempt> at;
    std::string check;
    for (size_t k = 0; k < sizes.size(); ++k) {
      at = std::make_unique<Attempt>();
      at->inj = make_injection(clean, sizes[k], static_cast<uint64_t>(s), multimodal);
      at->data = inject(clean, at->inj);
      at->request.spec.regime = io::Regime::kExplicit;
      at->request.fingerprint = at->data.fingerprint();
      at->request.dataset_name = at->data.name;
      for (int32_t j = 0; j < at->inj.fakes; ++j) at->request.users.push_back(at->inj.first_fake + j);
      at->split = io::resolve(at->data, at->request);
      at->sp = split_patterns(at->data, at->split);
      if (o.retain_split == "valid") at->sp.test = at->sp.valid;  // tuning: retain utility on valid
      at->probe = make_probe(clean, at->inj);
      at->aud = std::make_unique<Auditor>(ctx, at->sp, std::vector<int64_t>{10, 20, 50}, tile);
      say(tag + ": " + at->inj.describe() + "; " + std::to_string(at->probe.holders.size()) + " trigger holders");
      ExperimentOptions oo = o;
      oo.original_dir = io::path_join(o.out_dir, "original-" + tag + "-a" + io::format_double(sizes[k]));
      at->original = ensure_original(oo, at->data, ctx, cache, say);
      ScoreRequest sr;
      sr.pairs = &at->probe.queries;
      {
        const Embeddings e0 = model_embeddings(ctx, at->data, oo, at->original, cache);
        at->s0 = at->aud->score(e0.users, e0.items, sr);
      }
      {
        const OwnedTensor padded = pad_rows(ctx, ec.users, at->data.n_users);
        at->sc = at->aud->score(padded, ec.items, sr);
      }
      at->m0 = backdoor_metrics(at->probe, at->s0);
      at->mc = backdoor_metrics(at->probe, at->sc);
      const bool works = backdoor_attack_works(at->m0.asr, at->mc.asr);
      const std::string step = "a = " + pct(sizes[k]) + ": ASR@20 θ₀ " + io::format_double(std::round(at->m0.asr * 1e4) / 1e4) +
                               ", θ_clean " + io::format_double(std::round(at->mc.asr * 1e4) / 1e4) +
                               (works ? " (the attack works)" : " (too weak: needs ≥ 0.20 and ≥ 10 × θ_clean's)");
      check += (check.empty() ? "" : "; ") + step;
      say(tag + ": " + step);
      if (works) break;
      if (k + 1 == sizes.size()) check += "; the largest size was kept: the table reports a weak attack";
    }
    info.notes.push_back(tag + ": " + std::to_string(at->probe.holders.size()) + " trigger holders; " + check +
                         ". Used: " + at->inj.describe() + ".");
    const std::string req_path = io::path_join(io::path_join(o.out_dir, "requests"), "backdoor-" + tag + ".tsv");
    io::write_request(req_path, at->request, at->data);

    const uint64_t fingerprint = at->data.fingerprint();
    auto meta_of = [&](const std::string& method) {  // the injected data; each method's own settings hashed
      const auto own = o.method_cfg.find(method);
      return run_meta(at->data.name, fingerprint, o.model, method, own == o.method_cfg.end() ? o.cfg : own->second.cfg);
    };
    auto base = [&](const std::string& method, const ModelScores& sc, const BackdoorMetrics& m) {
      AuditRow r = row_from_audit(method, sc.core);
      r.meta = meta_of(method);
      r.regime = "backdoor";
      r.seed = s;
      r.device = ctx.describe();
      r.forget_rows = at->split.forget.size();
      put_backdoor(m, *at, r);
      return r;
    };
    AuditRow r0 = base("original", at->s0, at->m0);
    r0.seconds = at->original.train_seconds;
    r0.epochs = at->original.epochs;
    upsert(r0);
    AuditRow rc = base("retrain", at->sc, at->mc);
    rc.seconds = clean_run.train_seconds;
    rc.epochs = clean_run.epochs;
    rc.speedup = 1.0;
    upsert(rc);
    flush();

    UnlearnInput in;
    in.ctx = &ctx;
    in.ds = &at->data;
    in.split = &at->split;
    in.model = o.model;
    in.cfg = o.cfg;
    in.original = &at->original.ckpt;
    in.cache_dir = cache;
    in.seed = static_cast<uint64_t>(s);
    in.progress = o.progress && o.epoch_lines;
    for (const auto& m : o.methods) {
      if (m == "retrain") continue;  // θ_clean is the Retrain of this request
      const bool redo = std::find(o.redo.begin(), o.redo.end(), m) != o.redo.end();
      if (const AuditRow* done = find(m, s); rf.start() == io::RunFolder::Start::kResume && done && done->ok() && !redo) {
        say(tag + ": " + m + " already in results.json, skipped");
        continue;
      }
      say(tag + ": " + m + " ...");
      AuditRow row;
      try {
        UnlearnInput inm = in;
        if (const auto own = o.method_cfg.find(m); own != o.method_cfg.end()) inm.cfg = own->second.cfg;
        UnlearnResult res = run_unlearning(m, inm);
        const Embeddings e = embed(ctx, res.session->model(), res.session->params());
        ScoreRequest srm;
        srm.pairs = &at->probe.queries;
        const ModelScores sm = at->aud->score(e.users, e.items, srm);
        const BackdoorMetrics bm = backdoor_metrics(at->probe, sm);
        row = base(m, sm, bm);
        row.seconds = res.seconds;
        row.peak_bytes = res.peak_bytes;
        row.epochs = static_cast<int64_t>(res.log.size());
        row.selected_layers = res.selected_layers;
        row.speedup = speedup(clean_run.train_seconds, res.seconds);
        const bool pass = row.metric("backdoor_asr_gap") <= row.metric("backdoor_tolerance") &&
                          bm.retain_recall20 >= 0.97 * at->mc.retain_recall20;
        row.audit["backdoor_pass"] = pass ? 1.0 : 0.0;
        say(tag + ": " + m + ": ASR@20 " + io::format_double(std::round(bm.asr * 1e4) / 1e4) + ", retain R@20 " +
            io::format_double(std::round(bm.retain_recall20 * 1e4) / 1e4) + (pass ? ", passes" : ", fails"));
      } catch (const std::exception& ex) {
        row = AuditRow{};
        row.method = m;
        row.meta = meta_of(m);
        row.regime = "backdoor";
        row.seed = s;
        row.status = "failed";
        row.error = ex.what();
        say(tag + ": " + m + " FAILED: " + row.error);
      }
      upsert(row);
      flush();
    }
  }
  rf.finish();
  say("done: " + results_path);
  return rows;
}

}  // namespace lethe::audit
