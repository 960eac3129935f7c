// tools/cmd_audit.cpp — `lethe audit`: the core audits of SPEC §4.4 for models that already
// exist as checkpoints: θ₀ (--original, on the full train graph D), an unlearned model
// (--unlearned, on the retain graph D_r) and optionally Retrain (--retrained) and a second
// Retrain with another seed (--retrained2, for the noise floor), and the interaction-level
// membership inference of engine/audit/mia.h (--audits core,mia). Prints a Markdown table and
// writes the rows as JSON (the schema of `lethe experiment`'s results.json) with --out.
// Times and peak memory come from the checkpoints' metadata (written by `lethe unlearn`);
// the speed-up needs both the unlearned model's and Retrain's.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "engine/audit/audit.h"
#include "engine/audit/experiment.h"
#include "engine/audit/report.h"
#include "engine/unlearn/unlearn.h"
#include "graph/knn.h"
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
      .opt("device", "auto", "auto, cpu or cuda");
  if (!a.parse(argc, argv)) return 0;
  if (a.has("retrained2") && !a.has("retrained"))
    throw Error("lethe audit: --retrained2 (the noise floor) needs --retrained");
  const audit::AuditSet audits = audit::parse_audits(a.str("audits"));
  if (audits.umia || audits.backdoor)
    throw Error("lethe audit: umia and backdoor need models trained for them (reserved users, injected data): run "
                "them with lethe experiment --audits");
  const io::Dataset ds = load_data(a.str("data"));
  const std::string req_path = a.str("request");
  const io::Request req = io::read_request(req_path, ds);
  const io::ForgetSplit split = io::resolve(ds, req);
  SplitPatterns sp = split_patterns(ds, split);
  const std::string retain_split = a.str("retain-split");
  if (retain_split != "test" && retain_split != "valid")
    throw Error("lethe audit: --retain-split must be test or valid, got '" + retain_split + "'");
  if (retain_split == "valid") sp.test = sp.valid;
  const std::string cache = graph::default_cache_dir(a.str("data"));
  const std::string req_hash = file_hash(req_path);
  Ctx ctx(device_from(a));
  std::fprintf(stderr, "device: %s\n", ctx.describe().c_str());
  audit::RequestAudits ra(ctx, ds, split, sp, req.spec.regime, req.spec.seed, audits, 2048, nullptr,
                          retain_split == "valid");

  const std::string regime = io::regime_name(req.spec.regime);
  auto base = [&](audit::AuditRow r, const ModelCheckpointInfo& info) {
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
  auto check_request = [&](const ModelCheckpointInfo& info, const std::string& path) {
    const std::string h = meta_string(info, "unlearn.request_hash");
    if (!h.empty() && h != req_hash)
      std::fprintf(stderr, "warning: %s was unlearned with another request (%s, hash %s; this file: %s)\n", path.c_str(),
                   meta_string(info, "unlearn.request").c_str(), h.c_str(), req_hash.c_str());
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
    check_request(m.info, m.path);
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
      check_request(m2.info, m2.path);
      const audit::ModelAudit mr2 = ra.audit(m2.emb.users, m2.emb.items);
      r.noise_floor20 = audit::mean_overlap(mr2.core.top, *rl);
      audit::put_spread(mr2, r);
    }
    if (std::isnan(r.seconds)) r.speedup = audit::AuditRow::kNaN;
    rows.push_back(r);
  }
  {
    const LoadedModel m = load_model(ctx, ds, a.str("unlearned"), &split.retain, cache);
    check_request(m.info, m.path);
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
  std::fputs(audit::results_markdown(rows, info).c_str(), stdout);
  if (a.has("out")) {
    io::write_json(a.str("out"), audit::rows_to_json(rows));
    std::printf("\nwrote %s\n", a.str("out").c_str());
  }
  return 0;
}

}  // namespace lethe::cli
