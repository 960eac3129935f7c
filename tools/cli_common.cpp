// tools/cli_common.cpp — see cli_common.h.
#include "tools/cli_common.h"

#include <sys/stat.h>

#include <cstdio>

#include "io/fs.h"
#include "kernels/runtime.h"
#include "tools/audit_cli.h"

namespace lethe::cli {

void add_config_flags(Args& a) {
  a.opt("config", "", "configuration file of `key = value` lines (flags override it)");
  for (const auto& k : config_keys()) a.opt(k.key, k.def, k.help);
}

Config config_from(const Args& a) {
  Config c;
  if (a.has("config")) c.load_file(a.str("config"));
  for (const auto& [k, v] : a.given())
    if (c.known(k)) c.set(k, v, "--" + k);
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
