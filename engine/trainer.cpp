// engine/trainer.cpp — see trainer.h.
#include "engine/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "engine/ops.h"
#include "engine/step.h"
#include "io/json.h"
#include "io/progress.h"
#include "kernels/philox.h"

namespace lethe {

TrainOptions TrainOptions::from(const Config& cfg, const std::string& model) {
  validate_config(cfg);  // ranges, in the user's words (epochs >= 1, lr > 0, eval.ks with 20, ...)
  const ProtocolDefaults d = protocol_defaults(model);
  TrainOptions o;
  o.epochs = cfg.i64("epochs");
  o.batch_size = cfg.i64_or("batch_size", d.batch_size);
  o.patience = cfg.i64("patience");
  o.eval_every = cfg.i64("eval_every");
  o.min_epochs = cfg.i64("min_epochs");
  o.lr = cfg.f64_or("lr", d.lr);
  o.lr_decay = cfg.f64_or("lr_decay", d.lr_decay);
  o.lr_decay_epochs = cfg.f64_or("lr_decay_epochs", d.lr_decay_epochs);
  o.seed = static_cast<uint64_t>(cfg.i64("seed"));
  o.ks = cfg.i64_list("eval.ks");
  o.tile_users = cfg.i64("eval.tile_users");
  o.filter_cold_users = cfg.flag("eval.filter_cold_users");
  o.cuda_graphs = cfg.flag("cuda.graphs");
  o.cuda_tf32 = cfg.flag("cuda.tf32");
  return o;
}

Config resolve_training_settings(const Config& cfg, const std::string& model) {
  const TrainOptions o = TrainOptions::from(cfg, model);
  Config c = cfg;
  const std::string why = model + "'s default for auto";
  if (cfg.is_auto("batch_size")) c.set("batch_size", std::to_string(o.batch_size), why);
  if (cfg.is_auto("lr")) c.set("lr", io::format_double(o.lr), why);
  if (cfg.is_auto("lr_decay")) c.set("lr_decay", io::format_double(o.lr_decay), why);
  if (cfg.is_auto("lr_decay_epochs")) c.set("lr_decay_epochs", io::format_double(o.lr_decay_epochs), why);
  return c;
}

std::vector<int64_t> epoch_permutation(int64_t n, uint64_t seed, uint32_t epoch) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  const uint64_t stream = rng_stream(RngPurpose::kShuffle, epoch, 0);
  for (int64_t i = n - 1; i > 0; --i) {  // Fisher–Yates, draw i from philox(seed, stream, i)
    const uint32_t j = below(philox(seed, stream, static_cast<uint64_t>(i)).v[0], static_cast<uint32_t>(i + 1));
    std::swap(p[i], p[j]);
  }
  return p;
}

void sample_batch_negatives(Tape& tape, const Model& model, ModelData& data, Batch& batch, uint64_t seed,
                            uint32_t epoch, uint32_t step) {
  const uint64_t stream = rng_stream(RngPurpose::kNegative, epoch, step);
  IdxTensor out = tape.alloc_idx(batch.size());
  if (model.negatives_reject_positives())
    ops::sample_negatives(tape.ctx(), seed, stream, batch.u, data.pool, data.train_mask.view(), out);
  else  // uniform over all items: the full item range as the pool, nothing excluded
    ops::sample_negatives(tape.ctx(), seed, stream, batch.u, data.all_items, data.no_items.view(), out);
  batch.n = out;
  batch.neg.clear();  // the negatives live on the device
}

StepLoss train_step(Tape& tape, Model& model, const ParamStore& ps, Adam& adam, const GradSlab& grads,
                    ModelData& data, Batch& batch, uint64_t seed, uint32_t epoch, uint32_t step) {
  Ctx& ctx = tape.ctx();
  tape.clear();
  batch.u = tape.upload_idx(batch.users);
  batch.p = tape.upload_idx(batch.pos);
  sample_batch_negatives(tape, model, data, batch, seed, epoch, step);
  model.forward(tape, true, epoch, step);
  LossTerms L = model.loss(tape, batch, RankSpec{});
  grads.zero(ctx);
  tape.backward(L.total, grads);
  adam.step(ctx, ps, grads.all());
  StepLoss s;
  s.total = tape.item(L.total);
  s.rank = L.rank.valid() ? tape.item(L.rank) : 0.0;
  s.reg = L.reg.valid() ? tape.item(L.reg) : 0.0;
  s.aux = L.aux.valid() ? tape.item(L.aux) : 0.0;
  return s;
}

Embeddings embed(Ctx& ctx, Model& model, const ParamStore& ps) {
  Tape tape(ctx, ps);
  model.forward(tape, false, 0, 0);
  const Tensor& u = tape.value(model.users());
  const Tensor& i = tape.value(model.items());
  Embeddings e{OwnedTensor(ctx, u.dtype, u.rows, u.cols), OwnedTensor(ctx, i.dtype, i.rows, i.cols)};
  ops::copy(ctx, u, e.users);
  ops::copy(ctx, i, e.items);
  ctx.sync();
  return e;
}

namespace {

// The progress bar (a terminal only) and the per-epoch lines, with the elapsed time and the ETA.
// The ETA of a whole run is a range: its low end is the earliest early stop (valid Recall@20 no
// longer improving: patience evaluations from now), its high end the epoch cap.
class Progress {
 public:
  Progress(bool bar, bool lines, const TrainOptions& opt, int64_t first_epoch)
      : tty_(bar && isatty(fileno(stderr))), lines_(lines), opt_(opt), first_(first_epoch) {}
  void start_epoch() { epoch_clock_.restart(); }
  // The bar shows the previous epoch's loss: a step's own loss stays on the device until the
  // epoch ends (engine/step.h), and reading it would make the host wait at every step.
  void step(int64_t epoch, int64_t b, int64_t nb, double prev_loss) {
    if (!tty_) return;
    const int width = 30, filled = static_cast<int>(width * (b + 1) / std::max<int64_t>(nb, 1));
    std::fprintf(stderr, "\repoch %4lld/%lld [%.*s%*s] %lld/%lld", static_cast<long long>(epoch + 1),
                 static_cast<long long>(opt_.epochs), filled, "==============================", width - filled, "",
                 static_cast<long long>(b + 1), static_cast<long long>(nb));
    if (prev_loss == prev_loss) std::fprintf(stderr, " (last epoch's loss %.5f)", prev_loss);
    std::fprintf(stderr, ", epoch ETA %s ",
                 io::format_duration(epoch_clock_.eta(static_cast<double>(b + 1), static_cast<double>(nb))).c_str());
    std::fflush(stderr);
  }
  void end_epoch(const EpochRecord& r, const TrainState& st, bool stopping) {
    if (tty_) std::fprintf(stderr, "\r\033[K");
    if (!lines_) return;
    std::fprintf(stderr, "epoch %4lld loss %.5f (bpr %.5f reg %.5f aux %.5f) lr %.2e", static_cast<long long>(r.epoch + 1),
                 r.loss, r.rank, r.reg, r.aux, r.lr);
    if (r.evaluated) {
      std::fprintf(stderr, " | valid R@20 %.4f N@20 %.4f", r.valid.get("recall@20"), r.valid.get("ndcg@20"));
      if (r.test.v.count("recall@20")) std::fprintf(stderr, " | test R@20 %.4f", r.test.get("recall@20"));
      if (r.best) std::fprintf(stderr, " *");
    }
    std::fprintf(stderr, " | %.1fs (elapsed %s%s)\n", r.seconds, io::format_duration(run_clock_.seconds()).c_str(),
                 stopping ? "" : (", ETA " + eta(r.epoch, st)).c_str());
  }

 private:
  std::string eta(int64_t epoch, const TrainState& st) const {
    const int64_t done = epoch + 1, ev = opt_.eval_every;
    if (done >= opt_.epochs) return io::format_duration(0);
    // The earliest early stop: patience − bad_evals more evaluations without a better valid R@20.
    int64_t stop = (done / ev + std::max<int64_t>(1, opt_.patience - st.bad_evals)) * ev;
    stop = std::min(std::max(stop, opt_.min_epochs), opt_.epochs);
    const double per_epoch = run_clock_.seconds() / static_cast<double>(done - first_);
    const std::string lo = io::format_duration(per_epoch * static_cast<double>(stop - done));
    const std::string hi = io::format_duration(per_epoch * static_cast<double>(opt_.epochs - done));
    return lo == hi ? lo : lo + "–" + hi;
  }

  bool tty_, lines_;
  const TrainOptions& opt_;
  int64_t first_;
  io::Stopwatch run_clock_, epoch_clock_;
};

}  // namespace

TrainResult train(Ctx& ctx, Model& model, ParamStore& ps, Adam& adam, ModelData& data,
                  const io::Interactions& train_rows, const graph::HostCsr& valid, const graph::HostCsr& test,
                  const TrainOptions& opt, TrainState state, const TrainHooks& hooks) {
  using clock = std::chrono::steady_clock;
  const int64_t n = train_rows.size();
  LETHE_CHECK(n > 0, "train: no training rows");
  StepOptions so;
  so.batch_size = opt.batch_size;
  so.seed = opt.seed;
  so.graphs = opt.cuda_graphs;
  StepRunner runner(ctx, model, ps, adam, data, train_rows, so);
  if (opt.cuda_graphs && !runner.graphs() && opt.epoch_lines)
    std::fprintf(stderr, "cuda.graphs: %s\n", runner.graphs_reason().c_str());
  // TF32 math for the run's GEMMs when asked for (restored on the way out).
  struct Tf32 {
    Ctx& c;
    bool before;
    Tf32(Ctx& ctx, bool on) : c(ctx), before(ctx.is_cuda() && ctx.gpu().tf32()) {
      LETHE_CHECK(!on || ctx.is_cuda(), "cuda.tf32 = true needs the CUDA backend (--device cuda)");
      if (ctx.is_cuda()) ctx.gpu().set_tf32(on);
    }
    ~Tf32() {
      if (c.is_cuda()) {
        try {
          c.gpu().set_tf32(before);
        } catch (...) {
        }
      }
    }
  } tf32(ctx, opt.cuda_tf32);
  // Evaluation reuses the step's tape (a forward in evaluation mode, read in place) and one
  // scorer: nothing is allocated per evaluation once both are warm.
  Tape& tape = runner.tape();
  Evaluator evaluator(ctx);
  Progress bar(opt.progress, opt.epoch_lines, opt, state.next_epoch);
  TrainResult res;
  EvalSpec vspec, tspec;
  vspec.truth = &valid;
  tspec.truth = &test;
  vspec.mask = tspec.mask = &data.train_mask;
  vspec.ks = tspec.ks = opt.ks;
  vspec.tile_users = tspec.tile_users = opt.tile_users;
  const std::vector<char> cold = opt.filter_cold_users ? cold_users(data.n_users, train_rows.user) : std::vector<char>();
  if (opt.filter_cold_users) vspec.exclude_users = tspec.exclude_users = &cold;

  // A state saved right after the evaluation that stopped the run early (a run killed before it
  // wrote its results, then resumed) has nothing left to train: it stopped there.
  const int64_t last = state.next_epoch - 1;
  const bool stopped = last >= 0 && ((last + 1) % opt.eval_every == 0 || last + 1 == opt.epochs) &&
                       state.bad_evals >= opt.patience && last + 1 >= opt.min_epochs && state.best_epoch < last;
  if (stopped) res.early_stopped = true;
  double prev_loss = std::nan("");
  for (int64_t epoch = stopped ? opt.epochs : state.next_epoch; epoch < opt.epochs; ++epoch) {
    const auto t0 = clock::now();
    bar.start_epoch();
    adam.set_lr(opt.lr * std::pow(opt.lr_decay, static_cast<double>(epoch) / opt.lr_decay_epochs));
    EpochRecord rec;
    rec.epoch = epoch;
    rec.lr = adam.lr();
    runner.begin_epoch(static_cast<uint32_t>(epoch));
    const int64_t nb = runner.steps_per_epoch();
    for (int64_t b = 0; b < nb; ++b) {
      runner.step();
      bar.step(epoch, b, nb, prev_loss);
    }
    const EpochLoss el = runner.end_epoch();
    if (el.bad_step >= 0 || !std::isfinite(el.total))
      throw Error("training diverged: the loss was not finite (NaN or infinite) at epoch " + std::to_string(epoch + 1) +
                  ", batch " + std::to_string((el.bad_step >= 0 ? el.bad_step : nb - 1) + 1) + " (try a smaller lr)");
    rec.loss = prev_loss = el.total;
    rec.rank = el.rank;
    rec.reg = el.reg;
    rec.aux = el.aux;
    const double train_secs = std::chrono::duration<double>(clock::now() - t0).count();
    state.seconds += train_secs;
    bool stop = false;
    if ((epoch + 1) % opt.eval_every == 0 || epoch + 1 == opt.epochs) {
      tape.clear();
      model.forward(tape, false, 0, 0);
      const Tensor users = tape.value(model.users()), items = tape.value(model.items());
      rec.evaluated = true;
      rec.valid = evaluator.evaluate(users, items, vspec);
      if (opt.eval_test) rec.test = evaluator.evaluate(users, items, tspec);
      const double r20 = rec.valid.get("recall@20");
      if (r20 > state.best_valid) {
        state.best_valid = r20;
        state.best_epoch = epoch;
        state.bad_evals = 0;
        state.best_valid_metrics = rec.valid;
        state.best_test_metrics = opt.eval_test ? rec.test : evaluator.evaluate(users, items, tspec);
        state.next_epoch = epoch + 1;
        rec.best = true;
        if (hooks.on_best) hooks.on_best(state);
      } else {
        ++state.bad_evals;
        stop = state.bad_evals >= opt.patience && epoch + 1 >= opt.min_epochs;
      }
    }
    rec.seconds = std::chrono::duration<double>(clock::now() - t0).count();
    state.next_epoch = epoch + 1;
    rec.last = stop || epoch + 1 == opt.epochs;
    bar.end_epoch(rec, state, stop);
    res.log.push_back(rec);
    if (hooks.on_epoch) hooks.on_epoch(rec, state);
    if (stop) {
      res.early_stopped = true;
      break;
    }
  }
  res.best_epoch = state.best_epoch;
  res.epochs_run = state.next_epoch;
  res.valid = state.best_valid_metrics;
  res.test = state.best_test_metrics;
  res.train_seconds = state.seconds;
  return res;
}

}  // namespace lethe
