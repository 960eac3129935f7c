// tools/cmd_unlearn.cpp — `lethe unlearn`: runs one unlearning method (docs/MODELS.md, docs/TRU.md) on a
// trained checkpoint θ₀ and a deletion request, and writes
//   RUN/checkpoint    the unlearned model (the project's checkpoint format); its metadata names
//                     the method, the request file and the request's content hash, and says the
//                     model belongs on the retain graph (unlearn.graph = retain), so that
//                     `lethe audit` can rebuild D_r and check it is auditing the right request;
//   RUN/log.jsonl     one JSON object per unlearning epoch (losses, TRU's gate and scales), then
//                     for tru-auto / mmrecun-auto one per step of the search (engine/unlearn/auto.h);
//   RUN/summary.json  method, wall time, peak memory, TRU's selected layers and their scores,
//                     what the method reports about its run (method_stats: e.g. the certified
//                     head's ε, δ, retrains, bound and budget; the search's choice; notes),
//                     the search's trace (auto_trace, the same lines as log.jsonl's), the core audit of the
//                     unlearned model (retain and forget metrics, Exposure@20 and its reduction
//                     against θ₀), and what --force accepted, if anything;
//   RUN/run.json, RUN/manifest.json  the run folder's record (io/run_folder.h).
// Everything — settings, θ₀, the data, the request — is checked before the folder is touched.
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "engine/audit/audit.h"
#include "engine/audit/experiment.h"
#include "engine/checkpointing.h"
#include "engine/trainer.h"
#include "engine/unlearn/auto.h"
#include "engine/unlearn/unlearn.h"
#include "graph/knn.h"
#include "io/atomic_file.h"
#include "io/fs.h"
#include "io/json.h"
#include "io/request.h"
#include "io/run_folder.h"
#include "tools/audit_cli.h"
#include "tools/cli_common.h"
#include "tools/commands.h"

namespace lethe::cli {

namespace {

io::Json metrics_json_all(const Metrics& m) {
  io::Json j = io::Json::object();
  for (const auto& [k, v] : m.v) j[k] = v;
  j["users"] = m.users;
  return j;
}

io::Json audit_json(const audit::CoreAudit& a) {
  io::Json j = io::Json::object();
  j["retain"] = metrics_json_all(a.retain);
  j["forget"] = metrics_json_all(a.forget);
  j["exposure@20"] = a.exposure;
  return j;
}

std::string method_list() {
  std::string s;
  for (const auto& m : method_names()) s += (s.empty() ? "" : ", ") + m;
  return s;
}

}  // namespace

int cmd_unlearn(int argc, char** argv) {
  Args a("unlearn",
         "Unlearns a deletion request from a trained model: the method starts from the checkpoint θ₀ (Retrain from a\n"
         "fresh initialisation), works on the graph rebuilt from the retained data D_r, and the result is audited:\n"
         "retain Recall/NDCG@{10,20,50} (D_r masked, deleted users excluded), forget Recall/NDCG@20 (D_f as truth)\n"
         "and Exposure@20. The training settings are Retrain's; every setting not given keeps the checkpoint's value\n"
         "(the defaults shown are Lethe's, which the checkpoint holds unless it was trained with others).");
  a.opt("data", "", "dataset folder θ₀ was trained on", true)
      .opt("checkpoint", "", "θ₀: a model checkpoint (e.g. RUN/checkpoint of lethe train)", true)
      .opt("request", "", "deletion request file (lethe forget --out)", true)
      .opt("method", "", "one of: " + method_list(), true)
      .flag("auto",
            "choose the method's settings for this request on the valid split, without a Retrain: tru, mmrecun "
            "and tru-no-* become tru-auto, mmrecun-auto and tru-auto-no-* (docs/TRU.md)")
      .opt("out", "", "run folder for checkpoint, log.jsonl, summary.json", true)
      .opt("device", "auto", "auto, cpu or cuda")
      .opt("seed", "1", "the run's sampling seed (Retrain: also its initialisation)")
      .flag("overwrite", "replace what --out holds (kept in RUN/.lethe-previous until this run has finished)")
      .flag("force",
            "accept a request made for other data, or whose header's regime contradicts its lines "
            "(recorded in summary.json and the checkpoint)")
      .flag("quiet", "no per-epoch progress lines");
  // The model's shape (dim, the backbone's settings) is θ₀'s: it is not a setting of this command.
  add_config_flags(a, {"training", "evaluation", "unlearning", "TRU", "MultiDelete", "ScaleGUN"}, {"dim"});
  if (!a.parse(argc, argv)) return 0;
  io::RunFolderOptions ro = run_options(a, "unlearn", false, argc, argv);
  std::string method = a.str("method");
  if (!is_method(method)) throw Error("lethe unlearn: unknown --method '" + method + "' (one of: " + method_list() + ")");
  if (a.on("auto")) {
    const std::string tuned = method.rfind("tru-no-", 0) == 0 ? "tru-auto-no-" + method.substr(7) : method + "-auto";
    if (!is_method(tuned) || unlearn::auto_base(tuned) != method)
      throw Error("lethe unlearn: --auto tunes tru, mmrecun and the tru-no-* ablations only, not --method '" + method +
                  "'");
    method = tuned;
  }
  const std::string ckpt_path = a.str("checkpoint"), req_path = a.str("request"), out = a.str("out");
  const int64_t seed = a.i64("seed", 0, INT64_MAX);
  const Device dev = device_from(a);
  const io::Checkpoint ckpt = io::read_checkpoint(ckpt_path);
  const ModelCheckpointInfo info = read_model_checkpoint_info(ckpt, ckpt_path);
  const Config cfg = config_over(info.config, a);
  audit::validate_settings(cfg);
  (void)TrainOptions::from(cfg, info.model);  // the training settings Retrain and the auto values use
  const io::Dataset ds = load_data(a.str("data"));
  if (info.data_fingerprint != ds.fingerprint())
    throw Error("lethe unlearn: " + ckpt_path + " was trained on different data (fingerprint " +
                hex64(info.data_fingerprint) + ", this folder " + hex64(ds.fingerprint()) + ")");
  io::ReadRequestOptions rq;
  rq.force = a.on("force");
  const io::Request req = io::read_request(req_path, ds, rq);
  const io::ForgetSplit split = io::resolve(ds, req);
  const SplitPatterns sp = split_patterns(ds, split);
  const std::string cache = graph::default_cache_dir(a.str("data"));
  const std::string req_hash = file_hash(req_path);

  // The run's settings: everything its result depends on.
  ro.settings = {{"model", info.model},
                 {"data.fingerprint", hex64(ds.fingerprint())},
                 {"original.hash", file_hash(ckpt_path)},
                 {"request.hash", req_hash},
                 {"method", method},
                 {"seed", std::to_string(seed)}};
  const Config resolved = resolve_training_settings(cfg, info.model);
  for (const auto& [k, v] : resolved.values())
    if (k != "eval.tile_users") ro.settings["config." + k] = v;
  for (size_t k = 0; k < req.forced.size(); ++k) ro.settings["forced." + std::to_string(k + 1)] = req.forced[k];

  ro.inputs = {ckpt_path, req_path, a.str("data")};
  Ctx ctx(dev);
  io::RunFolder rf(out, ro);
  rf.begin();
  std::fprintf(stderr, "device: %s\nunlearn: %s on %s, request %s (%s regime): |D_f| = %lld, |D_r| = %lld\n",
               ctx.describe().c_str(), method.c_str(), info.model.c_str(), io::printable(req_path).c_str(),
               io::regime_name(req.spec.regime), static_cast<long long>(split.forget.size()),
               static_cast<long long>(split.retain.size()));
  UnlearnInput in;
  in.ctx = &ctx;
  in.ds = &ds;
  in.split = &split;
  in.model = info.model;
  in.cfg = cfg;
  in.original = &ckpt;
  in.cache_dir = cache;
  in.seed = static_cast<uint64_t>(seed);
  in.progress = !a.on("quiet");
  UnlearnResult res = run_unlearning(method, in);

  // The audit of the unlearned model alone, and θ₀'s exposure for the reduction.
  const audit::Auditor aud(ctx, sp, {10, 20, 50}, cfg.i64("eval.tile_users"));
  audit::CoreAudit au;
  {
    const Embeddings e = embed(ctx, res.session->model(), res.session->params());
    au = aud.audit(e.users, e.items, false);
  }
  audit::CoreAudit a0;
  {
    ModelSession s0(ctx, ds, info.model, info.config, cache);
    restore_model_checkpoint(ckpt, ckpt_path, s0.params(), nullptr, nullptr);
    const Embeddings e0 = embed(ctx, s0.model(), s0.params());
    a0 = aud.audit(e0.users, e0.items, false);
  }

  std::map<std::string, std::string> meta = {{"unlearn.method", method},
                                             {"unlearn.request", req_path},
                                             {"unlearn.request_hash", req_hash},
                                             {"unlearn.request_regime", io::regime_name(req.spec.regime)},
                                             {"unlearn.graph", "retain"},
                                             {"unlearn.original", ckpt_path},
                                             {"unlearn.seed", std::to_string(seed)},
                                             {"unlearn.seconds", io::format_double(res.seconds)},
                                             {"unlearn.peak_bytes", std::to_string(res.peak_bytes)},
                                             {"unlearn.device", ctx.describe()}};
  const int64_t epochs = method == "retrain" ? res.retrain_epochs : static_cast<int64_t>(res.log.size());
  meta["unlearn.epochs"] = std::to_string(epochs);
  std::string layer_list;
  for (const auto& l : res.selected_layers) layer_list += (layer_list.empty() ? "" : ",") + l;
  meta["unlearn.selected_layers"] = layer_list;
  std::string forced;
  for (const auto& f : req.forced) forced += (forced.empty() ? "" : "; ") + f;
  if (!forced.empty()) meta["unlearn.forced"] = forced;
  put_metrics(meta, "audit.retain", au.retain);
  put_metrics(meta, "audit.forget", au.forget);
  for (const auto& [k, v] : res.stats) meta["unlearn.stats." + k] = io::format_double(v);
  // The result's own model name: scalegun-certified returns "<backbone>+head".
  save_model_checkpoint(rf.path("checkpoint"), res.session->model_name(), cfg, ds, res.session->params(), nullptr,
                        nullptr, meta);

  std::string log;
  for (const auto& e : res.log) log += audit::epoch_json(e).dump(-1) + "\n";
  for (const auto& t : res.trace) log += t.dump(-1) + "\n";  // tru-auto / mmrecun-auto: the search
  io::write_file_atomic(rf.path("log.jsonl"), log);

  io::Json s = io::Json::object();
  s["method"] = method;
  s["model"] = info.model;
  s["dataset"] = ds.name;
  s["original"] = ckpt_path;
  s["request"] = req_path;
  s["request_hash"] = req_hash;
  s["regime"] = io::regime_name(req.spec.regime);
  s["seed"] = seed;
  s["forget_rows"] = split.forget.size();
  s["retain_rows"] = split.retain.size();
  s["deleted_users"] = static_cast<int64_t>(split.deleted_users.size());
  s["deleted_items"] = static_cast<int64_t>(split.deleted_items.size());
  s["seconds"] = res.seconds;
  s["peak_bytes"] = res.peak_bytes;
  s["epochs"] = epochs;
  io::Json layers = io::Json::array();
  for (const auto& l : res.selected_layers) layers.push_back(l);
  s["selected_layers"] = layers;
  io::Json scores = io::Json::object();
  for (const auto& [k, v] : res.layer_scores) scores[k] = v;
  s["layer_scores"] = scores;
  s["device"] = ctx.describe();
  s["audit"] = audit_json(au);
  s["original_audit"] = audit_json(a0);
  s["exposure_reduction"] = audit::exposure_reduction(a0.exposure, au.exposure);
  io::Json fj = io::Json::array();
  for (const auto& f : req.forced) fj.push_back(f);
  s["forced"] = fj;  // what --force accepted (empty: nothing)
  io::Json stats = io::Json::object();
  for (const auto& [k, v] : res.stats) stats[k] = v;
  s["method_stats"] = stats;
  io::Json notes = io::Json::array();
  for (const auto& n : res.notes) notes.push_back(n);
  s["notes"] = notes;
  run_meta(ds, info.model, method, cfg).put(s);
  if (!res.trace.empty()) {
    io::Json tr = io::Json::array();
    for (const auto& t : res.trace) tr.push_back(t);
    s["auto_trace"] = tr;
  }
  io::write_json(rf.path("summary.json"), s);
  rf.finish();

  std::string chosen;
  for (const auto& x : res.selected_layers) chosen += (chosen.empty() ? ", layers: " : ", ") + x;
  std::printf("%s: %.2f s, peak %.1f MiB%s\n", method.c_str(), res.seconds,
              static_cast<double>(res.peak_bytes) / (1024.0 * 1024.0), chosen.c_str());
  std::printf("  retain R@20 %.4f N@20 %.4f (θ₀ %.4f) | forget R@20 %.4f (θ₀ %.4f) | Exposure@20 %.4f (θ₀ %.4f)\n",
              au.retain.get("recall@20"), au.retain.get("ndcg@20"), a0.retain.get("recall@20"), au.forget.get("recall@20"),
              a0.forget.get("recall@20"), au.exposure, a0.exposure);
  for (const auto& n : res.notes) std::printf("  %s\n", io::printable(n).c_str());
  if (!forced.empty()) std::printf("  accepted with --force: %s\n", io::printable(forced).c_str());
  std::printf("wrote %s/{checkpoint,log.jsonl,summary.json,run.json,manifest.json}\n", io::printable(out).c_str());
  return 0;
}

}  // namespace lethe::cli
