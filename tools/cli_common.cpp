// tools/cli_common.cpp — see cli_common.h.
#include "tools/cli_common.h"

#include <cstdio>

#include "io/fs.h"
#include "kernels/runtime.h"

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
  return c;
}

Device device_from(const Args& a) { return parse_device(a.str("device")); }

io::Dataset load_data(const std::string& dir) {
  io::Dataset ds = io::load_dataset(dir);
  std::string feats;
  for (const auto& f : ds.features)
    feats += (feats.empty() ? "" : ", ") + f.modality + " " + std::to_string(f.cols) + "-d";
  std::fprintf(stderr, "data %s: %d users, %d items, %lld/%lld/%lld train/valid/test rows%s%s\n", ds.name.c_str(),
               ds.n_users, ds.n_items, static_cast<long long>(ds.train.size()), static_cast<long long>(ds.valid.size()),
               static_cast<long long>(ds.test.size()), feats.empty() ? ", no features" : ", features: ",
               feats.c_str());
  return ds;
}

void prepare_out_dir(const std::string& dir, bool overwrite, const std::string& marker_file) {
  if (io::path_exists(io::path_join(dir, marker_file)) && !overwrite)
    throw Error(dir + " already holds a run (" + marker_file + " exists); choose another --out or pass --overwrite");
  io::make_dirs(dir);
}

}  // namespace lethe::cli
