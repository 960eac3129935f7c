// tests/unlearn/original.h — a tiny trained θ₀ (LightGCN or MGCN on a planted-structure data
// set, trained once per test process and cached) and the pieces the unlearning tests build on it:
// a request's split, the UnlearnInput of a run, the forget set's Recall@20.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "engine/checkpointing.h"
#include "engine/evaluator.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "engine/unlearn/unlearn.h"
#include "graph/bipartite.h"
#include "tests/io/io_test_util.h"
#include "tests/models/tiny_data.h"

namespace lethe {

// One trained original model per backbone, shared by the tests of a file.
struct Original {
  io::Dataset ds;
  Config cfg;
  io::Checkpoint ckpt;
  std::string model;
};

inline Original train_original(const std::string& model) {
  Original o;
  o.ds = test::tiny_dataset(120, 200, 12, {8, 6}, 41, 5);
  o.model = model;
  o.cfg.set("dim", "16");
  o.cfg.set("epochs", "40");
  o.cfg.set("batch_size", "128");
  o.cfg.set("lr", "0.01");
  o.cfg.set("patience", "1000");
  o.cfg.set("mgcn.knn_k", "4");
  o.cfg.set("unlearn.epochs", "30");
  o.cfg.set("unlearn.batch_size", "32");
  o.cfg.set("finetune.epochs", "8");
  Ctx ctx(Device::CPU);
  ModelSession s(ctx, o.ds, model, o.cfg, "");
  TrainOptions opt = TrainOptions::from(o.cfg, s.model());
  opt.progress = false;
  opt.epoch_lines = false;
  opt.eval_test = false;
  s.init(opt.seed);
  AdamConfig ac;
  ac.lr = opt.lr;
  Adam adam(s.params(), ac);
  const auto v = graph::interaction_pattern(o.ds.n_users, o.ds.n_items, o.ds.valid);
  train(ctx, s.model(), s.params(), adam, s.data(), o.ds.train, v, v, opt);
  const test::TempDir tmp;  // per process: ctest runs tests that train the same model side by side
  const std::string path = tmp.file("orig_" + model + ".ckpt");
  save_model_checkpoint(path, model, o.cfg, o.ds, s.params(), nullptr, nullptr);
  o.ckpt = io::read_checkpoint(path);
  std::remove(path.c_str());
  return o;
}

inline const Original& original(const std::string& model) {
  static std::map<std::string, Original> cache;
  auto it = cache.find(model);
  if (it == cache.end()) it = cache.emplace(model, train_original(model)).first;
  return it->second;
}

inline double forget_recall(Ctx& ctx, ModelSession& s, const SplitPatterns& p) {
  Embeddings e = embed(ctx, s.model(), s.params());
  EvalSpec spec;
  spec.truth = &p.forget;
  spec.mask = &s.data().train_mask;  // D_r: the session's graph is built from the retain set
  spec.ks = {20};
  return evaluate(ctx, e.users, e.items, spec).get("recall@20");
}

inline double original_forget_recall(Ctx& ctx, const Original& o, const io::ForgetSplit& split, const SplitPatterns& p) {
  ModelSession s(ctx, o.ds, o.model, o.cfg, "", DType::F32, &split.retain);
  restore_model_checkpoint(o.ckpt, "original", s.params(), nullptr, nullptr);
  return forget_recall(ctx, s, p);
}

// The D_f / D_r split of a generated request on o's data.
inline io::ForgetSplit split_of(const Original& o, io::Regime regime, double ratio, uint64_t seed) {
  io::RequestSpec rs;
  rs.regime = regime;
  rs.ratio = ratio;
  rs.seed = seed;
  return io::resolve(o.ds, io::make_request(o.ds, rs));
}

inline UnlearnInput input_for(Ctx& ctx, const Original& o, const io::ForgetSplit& split) {
  UnlearnInput in;
  in.ctx = &ctx;
  in.ds = &o.ds;
  in.split = &split;
  in.model = o.model;
  in.cfg = o.cfg;
  in.original = &o.ckpt;
  in.seed = 3;
  in.progress = std::getenv("LETHE_TEST_PROGRESS") != nullptr;
  return in;
}

}  // namespace lethe
