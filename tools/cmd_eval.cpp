// tools/cmd_eval.cpp — `lethe eval`: full-ranking evaluation of a checkpoint (or of the popularity
// ranker) on a dataset (train items masked), optionally exporting every user's top-K list.
// A checkpoint made from other data is refused unless --force (then said in the outputs); a
// checkpoint holding NaN or Inf parameters is refused on load (engine/checkpointing.h).
#include <cstdio>

#include "engine/checkpointing.h"
#include "engine/evaluator.h"
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
  io::Table t({"K", "Recall", "NDCG", "Precision"});
  for (int64_t k : ks) {
    const std::string kk = std::to_string(k);
    t.add_row({k, io::Cell(m.get("recall@" + kk), 4), io::Cell(m.get("ndcg@" + kk), 4), io::Cell(m.get("precision@" + kk), 4)});
  }
  std::printf("%s, %s split, %lld users:\n%s", what.c_str(), split.c_str(), static_cast<long long>(m.users),
              t.to_markdown().c_str());
}

void write_metrics_json(const std::string& path, const std::string& model, const std::string& split, const Metrics& m,
                        const std::string& forced) {
  io::Json j = io::Json::object();
  j["model"] = model;
  j["split"] = split;
  j[split] = metrics_json(m);
  if (!forced.empty()) j["forced"] = forced;
  io::write_json(path, j);
}

// Every user's top-K list as `user<TAB>item1,item2,...` lines, written atomically.
void write_topk(const Args& a, Ctx& ctx, const Tensor& users, const Tensor& items, const DevCsr* mask, int K,
                int64_t tile_users, int32_t n_users) {
  std::string text;
  topk_lists(ctx, users, items, mask, K, {}, tile_users, [&](int32_t u, const int32_t* list, int k) {
    text += std::to_string(u) + "\t";
    for (int j = 0; j < k && list[j] >= 0; ++j) text += (j ? "," : "") + std::to_string(list[j]);
    text += "\n";
  });
  io::write_file_atomic(a.str("topk-out"), text);
  std::printf("wrote top-%d lists of %d users to %s\n", K, n_users, io::printable(a.str("topk-out")).c_str());
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
  const graph::HostCsr truth = graph::interaction_pattern(ds.n_users, ds.n_items, split == "test" ? ds.test : ds.valid);
  EvalSpec spec;
  spec.truth = &truth;
  spec.mask = &mask;
  const Metrics m = evaluate(ctx, users.t(), items.t(), spec);
  print_metrics("popularity", split, m, spec.ks);
  if (a.has("json")) write_metrics_json(a.str("json"), "popularity", split, m, "");
  if (a.has("topk-out")) write_topk(a, ctx, users.t(), items.t(), &mask, K, spec.tile_users, ds.n_users);
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
      .opt("topk", "20", "K of the exported lists (1..1024)")
      .opt("json", "", "also write the metrics as JSON to this file")
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
  const graph::HostCsr truth = graph::interaction_pattern(ds.n_users, ds.n_items, split == "test" ? ds.test : ds.valid);
  EvalSpec spec;
  spec.truth = &truth;
  spec.mask = &s.data().train_mask;
  spec.ks = info.config.i64_list("eval.ks");
  spec.tile_users = info.config.i64("eval.tile_users");
  const Metrics m = evaluate(ctx, e.users, e.items, spec);

  print_metrics(info.model, split, m, spec.ks);
  if (a.has("json")) write_metrics_json(a.str("json"), info.model, split, m, forced);
  if (a.has("topk-out")) write_topk(a, ctx, e.users, e.items, &s.data().train_mask, K, spec.tile_users, ds.n_users);
  return 0;
}

}  // namespace lethe::cli
