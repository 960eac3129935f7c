// bench/reference/grad_dump.cpp — `lethe_grad_dump`: Lethe's loss terms and parameter gradients
// on one fixed batch, for the PyTorch peer's autograd cross-check (bench/reference/peer.py check).
//
//   lethe_grad_dump --data DIR --checkpoint CKPT --out FILE [--inter FILE]
//
// Loads the model checkpoint CKPT (trained on DIR), takes the first batch of epoch 0 exactly as
// the trainer cuts it (shuffled train rows, the model's batch size, negatives from the trainer's
// sampler keyed by (seed, epoch 0, step 0)), records the training forward and the loss, and
// backpropagates once into a zeroed gradient slab — no optimizer step. FILE (Lethe's checkpoint
// container) holds: metadata loss.total / loss.rank / loss.reg / loss.aux (shortest round-trip
// decimals), the model name and layout; tensors grads (the slab, parameters' layout),
// batch.users / batch.pos / batch.neg (int32) and, for MGCN, each modality's kNN graph as
// knn.<modality>.rowptr / .col / .val (the graph Lethe propagates over).
#include <cstdio>
#include <string>
#include <vector>

#include "engine/checkpointing.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "graph/knn.h"
#include "io/checkpoint.h"
#include "io/dataset.h"
#include "io/json.h"

namespace lethe::bench {
namespace {

int run(int argc, char** argv) {
  std::string data, ckpt, out, inter;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--data") data = v;
    else if (k == "--checkpoint") ckpt = v;
    else if (k == "--out") out = v;
    else if (k == "--inter") inter = v;
    else throw Error("lethe_grad_dump: unknown option '" + k + "'");
  }
  if (argc % 2 == 0 || data.empty() || ckpt.empty() || out.empty())
    throw Error("usage: lethe_grad_dump --data DIR --checkpoint CKPT --out FILE [--inter FILE]");
  const io::Checkpoint c = io::read_checkpoint(ckpt);
  const ModelCheckpointInfo info = read_model_checkpoint_info(c, ckpt);
  io::LoadOptions lo;
  lo.inter_file = inter;
  const io::Dataset ds = io::load_dataset(data, lo);
  LETHE_CHECK(info.data_fingerprint == ds.fingerprint(), ckpt + " was trained on other data than " + data);
  Ctx ctx(Device::CPU);
  ModelSession s(ctx, ds, info.model, info.config, graph::default_cache_dir(ds.dir));
  restore_model_checkpoint(c, ckpt, s.params(), nullptr, nullptr);
  const TrainOptions opt = TrainOptions::from(info.config, s.model());

  Batch batch;
  const std::vector<int64_t> perm = epoch_permutation(ds.train.size(), opt.seed, 0);
  const int64_t n = std::min<int64_t>(opt.batch_size, ds.train.size());
  for (int64_t k = 0; k < n; ++k) {
    batch.users.push_back(ds.train.user[perm[k]]);
    batch.pos.push_back(ds.train.item[perm[k]]);
  }
  Tape tape(ctx, s.params());
  GradSlab grads(s.params());
  batch.u = tape.upload_idx(batch.users);
  batch.p = tape.upload_idx(batch.pos);
  sample_batch_negatives(tape, s.model(), s.data(), batch, opt.seed, 0, 0);
  s.model().forward(tape, true, 0, 0);
  const LossTerms L = s.model().loss(tape, batch, RankSpec{});
  grads.zero(ctx);
  tape.backward(L.total, grads);

  io::Checkpoint d;
  d.meta["kind"] = "lethe-grad-dump";
  d.meta["model"] = info.model;
  d.meta["checkpoint"] = ckpt;
  d.meta["layout"] = c.meta.at("layout");
  d.meta["loss.total"] = io::format_double(tape.item(L.total));
  d.meta["loss.rank"] = io::format_double(tape.item(L.rank));
  d.meta["loss.reg"] = io::format_double(tape.item(L.reg));
  if (L.aux.valid()) d.meta["loss.aux"] = io::format_double(tape.item(L.aux));
  const std::vector<double> g = grads.all().to_host(ctx);
  std::vector<float> gf(g.begin(), g.end());
  d.put<float>("grads", static_cast<int64_t>(gf.size()), 1, gf.data());
  std::vector<int32_t> neg(static_cast<size_t>(batch.n.n));
  for (int64_t k = 0; k < batch.n.n; ++k) neg[static_cast<size_t>(k)] = batch.n.data[k];
  d.put<int32_t>("batch.users", n, 1, batch.users.data());
  d.put<int32_t>("batch.pos", n, 1, batch.pos.data());
  d.put<int32_t>("batch.neg", n, 1, neg.data());
  for (const auto& m : s.data().mods) {
    if (m.knn_host.rows == 0) continue;
    const graph::HostCsr& k = m.knn_host;
    d.put<int32_t>("knn." + m.name + ".rowptr", static_cast<int64_t>(k.rowptr.size()), 1, k.rowptr.data());
    d.put<int32_t>("knn." + m.name + ".col", static_cast<int64_t>(k.col.size()), 1, k.col.data());
    d.put<float>("knn." + m.name + ".val", static_cast<int64_t>(k.val.size()), 1, k.val.data());
  }
  io::write_checkpoint(out, d);
  std::printf("%s on %s: batch %lld, loss %s (rank %s, reg %s%s%s); wrote %s\n", info.model.c_str(), ds.name.c_str(),
              static_cast<long long>(n), d.meta["loss.total"].c_str(), d.meta["loss.rank"].c_str(),
              d.meta["loss.reg"].c_str(), L.aux.valid() ? ", aux " : "",
              L.aux.valid() ? d.meta["loss.aux"].c_str() : "", out.c_str());
  return 0;
}

}  // namespace
}  // namespace lethe::bench

int main(int argc, char** argv) {
  try {
    return lethe::bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
