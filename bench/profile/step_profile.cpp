// bench/profile/step_profile.cpp — the training-step profile (`lethe_step_profile`): for one
// training step of each backbone, exactly as the trainer runs it (batch upload, negatives,
// full-graph forward, loss, backward, Adam, the four loss reads), it reports
//   * engine ops (calls of engine/ops.h) and their totals by op;
//   * OpenMP parallel regions (counted by wrapping libgomp's entry points: gomp_regions.cpp),
//     attributed to the op that opened them;
//   * host synchronisations and uploads the CUDA backend would make (every host read of device
//     data, every upload), counted on whichever backend runs;
//   * bytes moved and FLOPs, as each op declares them (engine/op_profile.h);
//   * the measured wall time of the step on this machine (median of --steps timed steps after
//     --warmup untimed ones);
//   * a roofline prediction of the step on an H100 (constants in engine/op_profile.h, or the
//     ceilings of --ceilings FILE, e.g. measured on a device), per step and per epoch.
// Writes JSON (--json) and a Markdown report (--md); prints the Markdown to stdout.
//
//   lethe_step_profile --data DIR [--models lightgcn,mgcn,miggt] [--steps 3] [--warmup 1]
//                      [--device cpu|cuda] [--ceilings FILE] [--json FILE] [--md FILE]
//                      [--inter FILE] [--top N] [--set key=value ...]
// DIR is a dataset folder as `lethe train` reads it (for the Amazon-Baby shape: the Baby graph
// with synthetic features, `lethe synth --features-for <baby folder> --out DIR`). The thread
// count is OpenMP's (OMP_NUM_THREADS).
#include <omp.h>
#include <sys/resource.h>

#include <algorithm>
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
#include "engine/op_profile.h"
#include "engine/optimizer.h"
#include "engine/session.h"
#include "engine/trainer.h"
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

struct ModelResult {
  std::string model;
  int64_t batch = 0, steps_per_epoch = 0;
  prof::Profile step;  // the first timed step (every step runs the same ops)
  std::vector<double> seconds, cpu_seconds;
  std::vector<int64_t> page_faults;  // minor page faults of each timed step (first-touch memory)
  double loss = 0;
  prof::Prediction pred;
};

ModelResult profile_model(Ctx& ctx, const io::Dataset& ds, const Options& o, const Config& cfg,
                          const std::string& model) {
  ModelResult r;
  r.model = model;
  std::fprintf(stderr, "step profile: %s: building the session ...\n", model.c_str());
  ModelSession s(ctx, ds, model, cfg, graph::default_cache_dir(ds.dir));
  const TrainOptions opt = TrainOptions::from(cfg, s.model());
  s.init(opt.seed);
  AdamConfig ac;
  ac.lr = opt.lr;
  Adam adam(s.params(), ac);
  GradSlab grads(s.params());
  Tape tape(ctx, s.params());
  const io::Interactions& rows = ds.train;
  const std::vector<int64_t> perm = epoch_permutation(rows.size(), opt.seed, 0);
  r.batch = std::min<int64_t>(opt.batch_size, rows.size());
  r.steps_per_epoch = (rows.size() + opt.batch_size - 1) / opt.batch_size;
  Batch batch;
  for (int64_t k = 0; k < r.batch; ++k) {
    batch.users.push_back(rows.user[perm[k]]);
    batch.pos.push_back(rows.item[perm[k]]);
  }
  uint32_t step = 0;
  for (int i = 0; i < o.warmup; ++i)
    train_step(tape, s.model(), s.params(), adam, grads, s.data(), batch, opt.seed, 0, step++);
  ctx.sync();
  const auto minflt = [] {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<int64_t>(u.ru_minflt);
  };
  for (int i = 0; i < o.steps; ++i) {
    const int64_t f0 = minflt();
    prof::Recorder rec;
    const StepLoss l = train_step(tape, s.model(), s.params(), adam, grads, s.data(), batch, opt.seed, 0, step++);
    ctx.sync();
    prof::Profile p = rec.stop();
    r.page_faults.push_back(minflt() - f0);
    r.seconds.push_back(p.seconds);
    r.cpu_seconds.push_back(p.cpu_seconds);
    r.loss = l.total;
    if (i == 0) r.step = std::move(p);
    std::fprintf(stderr, "step profile: %s: step %d: %.1f ms (CPU time %.1f ms), loss %.6f, %lld page faults\n",
                 model.c_str(), i + 1, 1e3 * r.seconds.back(), 1e3 * r.cpu_seconds.back(), l.total,
                 static_cast<long long>(r.page_faults.back()));
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
  j["sync_s"] = c.sync;
  return j;
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
    res.back().pred = prof::predict(res.back().step, ceil);
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
    const prof::Profile& p = r.step;
    io::Json m = io::Json::object();
    m["model"] = r.model;
    m["batch"] = r.batch;
    m["steps_per_epoch"] = r.steps_per_epoch;
    m["loss"] = r.loss;
    m["engine_ops"] = p.op_calls();
    m["parallel_regions"] = p.regions_total;
    m["parallel_regions_outside_ops"] = p.regions_outside_ops;
    m["host_reads"] = p.host_reads;
    m["host_read_bytes"] = p.host_read_bytes;
    m["uploads"] = p.uploads;
    m["upload_bytes"] = p.upload_bytes;
    m["bytes"] = p.bytes();
    m["flops"] = p.flops();
    io::Json secs = io::Json::array();
    for (double s : r.seconds) secs.push_back(s);
    m["cpu_seconds"] = secs;
    io::Json pf = io::Json::array();
    for (int64_t f : r.page_faults) pf.push_back(f);
    m["cpu_page_faults"] = pf;
    m["cpu_seconds_median"] = median(r.seconds);
    io::Json cs = io::Json::array();
    for (double c : r.cpu_seconds) cs.push_back(c);
    m["process_cpu_seconds"] = cs;
    m["process_cpu_seconds_median"] = median(r.cpu_seconds);
    m["cpu_seconds_in_ops"] = [&] {
      double t = 0;
      for (const auto& [n, ot] : p.ops) t += ot.seconds;
      return t;
    }();
    m["h100_predicted_s"] = r.pred.seconds;
    m["h100_predicted_tf32_s"] = r.pred.seconds_tf32;
    m["h100_roofline_s"] = r.pred.roofline;
    m["h100_sync_s"] = r.pred.sync;
    m["h100_predicted_epoch_s"] = r.pred.seconds * static_cast<double>(r.steps_per_epoch);
    io::Json ops = io::Json::array();
    for (const auto& [name, t] : p.ops) {
      io::Json x = io::Json::object();
      x["op"] = name;
      x["calls"] = t.calls;
      x["parallel_regions"] = t.regions;
      x["flops"] = t.flops;
      x["bytes"] = t.bytes;
      x["matrix"] = t.matrix;
      x["cpu_seconds"] = t.seconds;
      x["process_cpu_seconds"] = t.cpu_seconds;
      double pred = 0;
      for (const auto& c : p.calls)
        if (name == c.name) pred += prof::predict_call(c, ceil);
      x["h100_predicted_s"] = pred;
      ops.push_back(std::move(x));
    }
    m["ops"] = std::move(ops);
    models.push_back(std::move(m));
  }
  j["models"] = std::move(models);
  if (!o.json.empty()) io::write_file_atomic(o.json, j.dump(2) + "\n");

  // ---- Markdown ----
  std::string md;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "Step profile: %s (%d users, %d items, %lld train rows); %s, %d OpenMP thread%s; median of %d timed "
                "step%s after %d warm-up; H100 prediction from %s; host syncs and uploads are those the CUDA "
                "backend would make.\n\n",
                ds.dir.c_str(), ds.n_users, ds.n_items, static_cast<long long>(ds.train.size()),
                ctx.describe().c_str(), omp_get_max_threads(), omp_get_max_threads() == 1 ? "" : "s", o.steps,
                o.steps == 1 ? "" : "s", o.warmup, ceil.source.c_str());
  md += buf;
  io::Table sum({"backbone", "batch", "engine ops", "parallel regions", "host syncs (CUDA)", "uploads (CUDA)",
                 "MB moved", "GFLOP", "wall ms/step", "CPU-time ms/step", "H100 ms/step (pred.)",
                 "H100 ms/epoch (pred.)"});
  for (const auto& r : res) {
    const prof::Profile& p = r.step;
    sum.add_row({r.model, r.batch, p.op_calls(),
                 prof::regions_counted() ? io::Cell(p.regions_total) : io::Cell("not counted"), p.host_reads, p.uploads,
                 io::Cell(p.bytes() / 1e6, 1), io::Cell(p.flops() / 1e9, 2), io::Cell(1e3 * median(r.seconds), 1),
                 io::Cell(1e3 * median(r.cpu_seconds), 1), io::Cell(1e3 * r.pred.seconds, 3),
                 io::Cell(1e3 * r.pred.seconds * double(r.steps_per_epoch), 1)});
  }
  md += sum.to_markdown() + "\n";
  for (const auto& r : res) {
    const prof::Profile& p = r.step;
    std::snprintf(buf, sizeof buf,
                  "### %s: the %d ops with the most CPU time (of %zu kinds; %lld parallel regions outside ops)\n\n"
                  "(wall: elapsed time of the op on the CPU backend; CPU time: the process's CPU time during it, all "
                  "threads, which other processes on a shared machine do not inflate.)\n\n",
                  r.model.c_str(), std::min<int>(o.top, static_cast<int>(p.ops.size())), p.ops.size(),
                  static_cast<long long>(p.regions_outside_ops));
    md += buf;
    std::vector<std::pair<std::string, prof::OpTotals>> ops(p.ops.begin(), p.ops.end());
    std::sort(ops.begin(), ops.end(),
              [](const auto& a, const auto& b) { return a.second.cpu_seconds > b.second.cpu_seconds; });
    io::Table t({"op", "calls", "regions", "MB", "GFLOP", "wall ms", "CPU-time ms", "GB per CPU-s", "GFLOP per CPU-s",
                 "H100 µs (pred.)"});
    for (size_t i = 0; i < ops.size() && static_cast<int>(i) < o.top; ++i) {
      const auto& [name, ot] = ops[i];
      double pred = 0;
      for (const auto& c : p.calls)
        if (name == c.name) pred += prof::predict_call(c, ceil);
      t.add_row({name, ot.calls, ot.regions, io::Cell(ot.bytes / 1e6, 1), io::Cell(ot.flops / 1e9, 3),
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
