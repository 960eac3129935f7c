// tools/cli_common.cpp — see cli_common.h.
#include "tools/cli_common.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>

#include "engine/run_files.h"
#include "io/fs.h"
#include "kernels/runtime.h"
#include "tools/audit_cli.h"

namespace lethe::cli {

void add_config_flags(Args& a, const std::vector<std::string>& groups, const std::vector<std::string>& skip) {
  a.section("settings files (docs/CONFIG.md)");
  a.opt("config", "", "settings file(s), comma-separated, applied in order: YAML (.yaml/.yml) or `key = value` "
                      "lines; MMRec's names accepted; flags override them");
  a.opt("config-dir", "", "MMRec-style settings folder: overall.yaml, dataset/<dataset>.yaml, model/<Model>.yaml, "
                          "applied in that order before --config");
  for (const auto& g : config_groups()) {
    if (std::find(groups.begin(), groups.end(), g) == groups.end()) continue;
    a.section("settings: " + g);
    for (const auto& k : config_keys())
      if (config_group(k.key) == g && !a.declared(k.key) && std::find(skip.begin(), skip.end(), k.key) == skip.end())
        a.opt(k.key, k.def, k.help);
  }
  a.accept_extra(is_mmrec_name,
                 "MMRec's setting names are accepted as flags too (--learning_rate, --embedding_size, --reg_weight, "
                 "--learning_rate_scheduler 0.96,50, ...: docs/CONFIG.md); a Lethe flag wins over its MMRec alias.");
}

void apply_command_line(Config& c, const Args& a) {
  for (const auto& [name, value] : a.extra()) {
    Config next = c;
    const size_t notes = next.notes().size();
    next.apply(name, {value}, false, "--" + name);
    for (const auto& [k, v] : next.values())
      if ((v != c.str(k) || next.origin(k) != c.origin(k)) && !a.declared(k))
        throw Error("lethe " + a.command() + ": --" + name + " sets " + k + ", a setting this command does not use " +
                    "(lethe " + a.command() + " --help lists those it does)");
    if (is_mmrec_ignored(name))
      std::fprintf(stderr, "note: --%s is an MMRec setting without a Lethe meaning: ignored\n", name.c_str());
    for (size_t i = notes; i < next.notes().size(); ++i) std::fprintf(stderr, "note: %s\n", next.notes()[i].c_str());
    c = std::move(next);
  }
  for (const auto& [k, v] : a.given())
    if (c.known(k)) c.set(k, v, "--" + k);
}

void load_config_files(Config& c, const Args& a) {
  if (c.model().empty() && a.declared("model")) c.set_model(canonical_model_name(a.str("model")));
  ConfigLayers layers;
  if (a.declared("config-dir") && a.has("config-dir")) {
    layers.mmrec_dir = a.str("config-dir");
    if (a.declared("data") && a.has("data")) layers.dataset_names = dataset_names_of(a.str("data"));
  }
  if (a.declared("config") && a.has("config")) {
    const std::string list = a.str("config");
    for (size_t p = 0; p <= list.size();) {
      const size_t q = std::min(list.find(',', p), list.size());
      if (q > p) layers.files.push_back(list.substr(p, q - p));
      p = q + 1;
    }
  }
  const size_t before = c.notes().size();
  load_config(c, layers);
  for (size_t i = before; i < c.notes().size(); ++i) std::fprintf(stderr, "note: %s\n", c.notes()[i].c_str());
}

Config config_from(const Args& a) {
  Config c;
  load_config_files(c, a);
  apply_command_line(c, a);
  validate_config(c);
  return c;
}

Device device_from(const Args& a) { return parse_device(a.str("device")); }

io::Dataset load_data(const std::string& dir) {
  io::Dataset ds = io::load_dataset(dir);
  std::string feats;
  for (const auto& f : ds.features)
    feats += (feats.empty() ? "" : ", ") + f.modality + " " + std::to_string(f.cols) + "-d";
  std::fprintf(stderr, "data %s: %d users, %d items, %lld/%lld/%lld train/valid/test rows%s%s\n",
               io::printable(ds.name).c_str(), ds.n_users, ds.n_items, static_cast<long long>(ds.train.size()),
               static_cast<long long>(ds.valid.size()), static_cast<long long>(ds.test.size()),
               feats.empty() ? ", no features" : ", features: ", io::printable(feats).c_str());
  return ds;
}

io::RunFolderOptions run_options(const Args& a, const std::string& command, bool resume, int argc, char** argv) {
  io::RunFolderOptions o;
  o.command = command;
  o.resume = resume;
  o.overwrite = a.on("overwrite");
  if (o.resume && o.overwrite)
    throw Error("lethe " + command +
                ": --resume and --overwrite contradict each other (--resume continues the run in " + a.str("out") +
                ", --overwrite replaces it)");
  o.command_line = command_line(argc, argv);
  o.legacy = legacy_run_settings();
  return o;
}

void check_output_file(const std::string& path, const std::string& option) {
  const std::string dir = io::dir_name(path);
  if (io::entry_exists(io::path_join(dir, io::kRunFile)) || io::entry_exists(io::path_join(dir, io::kRunLockFile)))
    throw Error("--" + option + " " + path + ": " + dir +
                " is a run folder, whose files belong to its run (a finished run must keep matching its manifest); "
                "write this file elsewhere");
}

void check_not_run_folder(const std::string& dir, const std::string& option) {
  if (io::entry_exists(io::path_join(dir, io::kRunFile)) || io::entry_exists(io::path_join(dir, io::kRunLockFile)))
    throw Error("--" + option + " " + dir + " is a run folder (it holds a lethe run): choose another folder");
}

bool same_path(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  if (::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0)
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  auto norm = [](std::string p) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    while (p.rfind("./", 0) == 0 && p.size() > 2) p = p.substr(2);
    return p;
  };
  return norm(a) == norm(b);
}

}  // namespace lethe::cli
