// engine/audit/experiment.cpp — see experiment.h.
#include "engine/audit/experiment.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "engine/checkpointing.h"
#include "engine/optimizer.h"
#include "engine/run_files.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "graph/bipartite.h"
#include "graph/knn.h"
#include "io/atomic_file.h"
#include "io/fs.h"
#include "io/config.h"
#include "io/hash.h"
#include "io/run_folder.h"

namespace lethe::audit {

namespace {

bool listed(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}
constexpr double kNaN = AuditRow::kNaN;
}  // namespace

NoiseFloor parse_noise_floor(const std::string& s) {
  if (s == "all") return NoiseFloor::kAll;
  if (s == "first") return NoiseFloor::kFirst;
  if (s == "off") return NoiseFloor::kOff;
  throw Error("--noise-floor must be all, first or off, got '" + s + "'");
}

std::vector<std::string> parse_methods(const std::string& list, const std::string& option) {
  std::vector<std::string> out;
  std::stringstream ss(list);
  std::string m;
  std::string accepted;
  for (const auto& n : method_names()) accepted += (accepted.empty() ? "" : ", ") + n;
  while (std::getline(ss, m, ',')) {
    const auto b = m.find_first_not_of(" \t"), e = m.find_last_not_of(" \t");
    m = b == std::string::npos ? "" : m.substr(b, e - b + 1);
    if (m.empty()) throw Error(option + ": empty name in '" + list + "' (accepted: " + accepted + ")");
    if (!is_method(m)) throw Error(option + ": unknown method '" + m + "' (accepted: " + accepted + ")");
    if (std::find(out.begin(), out.end(), m) != out.end()) throw Error(option + ": '" + m + "' is listed twice");
    out.push_back(m);
  }
  if (out.empty()) throw Error(option + ": no method given (accepted: " + accepted + ")");
  return out;
}

std::map<std::string, MethodSettings> parse_method_configs(const std::string& list, const Config& base,
                                                           const std::vector<std::string>& methods) {
  std::map<std::string, MethodSettings> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
      throw Error("--method-config: expected METHOD=FILE, got '" + item + "'");
    const std::string m = item.substr(0, eq), file = item.substr(eq + 1);
    if (std::find(methods.begin(), methods.end(), m) == methods.end())
      throw Error("--method-config: method '" + m + "' is not in --methods");
    if (m == "retrain")
      throw Error("--method-config: retrain is the reference and runs with the training settings; it takes no "
                  "settings of its own");
    if (out.count(m)) throw Error("--method-config: method '" + m + "' is given twice");
    const io::Config f = io::Config::load(file);  // syntax errors name FILE:LINE
    MethodSettings ms;
    ms.file = file;
    ms.cfg = base;
    for (const std::string& key : f.keys()) {
      if (!base.known(key)) throw Error(f.where(key) + ": unknown setting '" + key + "' (lethe experiment --help lists them)");
      if (key.rfind("audit.", 0) == 0 || key.rfind("backdoor.", 0) == 0)
        throw Error(f.where(key) + ": " + key + " is an audit setting: it applies to every method alike");
      if (is_training_key(key))
        throw Error(f.where(key) + ": " + key + " is a training setting; a method's own settings may only be "
                    "unlearning settings (unlearn.*, finetune.*, neggrad.*, neggrad_plus.*, mmrecun.*, tru.*, "
                    "multidelete.*, scalegun.*), so that "
                    "θ₀ and Retrain stay shared by every method");
      ms.overrides.emplace_back(key, f.str(key));
      ms.cfg.set(key, f.str(key), f.where(key));
    }
    validate_settings(ms.cfg);
    out[m] = std::move(ms);
  }
  return out;
}

void validate(const ExperimentOptions& o) {
  if (o.data_dir.empty()) throw Error("no data folder (--data)");
  if (o.out_dir.empty()) throw Error("no output folder (--out)");
  if (o.methods.empty()) throw Error("no methods (--methods)");
  for (const auto& m : o.methods)
    if (!is_method(m)) throw Error("unknown method '" + m + "'");
  if (o.regime == io::Regime::kExplicit)
    throw Error("--regime must be user, item or interaction (explicit requests go through lethe unlearn)");
  if (std::isnan(o.ratio) || o.ratio > 1)  // <= 0 means the regime's default
    throw Error("--ratio must be in (0, 1], got " + io::format_double(o.ratio));
  if (o.regime == io::Regime::kInteraction && o.selection != io::Selection::kRandom)
    throw Error(std::string("the interaction regime only supports --selection random, got ") +
               io::selection_name(o.selection));
  if (o.seeds < 1) throw Error("--seeds must be at least 1");
  if (o.first_seed < 0) throw Error("--first-seed must be non-negative");
  if (o.retain_split != "test" && o.retain_split != "valid")
    throw Error("--retain-split must be test or valid, got '" + o.retain_split + "'");
  // The backbones of engine/models/factory.cpp.
  if (canonical_model_name(o.model) != o.model)  // throws for an unknown name
    throw Error("--model '" + o.model + "': give the canonical name " + canonical_model_name(o.model));
  validate_settings(o.cfg);
  (void)TrainOptions::from(o.cfg, o.model);
  for (const auto& m : o.redo) {
    if (!o.resume) throw Error("--redo " + m + " replaces rows of an experiment: it needs --resume");
    if (m == "retrain")
      throw Error("--redo retrain: every other row is compared with Retrain's; start the experiment again "
                  "(--overwrite) or use another --out");
    if (!listed(o.methods, m)) throw Error("--redo " + m + ": not in --methods");
  }
  for (const auto& [m, ms] : o.method_cfg) {
    if (std::find(o.methods.begin(), o.methods.end(), m) == o.methods.end() || m == "retrain")
      throw Error("method settings given for '" + m + "', which is not an approximate method in --methods");
    validate_settings(ms.cfg);
  }
}

void validate_settings(const Config& cfg) {
  if (const std::string a = cfg.str("unlearn.adam_state"); a != "fresh" && a != "original")
    throw Error("setting unlearn.adam_state (from " + cfg.origin("unlearn.adam_state") +
                ") must be fresh or original, got '" + a + "'");
  // Every setting is parsed and range-checked now, so that a typo fails before hours of
  // training rather than when the method that reads it starts.
  validate_config(cfg);
  if (const std::string a = cfg.str("multidelete.retain_reference"); a != "edited" && a != "original")
    throw Error("setting multidelete.retain_reference (from " + cfg.origin("multidelete.retain_reference") +
                ") must be edited or original, got '" + a + "'");
  if (const std::string v = cfg.str("backdoor.variant"); v != "multimodal" && v != "plain")
    throw Error("setting backdoor.variant (from " + cfg.origin("backdoor.variant") + ") must be multimodal or plain, got '" +
                v + "'");
}

AuditRow row_from_audit(const std::string& method, const CoreAudit& a) {
  AuditRow r;
  r.method = method;
  r.retain_recall10 = a.retain.get("recall@10");
  r.retain_recall20 = a.retain.get("recall@20");
  r.retain_recall50 = a.retain.get("recall@50");
  r.retain_ndcg10 = a.retain.get("ndcg@10");
  r.retain_ndcg20 = a.retain.get("ndcg@20");
  r.retain_ndcg50 = a.retain.get("ndcg@50");
  r.retain_precision20 = a.retain.get("precision@20");
  r.forget_recall20 = a.forget.get("recall@20");
  r.forget_ndcg20 = a.forget.get("ndcg@20");
  r.exposure20 = a.exposure;
  r.forget_rows = static_cast<int64_t>(a.forget.get("pairs@20"));
  r.retain_users = a.retain.users;
  return r;
}

io::Json epoch_json(const UnlearnEpoch& e) {
  io::Json j = io::Json::object();
  j["epoch"] = e.epoch;
  j["forget_loss"] = e.forget_loss;
  j["retain_loss"] = e.retain_loss;
  j["seconds"] = e.seconds;
  j["forget_pairs"] = e.forget_pairs;
  if (e.gate_mean >= 0) j["gate_mean"] = e.gate_mean;
  if (e.match_rank >= 0) {
    j["match_rank"] = e.match_rank;
    j["match_target"] = e.match_target;
  }
  if (!e.branch_scale.empty()) {
    io::Json b = io::Json::object();
    for (const auto& [k, v] : e.branch_scale) b[k] = v;
    j["branch_scale"] = b;
  }
  for (const auto& [k, v] : e.terms) j[k] = v;
  return j;
}

void ExperimentEta::plan(const std::string& kind, int64_t runs) { left_[kind] += std::max<int64_t>(0, runs); }

void ExperimentEta::done(const std::string& kind, double seconds) {
  if (auto it = left_.find(kind); it != left_.end() && it->second > 0) --it->second;
  if (seconds >= 0) {
    took_[kind].first += seconds;
    ++took_[kind].second;
  }
}

std::string ExperimentEta::text() const {
  auto mean = [&](const std::string& k) {
    auto it = took_.find(k);
    return it == took_.end() || it->second.second == 0 ? -1.0 : it->second.first / static_cast<double>(it->second.second);
  };
  double approx_sum = 0;
  int64_t approx_n = 0;
  for (const auto& [k, t] : took_)
    if (k != "original" && k != "retrain") {
      approx_sum += t.first;
      approx_n += t.second;
    }
  double left = 0;
  bool known = true, any = false;
  for (const auto& [k, n] : left_) {
    if (n == 0) continue;
    any = true;
    double e = mean(k);
    if (e < 0 && (k == "retrain" || k == "original")) e = std::max(mean("original"), mean("retrain"));
    if (e < 0 && k != "retrain" && k != "original" && approx_n > 0) e = approx_sum / static_cast<double>(approx_n);
    if (e < 0) known = false;
    else left += e * static_cast<double>(n);
  }
  std::string s = "elapsed " + io::format_duration(clock_.seconds());
  if (any && (known || left > 0)) s += std::string(", ETA ") + (known ? "" : "≥ ") + io::format_duration(left);
  return s;
}

void plan_runs(const ExperimentOptions& o, ExperimentEta& eta) {
  const bool have_retrain = std::find(o.methods.begin(), o.methods.end(), "retrain") != o.methods.end();
  for (const auto& m : o.methods) eta.plan(m, o.seeds);
  if (have_retrain && o.noise_floor == NoiseFloor::kAll) eta.plan("retrain", o.seeds);
  if (have_retrain && o.noise_floor == NoiseFloor::kFirst && o.first_seed <= 1 && 1 < o.first_seed + o.seeds)
    eta.plan("retrain", 1);
  if (o.audits.umia && o.regime == io::Regime::kUser) eta.plan("original", 1);
}

bool is_training_key(const std::string& key) {
  for (const char* p : {"unlearn.", "finetune.", "neggrad.", "neggrad_plus.", "mmrecun.", "tru.", "multidelete.",
                        "scalegun.", "audit.", "backdoor."})
    if (key.rfind(p, 0) == 0) return false;
  // Settings that change how fast a run goes or how often it saves, never what it computes.
  return key != "eval.tile_users" && key != "checkpoint_every" && key != "cuda.graphs";
}

std::string training_config_difference(const Config& a, const Config& b) {
  for (const auto& [k, v] : a.values()) {
    if (!is_training_key(k)) continue;
    auto it = b.values().find(k);
    const std::string w = it == b.values().end() ? "(missing)" : it->second;
    if (v != w) return k + " = " + v + " vs " + w;
  }
  return "";
}

namespace {

using Clock = std::chrono::steady_clock;

std::string jsonl(const std::vector<io::Json>& lines) {
  std::string t;
  for (const auto& l : lines) t += l.dump(-1) + "\n";
  return t;
}

}  // namespace

// θ₀ lives in a `lethe train` run folder (engine/run_files.h): reused when it holds a finished
// run of the same model, data and training settings; continued when it holds an interrupted one
// and --resume is given; trained there when it is new. A finished θ₀ made with other settings is
// refused (never replaced behind the user's back), and so is an interrupted one without --resume.
OriginalRun ensure_original(const ExperimentOptions& o, const io::Dataset& ds, Ctx& ctx, const std::string& cache,
                            const std::function<void(const std::string&)>& say) {
  const std::string dir = o.original_dir.empty() ? io::path_join(o.out_dir, "original") : o.original_dir;
  const io::RunSettings want = train_settings(o.model, ds.fingerprint(), o.cfg);
  OriginalRun r;
  r.path = io::path_join(dir, "checkpoint");
  auto reuse = [&](std::unique_ptr<io::RunLock> lock) {
    const io::Json m = io::read_json(io::path_join(dir, "metrics.json"));
    if (const io::Json* t = m.find("train_seconds"); t && t->is_number()) r.train_seconds = t->as_double();
    if (const io::Json* e = m.find("epochs_run"); e && e->is_number()) r.epochs = e->as_int();
    r.ckpt = io::read_checkpoint(r.path);
    r.lock = std::move(lock);
  };
  if (io::is_regular_file(io::path_join(dir, io::kRunFile))) {
    auto lock = std::make_unique<io::RunLock>(dir, io::RunLock::Mode::kShared, o.command);
    const io::RunFolderInfo f = io::inspect_run_folder(dir);
    if (f.state == io::RunState::kFinished && f.command == "train") {
      const io::SettingDiff d = io::first_difference(f.settings, want, legacy_run_settings());
      if (!d.empty())
        throw Error(dir + " holds a finished θ₀ trained with " + io::setting_name(d.key) + " = " + d.there +
                    ", this experiment has " + io::setting_name(d.key) + " = " + d.here +
                    ": results made with another θ₀ would not be comparable; choose another " +
                    (o.original_dir.empty() ? "--out" : "--original") +
                    " (or train θ₀ again there: lethe train --overwrite)");
      reuse(std::move(lock));
      if (o.eta) o.eta->done("original", -1);
      say("reusing the original model " + r.path);
      return r;
    }
  }
  {
    io::RunFolderOptions ro;
    ro.command = "train";
    ro.settings = want;
    ro.legacy = legacy_run_settings();
    ro.command_line = o.command;
    ro.resume = o.resume;
    ro.resume_hint = "lethe experiment --resume";
    ModelSession s(ctx, ds, o.model, resolve_training_settings(o.cfg, o.model), cache);
    io::RunFolder rf(dir, ro);
    rf.begin();
    TrainRunOptions to;
    to.progress = to.epoch_lines = o.progress && o.epoch_lines;
    if (rf.start() == io::RunFolder::Start::kResume && io::is_regular_file(rf.path("last.ckpt")))
      to.resume_from = rf.path("last.ckpt");
    say(std::string(to.resume_from.empty() ? "training" : "continuing") + " the original model (" + o.model + ") in " +
        dir);
    const TrainRunResult tr = train_into(ctx, ds, s, rf, to);
    rf.finish();
    if (o.eta) o.eta->done("original", tr.res.train_seconds);
  }
  reuse(std::make_unique<io::RunLock>(dir, io::RunLock::Mode::kShared, o.command));
  return r;
}

namespace {

// The rows of the experiment, kept in the order results.json shows them: θ₀'s rows first (by
// seed), then the methods' rows in the order they were first written.
class RowBook {
 public:
  std::vector<AuditRow> rows;
  const AuditRow* find(const std::string& method, int64_t seed) const {
    for (const auto& r : rows)
      if (r.method == method && r.seed == seed) return &r;
    return nullptr;
  }
  void upsert(const AuditRow& row) {
    for (auto& r : rows)
      if (r.method == row.method && r.seed == row.seed) { r = row; return; }
    if (row.method == "original") {
      auto it = rows.begin();
      while (it != rows.end() && it->method == "original" && it->seed < row.seed) ++it;
      rows.insert(it, row);
    } else {
      rows.push_back(row);
    }
  }
};

// What the experiment's results depend on (run.json's settings): the data, the backbone, the
// request recipe, the retain split, every setting (training ones resolved) and each method's own.
io::RunSettings experiment_settings(const ExperimentOptions& o, const io::Dataset& ds) {
  io::RunSettings s;
  s["data.fingerprint"] = hex64(ds.fingerprint());
  s["model"] = o.model;
  s["regime"] = io::regime_name(o.regime);
  s["ratio"] = io::format_double(o.ratio > 0 ? o.ratio : io::default_ratio(o.regime));
  s["selection"] = io::selection_name(o.selection);
  s["retain_split"] = o.retain_split;
  AuditSet audits = o.audits;  // the audits of these rows (the backdoor experiment has its own folder)
  audits.backdoor = false;
  s["audits"] = audits_name(audits);
  const Config resolved = resolve_training_settings(o.cfg, o.model);
  for (const auto& [k, v] : resolved.values())
    if (k != "eval.tile_users") s["config." + k] = v;
  for (const auto& [m, ms] : o.method_cfg)
    for (const auto& [k, v] : ms.overrides) s["method." + m + "." + k] = v;
  return s;
}

}  // namespace

// --resume's comparison: every shared setting must be equal; a method's own settings
// (method.<m>.<key>) only matter for the methods this run runs that already have finished rows —
// a method added now, or one whose rows --redo replaces, may come with settings of its own.
io::SettingDiff resume_difference(const io::RunFolderInfo& found, const io::RunSettings& now,
                                  const std::vector<std::string>& methods, const std::vector<std::string>& redo) {
  std::set<std::string> with_rows;
  const std::string results = io::path_join(found.dir, "results.json");
  if (io::is_regular_file(results))
    for (const auto& r : rows_from_json(io::read_json(results)))
      if (r.ok() && !listed(redo, r.method)) with_rows.insert(r.method);
  auto compared = [&](const io::RunSettings& in) {
    io::RunSettings out;
    for (const auto& [k, v] : in) {
      if (k.rfind("method.", 0) == 0) {
        const std::string m = k.substr(7, k.find('.', 7) - 7);
        if (!with_rows.count(m) || std::find(methods.begin(), methods.end(), m) == methods.end()) continue;
      }
      out[k] = v;
    }
    return out;
  };
  return io::first_difference(compared(found.settings), compared(now), legacy_run_settings());
}

io::RunSettings resumed_settings(const io::RunFolder& rf, const io::RunSettings& now,
                                 const std::vector<std::string>& redo) {
  io::RunSettings merged = now;
  if (rf.start() != io::RunFolder::Start::kResume) return merged;
  for (const auto& [k, v] : rf.found().settings)
    if (k.rfind("method.", 0) == 0 && !merged.count(k) && !listed(redo, k.substr(7, k.find('.', 7) - 7)))
      merged[k] = v;
  return merged;
}


std::vector<AuditRow> run_experiment(const ExperimentOptions& o) {
  validate(o);
  const auto t0 = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  auto say = [&](const std::string& msg) {
    if (!o.progress) return;
    if (o.eta) std::fprintf(stderr, "[%s] %s\n", o.eta->text().c_str(), io::printable(msg).c_str());
    else std::fprintf(stderr, "[experiment %7.1fs] %s\n", elapsed(), io::printable(msg).c_str());
  };

  const std::string regime = io::regime_name(o.regime);
  const double ratio = o.ratio > 0 ? o.ratio : io::default_ratio(o.regime);
  const bool have_retrain = std::find(o.methods.begin(), o.methods.end(), "retrain") != o.methods.end();
  std::vector<std::string> order;  // Retrain first: every other method is compared with it
  if (have_retrain) order.push_back("retrain");
  for (const auto& m : o.methods)
    if (m != "retrain") order.push_back(m);

  // The user-level attack holds two user groups out of everything that trains (umia.h): the
  // models and the requests see the rest, so that data set is a copy with those users' rows gone.
  std::optional<io::Dataset> loaded;
  if (!o.dataset) loaded = io::load_dataset(o.data_dir);  // a bad folder fails before OUT is made
  UserGroups groups;
  io::Dataset all_rows;
  if (o.audits.umia) {
    if (!loaded) loaded = *o.dataset;
    all_rows = hold_out_user_groups(*loaded, static_cast<uint64_t>(o.cfg.i64("audit.seed")), &groups);
  }
  const io::Dataset& ds = loaded ? *loaded : *o.dataset;
  const std::string cache = o.cache_dir.empty() ? graph::default_cache_dir(o.data_dir) : o.cache_dir;
  Ctx ctx(o.device);
  const std::string device = ctx.describe();

  // OUT is a run folder (io/run_folder.h): locked for the run's life; --resume continues it only
  // with the same settings (methods and seeds may be added); anything else there is refused.
  const io::RunSettings settings = experiment_settings(o, ds);
  io::RunFolderOptions ro;
  ro.command = "experiment";
  ro.settings = settings;
  ro.command_line = o.command;
  ro.resume = o.resume;
  ro.overwrite = o.overwrite;
  ro.reopen_finished = true;  // --resume of a finished experiment adds the methods and seeds it lacks
  ro.resume_hint = "--resume";
  ro.inputs = {o.data_dir};
  if (!o.original_dir.empty()) ro.inputs.push_back(o.original_dir);
  if (o.original_dir.empty()) ro.allowed = {"original", "original-shadow"};  // θ₀'s (and the shadow's) run folders
  ro.compare = [&](const io::RunFolderInfo& f) { return resume_difference(f, settings, o.methods, o.redo); };
  io::RunFolder rf(o.out_dir, ro);
  rf.begin(resumed_settings(rf, settings, o.redo));

  const std::string results_path = io::path_join(o.out_dir, "results.json");
  RowBook book;
  if (rf.start() == io::RunFolder::Start::kResume && io::is_regular_file(results_path)) {
    book.rows = rows_from_json(io::read_json(results_path));
    for (const auto& r : book.rows)
      if (r.regime != regime || r.ratio != ratio)
        throw Error(results_path + " holds a " + r.regime + " ratio " + io::format_double(r.ratio) +
                    " experiment, not " + regime + " ratio " + io::format_double(ratio) + ": use another --out");
    say("resuming: " + std::to_string(book.rows.size()) + " row(s) in " + results_path);
  }
  say("data " + ds.name + ": " + std::to_string(ds.n_users) + " users, " + std::to_string(ds.n_items) + " items, " +
      std::to_string(ds.train.size()) + " train rows; device " + device);

  ReportInfo info;
  info.title = "Unlearning experiment: " + o.model + " on " + ds.name + ", " + regime + " regime";
  info.command = o.command;
  info.device = device;
  info.dataset = ds.name;
  info.model = o.model;
  info.regime = regime;
  info.ratio = ratio;
  info.selection = io::selection_name(o.selection);
  info.seeds = o.seeds;
  info.retain_split = o.retain_split;
  info.notes.push_back("θ₀'s time is its training time on D; the methods' times run from θ₀ to the unlearned model.");
  if (o.retain_split == "valid")
    info.notes.push_back("TUNING RUN: the retain columns are measured on the VALID split (request seeds " +
                         std::to_string(o.first_seed) + ".." + std::to_string(o.first_seed + o.seeds - 1) + ").");
  for (const auto& [m, ms] : o.method_cfg) {
    std::string kv;
    for (const auto& [k, v] : ms.overrides) kv += (kv.empty() ? "" : ", ") + k + " = " + v;
    info.notes.push_back("settings of " + m + " (" + ms.file + "): " + (kv.empty() ? "none" : kv) + ".");
  }
  if (!have_retrain) {
    info.notes.push_back("retrain was not in --methods: no overlap with Retrain, no speed-up, no noise floor.");
    say("note: retrain is not in --methods, so the overlap@20 and speed-up columns stay empty");
  }

  auto flush = [&] {
    attach_retrain_references(book.rows);
    io::write_json(results_path, rows_to_json(book.rows));
    results_table(book.rows).write_csv(io::path_join(o.out_dir, "results.csv"));
    info.date = utc_now();
    io::write_file_atomic(io::path_join(o.out_dir, "results.md"), results_markdown(book.rows, info));
    io::write_file_atomic(io::path_join(o.out_dir, "tradeoff.svg"),
                          tradeoff_svg(book.rows, o.model + " on " + ds.name + ": " + regime + " " +
                                                      io::format_double(ratio) + ", retain vs forget Recall@20"));
    rf.keep();  // rows worth keeping: a failure from here on leaves the folder for --resume
  };

  // θ₀: trained once, then its embeddings serve every seed.
  OriginalRun orig = ensure_original(o, ds, ctx, cache, say);
  const Embeddings e0 = [&] {  // the session is released: only the embeddings are needed
    ModelSession s0(ctx, ds, o.model, o.cfg, cache);
    restore_model_checkpoint(orig.ckpt, orig.path, s0.params(), nullptr, nullptr);
    return embed(ctx, s0.model(), s0.params());
  }();
  const int64_t tile = o.cfg.i64("eval.tile_users");
  const uint64_t fingerprint = ds.fingerprint();
  auto meta_of = [&](const std::string& method) {  // each method's own settings are hashed
    const auto own = o.method_cfg.find(method);
    return run_meta(ds.name, fingerprint, o.model, method, own == o.method_cfg.end() ? o.cfg : own->second.cfg);
  };
  std::unique_ptr<UmiaSetup> umia;
  if (o.audits.umia && o.regime == io::Regime::kUser) {
    umia = prepare_umia(o, ds, std::move(groups), std::move(all_rows), ctx, cache, say);
    info.notes.push_back(umia->note);
  } else if (o.audits.umia) {
    info.notes.push_back("the user-level attack runs in the user regime only; its two reserved user groups were still held "
                         "out of training, so θ₀ is the same in every regime of this experiment.");
  }

  io::make_dirs(io::path_join(o.out_dir, "requests"));
  io::make_dirs(io::path_join(o.out_dir, "logs"));
  for (int64_t s = o.first_seed; s < o.first_seed + o.seeds; ++s) {
    const std::string tag = regime + "-seed" + std::to_string(s);
    const std::string run_dir = io::path_join(io::path_join(o.out_dir, "runs"), tag);
    io::make_dirs(run_dir);
    io::RequestSpec spec;
    spec.regime = o.regime;
    spec.ratio = ratio;
    spec.selection = o.selection;
    spec.seed = static_cast<uint64_t>(s);
    const io::Request req = io::make_request(ds, spec);
    const std::string req_path = io::path_join(io::path_join(o.out_dir, "requests"), tag + ".tsv");
    io::write_request(req_path, req, ds);
    const io::ForgetSplit split = io::resolve(ds, req);
    SplitPatterns sp = split_patterns(ds, split);
    if (o.retain_split == "valid") sp.test = sp.valid;  // tuning: retain utility on the valid split
    RequestAudits ra(ctx, ds, split, sp, o.regime, static_cast<uint64_t>(s), o.audits, tile, umia.get(),
                     o.retain_split == "valid");
    const Auditor& aud = ra.auditor();
    if (ra.plan() && s == o.first_seed)
      info.notes.push_back("membership inference A: non-members are " + ra.plan()->a_population + ".");
    say("seed " + std::to_string(s) + "/" + std::to_string(o.seeds) + ": request " + req_path + ", |D_f| = " +
        std::to_string(split.forget.size()) + ", |D_r| = " + std::to_string(split.retain.size()));

    auto base_row = [&](AuditRow r) {
      r.meta = meta_of(r.method);
      r.regime = regime;
      r.ratio = ratio;
      r.seed = s;
      r.device = device;
      r.forget_rows = split.forget.size();
      return r;
    };
    const ModelAudit m0 = ra.audit_original(e0.users, e0.items);
    const CoreAudit& a0 = m0.core;
    AuditRow r0 = base_row(row_from_audit("original", a0));
    put_audits(m0, r0);
    r0.seconds = orig.train_seconds;
    r0.epochs = orig.epochs;
    r0.exposure_reduction = 0.0;
    book.upsert(r0);
    flush();

    UnlearnInput in;
    in.ctx = &ctx;
    in.ds = &ds;
    in.split = &split;
    in.model = o.model;
    in.cfg = o.cfg;
    in.original = &orig.ckpt;
    in.cache_dir = cache;
    in.seed = static_cast<uint64_t>(s);
    in.progress = o.progress && o.epoch_lines;

    std::optional<TopLists> retrain_lists;
    double retrain_seconds = kNaN;
    const std::string retrain_ckpt = io::path_join(run_dir, "retrain.ckpt");
    const std::string req_text = io::read_file(req_path);
    std::map<std::string, std::string> ckpt_meta = {
        {"unlearn.request", req_path},
        {"unlearn.request_hash", io::hex64(io::hash64(req_text.data(), req_text.size()))},
        {"unlearn.graph", "retain"},
        {"unlearn.original", orig.path},
        {"unlearn.seed", std::to_string(s)}};

    auto set_retrain = [&](TopLists lists, double secs) {
      retrain_lists = std::move(lists);
      retrain_seconds = secs;
      AuditRow r = r0;  // θ₀ against Retrain: how far the model starts from the target
      r.overlap20 = mean_overlap(a0.top, *retrain_lists);
      r0 = r;
      book.upsert(r0);
    };

    // The noise floor: Retrain again with another seed, compared with this seed's Retrain.
    const bool want_nf = have_retrain && (o.noise_floor == NoiseFloor::kAll || (o.noise_floor == NoiseFloor::kFirst && s == 1));
    auto noise_floor = [&] {
      const AuditRow* rr = book.find("retrain", s);
      if (!want_nf) return;
      // Done when the row has its overlap and the forget and retain spreads (where the row has those
      // metrics); a row from a program that did not record a spread gets its second Retrain again.
      const bool done = rr && !std::isnan(rr->noise_floor20) &&
                        (std::isnan(rr->forget_recall20) || rr->audit.count("forget_recall@20_spread") > 0) &&
                        (std::isnan(rr->retain_recall20) || rr->audit.count("retain_recall@20_spread") > 0);
      if (!retrain_lists || !rr || !rr->ok() || done) {
        if (o.eta) o.eta->done("retrain", -1);  // planned, not needed
        return;
      }
      say("seed " + std::to_string(s) + ": noise floor (retrain with seed " + std::to_string(s + 1000) + ") ...");
      double nf_seconds = -1;  // for the ETA: -1 unless the Retrain finished
      try {
        UnlearnInput in2 = in;
        in2.seed = static_cast<uint64_t>(s + 1000);
        UnlearnResult res2 = run_unlearning("retrain", in2);
        nf_seconds = res2.seconds;
        const Embeddings e2 = embed(ctx, res2.session->model(), res2.session->params());
        AuditRow r = *rr;
        const ModelAudit m2 = ra.audit(e2.users, e2.items);
        r.noise_floor20 = mean_overlap(m2.core.top, *retrain_lists);
        put_spread(m2, r);
        book.upsert(r);
        say("seed " + std::to_string(s) + ": noise floor overlap@20 " +
            io::format_double(std::round(r.noise_floor20 * 1e3) / 1e3));
      } catch (const std::exception& ex) {
        say("seed " + std::to_string(s) + ": noise-floor retrain FAILED: " + ex.what());
        info.notes.push_back("noise-floor Retrain of seed " + std::to_string(s) + " failed: " + ex.what());
      }
      if (o.eta) o.eta->done("retrain", nf_seconds);
      flush();
    };

    // When a finished Retrain had to be run again (its checkpoint could not be restored), the
    // other rows of this seed were compared with the old one: they are recomputed too.
    bool redo = false;
    for (const auto& m : order) {
      const AuditRow* done = book.find(m, s);
      if (o.resume && done && done->ok() && !redo && !listed(o.redo, m)) {
        if (m != "retrain") {
          if (o.eta) o.eta->done(m, -1);
          say("seed " + std::to_string(s) + ": " + m + " already in results.json, skipped");
          continue;
        }
        if (io::is_regular_file(retrain_ckpt)) {  // Retrain's lists are needed by the others
          try {
            const io::Checkpoint c = io::read_checkpoint(retrain_ckpt);
            ModelSession rs(ctx, ds, o.model, o.cfg, cache, DType::F32, &split.retain);
            restore_model_checkpoint(c, retrain_ckpt, rs.params(), nullptr, nullptr);
            const Embeddings e = embed(ctx, rs.model(), rs.params());
            set_retrain(aud.top_lists(e.users, e.items), done->seconds);
            if (o.eta) o.eta->done(m, -1);
            say("seed " + std::to_string(s) + ": retrain restored from " + retrain_ckpt);
            flush();
            noise_floor();
            continue;
          } catch (const std::exception& ex) {
            say("seed " + std::to_string(s) + ": cannot restore " + retrain_ckpt + " (" + ex.what() + "): running retrain again");
          }
        }
        redo = true;
      }
      say("seed " + std::to_string(s) + "/" + std::to_string(o.seeds) + ": " + m + " ...");
      AuditRow row;
      std::vector<io::Json> log;
      try {
        if (m == o.inject_failure) throw Error("injected failure (test hook)");
        const auto own = o.method_cfg.find(m);
        UnlearnInput inm = in;
        if (own != o.method_cfg.end()) inm.cfg = own->second.cfg;
        UnlearnResult res = run_unlearning(m, inm);
        const Embeddings e = embed(ctx, res.session->model(), res.session->params());
        ModelAudit ma = ra.audit(e.users, e.items);
        CoreAudit& a = ma.core;
        row = base_row(row_from_audit(m, a));
        put_audits(ma, row);
        row.seconds = res.seconds;
        row.peak_bytes = res.peak_bytes;
        row.epochs = m == "retrain" ? res.retrain_epochs : static_cast<int64_t>(res.log.size());
        row.selected_layers = res.selected_layers;
        row.method_stats = res.stats;
        row.notes = res.notes;
        row.exposure_reduction = exposure_reduction(a0.exposure, a.exposure);
        for (const auto& ep : res.log) log.push_back(epoch_json(ep));
        log.insert(log.end(), res.trace.begin(), res.trace.end());  // tru-auto / mmrecun-auto: the search
        auto meta = ckpt_meta;
        meta["unlearn.method"] = m;
        meta["unlearn.seconds"] = io::format_double(res.seconds);
        meta["unlearn.peak_bytes"] = std::to_string(res.peak_bytes);
        if (m == "retrain") {
          save_model_checkpoint(retrain_ckpt, o.model, o.cfg, ds, res.session->params(), nullptr, nullptr, meta);
          set_retrain(std::move(a.top), res.seconds);
        } else if (o.keep_checkpoints) {
          save_model_checkpoint(io::path_join(run_dir, m + ".ckpt"), res.session->model_name(), inm.cfg, ds,
                                res.session->params(), nullptr, nullptr, meta);
        }
        if (retrain_lists) {
          row.overlap20 = m == "retrain" ? 1.0 : mean_overlap(a.top, *retrain_lists);
          row.speedup = speedup(retrain_seconds, res.seconds);
        }
        if (o.eta) o.eta->done(m, res.seconds);
        say("seed " + std::to_string(s) + ": " + m + " done in " + io::format_double(std::round(res.seconds * 100) / 100) +
            " s: retain R@20 " + io::format_double(std::round(row.retain_recall20 * 1e4) / 1e4) + ", forget R@20 " +
            io::format_double(std::round(row.forget_recall20 * 1e4) / 1e4) +
            (std::isnan(row.overlap20) ? std::string()
                                       : ", overlap@20 " + io::format_double(std::round(row.overlap20 * 1e3) / 1e3)));
      } catch (const std::exception& ex) {
        row = base_row(AuditRow{});
        row.method = m;
        row.meta = meta_of(m);
        row.status = "failed";
        row.error = ex.what();
        row.forget_rows = split.forget.size();
        if (o.eta) o.eta->done(m, -1);
        io::Json j = io::Json::object();
        j["status"] = "failed";
        j["error"] = row.error;
        log.push_back(j);
        say("seed " + std::to_string(s) + ": " + m + " FAILED: " + row.error);
      }
      io::write_file_atomic(io::path_join(io::path_join(o.out_dir, "logs"), tag + "-" + m + ".jsonl"), jsonl(log));
      book.upsert(row);
      flush();

      if (m == "retrain") noise_floor();
    }
  }
  rf.finish();
  say("done: " + results_path);
  return book.rows;
}

}  // namespace lethe::audit
