// api/lethe.cpp — the public facade (include/lethe/lethe.h) over the engine: each public
// class is a handle to an Impl that holds the engine's objects (io::Dataset, Ctx, ModelSession,
// io::Checkpoint). It adds no maths of its own: training is engine/trainer.h with the same
// options `lethe train` uses, top-K is engine/recommend.h as `lethe eval --topk-out` uses,
// unlearning is engine/unlearn/unlearn.h and the audit engine/audit/audit.h, so the facade, the
// CLI and the Python binding give identical results for identical settings.
#include "lethe/lethe.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/audit/audit.h"
#include "engine/audit/experiment.h"
#include "engine/checkpointing.h"
#include "engine/config.h"
#include "engine/context.h"
#include "engine/evaluator.h"
#include "engine/optimizer.h"
#include "engine/recommend.h"
#include "engine/result_meta.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "engine/unlearn/unlearn.h"
#include "graph/bipartite.h"
#include "graph/knn.h"
#include "io/dataset.h"
#include "io/hash.h"
#include "io/request.h"
#include "io/synth.h"

namespace lethe {

// ---- internals ---------------------------------------------------------------------------------

struct Settings::Op {
  enum Kind { kSet, kFile, kMmrecDir } kind;
  std::string a, b;
};

struct Dataset::Impl {
  io::Dataset ds;
};

struct ForgetRequest::Impl {
  std::shared_ptr<const Dataset::Impl> data;
  io::Request req;
  io::ForgetSplit split;
};

struct Recommender::Impl {
  Dataset data;
  std::shared_ptr<Ctx> ctx;  // declared before the session, so it outlives it
  std::string cache_dir;
  std::shared_ptr<const ForgetRequest::Impl> request;  // set for a model on D_r
  std::unique_ptr<ModelSession> session;
  std::shared_ptr<io::Checkpoint> ckpt;  // θ₀ as training left it (with Adam's state), when known
  std::map<std::string, std::string> ckpt_extra;  // metadata an unlearned model's checkpoint carries
  MetricMap summary;
  std::unique_ptr<Embeddings> emb;

  const io::Dataset& ds() const;
  const Embeddings& embeddings() {
    if (!emb) emb = std::make_unique<Embeddings>(embed(*ctx, session->model(), session->params()));
    return *emb;
  }
  const io::Checkpoint& checkpoint() {
    if (!ckpt)
      ckpt = std::make_shared<io::Checkpoint>(make_model_checkpoint(session->model_name(), session->config(), ds(),
                                                                    session->params(), nullptr, nullptr, ckpt_extra));
    return *ckpt;
  }
};

// Reaches the handles' internals (the public classes befriend it).
struct Access {
  static const io::Dataset& ds(const Dataset& d) {
    if (!d.p_) throw Error("lethe::Dataset: empty handle (use Dataset::open)");
    return d.p_->ds;
  }
  static std::shared_ptr<const Dataset::Impl> dimpl(const Dataset& d) { return d.p_; }
  static Dataset make_dataset(std::shared_ptr<const Dataset::Impl> p) {
    Dataset d;
    d.p_ = std::move(p);
    return d;
  }
  static const ForgetRequest::Impl& req(const ForgetRequest& r) {
    if (!r.p_) throw Error("lethe::ForgetRequest: empty handle (use ForgetRequest::make or read)");
    return *r.p_;
  }
  static std::shared_ptr<const ForgetRequest::Impl> rimpl(const ForgetRequest& r) { return r.p_; }
  static ForgetRequest make_request(std::shared_ptr<const ForgetRequest::Impl> p) {
    ForgetRequest r;
    r.p_ = std::move(p);
    return r;
  }
  static Recommender::Impl& rec(const Recommender& m) {
    if (!m.p_) throw Error("lethe::Recommender: empty handle (use Recommender::train or load)");
    return *m.p_;
  }
  static Recommender make_rec(std::shared_ptr<Recommender::Impl> p) {
    Recommender m;
    m.p_ = std::move(p);
    return m;
  }
  // The settings' operations applied to `c` (whose model is set).
  static void apply(const Settings& s, Config& c, const std::string& dataset_dir) {
    for (const auto& op : *s.ops_) {
      if (op.kind == Settings::Op::kSet) {
        c.apply(op.a, {op.b}, false, "setting " + op.a);
      } else if (op.kind == Settings::Op::kFile) {
        c.load_file(op.a);
      } else {
        ConfigLayers l;
        l.mmrec_dir = op.a;
        if (!dataset_dir.empty()) l.dataset_names = dataset_names_of(dataset_dir);
        load_config(c, l);
      }
    }
  }
};

const io::Dataset& Recommender::Impl::ds() const { return Access::ds(data); }

namespace {

std::string cache_for(const RunOptions& o, const io::Dataset& ds) {
  return o.cache_dir.empty() ? graph::default_cache_dir(ds.dir) : o.cache_dir;
}

Matrix to_matrix(Ctx& ctx, const Tensor& t) {
  Matrix m;
  m.rows = t.rows;
  m.cols = t.cols;
  const std::vector<double> h = t.to_host(ctx);
  m.data.assign(h.begin(), h.end());
  return m;
}

const io::Interactions& train_rows_of(const Recommender::Impl& r) {
  return r.request ? r.request->split.retain : r.ds().train;
}

}  // namespace

// ---- Settings ----------------------------------------------------------------------------------

Settings::Settings() : ops_(std::make_shared<std::vector<Op>>()) {}

Settings& Settings::set(const std::string& key, const std::string& value) {
  ops_ = std::make_shared<std::vector<Op>>(*ops_);  // copies of a Settings stay independent
  ops_->push_back({Op::kSet, key, value});
  return *this;
}

Settings& Settings::load(const std::string& path) {
  ops_ = std::make_shared<std::vector<Op>>(*ops_);
  ops_->push_back({Op::kFile, path, ""});
  return *this;
}

Settings& Settings::load_mmrec_dir(const std::string& dir) {
  ops_ = std::make_shared<std::vector<Op>>(*ops_);
  ops_->push_back({Op::kMmrecDir, dir, ""});
  return *this;
}

std::string Settings::resolved(const std::string& model, const std::string& dataset_dir) const {
  Config c;
  c.set_model(canonical_model_name(model));
  Access::apply(*this, c, dataset_dir);
  return c.dump();
}

std::vector<std::string> Settings::notes(const std::string& model, const std::string& dataset_dir) const {
  Config c;
  c.set_model(canonical_model_name(model));
  Access::apply(*this, c, dataset_dir);
  return c.notes();
}

// ---- Dataset -----------------------------------------------------------------------------------

Dataset Dataset::open(const std::string& dir) {
  auto p = std::make_shared<Impl>();
  p->ds = io::load_dataset(dir);
  return Access::make_dataset(std::move(p));
}

std::string Dataset::name() const { return Access::ds(*this).name; }
std::string Dataset::dir() const { return Access::ds(*this).dir; }
std::string Dataset::fingerprint() const { return io::hex64(Access::ds(*this).fingerprint()); }
int32_t Dataset::n_users() const { return Access::ds(*this).n_users; }
int32_t Dataset::n_items() const { return Access::ds(*this).n_items; }

namespace {
const io::Interactions& split_of(const io::Dataset& ds, const std::string& split) {
  if (split == "train") return ds.train;
  if (split == "valid") return ds.valid;
  if (split == "test") return ds.test;
  throw Error("split must be train, valid or test, got '" + split + "'");
}
}  // namespace

int64_t Dataset::rows(const std::string& split) const { return split_of(Access::ds(*this), split).size(); }

void Dataset::interactions(const std::string& split, std::vector<int32_t>& users, std::vector<int32_t>& items) const {
  const io::Interactions& r = split_of(Access::ds(*this), split);
  users = r.user;
  items = r.item;
}

std::vector<std::string> Dataset::modalities() const {
  std::vector<std::string> out;
  for (const auto& f : Access::ds(*this).features) out.push_back(f.modality);
  return out;
}

void make_synthetic(const std::string& out_dir, const SynthOptions& o) {
  io::SynthSpec s;
  s.users = o.users;
  s.items = o.items;
  s.interactions = o.interactions;
  s.modalities = io::parse_modalities(o.modalities);
  s.seed = o.seed;
  s.name = o.name;
  if (s.name.empty() || s.name.find_first_of("/.") != std::string::npos)
    throw Error("make_synthetic: name must be a plain file stem (no '/' or '.')");
  io::write_dataset(out_dir, io::generate_synth(s));
}

// ---- Recommender -------------------------------------------------------------------------------

Recommender Recommender::train(const Dataset& data, const std::string& model, const Settings& settings,
                               const RunOptions& options) {
  const io::Dataset& ds = Access::ds(data);
  const std::string name = canonical_model_name(model);
  Config cfg;
  cfg.set_model(name);
  Access::apply(settings, cfg, ds.dir);
  audit::validate_settings(cfg);
  auto p = std::make_shared<Impl>();
  p->data = data;
  p->ctx = std::make_shared<Ctx>(parse_device(options.device));
  p->cache_dir = cache_for(options, ds);
  p->session = std::make_unique<ModelSession>(*p->ctx, ds, name, cfg, p->cache_dir);
  ModelSession& s = *p->session;
  TrainOptions opt = TrainOptions::from(cfg, s.model());
  opt.progress = false;
  opt.epoch_lines = options.progress;
  AdamConfig ac;
  ac.lr = opt.lr;
  Adam adam(s.params(), ac);
  s.init(opt.seed);
  // The best-valid epoch's state is kept in memory as the run goes, exactly what `lethe train`
  // writes to RUN/checkpoint (parameters, Adam's moments, the trainer's state).
  TrainHooks hooks;
  hooks.on_best = [&](const TrainState& st) {
    p->ckpt = std::make_shared<io::Checkpoint>(make_model_checkpoint(name, cfg, ds, s.params(), &adam, &st));
  };
  const graph::HostCsr valid = graph::interaction_pattern(ds.n_users, ds.n_items, ds.valid);
  const graph::HostCsr test = graph::interaction_pattern(ds.n_users, ds.n_items, ds.test);
  const TrainResult res = ::lethe::train(*p->ctx, s.model(), s.params(), adam, s.data(), ds.train, valid, test, opt,
                                         TrainState{}, hooks);
  if (!p->ckpt) throw Error("training evaluated no epoch, so there is no best model (check epochs and eval_every)");
  restore_model_checkpoint(*p->ckpt, "the best epoch", s.params(), nullptr, nullptr);
  p->summary["best_epoch"] = static_cast<double>(res.best_epoch + 1);
  p->summary["epochs_run"] = static_cast<double>(res.epochs_run);
  p->summary["train_seconds"] = res.train_seconds;
  for (const auto& [k, v] : res.test.v)
    if (k.rfind("hits@", 0) != 0 && k.rfind("pairs@", 0) != 0) p->summary["test." + k] = v;
  return Access::make_rec(std::move(p));
}

namespace {

Recommender load_impl(const Dataset& data, const std::string& path, std::shared_ptr<const ForgetRequest::Impl> req,
                      const RunOptions& options) {
  const io::Dataset& ds = Access::ds(data);
  auto ckpt = std::make_shared<io::Checkpoint>(io::read_checkpoint(path));
  const ModelCheckpointInfo info = read_model_checkpoint_info(*ckpt, path);
  if (info.data_fingerprint != ds.fingerprint())
    throw Error(path + " was made from different data (fingerprint " + hex64(info.data_fingerprint) +
                ", the dataset " + hex64(ds.fingerprint()) + ")");
  auto p = std::make_shared<Recommender::Impl>();
  p->data = data;
  p->ctx = std::make_shared<Ctx>(parse_device(options.device));
  p->cache_dir = cache_for(options, ds);
  p->request = std::move(req);
  const DType dt = info.dtype == dtype_name(DType::F64) ? DType::F64 : DType::F32;
  p->session = std::make_unique<ModelSession>(*p->ctx, ds, info.model, info.config, p->cache_dir, dt,
                                              p->request ? &p->request->split.retain : nullptr);
  restore_model_checkpoint(*ckpt, path, p->session->params(), nullptr, nullptr);
  p->ckpt = std::move(ckpt);
  return Access::make_rec(std::move(p));
}

}  // namespace

Recommender Recommender::load(const Dataset& data, const std::string& checkpoint, const RunOptions& options) {
  return load_impl(data, checkpoint, nullptr, options);
}

Recommender Recommender::load(const Dataset& data, const std::string& checkpoint, const ForgetRequest& request,
                              const RunOptions& options) {
  return load_impl(data, checkpoint, Access::rimpl(request), options);
}

void Recommender::save(const std::string& path) const { io::write_checkpoint(path, Access::rec(*this).checkpoint()); }

std::string Recommender::model() const { return Access::rec(*this).session->model_name(); }
std::string Recommender::settings() const { return Access::rec(*this).session->config().dump(); }
std::string Recommender::settings_hash() const { return Access::rec(*this).session->config().hash(); }
const Dataset& Recommender::dataset() const { return Access::rec(*this).data; }
MetricMap Recommender::training_summary() const { return Access::rec(*this).summary; }

Matrix Recommender::user_embeddings() const {
  Impl& r = Access::rec(*this);
  return to_matrix(*r.ctx, r.embeddings().users.t());
}
Matrix Recommender::item_embeddings() const {
  Impl& r = Access::rec(*this);
  return to_matrix(*r.ctx, r.embeddings().items.t());
}

TopK Recommender::top_k(int k, const std::vector<int32_t>& users) const {
  Impl& r = Access::rec(*this);
  if (k < 1 || k > 1024) throw Error("top_k: k must be in [1, 1024], got " + std::to_string(k));
  for (int32_t u : users)
    if (u < 0 || u >= r.ds().n_users)
      throw Error("top_k: user " + std::to_string(u) + " is not in [0, " + std::to_string(r.ds().n_users) + ")");
  std::vector<int32_t> which = users;
  std::sort(which.begin(), which.end());
  which.erase(std::unique(which.begin(), which.end()), which.end());
  const Embeddings& e = r.embeddings();
  const RankedLists l = compute_topk(*r.ctx, e.users, e.items, &r.session->data().train_mask, k, which,
                                     r.session->config().i64("eval.tile_users"));
  TopK t;
  t.k = l.K;
  t.users = l.users;
  t.items = l.items;
  t.scores.assign(l.scores.begin(), l.scores.end());
  return t;
}

MetricMap Recommender::evaluate(const std::string& split, const std::vector<int64_t>& ks, bool filter_cold_users) const {
  Impl& r = Access::rec(*this);
  if (split != "test" && split != "valid") throw Error("evaluate: split must be test or valid, got '" + split + "'");
  std::string list;
  for (int64_t k : ks) list += (list.empty() ? "" : ",") + std::to_string(k);
  EvalSpec spec;
  spec.ks = parse_ks(list, "evaluate: ks");
  const io::Dataset& ds = r.ds();
  // A model on the retained data evaluates like the audits do: deleted users' rows removed.
  SplitPatterns sp;
  graph::HostCsr truth;
  std::vector<char> exclude;
  if (r.request) {
    sp = split_patterns(ds, r.request->split);
    truth = split == "test" ? sp.test : sp.valid;
    exclude = sp.deleted_user;
  } else {
    truth = graph::interaction_pattern(ds.n_users, ds.n_items, split == "test" ? ds.test : ds.valid);
    exclude.assign(static_cast<size_t>(ds.n_users), 0);
  }
  if (filter_cold_users) exclude = cold_users(ds.n_users, train_rows_of(r).user, &exclude);
  spec.truth = &truth;
  spec.mask = &r.session->data().train_mask;
  spec.exclude_users = &exclude;
  spec.tile_users = r.session->config().i64("eval.tile_users");
  const Embeddings& e = r.embeddings();
  const Metrics m = ::lethe::evaluate(*r.ctx, e.users, e.items, spec);
  MetricMap out;
  for (const auto& [k, v] : m.v)
    if (k.rfind("hits@", 0) != 0 && k.rfind("pairs@", 0) != 0) out[k] = v;
  out["users"] = static_cast<double>(m.users);
  return out;
}

Unlearned Recommender::unlearn(const ForgetRequest& request, const std::string& method, const Settings& settings,
                               uint64_t seed) const {
  Impl& r = Access::rec(*this);
  const ForgetRequest::Impl& q = Access::req(request);
  if (q.data.get() != Access::dimpl(r.data).get() && q.data->ds.fingerprint() != r.ds().fingerprint())
    throw Error("unlearn: the request was made for another dataset");
  if (r.request) throw Error("unlearn: this model is already an unlearned one; unlearn from the original model");
  Config cfg = r.session->config();
  cfg.set_model(r.session->model_name());
  Access::apply(settings, cfg, r.ds().dir);
  audit::validate_settings(cfg);
  UnlearnInput in;
  in.ctx = r.ctx.get();
  in.ds = &r.ds();
  in.split = &q.split;
  in.model = r.session->model_name();
  in.cfg = cfg;
  in.original = &r.checkpoint();
  in.cache_dir = r.cache_dir;
  in.seed = seed;
  UnlearnResult res = run_unlearning(method, in);

  auto p = std::make_shared<Impl>();
  p->data = r.data;
  p->ctx = r.ctx;
  p->cache_dir = r.cache_dir;
  p->request = Access::rimpl(request);
  p->session = std::move(res.session);
  std::string layers;
  for (const auto& l : res.selected_layers) layers += (layers.empty() ? "" : ",") + l;
  p->ckpt_extra = {{"unlearn.method", res.method},
                   {"unlearn.graph", "retain"},
                   {"unlearn.request_regime", io::regime_name(q.req.spec.regime)},
                   {"unlearn.seed", std::to_string(seed)},
                   {"unlearn.seconds", io::format_double(res.seconds)},
                   {"unlearn.peak_bytes", std::to_string(res.peak_bytes)},
                   {"unlearn.selected_layers", layers}};
  Unlearned u;
  u.method = res.method;
  u.seconds = res.seconds;
  u.epochs = res.method == "retrain" ? res.retrain_epochs : static_cast<int64_t>(res.log.size());
  u.selected_layers = res.selected_layers;
  u.model = Access::make_rec(std::move(p));
  return u;
}

AuditReport Recommender::audit(const Recommender& unlearned, const ForgetRequest& request,
                               const Recommender* retrained) const {
  Impl& r0 = Access::rec(*this);
  Impl& ru = Access::rec(unlearned);
  const ForgetRequest::Impl& q = Access::req(request);
  if (r0.request) throw Error("audit: call it on the original model (this one is an unlearned model)");
  const SplitPatterns sp = split_patterns(r0.ds(), q.split);
  const ::lethe::audit::Auditor aud(*r0.ctx, sp, {10, 20, 50}, r0.session->config().i64("eval.tile_users"));
  auto core = [&](Impl& m, bool lists) {
    if (m.ctx.get() != r0.ctx.get() && m.ctx->device() != r0.ctx->device())
      throw Error("audit: the models run on different devices");
    const Embeddings& e = m.embeddings();
    return aud.audit(e.users, e.items, lists);
  };
  auto to_map = [](const Metrics& m) {
    MetricMap out;
    for (const auto& [k, v] : m.v)
      if (k.rfind("hits@", 0) != 0 && k.rfind("pairs@", 0) != 0) out[k] = v;
    out["users"] = static_cast<double>(m.users);
    return out;
  };
  const ::lethe::audit::CoreAudit a0 = core(r0, false);
  const ::lethe::audit::CoreAudit au = core(ru, retrained != nullptr);
  AuditReport rep;
  rep.retain = to_map(au.retain);
  rep.forget = to_map(au.forget);
  rep.exposure = au.exposure;
  rep.exposure_reduction = ::lethe::audit::exposure_reduction(a0.exposure, au.exposure);
  rep.overlap_with_retrain = std::numeric_limits<double>::quiet_NaN();
  if (retrained) {
    const ::lethe::audit::CoreAudit ar = core(Access::rec(*retrained), true);
    rep.overlap_with_retrain = ::lethe::audit::mean_overlap(au.top, ar.top);
  }
  return rep;
}

// ---- ForgetRequest -----------------------------------------------------------------------------

ForgetRequest ForgetRequest::make(const Dataset& data, const std::string& regime, double ratio, uint64_t seed,
                                  const std::string& selection) {
  auto p = std::make_shared<Impl>();
  p->data = Access::dimpl(data);
  const io::Dataset& ds = Access::ds(data);
  io::RequestSpec spec;
  spec.regime = io::parse_regime(regime);
  spec.ratio = ratio;
  spec.selection = io::parse_selection(selection);
  spec.seed = seed;
  p->req = io::make_request(ds, spec);
  p->split = io::resolve(ds, p->req);
  return Access::make_request(std::move(p));
}

ForgetRequest ForgetRequest::read(const Dataset& data, const std::string& path) {
  auto p = std::make_shared<Impl>();
  p->data = Access::dimpl(data);
  const io::Dataset& ds = Access::ds(data);
  p->req = io::read_request(path, ds);
  p->split = io::resolve(ds, p->req);
  return Access::make_request(std::move(p));
}

void ForgetRequest::write(const std::string& path) const {
  const Impl& q = Access::req(*this);
  io::write_request(path, q.req, q.data->ds);
}

std::string ForgetRequest::regime() const { return io::regime_name(Access::req(*this).req.spec.regime); }
std::vector<int32_t> ForgetRequest::users() const { return Access::req(*this).req.users; }
std::vector<int32_t> ForgetRequest::items() const { return Access::req(*this).req.items; }
int64_t ForgetRequest::forget_rows() const { return Access::req(*this).split.forget.size(); }
int64_t ForgetRequest::retain_rows() const { return Access::req(*this).split.retain.size(); }

// ---- build -------------------------------------------------------------------------------------

std::string version() { return lethe_version(); }
std::string git_commit() { return lethe_git_commit(); }

}  // namespace lethe
