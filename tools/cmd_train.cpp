// tools/cmd_train.cpp — `lethe train`: trains a backbone with the MMRec protocol and writes
// RUN/checkpoint (best valid epoch), RUN/last.ckpt (end of the latest epoch, for --resume),
// RUN/log.jsonl (one JSON object per epoch), RUN/metrics.json and RUN/config.txt.
#include <cstdio>

#include "engine/checkpointing.h"
#include "engine/run_files.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "graph/bipartite.h"
#include "graph/knn.h"
#include "io/atomic_file.h"
#include "io/fs.h"
#include "io/json.h"
#include "tools/cli_common.h"
#include "tools/commands.h"

namespace lethe::cli {

int cmd_train(int argc, char** argv) {
  Args a("train",
         "Trains a backbone (lightgcn, mgcn, miggt) on a dataset folder with the MMRec protocol: Adam, shuffled\n"
         "batches with one sampled negative per row, per-epoch valid evaluation (full ranking, train items\n"
         "masked), early stopping on valid Recall@20, test reported at the best-valid epoch.");
  a.opt("data", "", "dataset folder (<name>.inter + <modality>_feat.npy)", true)
      .opt("model", "mgcn", "backbone: lightgcn, mgcn or miggt")
      .opt("out", "", "run folder for checkpoint, log.jsonl, metrics.json", true)
      .opt("device", "auto", "auto, cpu or cuda")
      .opt("resume", "", "continue from a checkpoint written by an earlier run (e.g. RUN/last.ckpt)")
      .flag("overwrite", "reuse an --out folder that already holds a run")
      .flag("quiet", "no progress bar (one line per epoch is still printed)");
  add_config_flags(a);
  if (!a.parse(argc, argv)) return 0;
  const Config cfg = config_from(a);
  const Device dev = device_from(a);
  const std::string out = a.str("out"), model_name = canonical_model_name(a.str("model"));
  prepare_out_dir(out, a.on("overwrite") || a.has("resume"), "metrics.json");
  const io::Dataset ds = load_data(a.str("data"));
  Ctx ctx(dev);
  std::fprintf(stderr, "device: %s\n", ctx.describe().c_str());
  ModelSession s(ctx, ds, model_name, cfg, graph::default_cache_dir(a.str("data")));
  const TrainOptions opt = [&] {
    TrainOptions o = TrainOptions::from(cfg, s.model());
    o.progress = !a.on("quiet");
    return o;
  }();
  AdamConfig ac;
  ac.lr = opt.lr;
  Adam adam(s.params(), ac);
  TrainState state;
  std::vector<std::string> log_lines;
  if (a.has("resume")) {
    const std::string path = a.str("resume");
    const io::Checkpoint c = io::read_checkpoint(path);
    const ModelCheckpointInfo info = read_model_checkpoint_info(c, path);
    if (info.model != model_name) throw Error(path + " holds a " + info.model + " model, not " + model_name);
    if (info.data_fingerprint != ds.fingerprint())
      throw Error(path + " was trained on different data (fingerprint " + hex64(info.data_fingerprint) + ", this data " +
                  hex64(ds.fingerprint()) + ")");
    restore_model_checkpoint(c, path, s.params(), &adam, &state);
    // Keep the log lines of the epochs before the resume point.
    const std::string log_path = io::path_join(out, "log.jsonl");
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
    std::fprintf(stderr, "resuming %s from epoch %lld\n", path.c_str(), static_cast<long long>(state.next_epoch + 1));
  } else {
    s.init(opt.seed);
  }
  io::write_file_atomic(io::path_join(out, "config.txt"), "model = " + model_name + "\n" + cfg.dump());

  TrainHooks hooks;
  hooks.on_best = [&](const TrainState& st) {
    save_model_checkpoint(io::path_join(out, "checkpoint"), model_name, cfg, ds, s.params(), &adam, &st);
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
    io::write_file_atomic(io::path_join(out, "log.jsonl"), text);
    save_model_checkpoint(io::path_join(out, "last.ckpt"), model_name, cfg, ds, s.params(), &adam, &st);
  };
  const graph::HostCsr valid = graph::interaction_pattern(ds.n_users, ds.n_items, ds.valid);
  const graph::HostCsr test = graph::interaction_pattern(ds.n_users, ds.n_items, ds.test);
  const TrainResult res = train(ctx, s.model(), s.params(), adam, s.data(), ds.train, valid, test, opt, state, hooks);

  const RunMeta meta = run_meta(ds, model_name, "train", cfg);
  write_train_metrics(io::path_join(out, "metrics.json"), model_name, ds.name, res, ctx.describe(),
                      s.params().trainable_elements(), &meta);
  std::printf("%s on %s: best epoch %lld of %lld, test R@10 %.4f R@20 %.4f N@10 %.4f N@20 %.4f (%.1f s training)\n",
              model_name.c_str(), ds.name.c_str(), static_cast<long long>(res.best_epoch + 1),
              static_cast<long long>(res.epochs_run), res.test.get("recall@10"), res.test.get("recall@20"),
              res.test.get("ndcg@10"), res.test.get("ndcg@20"), res.train_seconds);
  std::printf("wrote %s/{checkpoint,last.ckpt,log.jsonl,metrics.json,config.txt}\n", out.c_str());
  return 0;
}

}  // namespace lethe::cli
