// engine/run_files.cpp — see run_files.h.
#include "engine/run_files.h"

#include <chrono>
#include <cstdio>

#include "engine/audit/experiment.h"
#include "engine/checkpointing.h"
#include "graph/bipartite.h"
#include "io/atomic_file.h"
#include "io/fs.h"

namespace lethe {

io::Json metrics_json(const Metrics& m) {
  io::Json j = io::Json::object();
  for (const auto& [k, v] : m.v)
    if (k.rfind("hits@", 0) != 0 && k.rfind("pairs@", 0) != 0) j[k] = v;
  j["users"] = m.users;
  return j;
}

void write_train_metrics(const std::string& path, const std::string& model, const std::string& dataset,
                         const TrainResult& res, const std::string& device, int64_t parameters,
                         const RunMeta* meta) {
  io::Json m = io::Json::object();
  m["model"] = model;
  m["dataset"] = dataset;
  m["best_epoch"] = res.best_epoch + 1;
  m["epochs_run"] = res.epochs_run;
  m["early_stopped"] = res.early_stopped;
  m["valid"] = metrics_json(res.valid);
  m["test"] = metrics_json(res.test);
  m["train_seconds"] = res.train_seconds;
  m["device"] = device;
  m["parameters"] = parameters;
  if (meta) meta->put(m);
  io::write_json(path, m);
}

io::RunSettings legacy_run_settings() {
  io::RunSettings s;
  for (const auto& [k, v] : legacy_config_values()) s["config." + k] = v;
  return s;
}

io::RunSettings train_settings(const std::string& model, uint64_t data_fingerprint, const Config& cfg) {
  const Config c = resolve_training_settings(cfg, model);
  io::RunSettings s;
  s["model"] = model;
  s["data.fingerprint"] = hex64(data_fingerprint);
  for (const auto& [k, v] : c.values())
    if (audit::is_training_key(k)) s["config." + k] = v;
  return s;
}

TrainRunResult train_into(Ctx& ctx, const io::Dataset& ds, ModelSession& s, io::RunFolder& rf,
                          const TrainRunOptions& o) {
  const std::string model = s.model_name();
  const Config cfg = resolve_training_settings(s.config(), model);
  TrainOptions opt = TrainOptions::from(cfg, s.model());
  opt.progress = o.progress;
  opt.epoch_lines = o.epoch_lines;
  AdamConfig ac;
  ac.lr = opt.lr;
  Adam adam(s.params(), ac);
  TrainState state;
  std::vector<std::string> log_lines;
  const std::string log_path = rf.path("log.jsonl");
  if (!o.resume_from.empty()) {
    const io::Checkpoint c = io::read_checkpoint(o.resume_from);
    restore_model_checkpoint(c, o.resume_from, s.params(), &adam, &state);
    // Keep the log lines of the epochs before the resume point.
    if (io::is_regular_file(log_path)) {
      const std::string text = io::read_file(log_path);
      size_t pos = 0;
      while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) nl = text.size();
        const std::string line = text.substr(pos, nl - pos);
        pos = nl + 1;
        if (line.empty()) continue;
        if (io::Json::parse(line, log_path).at("epoch").as_int() <= state.next_epoch) log_lines.push_back(line);
      }
    }
    if (o.epoch_lines)
      std::fprintf(stderr, "resuming %s from epoch %lld\n", io::printable(o.resume_from).c_str(),
                   static_cast<long long>(state.next_epoch + 1));
  } else {
    s.init(opt.seed);
  }
  io::write_file_atomic(rf.path("config.txt"), "model = " + model + "\n" + cfg.dump());
  // last.ckpt: every `checkpoint_every` epochs, or (auto) after the first epoch that ends at least
  // kAutoCheckpointSeconds after the last write — and always at the run's last epoch. It holds
  // the parameters and both Adam moments (hundreds of MB for a model with trainable feature
  // tables), so writing it every epoch would dominate a GPU epoch; a crash loses at most the
  // epochs since the last write, and --resume continues bit for bit from there.
  const int64_t every = cfg.is_auto("checkpoint_every") ? 0 : cfg.i64("checkpoint_every");
  using clock = std::chrono::steady_clock;
  auto last_write = clock::now();
  TrainHooks hooks;
  hooks.on_best = [&](const TrainState& st) {
    save_model_checkpoint(rf.path("checkpoint"), model, cfg, ds, s.params(), &adam, &st);
  };
  hooks.on_epoch = [&](const EpochRecord& r, const TrainState& st) {
    io::Json j = io::Json::object();
    j["epoch"] = r.epoch + 1;
    j["loss"] = r.loss;
    j["bpr"] = r.rank;
    j["reg"] = r.reg;
    j["aux"] = r.aux;
    j["lr"] = r.lr;
    if (r.evaluated) {
      j["valid"] = metrics_json(r.valid);
      if (!r.test.v.empty()) j["test"] = metrics_json(r.test);
      j["best"] = r.best;
    }
    j["seconds"] = r.seconds;
    log_lines.push_back(j.dump(-1));
    std::string text;
    for (const auto& l : log_lines) text += l + "\n";
    io::write_file_atomic(log_path, text);
    const bool due = r.last || (every > 0 ? (r.epoch + 1) % every == 0
                                          : std::chrono::duration<double>(clock::now() - last_write).count() >=
                                                kAutoCheckpointSeconds);
    if (!due) return;
    save_model_checkpoint(rf.path("last.ckpt"), model, cfg, ds, s.params(), &adam, &st);
    last_write = clock::now();
    rf.keep();  // resumable from here on: a failure leaves the folder for --resume
  };
  const graph::HostCsr valid = graph::interaction_pattern(ds.n_users, ds.n_items, ds.valid);
  const graph::HostCsr test = graph::interaction_pattern(ds.n_users, ds.n_items, ds.test);
  TrainRunResult out;
  out.resumed_at = state.next_epoch;
  out.res = train(ctx, s.model(), s.params(), adam, s.data(), ds.train, valid, test, opt, state, hooks);
  if (!io::is_regular_file(rf.path("checkpoint")))
    throw Error("training wrote no checkpoint (no evaluated epoch?): check epochs and eval_every");
  out.parameters = s.params().trainable_elements();
  const RunMeta meta = run_meta(ds, model, "train", cfg);
  write_train_metrics(rf.path("metrics.json"), model, ds.name, out.res, ctx.describe(), out.parameters, &meta);
  return out;
}

}  // namespace lethe
