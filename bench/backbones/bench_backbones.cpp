// bench/backbones/bench_backbones.cpp — whole-model timings (issue 4): one training step and
// one full evaluation per backbone (lightgcn, mgcn, miggt) on the Amazon Baby graph with
// synthetic 4096-d image and 384-d text features, on the CPU always and on CUDA when a device
// exists.
//   <device>/<model>/train_step  one trainer step (negatives, full-graph forward, loss,
//                                backward, Adam) on a batch of the model's default size
//                                (2048; MIG-GT 8000); items/s = training rows per second.
//   <device>/<model>/eval_full   embed() (an evaluation-mode forward) + evaluate() over the
//                                test split (full ranking, train items masked, K = 10, 20, 50).
// Counters: params (trainable elements), slab_elems / slab_bytes (the parameter slab, padding
// included), batch or users evaluated.
//
// Data: <LETHE_DATA or ../shared/data>/amazon-baby/baby.inter (read in place; an entry skips
// with SkipWithError saying where it looked when the folder is absent). Features: the synthetic
// generator's features-for mode (io::fit_item_factors on the train split + io::synth_features,
// seed 1), generated in memory once per process. Each (device, model) session is built once
// per process and kept (a static cache), so the kNN graphs MGCN needs — built on first use and
// cached on disk under a temporary folder ($LETHE_CACHE instead, when set, to reuse them across
// runs) — and the feature generation are never timed. One untimed warm-up call precedes each
// timed loop (first-touch allocation of the tape arena and scratch).
// These steps take seconds on a CPU: few iterations, wall-clock (real) time, since the CPU
// code is OpenMP-parallel and a CUDA step ends with a host read of the loss (a sync).
// On a machine whose cores are shared with other jobs, run with OMP_WAIT_POLICY=passive:
// libgomp's default spin-waiting at the end of each parallel region then competes with the
// other jobs for the cores, and measured steps get several times slower (MIG-GT's CPU train
// step: 18.8 s spinning vs 2.4 s passive on the 2-core development machine; identical losses).
#include <benchmark/benchmark.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/config.h"
#include "engine/context.h"
#include "engine/evaluator.h"
#include "engine/optimizer.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "graph/bipartite.h"
#include "io/dataset.h"
#include "io/synth.h"
#include "kernels/runtime.h"

namespace lethe::bench {
namespace {

constexpr uint64_t kFeatureSeed = 1;
constexpr uint64_t kInitSeed = 2026;
const char* const kModels[] = {"lightgcn", "mgcn", "miggt"};

// The data root, as tests/data_dir.h finds it: $LETHE_DATA, else <source>/../shared/data.
std::string data_root() {
  if (const char* e = std::getenv("LETHE_DATA"); e && *e) return e;
  return std::string(LETHE_SOURCE_DIR) + "/../shared/data";
}

// The Baby graph with synthetic features, loaded and generated once. `error` is set instead
// when the data set is absent or unreadable.
struct BabyData {
  io::Dataset ds;
  graph::HostCsr test;
  std::string error;
  double feature_seconds = 0;
};

const BabyData& baby() {
  static const BabyData d = [] {
    BabyData b;
    const std::string dir = data_root() + "/amazon-baby";
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      b.error = "data set 'amazon-baby' not found under " + data_root() +
                " (set LETHE_DATA to the folder holding amazon-baby/)";
      return b;
    }
    try {
      io::LoadOptions lo;
      lo.load_features = false;  // the folder has none; and only baby.inter, not the alt split
      lo.inter_file = "baby.inter";
      b.ds = io::load_dataset(dir, lo);
      const auto t0 = std::chrono::steady_clock::now();
      const std::vector<io::ModalitySpec> mods = io::parse_modalities("image:4096,text:384");
      const int rank = io::SynthSpec{}.rank;
      const std::vector<double> q = io::fit_item_factors(b.ds, rank, kFeatureSeed);
      b.ds.features = io::synth_features(q, b.ds.n_items, rank, mods, kFeatureSeed);
      b.feature_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      b.test = graph::interaction_pattern(b.ds.n_users, b.ds.n_items, b.ds.test);
      std::fprintf(stderr, "bench: %s: %d users, %d items, %lld train rows; features generated in %.1f s\n",
                   b.ds.inter_path.c_str(), b.ds.n_users, b.ds.n_items, static_cast<long long>(b.ds.train.size()),
                   b.feature_seconds);
    } catch (const std::exception& e) {
      b.error = std::string("cannot prepare amazon-baby: ") + e.what();
    }
    return b;
  }();
  return d;
}

// The kNN cache folder: $LETHE_CACHE, else a temporary folder removed at exit.
class CacheDir {
 public:
  CacheDir() {
    if (const char* e = std::getenv("LETHE_CACHE"); e && *e) {
      path_ = e;
      return;
    }
    std::string tmpl = (std::filesystem::temp_directory_path() / "lethe-bench-knn-XXXXXX").string();
    if (char* p = ::mkdtemp(tmpl.data())) {
      path_ = p;
      owned_ = true;
    }  // else: "" = no cache; the graphs are still built once per process
  }
  ~CacheDir() {
    if (!owned_) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  CacheDir(const CacheDir&) = delete;
  CacheDir& operator=(const CacheDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool owned_ = false;
};

const std::string& cache_dir() {
  static const CacheDir c;
  return c.path();
}

// The contexts and the sessions below live until the process ends and are deliberately never
// destroyed: a session refers to its context, and function-local statics would be torn down at
// exit in an order (context first) that leaves the sessions pointing at a dead context.
Ctx& context(Device dev) {
  static Ctx* const cpu = new Ctx(Device::CPU);
  if (dev == Device::CPU) return *cpu;
  static Ctx* const gpu = new Ctx(Device::CUDA);
  return *gpu;
}

// One model on one device, ready to step: the session (initialised), Adam at the model's lr,
// a gradient slab, a tape, and the step counter (each timed step is a new (epoch 0, step)).
struct Bench {
  std::unique_ptr<ModelSession> s;
  std::unique_ptr<Adam> adam;
  std::unique_ptr<GradSlab> grads;
  std::unique_ptr<Tape> tape;
  TrainOptions opt;
  Batch batch;
  uint32_t step = 0;
  double build_seconds = 0;
};

Bench& bench_for(Device dev, const std::string& model) {
  static auto* const cache = new std::map<std::pair<int, std::string>, std::unique_ptr<Bench>>();
  auto& slot = (*cache)[{static_cast<int>(dev), model}];
  if (slot) return *slot;
  const BabyData& d = baby();
  Ctx& ctx = context(dev);
  auto b = std::make_unique<Bench>();
  const auto t0 = std::chrono::steady_clock::now();
  const Config cfg;  // every documented default
  b->s = std::make_unique<ModelSession>(ctx, d.ds, model, cfg, cache_dir());
  b->s->init(kInitSeed);
  b->opt = TrainOptions::from(cfg, b->s->model());
  AdamConfig ac;
  ac.lr = b->opt.lr;
  b->adam = std::make_unique<Adam>(b->s->params(), ac);
  b->grads = std::make_unique<GradSlab>(b->s->params());
  b->tape = std::make_unique<Tape>(ctx, b->s->params());
  // The first batch of epoch 0 as the trainer cuts it (shuffled train rows).
  const io::Interactions& rows = d.ds.train;
  const std::vector<int64_t> perm = epoch_permutation(rows.size(), b->opt.seed, 0);
  const int64_t n = std::min<int64_t>(b->opt.batch_size, rows.size());
  for (int64_t k = 0; k < n; ++k) {
    b->batch.users.push_back(rows.user[perm[k]]);
    b->batch.pos.push_back(rows.item[perm[k]]);
  }
  ctx.sync();
  b->build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "bench: %s/%s session built in %.1f s (kNN cache: %s)\n", dev == Device::CPU ? "cpu" : "cuda",
               model.c_str(), b->build_seconds, cache_dir().empty() ? "none" : cache_dir().c_str());
  slot = std::move(b);
  return *slot;
}

void param_counters(benchmark::State& st, Bench& b) {
  const ParamStore& ps = b.s->params();
  st.counters["params"] = benchmark::Counter(static_cast<double>(ps.trainable_elements()));
  st.counters["slab_elems"] = benchmark::Counter(static_cast<double>(ps.numel()));
  st.counters["slab_bytes"] =
      benchmark::Counter(static_cast<double>(ps.numel()) * static_cast<double>(dtype_size(ps.dtype())),
                         benchmark::Counter::kDefaults, benchmark::Counter::kIs1024);
}

// Returns the bench, or null after SkipWithError (data absent, or the session failed).
Bench* prepare(benchmark::State& st, Device dev, const std::string& model) {
  const BabyData& d = baby();
  if (!d.error.empty()) {
    st.SkipWithError(d.error.c_str());
    return nullptr;
  }
  try {
    return &bench_for(dev, model);
  } catch (const std::exception& e) {
    const std::string msg = model + ": " + e.what();
    st.SkipWithError(msg.c_str());
    return nullptr;
  }
}

StepLoss one_step(Bench& b) {
  const StepLoss s = train_step(*b.tape, b.s->model(), b.s->params(), *b.adam, *b.grads, b.s->data(), b.batch,
                                b.opt.seed, 0, b.step++);
  b.s->data().ctx().sync();
  return s;
}

void BM_train_step(benchmark::State& st, Device dev, std::string model) {
  Bench* b = prepare(st, dev, model);
  if (!b) return;
  double loss = 0;
  try {
    one_step(*b);  // warm-up (untimed)
    // (No DoNotOptimize on the double: benchmark 1.7's "+m,r" constraint can clobber a
    // floating-point value under GCC; the step's effects on the parameters cannot be elided.)
    for (auto _ : st) loss = one_step(*b).total;
  } catch (const std::exception& e) {
    st.SkipWithError(e.what());
    return;
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()) * b->batch.size());
  st.counters["batch"] = benchmark::Counter(static_cast<double>(b->batch.size()));
  st.counters["loss"] = benchmark::Counter(loss);
  param_counters(st, *b);
}

Metrics one_eval(Bench& b) {
  Ctx& ctx = b.s->data().ctx();
  b.tape->clear();  // release the training step's arena before the evaluation forward
  const Embeddings e = embed(ctx, b.s->model(), b.s->params());
  EvalSpec spec;
  spec.truth = &baby().test;
  spec.mask = &b.s->data().train_mask;
  spec.ks = b.opt.ks;
  spec.tile_users = b.opt.tile_users;
  Metrics m = evaluate(ctx, e.users, e.items, spec);
  ctx.sync();
  return m;
}

void BM_eval_full(benchmark::State& st, Device dev, std::string model) {
  Bench* b = prepare(st, dev, model);
  if (!b) return;
  Metrics m;
  try {
    one_eval(*b);  // warm-up (untimed)
    for (auto _ : st) m = one_eval(*b);
  } catch (const std::exception& e) {
    st.SkipWithError(e.what());
    return;
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()) * m.users);
  st.counters["users"] = benchmark::Counter(static_cast<double>(m.users));
  st.counters["recall@20"] = benchmark::Counter(m.get("recall@20"));
  param_counters(st, *b);
}

// Registered at start-up: CPU entries always, CUDA entries only when a device is present.
struct Registrar {
  Registrar() {
    std::vector<std::pair<Device, std::string>> devices = {{Device::CPU, "cpu"}};
    if (cuda::device_count() > 0) devices.emplace_back(Device::CUDA, "cuda");
    for (const auto& [dev, dname] : devices) {
      const bool cpu = dev == Device::CPU;
      for (const char* model : kModels) {
        const Device dv = dev;  // structured bindings cannot be captured in C++17
        const std::string m = model;
        benchmark::RegisterBenchmark((dname + "/" + m + "/train_step").c_str(),
                                     [dv, m](benchmark::State& st) { BM_train_step(st, dv, m); })
            ->UseRealTime()
            ->Iterations(cpu ? 2 : 20)
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark((dname + "/" + m + "/eval_full").c_str(),
                                     [dv, m](benchmark::State& st) { BM_eval_full(st, dv, m); })
            ->UseRealTime()
            ->Iterations(cpu ? 2 : 10)
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
} registrar;

}  // namespace
}  // namespace lethe::bench
