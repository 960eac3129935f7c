// tools/cmd_eval.cpp — `lethe eval`: full-ranking evaluation of a checkpoint (or of the popularity
// ranker) on a dataset (train items masked) at any cut-offs, optionally exporting the top-K lists
// with their scores (engine/recommend.h: Lethe's layout or MMRec's).
// A checkpoint made from other data is refused unless --force (then said in the outputs); a
// checkpoint holding NaN or Inf parameters is refused on load (engine/checkpointing.h).
#include <cstdio>

#include "engine/checkpointing.h"
#include "engine/evaluator.h"
#include "engine/recommend.h"
#include "engine/result_meta.h"
#include "engine/run_files.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "graph/bipartite.h"
#include "graph/knn.h"
#include "io/atomic_file.h"
#include "io/fs.h"
#include "io/json.h"
#include "io/table.h"
#include "tools/cli_common.h"
#include "tools/commands.h"

namespace lethe::cli {

namespace {

void print_metrics(const std::string& what, const std::string& split, const Metrics& m, const std::vector<int64_t>& ks) {
  io::Table t({"K", "Recall", "NDCG", "Precision", "MAP", "Hit", "MRR"});
  for (int64_t k : ks) {
    const std::string kk = "@" + std::to_string(k);
    std::vector<io::Cell> row = {k};
    for (const auto& name : metric_names()) row.push_back(io::Cell(m.get(name + kk), 4));
    t.add_row(std::move(row));
  }
  std::printf("%s, %s split, %lld users:\n%s", what.c_str(), split.c_str(), static_cast<long long>(m.users),
              t.to_markdown().c_str());
}

void write_metrics_json(const std::string& path, const RunMeta& meta, const std::string& split, const Metrics& m,
                        const std::string& device, const std::string& forced) {
  io::Json j = io::Json::object();
  j["model"] = meta.model;
  j["split"] = split;
  j[split] = metrics_json(m);
  j["device"] = device;
  if (!forced.empty()) j["forced"] = forced;
  meta.put(j);
  io::write_json(path, j);
}

// What every evaluation shares: the cut-offs, the cold-user filter, the ground truth and the
// users it averages over (also the users of --topk-users evaluated).
struct EvalSetup {
  std::vector<int64_t> ks;
  bool filter_cold = true;
  graph::HostCsr truth;
  std::vector<char> cold;
};

EvalSetup eval_setup(const Args& a, const Config& cfg, const io::Dataset& ds, const std::string& split) {
  EvalSetup e;
  e.ks = a.has("eval.ks") ? parse_ks(a.str("eval.ks"), "--eval.ks") : cfg.i64_list("eval.ks");
  Config c = cfg;
  if (a.has("eval.filter_cold_users"))
    c.set("eval.filter_cold_users", a.str("eval.filter_cold_users"), "--eval.filter_cold_users");
  e.filter_cold = c.flag("eval.filter_cold_users");
  e.truth = graph::interaction_pattern(ds.n_users, ds.n_items, split == "test" ? ds.test : ds.valid);
  if (e.filter_cold) e.cold = cold_users(ds.n_users, ds.train.user);
  return e;
}

// The top-K lists (engine/recommend.h), in the --topk-format layout, written atomically.
void export_topk(const Args& a, Ctx& ctx, const Tensor& users, const Tensor& items, const DevCsr* mask, int K,
                 const EvalSetup& e, int64_t tile) {
  const std::string who = a.str("topk-users");
  const TopKFormat fmt = parse_topk_format(a.str("topk-format"));
  const std::vector<int32_t> which =
      who == "all" ? std::vector<int32_t>() : evaluated_users(e.truth, e.filter_cold ? &e.cold : nullptr);
  const RankedLists t = compute_topk(ctx, users, items, mask, K, which, tile);
  write_topk(a.str("topk-out"), t, fmt);
  std::printf("wrote top-%d lists of %zu users to %s (%s layout)\n", K, t.size(),
              io::printable(a.str("topk-out")).c_str(), a.str("topk-format").c_str());
}

// The popularity ranker: every user gets the items ordered by train count (ties: smaller id),
// train items masked — scored as a rank-1 "embedding" model (user 1, item = its count).
int eval_popularity(const Args& a, const std::string& split, int K) {
  const io::Dataset ds = load_data(a.str("data"));
  Ctx ctx(device_from(a));
  const graph::HostCsr train = graph::interaction_pattern(ds.n_users, ds.n_items, ds.train);
  std::vector<double> count(static_cast<size_t>(ds.n_items), 0.0);
  for (int32_t i : train.col) count[i] += 1;
  OwnedTensor users(ctx, DType::F32, ds.n_users, 1), items(ctx, DType::F32, ds.n_items, 1);
  users.t().from_host(ctx, std::vector<double>(static_cast<size_t>(ds.n_users), 1.0));
  items.t().from_host(ctx, count);
  const DevCsr mask(ctx, train);
  const Config cfg;
  const EvalSetup e = eval_setup(a, cfg, ds, split);
  EvalSpec spec;
  spec.truth = &e.truth;
  spec.mask = &mask;
  spec.ks = e.ks;
  if (e.filter_cold) spec.exclude_users = &e.cold;
  const Metrics m = evaluate(ctx, users.t(), items.t(), spec);
  print_metrics("popularity", split, m, spec.ks);
  if (a.has("json"))
    write_metrics_json(a.str("json"), run_meta(ds, "popularity", "eval", cfg), split, m, ctx.describe(), "");
  if (a.has("topk-out")) export_topk(a, ctx, users.t(), items.t(), &mask, K, e, spec.tile_users);
  return 0;
}

}  // namespace

int cmd_eval(int argc, char** argv) {
  Args a("eval",
         "Evaluates a checkpoint by full ranking: every user with rows in the split is scored against all items,\n"
         "the user's train items are masked, and Recall/NDCG/Precision/MAP/Hit/MRR at each cut-off are averaged\n"
         "over users (docs/MODELS.md gives the formulas). Users without train rows are left out unless\n"
         "--eval.filter_cold_users false.");
  a.opt("data", "", "dataset folder the checkpoint was trained on", true)
      .opt("checkpoint", "", "model checkpoint (RUN/checkpoint); required unless --popularity")
      .flag("popularity", "evaluate the popularity ranker instead (items ranked by train count)")
      .opt("device", "auto", "auto, cpu or cuda")
      .opt("split", "test", "test or valid")
      .opt("eval.ks", "", "cut-offs, e.g. 5,10,20,50 [default: the checkpoint's eval.ks]")
      .opt("eval.filter_cold_users", "", "true: leave users without train rows out, as MMRec does; false: evaluate "
                                         "them [default: the checkpoint's setting, true unless changed]")
      .opt("topk-out", "", "write each user's top-K list here (see --topk-format)")
      .opt("topk", "20", "K of the exported lists (1..1024)")
      .opt("topk-format", "lethe", "lethe: header `user rank item score`, one row per (user, rank); mmrec: MMRec's "
                                   "layout, header `id top_0 .. top_{K-1}`, one row per user")
      .opt("topk-users", "all", "all users, or only the evaluated ones (rows in the split; MMRec exports these)")
      .opt("json", "", "also write the metrics as JSON to this file (with the fields of docs/SCHEMA.md)")
      .flag("force", "evaluate a checkpoint made from other data (said on stdout and in --json)");
  if (!a.parse(argc, argv)) return 0;
  // Every option is checked before any work.
  const std::string path = a.str("checkpoint"), split = a.str("split");
  if (split != "test" && split != "valid") throw Error("lethe eval: --split must be test or valid, got '" + split + "'");
  const int K = static_cast<int>(a.i64("topk", 1, 1024));
  if (a.has("topk") && !a.has("topk-out"))
    throw Error("lethe eval: --topk sets the length of the --topk-out lists; give --topk-out FILE");
  if (a.has("topk-out")) check_output_file(a.str("topk-out"), "topk-out");
  if (a.has("json")) check_output_file(a.str("json"), "json");
  if (a.has("eval.ks")) (void)parse_ks(a.str("eval.ks"), "--eval.ks");
  if (a.has("eval.filter_cold_users")) {  // true or false, said now rather than after loading the data
    Config c;
    c.set("eval.filter_cold_users", a.str("eval.filter_cold_users"), "--eval.filter_cold_users");
    (void)c.flag("eval.filter_cold_users");
  }
  (void)parse_topk_format(a.str("topk-format"));
  if (const std::string who = a.str("topk-users"); who != "all" && who != "evaluated")
    throw Error("lethe eval: --topk-users must be all or evaluated, got '" + who + "'");
  const Device dev = device_from(a);
  if (a.on("popularity")) {
    if (!path.empty())
      throw Error("lethe eval: --popularity evaluates the popularity ranker; it takes no --checkpoint");
    return eval_popularity(a, split, K);
  }
  if (path.empty()) throw Error("lethe eval: --checkpoint FILE is required (or --popularity)");
  const io::Checkpoint c = io::read_checkpoint(path);
  const ModelCheckpointInfo info = read_model_checkpoint_info(c, path);
  const io::Dataset ds = load_data(a.str("data"));
  std::string forced;
  if (info.data_fingerprint != ds.fingerprint()) {
    const std::string msg = path + " was made from other data (fingerprint " + hex64(info.data_fingerprint) +
                            ", this folder " + hex64(ds.fingerprint()) + ")";
    if (!a.on("force"))
      throw Error("lethe eval: " + msg + ": its metrics here would mean nothing (pass --force to evaluate it anyway)");
    forced = msg + "; evaluated anyway (--force)";
    std::printf("note: %s\n", io::printable(forced).c_str());
  }
  Ctx ctx(dev);
  ModelSession s(ctx, ds, info.model, info.config, graph::default_cache_dir(a.str("data")));
  restore_model_checkpoint(c, path, s.params(), nullptr, nullptr);
  Embeddings e = embed(ctx, s.model(), s.params());
  const EvalSetup setup = eval_setup(a, info.config, ds, split);
  EvalSpec spec;
  spec.truth = &setup.truth;
  spec.mask = &s.data().train_mask;
  spec.ks = setup.ks;
  spec.tile_users = info.config.i64("eval.tile_users");
  if (setup.filter_cold) spec.exclude_users = &setup.cold;
  const Metrics m = evaluate(ctx, e.users, e.items, spec);

  print_metrics(info.model, split, m, spec.ks);
  if (a.has("json"))
    write_metrics_json(a.str("json"), run_meta(ds, info.model, "eval", info.config), split, m, ctx.describe(), forced);
  if (a.has("topk-out")) export_topk(a, ctx, e.users, e.items, &s.data().train_mask, K, setup, spec.tile_users);
  return 0;
}

}  // namespace lethe::cli
