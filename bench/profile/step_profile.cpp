// bench/profile/step_profile.cpp — the training-step profile (`lethe_step_profile`): for one
// training step of each backbone it reports, side by side,
//   * the step as the trainer runs it now (engine/step.h: the epoch's batches uploaded once, the
//     step state and the loss sums on the device, Adam and the negatives reading their per-step
//     values there; on the CPU a feature table's Adam fused into its gradient's GEMM), and
//   * the host-stepped step it replaced (train_step: the batch uploaded and the four loss terms
//     read at every step) — "before";
// for each: engine ops (calls of engine/ops.h) and their totals by op; the CUDA kernels the ops
// launch (each op declares its count; the device check compares the sum with the kernel nodes of
// the step captured as a CUDA graph); the host launches a step takes once captured as a graph;
// host synchronisations and uploads per step and per epoch, counted on whichever backend runs (on
// the CPU they cost nothing, but they are the ones the CUDA backend would make); OpenMP parallel
// regions (counted by wrapping libgomp's entry points: gomp_regions.cpp); bytes moved and FLOPs
// as each op declares them (engine/op_profile.h); the measured wall and CPU time per step on this
// machine (median of --steps timed steps after --warmup untimed ones); and a roofline prediction
// for an H100 (constants in engine/op_profile.h, or the ceilings of --ceilings FILE, e.g. measured
// on a device): per step launched op by op (FP32, TF32) and replayed as a graph, and per epoch.
// It also profiles one full evaluation (the valid split) the way the trainer runs it: ops,
// synchronisations and the predicted H100 time.
// Writes JSON (--json) and a Markdown report (--md); prints the Markdown to stdout.
//
//   lethe_step_profile --data DIR [--models lightgcn,mgcn,miggt] [--steps 3] [--warmup 2]
//                      [--device cpu|cuda] [--graphs] [--ceilings FILE] [--json FILE] [--md FILE]
//                      [--inter FILE] [--top N] [--no-eval] [--set key=value ...]
// DIR is a dataset folder as `lethe train` reads it (for the Amazon-Baby shape: the Baby graph
// with synthetic features, `lethe synth --features-for <baby folder> --out DIR`). The thread
// count is OpenMP's (OMP_NUM_THREADS). On a CUDA device, --graphs captures the trainer's steps
// as CUDA graphs, and a whole epoch is also timed (eager, and with --graphs replayed).
#include <omp.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/context.h"
#include "engine/evaluator.h"
#include "engine/op_profile.h"
#include "engine/optimizer.h"
#include "engine/session.h"
#include "engine/step.h"
#include "engine/trainer.h"
#include "graph/bipartite.h"
#include "graph/knn.h"
#include "io/atomic_file.h"
#include "io/dataset.h"
#include "io/json.h"
#include "io/table.h"
#include "kernels/common.h"

namespace lethe::prof {
void install_region_counter();  // gomp_regions.cpp
}

namespace lethe::bench {
namespace {

struct Options {
  std::string data, inter, json, md, ceilings, device = "cpu";
  std::vector<std::string> models = {"lightgcn", "mgcn", "miggt"};
  std::vector<std::pair<std::string, std::string>> sets;
  int steps = 3, warmup = 2, top = 12;
  bool graphs = false, eval = true;
};

[[noreturn]] void usage_error(const std::string& msg) {
  throw Error("lethe_step_profile: " + msg +
              "\nusage: lethe_step_profile --data DIR [--models lightgcn,mgcn,miggt] [--steps N] [--warmup N]"
              " [--device cpu|cuda] [--ceilings FILE] [--json FILE] [--md FILE] [--inter FILE] [--top N]"
              " [--set key=value]...");
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

int to_int(const std::string& name, const std::string& v, int lo) {
  char* end = nullptr;
  const long x = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end || x < lo || x > 1000000)
    usage_error("--" + name + " expects an integer >= " + std::to_string(lo) + ", got '" + v + "'");
  return static_cast<int>(x);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--help" || k == "-h") usage_error("help");
    if (k == "--graphs") {
      o.graphs = true;
      continue;
    }
    if (k == "--no-eval") {
      o.eval = false;
      continue;
    }
    if (k.rfind("--", 0) != 0 || i + 1 >= argc) usage_error("expected --option value, got '" + k + "'");
    const std::string v = argv[++i], n = k.substr(2);
    if (n == "data") o.data = v;
    else if (n == "inter") o.inter = v;
    else if (n == "json") o.json = v;
    else if (n == "md") o.md = v;
    else if (n == "ceilings") o.ceilings = v;
    else if (n == "device") o.device = v;
    else if (n == "models") o.models = split(v, ',');
    else if (n == "steps") o.steps = to_int(n, v, 1);
    else if (n == "warmup") o.warmup = to_int(n, v, 0);
    else if (n == "top") o.top = to_int(n, v, 1);
    else if (n == "set") {
      const size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0) usage_error("--set expects key=value, got '" + v + "'");
      o.sets.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else usage_error("unknown option '" + k + "'");
  }
  if (o.data.empty()) usage_error("--data DIR is required");
  if (o.models.empty()) usage_error("--models is empty");
  for (const auto& m : o.models)
    if (m != "lightgcn" && m != "mgcn" && m != "miggt")
      usage_error("unknown model '" + m + "' (lightgcn, mgcn, miggt)");
  return o;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// One step's measurements: what the recorder saw in the first timed step, the times of all.
struct StepMeasure {
  prof::Profile profile;
  std::vector<double> seconds, cpu_seconds;
  std::vector<int64_t> page_faults;  // minor page faults of each timed step (first-touch memory)
  prof::Prediction pred;
};

struct ModelResult {
  std::string model;
  int64_t batch = 0, steps_per_epoch = 0;
  StepMeasure before, after;  // train_step (host-stepped), the trainer's step (StepRunner)
  int64_t epoch_reads = 0, epoch_uploads = 0;  // the trainer's per-epoch transfers
  double epoch_upload_bytes = 0;
  bool graph_possible = false;  // the step can be captured as a CUDA graph
  std::string graph_note;
  double loss = 0;
  // On a CUDA device: a whole epoch, eager and (with --graphs) replayed.
  double epoch_eager_s = -1, epoch_graph_s = -1;
  int64_t graph_kernel_nodes = -1;
  prof::Profile eval;
  prof::Prediction eval_pred;
  double eval_seconds = 0, eval_cpu_seconds = 0;
};

int64_t minflt() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<int64_t>(u.ru_minflt);
}

// Runs `step` warmup times, then `steps` times under a recorder.
template <class F>
void measure(Ctx& ctx, const Options& o, const char* what, const std::string& model, StepMeasure& m, F step) {
  for (int i = 0; i < o.warmup; ++i) step();
  ctx.sync();
  for (int i = 0; i < o.steps; ++i) {
    const int64_t f0 = minflt();
    prof::Recorder rec;
    step();
    ctx.sync();
    prof::Profile p = rec.stop();
    m.page_faults.push_back(minflt() - f0);
    m.seconds.push_back(p.seconds);
    m.cpu_seconds.push_back(p.cpu_seconds);
    std::fprintf(stderr, "step profile: %s: %s step %d: %.1f ms (CPU time %.1f ms), %lld page faults\n", model.c_str(),
                 what, i + 1, 1e3 * m.seconds.back(), 1e3 * m.cpu_seconds.back(),
                 static_cast<long long>(m.page_faults.back()));
    if (i == 0) m.profile = std::move(p);
  }
}

ModelResult profile_model(Ctx& ctx, const io::Dataset& ds, const Options& o, const Config& cfg,
                          const std::string& model) {
  ModelResult r;
  r.model = model;
  std::fprintf(stderr, "step profile: %s: building the session ...\n", model.c_str());
  ModelSession s(ctx, ds, model, cfg, graph::default_cache_dir(ds.dir));
  const TrainOptions opt = TrainOptions::from(cfg, s.model());
  const io::Interactions& rows = ds.train;
  r.batch = std::min<int64_t>(opt.batch_size, rows.size());
  r.steps_per_epoch = (rows.size() + opt.batch_size - 1) / opt.batch_size;
  LETHE_CHECK(o.warmup + o.steps <= r.steps_per_epoch,
              "--warmup + --steps exceeds the " + std::to_string(r.steps_per_epoch) + " steps of an epoch");

  // Before: the host-stepped step (train_step), on the epoch's first batch.
  {
    s.init(opt.seed);
    AdamConfig ac;
    ac.lr = opt.lr;
    Adam adam(s.params(), ac);
    GradSlab grads(s.params());
    Tape tape(ctx, s.params());
    const std::vector<int64_t> perm = epoch_permutation(rows.size(), opt.seed, 0);
    Batch batch;
    for (int64_t k = 0; k < r.batch; ++k) {
      batch.users.push_back(rows.user[perm[k]]);
      batch.pos.push_back(rows.item[perm[k]]);
    }
    uint32_t step = 0;
    measure(ctx, o, "host-stepped", model, r.before, [&] {
      r.loss = train_step(tape, s.model(), s.params(), adam, grads, s.data(), batch, opt.seed, 0, step++).total;
    });
  }
  // After: the trainer's step.
  s.init(opt.seed);
  AdamConfig ac;
  ac.lr = opt.lr;
  Adam adam(s.params(), ac);
  StepOptions so;
  so.batch_size = opt.batch_size;
  so.seed = opt.seed;
  so.graphs = false;  // timed op by op; graphs are timed per epoch below
  {
    StepRunner run(ctx, s.model(), s.params(), adam, s.data(), rows, so);
    r.graph_possible = s.model().step_invariant_forward();  // what the CUDA backend would capture
    if (!r.graph_possible) r.graph_note = s.model().name() + " draws per step in its forward: not captured";
    prof::Recorder rb;
    run.begin_epoch(0);
    prof::Profile pb = rb.stop();
    measure(ctx, o, "trainer", model, r.after, [&] { run.step(); });
    prof::Recorder re;  // (the epoch is ended early: its read is the same)
    run.end_epoch();
    prof::Profile pe = re.stop();
    r.epoch_reads = pb.host_reads + pe.host_reads;
    r.epoch_uploads = pb.uploads + pe.uploads;
    r.epoch_upload_bytes = pb.upload_bytes + pe.upload_bytes;
  }
  if (ctx.is_cuda()) {  // whole epochs on the device: eager, then replayed graphs
    for (bool graphs : {false, true}) {
      if (graphs && !(o.graphs && r.graph_possible)) continue;
      StepOptions se = so;
      se.graphs = graphs;
      StepRunner run(ctx, s.model(), s.params(), adam, s.data(), rows, se);
      double t = 0;
      for (uint32_t e = 0; e < 2; ++e) {  // the first epoch warms up (and captures)
        ctx.sync();
        const auto t0 = std::chrono::steady_clock::now();
        run.begin_epoch(e);
        for (int64_t b = 0; b < run.steps_per_epoch(); ++b) run.step();
        run.end_epoch();
        t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      }
      (graphs ? r.epoch_graph_s : r.epoch_eager_s) = t;
      if (graphs) r.graph_kernel_nodes = run.graph_kernel_nodes(false);
      std::fprintf(stderr, "step profile: %s: an epoch %s: %.2f ms\n", model.c_str(), graphs ? "replayed" : "eager",
                   1e3 * t);
    }
  }
  if (o.eval) {  // one full evaluation of the valid split, as the trainer runs it
    const graph::HostCsr valid = graph::interaction_pattern(ds.n_users, ds.n_items, ds.valid);
    EvalSpec spec;
    spec.truth = &valid;
    spec.mask = &s.data().train_mask;
    spec.ks = opt.ks;
    // The tile the trainer's Evaluator takes on a GPU (all users at once on these data sets), so
    // that the counted synchronisations are a GPU's; on the CPU backend the trainer would tile by
    // eval.tile_users, which changes no metric.
    spec.tile_users = std::max<int64_t>(
        opt.tile_users, Evaluator::kGpuTileScoreBytes / (static_cast<int64_t>(ds.n_items) * int64_t(sizeof(float))));
    Tape tape(ctx, s.params());
    Evaluator ev(ctx);
    const auto run_eval = [&] {
      tape.clear();
      s.model().forward(tape, false, 0, 0);
      return ev.evaluate(tape.value(s.model().users()), tape.value(s.model().items()), spec);
    };
    (void)run_eval();  // a warm-up evaluation (the scorer's buffers, the tape's arena)
    prof::Recorder rec;
    const Metrics m = run_eval();
    ctx.sync();
    r.eval = rec.stop();
    r.eval_seconds = r.eval.seconds;
    r.eval_cpu_seconds = r.eval.cpu_seconds;
    std::fprintf(stderr, "step profile: %s: evaluation: %.1f ms (valid R@20 %.4f)\n", model.c_str(),
                 1e3 * r.eval_seconds, m.get("recall@20"));
  }
  return r;
}

io::Json ceilings_json(const prof::Ceilings& c) {
  io::Json j = io::Json::object();
  j["source"] = c.source;
  j["bandwidth_bytes_per_s"] = c.bandwidth;
  j["fp32_flops_per_s"] = c.fp32;
  j["tf32_flops_per_s"] = c.tf32;
  j["op_floor_s"] = c.op_floor;
  j["graph_node_s"] = c.graph_node;
  j["sync_s"] = c.sync;
  return j;
}

io::Json step_json(const StepMeasure& m, const prof::Ceilings& ceil) {
  const prof::Profile& p = m.profile;
  io::Json j = io::Json::object();
  j["engine_ops"] = p.op_calls();
  j["cuda_launches"] = p.launches();
  j["parallel_regions"] = p.regions_total;
  j["parallel_regions_outside_ops"] = p.regions_outside_ops;
  j["host_reads"] = p.host_reads;
  j["host_read_bytes"] = p.host_read_bytes;
  j["uploads"] = p.uploads;
  j["upload_bytes"] = p.upload_bytes;
  j["bytes"] = p.bytes();
  j["flops"] = p.flops();
  io::Json secs = io::Json::array(), cs = io::Json::array(), pf = io::Json::array();
  for (double x : m.seconds) secs.push_back(x);
  for (double x : m.cpu_seconds) cs.push_back(x);
  for (int64_t f : m.page_faults) pf.push_back(f);
  j["wall_seconds"] = secs;
  j["wall_seconds_median"] = median(m.seconds);
  j["process_cpu_seconds"] = cs;
  j["process_cpu_seconds_median"] = median(m.cpu_seconds);
  j["page_faults"] = pf;
  j["h100_predicted_s"] = m.pred.seconds;
  j["h100_predicted_tf32_s"] = m.pred.seconds_tf32;
  j["h100_predicted_graph_s"] = m.pred.seconds_graph;
  j["h100_roofline_s"] = m.pred.roofline;
  j["h100_sync_s"] = m.pred.sync;
  io::Json ops = io::Json::array();
  for (const auto& [name, t] : p.ops) {
    io::Json x = io::Json::object();
    x["op"] = name;
    x["calls"] = t.calls;
    x["cuda_launches"] = t.launches;
    x["parallel_regions"] = t.regions;
    x["flops"] = t.flops;
    x["bytes"] = t.bytes;
    x["matrix"] = t.matrix;
    x["wall_seconds"] = t.seconds;
    x["process_cpu_seconds"] = t.cpu_seconds;
    double pred = 0;
    for (const auto& c : p.calls)
      if (name == c.name) pred += prof::predict_call(c, ceil);
    x["h100_predicted_s"] = pred;
    ops.push_back(std::move(x));
  }
  j["ops"] = std::move(ops);
  return j;
}

// The predicted H100 time of an epoch: its steps (op by op, or replayed as a graph) plus the
// epoch's own synchronisations (the loss read).
double epoch_pred(const ModelResult& r, const prof::Ceilings& c, bool graph) {
  const double step = graph ? r.after.pred.seconds_graph : r.after.pred.seconds;
  return step * static_cast<double>(r.steps_per_epoch) + static_cast<double>(r.epoch_reads) * c.sync;
}
double epoch_pred_before(const ModelResult& r) {
  return r.before.pred.seconds * static_cast<double>(r.steps_per_epoch);
}

int run(int argc, char** argv) {
  prof::install_region_counter();
  const Options o = parse(argc, argv);
  const prof::Ceilings ceil = o.ceilings.empty() ? prof::Ceilings{} : prof::read_ceilings(o.ceilings);
  Config cfg;
  for (const auto& [k, v] : o.sets) cfg.set(k, v);
  io::LoadOptions lo;
  lo.inter_file = o.inter;
  const io::Dataset ds = io::load_dataset(o.data, lo);
  std::fprintf(stderr, "step profile: %s: %d users, %d items, %lld train rows, %d OpenMP threads\n", ds.dir.c_str(),
               ds.n_users, ds.n_items, static_cast<long long>(ds.train.size()), omp_get_max_threads());
  Ctx ctx(parse_device(o.device));
  std::vector<ModelResult> res;
  for (const auto& m : o.models) {
    res.push_back(profile_model(ctx, ds, o, cfg, m));
    ModelResult& r = res.back();
    r.before.pred = prof::predict(r.before.profile, ceil);
    r.after.pred = prof::predict(r.after.profile, ceil);
    r.eval_pred = prof::predict(r.eval, ceil);
  }

  // ---- JSON ----
  io::Json j = io::Json::object();
  j["data"] = ds.dir;
  j["users"] = ds.n_users;
  j["items"] = ds.n_items;
  j["train_rows"] = ds.train.size();
  j["device"] = ctx.describe();
  j["threads"] = omp_get_max_threads();
  j["steps_timed"] = o.steps;
  j["warmup_steps"] = o.warmup;
  j["regions_counted"] = prof::regions_counted();
  j["ceilings"] = ceilings_json(ceil);
  io::Json models = io::Json::array();
  for (const auto& r : res) {
    io::Json m = io::Json::object();
    m["model"] = r.model;
    m["batch"] = r.batch;
    m["steps_per_epoch"] = r.steps_per_epoch;
    m["loss"] = r.loss;
    m["host_stepped"] = step_json(r.before, ceil);
    m["trainer_step"] = step_json(r.after, ceil);
    m["trainer_epoch_host_reads"] = r.epoch_reads;
    m["trainer_epoch_uploads"] = r.epoch_uploads;
    m["trainer_epoch_upload_bytes"] = r.epoch_upload_bytes;
    m["graph_capturable"] = r.graph_possible;
    m["host_launches_per_step_captured"] = r.graph_possible ? 1 : r.after.profile.launches();
    m["h100_predicted_epoch_s"] = epoch_pred(r, ceil, false);
    m["h100_predicted_epoch_graph_s"] = r.graph_possible ? epoch_pred(r, ceil, true) : epoch_pred(r, ceil, false);
    m["h100_predicted_epoch_host_stepped_s"] = epoch_pred_before(r);
    if (r.epoch_eager_s >= 0) m["measured_epoch_eager_s"] = r.epoch_eager_s;
    if (r.epoch_graph_s >= 0) m["measured_epoch_graph_s"] = r.epoch_graph_s;
    if (r.graph_kernel_nodes >= 0) m["graph_kernel_nodes"] = r.graph_kernel_nodes;
    if (o.eval) {
      io::Json e = io::Json::object();
      e["engine_ops"] = r.eval.op_calls();
      e["cuda_launches"] = r.eval.launches();
      e["host_reads"] = r.eval.host_reads;
      e["bytes"] = r.eval.bytes();
      e["flops"] = r.eval.flops();
      e["wall_seconds"] = r.eval_seconds;
      e["process_cpu_seconds"] = r.eval_cpu_seconds;
      e["h100_predicted_s"] = r.eval_pred.seconds;
      e["h100_predicted_tf32_s"] = r.eval_pred.seconds_tf32;
      m["evaluation"] = std::move(e);
    }
    models.push_back(std::move(m));
  }
  j["models"] = std::move(models);
  if (!o.json.empty()) io::write_file_atomic(o.json, j.dump(2) + "\n");

  // ---- Markdown ----
  std::string md;
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "Step profile: %s (%d users, %d items, %lld train rows); %s, %d OpenMP thread%s; median of %d timed "
                "step%s after %d warm-up; H100 prediction from %s. \"Before\" is the host-stepped step the trainer "
                "used to run (train_step: batch uploaded, loss terms read at every step); \"after\" is the trainer's "
                "step now (engine/step.h). Launches, synchronisations and uploads are those the CUDA backend makes, "
                "counted on whichever backend runs.\n\n",
                ds.dir.c_str(), ds.n_users, ds.n_items, static_cast<long long>(ds.train.size()),
                ctx.describe().c_str(), omp_get_max_threads(), omp_get_max_threads() == 1 ? "" : "s", o.steps,
                o.steps == 1 ? "" : "s", o.warmup, ceil.source.c_str());
  md += buf;
  md += "**What a step issues** (per step unless marked per epoch)\n\n";
  io::Table st({"backbone", "batch", "engine ops (before → after)", "kernel launches (before → after)",
                "host launches once captured", "host syncs (before → after)", "uploads (before → after)",
                "syncs + uploads per epoch (after)", "parallel regions (after)", "MB moved", "GFLOP"});
  for (const auto& r : res) {
    const prof::Profile &b = r.before.profile, &a = r.after.profile;
    auto arrow = [](int64_t x, int64_t y) { return std::to_string(x) + " → " + std::to_string(y); };
    st.add_row({r.model, r.batch, arrow(b.op_calls(), a.op_calls()), arrow(b.launches(), a.launches()),
                r.graph_possible ? io::Cell(int64_t(1)) : io::Cell(std::to_string(a.launches()) + " (not captured)"),
                arrow(b.host_reads, a.host_reads), arrow(b.uploads, a.uploads),
                std::to_string(r.epoch_reads) + " + " + std::to_string(r.epoch_uploads),
                prof::regions_counted() ? io::Cell(a.regions_total) : io::Cell("not counted"),
                io::Cell(a.bytes() / 1e6, 1), io::Cell(a.flops() / 1e9, 2)});
  }
  md += st.to_markdown() + "\n";
  md += "**Time**: measured here per step; predicted for an H100 per step (launched op by op in FP32 or TF32, or "
        "replayed as one CUDA graph) and per epoch (its steps and its one loss read)\n\n";
  io::Table tt({"backbone", "CPU-time ms/step (before → after)", "wall ms/step (after)", "H100 µs/step (pred.): op by op",
                "TF32", "graph", "steps/epoch", "H100 ms/epoch (pred.): before", "after, op by op", "after, graph"});
  for (const auto& r : res) {
    char b1[64];
    std::snprintf(b1, sizeof b1, "%.1f → %.1f", 1e3 * median(r.before.cpu_seconds), 1e3 * median(r.after.cpu_seconds));
    tt.add_row({r.model, std::string(b1), io::Cell(1e3 * median(r.after.seconds), 1),
                io::Cell(1e6 * r.after.pred.seconds, 0), io::Cell(1e6 * r.after.pred.seconds_tf32, 0),
                r.graph_possible ? io::Cell(1e6 * r.after.pred.seconds_graph, 0) : io::Cell("–"), r.steps_per_epoch,
                io::Cell(1e3 * epoch_pred_before(r), 1), io::Cell(1e3 * epoch_pred(r, ceil, false), 1),
                r.graph_possible ? io::Cell(1e3 * epoch_pred(r, ceil, true), 1) : io::Cell("–")});
  }
  md += tt.to_markdown() + "\n";
  if (ctx.is_cuda()) {
    md += "**Measured on this device**: one whole epoch (after a warm-up epoch)\n\n";
    io::Table mt({"backbone", "epoch ms, op by op", "epoch ms, graphs", "graph kernel nodes", "declared launches"});
    for (const auto& r : res)
      mt.add_row({r.model, io::Cell(1e3 * r.epoch_eager_s, 2),
                  r.epoch_graph_s >= 0 ? io::Cell(1e3 * r.epoch_graph_s, 2) : io::Cell("–"),
                  r.graph_kernel_nodes >= 0 ? io::Cell(r.graph_kernel_nodes) : io::Cell("–"),
                  r.after.profile.launches()});
    md += mt.to_markdown() + "\n";
  }
  if (o.eval) {
    md += "**Full evaluation** (valid split, every user ranked against every item, train items masked), as the "
          "trainer runs it on a GPU (one scorer kept across evaluations; tiles of up to 1 GiB of scores)\n\n";
    io::Table et({"backbone", "engine ops", "kernel launches", "host syncs", "MB moved", "GFLOP", "wall ms",
                  "CPU-time ms", "H100 ms (pred.)", "TF32"});
    for (const auto& r : res)
      et.add_row({r.model, r.eval.op_calls(), r.eval.launches(), r.eval.host_reads, io::Cell(r.eval.bytes() / 1e6, 1),
                  io::Cell(r.eval.flops() / 1e9, 2), io::Cell(1e3 * r.eval_seconds, 1),
                  io::Cell(1e3 * r.eval_cpu_seconds, 1), io::Cell(1e3 * r.eval_pred.seconds, 3),
                  io::Cell(1e3 * r.eval_pred.seconds_tf32, 3)});
    md += et.to_markdown() + "\n";
  }
  for (const auto& r : res) {
    const prof::Profile& p = r.after.profile;
    std::snprintf(buf, sizeof buf,
                  "### %s: the trainer's step, the %d ops with the most CPU time (of %zu kinds; %lld parallel regions "
                  "outside ops)\n\n"
                  "(wall: elapsed time of the op on the CPU backend; CPU time: the process's CPU time during it, all "
                  "threads, which other processes on a shared machine do not inflate; launches: CUDA kernels.)\n\n",
                  r.model.c_str(), std::min<int>(o.top, static_cast<int>(p.ops.size())), p.ops.size(),
                  static_cast<long long>(p.regions_outside_ops));
    md += buf;
    std::vector<std::pair<std::string, prof::OpTotals>> ops(p.ops.begin(), p.ops.end());
    std::sort(ops.begin(), ops.end(),
              [](const auto& a, const auto& b) { return a.second.cpu_seconds > b.second.cpu_seconds; });
    io::Table t({"op", "calls", "launches", "regions", "MB", "GFLOP", "wall ms", "CPU-time ms", "GB per CPU-s",
                 "GFLOP per CPU-s", "H100 µs (pred.)"});
    for (size_t i = 0; i < ops.size() && static_cast<int>(i) < o.top; ++i) {
      const auto& [name, ot] = ops[i];
      double pred = 0;
      for (const auto& c : p.calls)
        if (name == c.name) pred += prof::predict_call(c, ceil);
      t.add_row({name, ot.calls, ot.launches, ot.regions, io::Cell(ot.bytes / 1e6, 1), io::Cell(ot.flops / 1e9, 3),
                 io::Cell(1e3 * ot.seconds, 2), io::Cell(1e3 * ot.cpu_seconds, 2),
                 io::Cell(ot.cpu_seconds > 0 ? ot.bytes / ot.cpu_seconds / 1e9 : 0.0, 1),
                 io::Cell(ot.cpu_seconds > 0 ? ot.flops / ot.cpu_seconds / 1e9 : 0.0, 1), io::Cell(1e6 * pred, 1)});
    }
    md += t.to_markdown() + "\n";
  }
  if (!o.md.empty()) io::write_file_atomic(o.md, md);
  std::fputs(md.c_str(), stdout);
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
