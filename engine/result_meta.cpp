// engine/result_meta.cpp — see result_meta.h.
#include "engine/result_meta.h"

#include "io/hash.h"
#include "lethe/version.h"

namespace lethe {

const std::vector<std::string>& run_meta_keys() {
  static const std::vector<std::string> k = {"schema_version", "lethe_version", "git_commit", "dataset",
                                             "dataset_fingerprint", "model", "settings_hash"};
  return k;
}

void RunMeta::put(io::Json& j) const {
  j["schema_version"] = static_cast<int64_t>(schema_version);
  j["lethe_version"] = lethe_version;
  j["git_commit"] = git_commit;
  j["dataset"] = dataset;
  j["dataset_fingerprint"] = dataset_fingerprint;
  j["model"] = model;
  if (!j.contains("method")) j["method"] = method;
  j["settings_hash"] = settings_hash;
}

RunMeta RunMeta::from_json(const io::Json& j) {
  auto str = [&](const char* k) {
    const io::Json* v = j.find(k);
    return v && v->is_string() ? v->as_string() : std::string();
  };
  RunMeta m;
  const io::Json* s = j.find("schema_version");
  m.schema_version = s && s->is_number() ? static_cast<int>(s->as_int()) : 0;
  m.lethe_version = str("lethe_version");
  m.git_commit = str("git_commit");
  m.dataset = str("dataset");
  m.dataset_fingerprint = str("dataset_fingerprint");
  m.model = str("model");
  m.method = str("method");
  m.settings_hash = str("settings_hash");
  return m;
}

RunMeta run_meta(const std::string& dataset, uint64_t fingerprint, const std::string& model, const std::string& method,
                 const Config& settings) {
  RunMeta m;
  m.lethe_version = lethe_version();
  m.git_commit = lethe_git_commit();
  m.dataset = dataset;
  m.dataset_fingerprint = io::hex64(fingerprint);
  m.model = model;
  m.method = method;
  m.settings_hash = settings.hash();
  return m;
}

RunMeta run_meta(const io::Dataset& ds, const std::string& model, const std::string& method, const Config& settings) {
  return run_meta(ds.name, ds.fingerprint(), model, method, settings);
}

std::string lethe_version() { return LETHE_VERSION; }
std::string lethe_git_commit() { return LETHE_GIT_COMMIT; }

}  // namespace lethe
