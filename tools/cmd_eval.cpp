// tools/cmd_eval.cpp — `lethe eval`: full-ranking evaluation of a checkpoint on a dataset
// (train items masked), optionally exporting every user's top-K list.
#include <cstdio>

#include "engine/checkpointing.h"
#include "engine/evaluator.h"
#include "engine/run_files.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "graph/bipartite.h"
#include "graph/knn.h"
#include "io/atomic_file.h"
#include "io/json.h"
#include "io/table.h"
#include "tools/cli_common.h"
#include "tools/commands.h"

namespace lethe::cli {

namespace {

void print_metrics(const std::string& what, const std::string& split, const Metrics& m, const std::vector<int64_t>& ks) {
  io::Table t({"K", "Recall", "NDCG", "Precision"});
  for (int64_t k : ks) {
    const std::string kk = std::to_string(k);
    t.add_row({k, io::Cell(m.get("recall@" + kk), 4), io::Cell(m.get("ndcg@" + kk), 4), io::Cell(m.get("precision@" + kk), 4)});
  }
  std::printf("%s, %s split, %lld users:\n%s", what.c_str(), split.c_str(), static_cast<long long>(m.users),
              t.to_markdown().c_str());
}

void write_metrics_json(const std::string& path, const std::string& model, const std::string& split, const Metrics& m) {
  io::Json j = io::Json::object();
  j["model"] = model;
  j["split"] = split;
  j[split] = metrics_json(m);
  io::write_json(path, j);
}

// The popularity ranker: every user gets the items ordered by train count (ties: smaller id),
// train items masked — scored as a rank-1 "embedding" model (user 1, item = its count).
int eval_popularity(const Args& a, const std::string& split) {
  const io::Dataset ds = load_data(a.str("data"));
  Ctx ctx(device_from(a));
  const graph::HostCsr train = graph::interaction_pattern(ds.n_users, ds.n_items, ds.train);
  std::vector<double> count(static_cast<size_t>(ds.n_items), 0.0);
  for (int32_t i : train.col) count[i] += 1;
  OwnedTensor users(ctx, DType::F32, ds.n_users, 1), items(ctx, DType::F32, ds.n_items, 1);
  users.t().from_host(ctx, std::vector<double>(static_cast<size_t>(ds.n_users), 1.0));
  items.t().from_host(ctx, count);
  const DevCsr mask(ctx, train);
  const graph::HostCsr truth = graph::interaction_pattern(ds.n_users, ds.n_items, split == "test" ? ds.test : ds.valid);
  EvalSpec spec;
  spec.truth = &truth;
  spec.mask = &mask;
  const Metrics m = evaluate(ctx, users.t(), items.t(), spec);
  print_metrics("popularity", split, m, spec.ks);
  if (a.has("json")) write_metrics_json(a.str("json"), "popularity", split, m);
  return 0;
}

}  // namespace

int cmd_eval(int argc, char** argv) {
  Args a("eval",
         "Evaluates a checkpoint by full ranking: every user with rows in the split is scored against all items,\n"
         "the user's train items are masked, and Recall/NDCG/Precision at 10, 20, 50 are averaged over users.");
  a.opt("data", "", "dataset folder the checkpoint was trained on", true)
      .opt("checkpoint", "", "model checkpoint (RUN/checkpoint); required unless --popularity")
      .flag("popularity", "evaluate the popularity ranker instead (items ranked by train count)")
      .opt("device", "auto", "auto, cpu or cuda")
      .opt("split", "test", "test or valid")
      .opt("topk-out", "", "write each user's top-K list here: user<TAB>item1,item2,... (best first)")
      .opt("topk", "20", "K of the exported lists")
      .opt("json", "", "also write the metrics as JSON to this file");
  if (!a.parse(argc, argv)) return 0;
  const std::string path = a.str("checkpoint"), split = a.str("split");
  if (split != "test" && split != "valid") throw Error("lethe eval: --split must be test or valid, got '" + split + "'");
  if (a.on("popularity")) return eval_popularity(a, split);
  if (path.empty()) throw Error("lethe eval: --checkpoint FILE is required (or --popularity)");
  const io::Checkpoint c = io::read_checkpoint(path);
  const ModelCheckpointInfo info = read_model_checkpoint_info(c, path);
  const io::Dataset ds = load_data(a.str("data"));
  if (info.data_fingerprint != ds.fingerprint())
    std::fprintf(stderr, "warning: %s was made from different data (fingerprint %s, this folder %s)\n", path.c_str(),
                 hex64(info.data_fingerprint).c_str(), hex64(ds.fingerprint()).c_str());
  Ctx ctx(device_from(a));
  ModelSession s(ctx, ds, info.model, info.config, graph::default_cache_dir(a.str("data")));
  restore_model_checkpoint(c, path, s.params(), nullptr, nullptr);
  Embeddings e = embed(ctx, s.model(), s.params());
  const graph::HostCsr truth = graph::interaction_pattern(ds.n_users, ds.n_items, split == "test" ? ds.test : ds.valid);
  EvalSpec spec;
  spec.truth = &truth;
  spec.mask = &s.data().train_mask;
  spec.ks = info.config.i64_list("eval.ks");
  spec.tile_users = info.config.i64("eval.tile_users");
  const Metrics m = evaluate(ctx, e.users, e.items, spec);

  print_metrics(info.model, split, m, spec.ks);
  if (a.has("json")) write_metrics_json(a.str("json"), info.model, split, m);
  if (a.has("topk-out")) {
    const int K = static_cast<int>(a.i64("topk"));
    std::string text;
    topk_lists(ctx, e.users, e.items, &s.data().train_mask, K, {}, spec.tile_users,
               [&](int32_t u, const int32_t* items, int k) {
                 text += std::to_string(u) + "\t";
                 for (int j = 0; j < k && items[j] >= 0; ++j) text += (j ? "," : "") + std::to_string(items[j]);
                 text += "\n";
               });
    io::write_file_atomic(a.str("topk-out"), text);
    std::printf("wrote top-%d lists of %d users to %s\n", K, ds.n_users, a.str("topk-out").c_str());
  }
  return 0;
}

}  // namespace lethe::cli
