// tools/cmd_calibrate.cpp — `lethe calibrate`: the share of tru-auto's forget target on pair
// requests (unlearn.auto.pair_population untouched, unlearn.auto.pair_ratio), measured on a few
// validation requests that each have a Retrain (engine/audit/calibration.h, docs/TRU.md (g)).
// An offline step, once per data set: the tuner that uses the result never sees a Retrain.
// Every input is checked before any model is built: the lists pair up, every request reads on this
// data, θ₀ is a trained model, every --retrained checkpoint is a Retrain of its own request
// (refused otherwise unless --force, which is recorded).
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/audit/calibration.h"
#include "graph/knn.h"
#include "io/fs.h"
#include "io/json.h"
#include "io/request.h"
#include "io/table.h"
#include "tools/audit_cli.h"
#include "tools/cli_common.h"
#include "tools/commands.h"

namespace lethe::cli {

namespace {

std::vector<std::string> comma_list(const std::string& s) {
  std::vector<std::string> out;
  for (size_t p = 0; p <= s.size();) {
    size_t q = s.find(',', p);
    if (q == std::string::npos) q = s.size();
    if (q > p) out.push_back(s.substr(p, q - p));
    p = q + 1;
  }
  return out;
}

std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "–";
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

io::Cell num(double v, int decimals) {  // a right-aligned table cell; "–" where not measured
  io::Cell c(fixed(v, decimals));
  c.numeric = true;
  return c;
}

}  // namespace

int cmd_calibrate(int argc, char** argv) {
  Args a("calibrate",
         "Calibrates tru-auto's forget target on pair requests (unlearn.auto.pair_population untouched,\n"
         "unlearn.auto.pair_ratio) from validation requests that each have a Retrain: per request, Retrain's forget\n"
         "signal F_R (D_f's Recall@20, D_r masked) over θ₀'s valid Recall@20 of the users who lose no pair, V'₀ —\n"
         "the tuner's own signals, valid split only. Prints the share per request and its mean (the suggested\n"
         "pair_ratio), Retrain's own parity F_R / V_R (what the default target F = V assumes to be 1) and, leave-one-\n"
         "out, whether F held at the others' mean share × V'₀ lands within Retrain's reach, max(0.2 × F_R, 0.01).\n"
         "Make the requests for this only (lethe forget, seeds not used for anything reported): a Retrain per\n"
         "request is the price, paid once per data set; tru-auto itself never sees one.");
  a.opt("data", "", "dataset folder θ₀ was trained on", true)
      .opt("original", "", "θ₀: the trained model (RUN/checkpoint of lethe train)", true)
      .opt("requests", "", "validation request files, comma-separated (lethe forget --out)", true)
      .opt("retrained", "", "their Retrains, comma-separated in the same order (RUN/checkpoint of lethe unlearn "
                            "--method retrain)", true)
      .opt("out", "", "write the rows and the summary as JSON to this file")
      .opt("device", "auto", "auto, cpu or cuda")
      .flag("force", "accept a Retrain made for another request or by another method (recorded in --out)");
  add_config_flags(a, {"unlearning", "evaluation"});
  if (!a.parse(argc, argv)) return 0;
  const std::vector<std::string> reqs = comma_list(a.str("requests")), rets = comma_list(a.str("retrained"));
  if (reqs.empty()) throw Error("lethe calibrate: --requests names no file");
  if (reqs.size() != rets.size())
    throw Error("lethe calibrate: " + std::to_string(reqs.size()) + " request(s) but " + std::to_string(rets.size()) +
                " Retrain(s): --retrained needs one checkpoint per request, in the same order");
  if (a.has("out")) check_output_file(a.str("out"), "out");
  const bool force = a.on("force");
  const Device dev = device_from(a);
  const std::string orig_path = a.str("original");
  const io::Checkpoint oc = io::read_checkpoint(orig_path);
  const ModelCheckpointInfo oinfo = read_model_checkpoint_info(oc, orig_path);
  if (oinfo.meta.count("unlearn.method"))
    throw Error("lethe calibrate: --original " + orig_path + " is an unlearned model (" +
                oinfo.meta.at("unlearn.method") + "), not the trained θ₀");
  const Config cfg = config_over(oinfo.config, a);
  const audit::TuningSettings ts = audit::tuning_settings(cfg);
  const int64_t tile = cfg.i64("eval.tile_users");
  const io::Dataset ds = load_data(a.str("data"));
  if (oinfo.data_fingerprint != ds.fingerprint())
    throw Error("lethe calibrate: " + orig_path + " was trained on different data (fingerprint " +
                hex64(oinfo.data_fingerprint) + ", this folder " + hex64(ds.fingerprint()) + ")");

  // Every request and every Retrain's record, before any model is built.
  std::vector<io::Request> requests;
  std::vector<std::string> forced;
  for (size_t k = 0; k < reqs.size(); ++k) {
    requests.push_back(io::read_request(reqs[k], ds, io::ReadRequestOptions{}));
    const io::Checkpoint c = io::read_checkpoint(rets[k]);
    const ModelCheckpointInfo info = read_model_checkpoint_info(c, rets[k]);
    auto meta = [&](const std::string& key) {
      const auto it = info.meta.find(key);
      return it == info.meta.end() ? std::string() : it->second;
    };
    std::string problem;
    if (meta("unlearn.method") != "retrain")
      problem = rets[k] + " is not a Retrain (" +
                (meta("unlearn.method").empty() ? std::string("no unlearn record: a trained model?")
                                                : "made by " + meta("unlearn.method")) + ")";
    else if (!meta("unlearn.request_hash").empty() && meta("unlearn.request_hash") != file_hash(reqs[k]))
      problem = rets[k] + " was retrained for another request (" + meta("unlearn.request") + ", hash " +
                meta("unlearn.request_hash") + "; " + reqs[k] + ": " + file_hash(reqs[k]) + ")";
    if (!problem.empty()) {
      if (!force) throw Error("lethe calibrate: " + problem + " (pass --force to use it anyway)");
      std::fprintf(stderr, "warning: %s (--force)\n", io::printable(problem).c_str());
      forced.push_back(problem);
    }
  }

  Ctx ctx(dev);
  std::fprintf(stderr, "device: %s\n", ctx.describe().c_str());
  const std::string cache = graph::default_cache_dir(a.str("data"));
  io::Dataset view = ds;  // the tuner's signals read train and valid rows only
  view.test = io::Interactions{};
  std::vector<audit::CalibrationRow> rows;
  for (size_t k = 0; k < reqs.size(); ++k) {
    const io::ForgetSplit split = io::resolve(ds, requests[k]);
    std::fprintf(stderr, "[%zu/%zu] %s\n", k + 1, reqs.size(), io::printable(reqs[k]).c_str());
    const LoadedModel o = load_model(ctx, ds, orig_path, &split.retain, cache);  // θ₀ on the edited graph
    const LoadedModel r = load_model(ctx, ds, rets[k], &split.retain, cache);
    audit::CalibrationRow row = audit::calibration_row(ctx, view, split, requests[k].spec.seed, ts, o.emb.users,
                                                       o.emb.items, r.emb.users, r.emb.items, tile);
    row.request = reqs[k];
    rows.push_back(std::move(row));
  }
  const audit::CalibrationSummary s = audit::summarize_calibration(rows);

  io::Table t({"Request", "Regime", "|D_f|", "F under θ₀", "F_R (Retrain)", "V'₀", "Share F_R / V'₀", "V_R",
               "Retrain parity F_R / V_R", "Leave-one-out target", "Within reach"});
  for (const auto& r : rows)
    t.add_row({io::printable(r.request), r.regime, r.forget_rows, num(r.forget_original, 4), num(r.forget_retrain, 4),
               num(r.valid_untouched_original, 4), num(r.pairs_only ? r.share() : NAN, 3),
               num(r.valid_forget_retrain, 4), num(r.retrain_parity, 3), num(r.loo_target, 4),
               std::isfinite(r.loo_target) ? (r.loo_within ? "yes" : "no") : "–"});
  std::printf("%s\n", t.to_markdown().c_str());
  if (s.excluded > 0)
    std::printf("%lld request(s) delete whole users or items: measured above, not part of the share (the pair "
                "settings apply to requests that delete pairs only).\n\n",
                static_cast<long long>(s.excluded));
  if (s.share.n == 0) {
    std::printf("No request deletes pairs only: nothing to calibrate. Make interaction requests (lethe forget --regime "
                "interaction) for this.\n");
  } else {
    std::printf("Share F_R / V'₀ over %lld pair request(s): mean %s, sd %s, range %s – %s. Retrain's own parity F_R / "
                "V_R: mean %s (range %s – %s).\n",
                static_cast<long long>(s.share.n), fixed(s.share.mean, 3).c_str(), fixed(s.share.sd, 3).c_str(),
                fixed(s.share.min, 3).c_str(), fixed(s.share.max, 3).c_str(), fixed(s.retrain_parity.mean, 3).c_str(),
                fixed(s.retrain_parity.min, 3).c_str(), fixed(s.retrain_parity.max, 3).c_str());
    if (s.loo_judged > 0)
      std::printf("Leave-one-out: F held exactly at the other requests' mean share × V'₀ is within Retrain's reach on "
                  "%lld of %lld request(s).\n",
                  static_cast<long long>(s.loo_within), static_cast<long long>(s.loo_judged));
    else
      std::printf("Leave-one-out needs two pair requests or more: the share is not checked.\n");
    std::printf("\nSettings for tru-auto on this data (a settings file, --config):\n"
                "  unlearn.auto.pair_population = untouched\n  unlearn.auto.pair_ratio = %s\n",
                fixed(s.suggested_ratio, 2).c_str());
  }
  for (const auto& f : forced) std::printf("accepted with --force: %s.\n", io::printable(f).c_str());
  if (a.has("out")) {
    io::Json j = audit::calibration_json(rows, s);
    j["command"] = command_line(argc, argv);
    j["dataset"] = ds.name;
    j["dataset_fingerprint"] = hex64(ds.fingerprint());
    j["original"] = orig_path;
    io::Json fj = io::Json::array();
    for (const auto& f : forced) fj.push_back(f);
    j["forced"] = fj;
    io::write_json(a.str("out"), j);
    std::printf("\nwrote %s\n", io::printable(a.str("out")).c_str());
  }
  return 0;
}

}  // namespace lethe::cli
