// engine/checkpointing.cpp — see checkpointing.h.
#include "engine/checkpointing.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "io/json.h"

namespace lethe {

std::string hex64(uint64_t v) {
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

namespace {

std::string layout_string(const ParamStore& ps) {
  std::string s;
  for (const auto& p : ps.infos())
    s += p.name + ":" + std::to_string(p.rows) + "x" + std::to_string(p.cols) + ":" + p.branch + ":" +
         std::to_string(p.layer) + ";";
  return s;
}

void put_bytes(io::Checkpoint& c, const std::string& name, const std::vector<char>& b, DType dt, int64_t n) {
  io::CkptTensor t;
  t.name = name;
  t.dtype = dt == DType::F32 ? io::CkptDType::F32 : io::CkptDType::F64;
  t.rows = n;
  t.cols = 1;
  t.bytes.assign(b.begin(), b.end());
  c.put_tensor(std::move(t));
}

std::vector<char> get_bytes(const io::Checkpoint& c, const std::string& name, const std::string& path) {
  const io::CkptTensor* t = c.find(name);
  if (!t) LETHE_FAIL(path + ": checkpoint has no tensor '" + name + "'");
  return std::vector<char>(t->bytes.begin(), t->bytes.end());
}

// A model whose parameters hold NaN or Inf ranks nothing meaningfully: every metric computed from
// it would be noise. Refused on load, naming the tensor.
template <class T>
void check_finite(const std::vector<char>& bytes, const ParamStore& ps, const std::string& path) {
  const size_t n = bytes.size() / sizeof(T);
  for (size_t k = 0; k < n; ++k) {
    T v;
    std::memcpy(&v, bytes.data() + k * sizeof(T), sizeof(T));
    if (std::isfinite(v)) continue;
    std::string where = "element " + std::to_string(k);
    for (const auto& p : ps.infos())
      if (static_cast<int64_t>(k) >= p.offset && static_cast<int64_t>(k) < p.offset + p.numel())
        where = "parameter " + p.name + " (element " + std::to_string(static_cast<int64_t>(k) - p.offset) + ")";
    throw Error(path + ": the checkpoint's " + where + " is " + (std::isnan(v) ? "NaN" : "infinite") +
                ": the model is broken (a diverged or damaged run) and cannot be used");
  }
}

}  // namespace

void put_metrics(std::map<std::string, std::string>& meta, const std::string& prefix, const Metrics& m) {
  for (const auto& [k, v] : m.v) meta[prefix + "." + k] = io::format_double(v);
  meta[prefix + ".users"] = std::to_string(m.users);
}

Metrics get_metrics(const std::map<std::string, std::string>& meta, const std::string& prefix) {
  Metrics m;
  const std::string p = prefix + ".";
  for (const auto& [k, v] : meta) {
    if (k.rfind(p, 0) != 0) continue;
    const std::string key = k.substr(p.size());
    if (key == "users") m.users = std::atoll(v.c_str());
    else m.v[key] = std::strtod(v.c_str(), nullptr);
  }
  return m;
}

io::Checkpoint make_model_checkpoint(const std::string& model, const Config& cfg, const io::Dataset& ds,
                                     const ParamStore& ps, const Adam* adam, const TrainState* state,
                                     const std::map<std::string, std::string>& extra) {
  io::Checkpoint c;
  c.meta = extra;
  c.meta["kind"] = "lethe-model";
  c.meta["model"] = model;
  c.meta["config"] = cfg.dump();
  c.meta["data.fingerprint"] = hex64(ds.fingerprint());
  c.meta["data.name"] = ds.name;
  c.meta["data.users"] = std::to_string(ds.n_users);
  c.meta["data.items"] = std::to_string(ds.n_items);
  c.meta["dtype"] = dtype_name(ps.dtype());
  c.meta["layout"] = layout_string(ps);
  put_bytes(c, "params", ps.slab_bytes(), ps.dtype(), ps.numel());
  if (adam) {
    put_bytes(c, "adam.m", adam->m_bytes(), ps.dtype(), ps.numel());
    put_bytes(c, "adam.v", adam->v_bytes(), ps.dtype(), ps.numel());
    c.meta["adam.steps"] = std::to_string(adam->steps());
    c.meta["adam.lr"] = io::format_double(adam->lr());
  }
  if (state) {
    c.meta["train.next_epoch"] = std::to_string(state->next_epoch);
    c.meta["train.best_epoch"] = std::to_string(state->best_epoch);
    c.meta["train.best_valid"] = io::format_double(state->best_valid);
    c.meta["train.bad_evals"] = std::to_string(state->bad_evals);
    c.meta["train.seconds"] = io::format_double(state->seconds);
    put_metrics(c.meta, "best.valid", state->best_valid_metrics);
    put_metrics(c.meta, "best.test", state->best_test_metrics);
  }
  return c;
}

void save_model_checkpoint(const std::string& path, const std::string& model, const Config& cfg,
                           const io::Dataset& ds, const ParamStore& ps, const Adam* adam, const TrainState* state,
                           const std::map<std::string, std::string>& extra) {
  io::write_checkpoint(path, make_model_checkpoint(model, cfg, ds, ps, adam, state, extra));
}

ModelCheckpointInfo read_model_checkpoint_info(const io::Checkpoint& c, const std::string& path) {
  auto it = c.meta.find("kind");
  if (it == c.meta.end() || it->second != "lethe-model")
    LETHE_FAIL(path + ": not a Lethe model checkpoint (kind = " + (it == c.meta.end() ? "missing" : it->second) + ")");
  ModelCheckpointInfo info;
  info.meta = c.meta;
  info.model = c.meta_at("model");
  info.dtype = c.meta_at("dtype");
  info.data_fingerprint = std::strtoull(c.meta_at("data.fingerprint").c_str(), nullptr, 16);
  // The stored configuration: `key = value` lines written by Config::dump().
  const std::string& text = c.meta_at("config");
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    const auto eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq);
    if (info.config.known(key)) info.config.set(key, line.substr(eq + 3), path);
  }
  info.config.set_model(info.model);
  return info;
}

// The checkpoint's parameter slab, refused when its dtype is not ps's or an element is not finite.
static std::vector<char> checked_params(const io::Checkpoint& c, const std::string& path, const ParamStore& ps) {
  if (c.meta_at("dtype") != dtype_name(ps.dtype()))
    LETHE_FAIL(path + ": checkpoint holds " + c.meta_at("dtype") + " parameters, the model uses " + dtype_name(ps.dtype()));
  std::vector<char> params = get_bytes(c, "params", path);
  if (ps.dtype() == DType::F32)
    check_finite<float>(params, ps, path);
  else
    check_finite<double>(params, ps, path);
  return params;
}

void restore_model_checkpoint(const io::Checkpoint& c, const std::string& path, const ParamStore& ps, Adam* adam,
                              TrainState* state) {
  const std::string want = layout_string(ps), have = c.meta_at("layout");
  if (want != have)
    LETHE_FAIL(path + ": the checkpoint's parameter layout does not match this model on this dataset "
                      "(different model settings or data?)");
  const std::vector<char> params = checked_params(c, path, ps);
  ps.set_slab_bytes(params);
  if (adam && c.find("adam.m"))
    adam->restore(get_bytes(c, "adam.m", path), get_bytes(c, "adam.v", path), std::atoll(c.meta_at("adam.steps").c_str()),
                  std::strtod(c.meta_at("adam.lr").c_str(), nullptr));
  if (state && c.meta.count("train.next_epoch")) {
    state->next_epoch = std::atoll(c.meta_at("train.next_epoch").c_str());
    state->best_epoch = std::atoll(c.meta_at("train.best_epoch").c_str());
    state->best_valid = std::strtod(c.meta_at("train.best_valid").c_str(), nullptr);
    state->bad_evals = std::atoll(c.meta_at("train.bad_evals").c_str());
    state->seconds = std::strtod(c.meta_at("train.seconds").c_str(), nullptr);
    state->best_valid_metrics = get_metrics(c.meta, "best.valid");
    state->best_test_metrics = get_metrics(c.meta, "best.test");
  }
}

void restore_backbone_checkpoint(const io::Checkpoint& c, const std::string& path, const ParamStore& ps, Adam* adam) {
  const std::string want = layout_string(ps), have = c.meta_at("layout");
  if (want == have) return restore_model_checkpoint(c, path, ps, adam, nullptr);
  if (have.empty() || want.compare(0, have.size(), have) != 0)
    LETHE_FAIL(path + ": the checkpoint's parameter layout is not the backbone of this model on this dataset "
                      "(different model settings or data?)");
  const std::vector<char> params = checked_params(c, path, ps);
  std::vector<char> slab = ps.slab_bytes();
  LETHE_CHECK(params.size() < slab.size(), path + ": the backbone's slab is not shorter than the model's");
  std::copy(params.begin(), params.end(), slab.begin());
  ps.set_slab_bytes(slab);
  if (adam && c.find("adam.m")) {
    std::vector<char> m = get_bytes(c, "adam.m", path), v = get_bytes(c, "adam.v", path);
    m.resize(slab.size(), 0);  // zero bytes: zero moments (IEEE +0.0)
    v.resize(slab.size(), 0);
    adam->restore(m, v, std::atoll(c.meta_at("adam.steps").c_str()), std::strtod(c.meta_at("adam.lr").c_str(), nullptr));
  }
}

}  // namespace lethe
