// tools/cmd_train.cpp — `lethe train`: trains a backbone with the MMRec protocol into a run folder
// (engine/run_files.h): RUN/checkpoint (best valid epoch), RUN/last.ckpt (end of the latest epoch,
// for --resume), RUN/log.jsonl (one JSON object per epoch), RUN/metrics.json, RUN/config.txt,
// and the run folder's run.json and manifest.json (io/run_folder.h).
// Every setting, the data and the model are checked before the folder is touched.
#include <cstdio>

#include "engine/checkpointing.h"
#include "engine/run_files.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "graph/knn.h"
#include "io/fs.h"
#include "io/json.h"
#include "tools/audit_cli.h"
#include "tools/cli_common.h"
#include "tools/commands.h"

namespace lethe::cli {

int cmd_train(int argc, char** argv) {
  Args a("train",
         "Trains a backbone (lightgcn, mgcn, miggt) on a dataset folder with the MMRec protocol: Adam, shuffled\n"
         "batches with one sampled negative per row, per-epoch valid evaluation (full ranking, train items\n"
         "masked), early stopping on valid Recall@20, test reported at the best-valid epoch.\n"
         "RUN must be new or empty; a finished or interrupted run in it is refused unless --resume (same\n"
         "settings only) or --overwrite.");
  a.opt("data", "", "dataset folder (<name>.inter + <modality>_feat.npy)", true)
      .opt("model", "mgcn", "backbone: lightgcn, mgcn or miggt (any case: MGCN, LightGCN, MIG-GT)")
      .opt("out", "", "run folder for checkpoint, log.jsonl, metrics.json", true)
      .opt("device", "auto", "auto, cpu or cuda")
      .opt("resume", "",
           "continue the interrupted run in --out from this checkpoint (RUN/last.ckpt); refused when any setting "
           "that changes the result differs; a finished run is left as it is")
      .flag("overwrite", "replace what --out holds (kept in RUN/.lethe-previous until this run has finished)")
      .flag("quiet", "no progress bar (one line per epoch is still printed)");
  add_config_flags(a, {"training", "evaluation", "LightGCN", "MGCN", "MIG-GT"});
  if (!a.parse(argc, argv)) return 0;
  const std::string out = a.str("out"), model_name = canonical_model_name(a.str("model"));
  io::RunFolderOptions ro = run_options(a, "train", a.has("resume"), argc, argv);
  const Config cfg = config_from(a);
  (void)TrainOptions::from(cfg, model_name);  // settings out of range: before any work
  const Device dev = device_from(a);
  const io::Dataset ds = load_data(a.str("data"));
  ro.settings = train_settings(model_name, ds.fingerprint(), cfg);
  ro.resume_hint = "--resume " + io::path_join(out, "last.ckpt");
  ro.inputs = {a.str("data")};

  std::string resume_from;
  if (a.has("resume")) {
    resume_from = a.str("resume");
    if (io::is_directory(resume_from)) resume_from = io::path_join(resume_from, "last.ckpt");
    if (io::entry_exists(resume_from)) {
      const io::Checkpoint c = io::read_checkpoint(resume_from);
      const ModelCheckpointInfo info = read_model_checkpoint_info(c, resume_from);
      if (!c.meta.count("train.next_epoch"))
        throw Error(resume_from + " holds no training state (resume from RUN/last.ckpt of lethe train)");
      const io::SettingDiff d =
          io::first_difference(train_settings(info.model, info.data_fingerprint, info.config), ro.settings, ro.legacy);
      if (!d.empty())
        throw Error("--resume: " + resume_from + " was made with " + io::setting_name(d.key) + " = " + d.there +
                    ", this command has " + io::setting_name(d.key) + " = " + d.here +
                    "; continuing it with other settings would make a run of neither. Start a "
                    "new run (another --out, or --overwrite without --resume)");
    } else if (same_path(io::dir_name(resume_from), out)) {
      resume_from.clear();  // the run in --out never wrote last.ckpt: it starts from the beginning
    } else {
      throw Error("--resume " + resume_from + ": no such checkpoint");
    }
  }

  Ctx ctx(dev);
  ModelSession s(ctx, ds, model_name, resolve_training_settings(cfg, model_name),
                 graph::default_cache_dir(a.str("data")));
  io::RunFolder rf(out, ro);
  if (rf.start() == io::RunFolder::Start::kFinished) {
    const io::Json m = io::read_json(rf.path("metrics.json"));
    std::printf("%s already holds this run, finished (best epoch %lld of %lld): nothing to resume\n",
                io::printable(out).c_str(), static_cast<long long>(m.at("best_epoch").as_int()),
                static_cast<long long>(m.at("epochs_run").as_int()));
    return 0;
  }
  if (a.has("resume") && resume_from.empty())
    std::fprintf(stderr, "%s: no saved epoch (last.ckpt) to resume from: training from the start\n",
                 io::printable(out).c_str());
  rf.begin();
  std::fprintf(stderr, "device: %s\n", ctx.describe().c_str());
  TrainRunOptions to;
  to.resume_from = resume_from;
  to.progress = !a.on("quiet");
  const TrainRunResult r = train_into(ctx, ds, s, rf, to);
  rf.finish();
  const TrainResult& res = r.res;
  std::printf("%s on %s: best epoch %lld of %lld%s, test R@10 %.4f R@20 %.4f N@10 %.4f N@20 %.4f (%.1f s training)\n",
              model_name.c_str(), io::printable(ds.name).c_str(), static_cast<long long>(res.best_epoch + 1),
              static_cast<long long>(res.epochs_run), res.early_stopped ? " (early stop)" : "",
              res.test.get("recall@10"), res.test.get("recall@20"), res.test.get("ndcg@10"), res.test.get("ndcg@20"),
              res.train_seconds);
  std::printf("wrote %s/{checkpoint,last.ckpt,log.jsonl,metrics.json,config.txt,run.json,manifest.json}\n",
              io::printable(out).c_str());
  return 0;
}

}  // namespace lethe::cli
