// tools/cmd_audit.cpp — `lethe audit`: the core audits (docs/MODELS.md, "Audits") for models that already
// exist as checkpoints: θ₀ (--original, on the full train graph D), an unlearned model
// (--unlearned, on the retain graph D_r) and optionally Retrain (--retrained) and a second
// Retrain with another seed (--retrained2, for the noise floor), and the interaction-level
// membership inference of engine/audit/mia.h (--audits core,mia). Prints a Markdown table and
// writes the rows as JSON (the schema of `lethe experiment`'s results.json) with --out.
// Times and peak memory come from the checkpoints' metadata (written by `lethe unlearn`);
// the speed-up needs both the unlearned model's and Retrain's.
// Mismatches are refused unless --force (then recorded in the table's notes and in every row of
// --out): a request made for other data, a model unlearned with another request, and models in
// the wrong roles (an unlearned model given as --original, a trained one as --unlearned, a model
// that is not a Retrain as --retrained), as when --original and --unlearned are swapped.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "engine/audit/audit.h"
#include "engine/audit/experiment.h"
#include "engine/audit/report.h"
#include "engine/unlearn/unlearn.h"
#include "graph/knn.h"
#include "io/fs.h"
#include "io/json.h"
#include "io/request.h"
#include "tools/audit_cli.h"
#include "tools/cli_common.h"
#include "tools/commands.h"

namespace lethe::cli {

namespace {

double meta_number(const ModelCheckpointInfo& info, const std::string& key) {
  auto it = info.meta.find(key);
  if (it == info.meta.end()) return audit::AuditRow::kNaN;
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  return (it->second.empty() || *end) ? audit::AuditRow::kNaN : v;
}

std::string meta_string(const ModelCheckpointInfo& info, const std::string& key) {
  auto it = info.meta.find(key);
  return it == info.meta.end() ? std::string() : it->second;
}

}  // namespace

int cmd_audit(int argc, char** argv) {
  Args a("audit",
         "Audits an unlearned model against the original θ₀ and (optionally) Retrain on one deletion request:\n"
         "retain Recall/NDCG@{10,20,50} (retain test, D_r masked, deleted users excluded), forget Recall/NDCG@20\n"
         "(D_f as truth, D_r masked), Exposure@20 and its reduction against θ₀, per-user overlap@20 with Retrain's\n"
         "top-20 lists, the noise floor (two Retrain runs), time, speed-up and peak memory; with mia (the default) the\n"
         "membership-inference families A (one model), B (against θ₀) and C (scores only), docs/AUDITS.md.");
  a.opt("data", "", "dataset folder", true)
      .opt("request", "", "the deletion request file the models were unlearned with", true)
      .opt("original", "", "θ₀: the trained model before unlearning", true)
      .opt("unlearned", "", "the unlearned model (RUN/checkpoint of lethe unlearn)", true)
      .opt("retrained", "", "Retrain's model (lethe unlearn --method retrain)")
      .opt("retrained2", "", "a second Retrain with another seed (the noise floor)")
      .opt("out", "", "write the rows as JSON to this file")
      .opt("retain-split", "test", "split of the retain-utility audit: test (reporting) or valid (tuning)")
      .opt("audits", "core,mia", "core and/or mia (the user-level attack and the backdoor audit need their own "
                                 "training: lethe experiment --audits umia,backdoor)")
      .opt("device", "auto", "auto, cpu or cuda")
      .flag("force", "accept the mismatches above (recorded in the output)");
  if (!a.parse(argc, argv)) return 0;
  if (a.has("retrained2") && !a.has("retrained"))
    throw Error("lethe audit: --retrained2 (the noise floor) needs --retrained");
  const audit::AuditSet audits = audit::parse_audits(a.str("audits"));
  if (audits.umia || audits.backdoor)
    throw Error("lethe audit: umia and backdoor need models trained for them (reserved users, injected data): run "
                "them with lethe experiment --audits");
  const std::string retain_split = a.str("retain-split");
  if (retain_split != "test" && retain_split != "valid")
    throw Error("lethe audit: --retain-split must be test or valid, got '" + retain_split + "'");
  if (a.has("out")) check_output_file(a.str("out"), "out");
  const Device dev = device_from(a);
  const bool force = a.on("force");
  const io::Dataset ds = load_data(a.str("data"));
  const std::string req_path = a.str("request");
  io::ReadRequestOptions rq;
  rq.force = force;
  const io::Request req = io::read_request(req_path, ds, rq);
  std::vector<std::string> forced = req.forced;
  const io::ForgetSplit split = io::resolve(ds, req);
  SplitPatterns sp = split_patterns(ds, split);
  if (retain_split == "valid") sp.test = sp.valid;
  const std::string cache = graph::default_cache_dir(a.str("data"));
  const std::string req_hash = file_hash(req_path);

  // The roles, from the checkpoints' metadata, before any model is built: θ₀ was trained (no
  // unlearn.* record), the others were unlearned (lethe unlearn / experiment wrote unlearn.graph).
  auto mismatch = [&](const std::string& msg) {
    if (!force) throw Error("lethe audit: " + msg + " (pass --force to audit anyway)");
    std::fprintf(stderr, "warning: %s (--force)\n", io::printable(msg).c_str());
    forced.push_back(msg);
  };
  auto role = [&](const std::string& option, bool unlearned, const std::string& method) {
    const std::string path = a.str(option);
    const io::Checkpoint c = io::read_checkpoint(path);
    const ModelCheckpointInfo info = read_model_checkpoint_info(c, path);
    const std::string m = meta_string(info, "unlearn.method");
    if (!unlearned && !m.empty())
      mismatch("--" + option + " " + path + " is an unlearned model (" + m +
               "), not the original θ₀ (were --original "
               "and --unlearned swapped?)");
    if (unlearned && m.empty())
      mismatch("--" + option + " " + path +
               " is not an unlearned model (its checkpoint has no unlearn record: a "
               "trained model? were --original and --unlearned swapped?)");
    if (unlearned && !method.empty() && !m.empty() && m != method)
      mismatch("--" + option + " " + path + " was made by " + m + ", not " + method);
    const std::string h = meta_string(info, "unlearn.request_hash");
    if (unlearned && !h.empty() && h != req_hash)
      mismatch(path + " was unlearned with another request (" + meta_string(info, "unlearn.request") + ", hash " + h +
               "; " + req_path + ": " + req_hash + ")");
  };
  role("original", false, "");
  role("unlearned", true, "");
  if (a.has("retrained")) role("retrained", true, "retrain");
  if (a.has("retrained2")) role("retrained2", true, "retrain");
  Ctx ctx(dev);
  std::fprintf(stderr, "device: %s\n", ctx.describe().c_str());
  audit::RequestAudits ra(ctx, ds, split, sp, req.spec.regime, req.spec.seed, audits, 2048, nullptr,
                          retain_split == "valid");

  const std::string regime = io::regime_name(req.spec.regime);
  const uint64_t fingerprint = ds.fingerprint();
  auto base = [&](audit::AuditRow r, const ModelCheckpointInfo& info) {
    r.meta = run_meta(ds.name, fingerprint, info.model, r.method, info.config);
    r.regime = regime;
    r.ratio = req.spec.regime == io::Regime::kExplicit ? audit::AuditRow::kNaN : req.spec.ratio;
    r.seed = static_cast<int64_t>(req.spec.seed);
    r.device = ctx.describe();
    r.forget_rows = split.forget.size();
    r.seconds = meta_number(info, "unlearn.seconds");
    const double pb = meta_number(info, "unlearn.peak_bytes");
    r.peak_bytes = std::isnan(pb) ? -1 : static_cast<int64_t>(pb);
    return r;
  };

  // θ₀ on the full train graph; the others on D_r. One model in memory at a time, plus the
  // top-20 lists (users × 20 ints) kept for the overlaps.
  std::vector<audit::AuditRow> rows;
  audit::CoreAudit a0;
  {
    const LoadedModel m = load_model(ctx, ds, a.str("original"), nullptr, cache);
    const audit::ModelAudit ma = ra.audit_original(m.emb.users, m.emb.items);
    a0 = ma.core;
    audit::AuditRow r = base(audit::row_from_audit("original", a0), m.info);
    audit::put_audits(ma, r);
    r.seconds = audit::AuditRow::kNaN;
    r.exposure_reduction = 0;
    rows.push_back(r);
  }
  std::optional<audit::TopLists> rl;
  double retrain_seconds = audit::AuditRow::kNaN;
  if (a.has("retrained")) {
    const LoadedModel m = load_model(ctx, ds, a.str("retrained"), &split.retain, cache);
    audit::ModelAudit mr = ra.audit(m.emb.users, m.emb.items);
    audit::CoreAudit& ar = mr.core;
    audit::AuditRow r = base(audit::row_from_audit("retrain", ar), m.info);
    audit::put_audits(mr, r);
    r.exposure_reduction = audit::exposure_reduction(a0.exposure, ar.exposure);
    r.overlap20 = 1.0;
    r.speedup = 1.0;
    retrain_seconds = r.seconds;
    rl = std::move(ar.top);
    rows[0].overlap20 = audit::mean_overlap(a0.top, *rl);
    if (a.has("retrained2")) {
      const LoadedModel m2 = load_model(ctx, ds, a.str("retrained2"), &split.retain, cache);
      const audit::ModelAudit mr2 = ra.audit(m2.emb.users, m2.emb.items);
      r.noise_floor20 = audit::mean_overlap(mr2.core.top, *rl);
      audit::put_spread(mr2, r);
    }
    if (std::isnan(r.seconds)) r.speedup = audit::AuditRow::kNaN;
    rows.push_back(r);
  }
  {
    const LoadedModel m = load_model(ctx, ds, a.str("unlearned"), &split.retain, cache);
    std::string method = meta_string(m.info, "unlearn.method");
    if (method.empty()) method = "unlearned";
    const audit::ModelAudit mu = ra.audit(m.emb.users, m.emb.items);
    const audit::CoreAudit& au = mu.core;
    audit::AuditRow r = base(audit::row_from_audit(method, au), m.info);
    audit::put_audits(mu, r);
    r.exposure_reduction = audit::exposure_reduction(a0.exposure, au.exposure);
    if (rl) {
      r.overlap20 = audit::mean_overlap(au.top, *rl);
      r.speedup = audit::speedup(retrain_seconds, r.seconds);
    }
    const std::string layers = meta_string(m.info, "unlearn.selected_layers");
    for (size_t p = 0; p < layers.size();) {
      size_t q = layers.find(',', p);
      if (q == std::string::npos) q = layers.size();
      if (q > p) r.selected_layers.push_back(layers.substr(p, q - p));
      p = q + 1;
    }
    const double ep = meta_number(m.info, "unlearn.epochs");
    r.epochs = std::isnan(ep) ? -1 : static_cast<int64_t>(ep);
    const std::string stats = "unlearn.stats.";  // what the method reported (lethe unlearn)
    for (const auto& [k, v] : m.info.meta)
      if (k.rfind(stats, 0) == 0) r.method_stats[k.substr(stats.size())] = std::strtod(v.c_str(), nullptr);
    rows.push_back(r);
  }

  audit::attach_retrain_references(rows);
  audit::ReportInfo info;
  info.title = "Unlearning audit: " + rows.back().method + " on " + ds.name;
  info.command = command_line(argc, argv);
  info.device = ctx.describe();
  info.dataset = ds.name;
  info.regime = regime;
  info.ratio = rows[0].ratio;
  info.retain_split = retain_split;
  if (!rl) info.notes.push_back("no --retrained model: no overlap with Retrain and no speed-up.");
  std::string forced_text;
  for (const auto& f : forced) {
    info.notes.push_back("accepted with --force: " + f + ".");
    forced_text += (forced_text.empty() ? "" : "; ") + f;
  }
  {  // line by line through io::printable: names from files reach the terminal escaped
    const std::string md = audit::results_markdown(rows, info);
    for (size_t p = 0; p < md.size();) {
      const size_t nl = std::min(md.find('\n', p), md.size());
      std::printf("%s\n", io::printable(md.substr(p, nl - p)).c_str());
      p = nl + 1;
    }
  }
  if (a.has("out")) {
    io::Json j = audit::rows_to_json(rows);
    if (!forced_text.empty()) {  // every row says what was accepted with --force
      io::Json marked = io::Json::array();
      for (io::Json e : j.elements()) {
        e["forced"] = forced_text;
        marked.push_back(e);
      }
      j = marked;
    }
    io::write_json(a.str("out"), j);
    std::printf("\nwrote %s\n", io::printable(a.str("out")).c_str());
  }
  return 0;
}

}  // namespace lethe::cli
