// tools/audit_cli.cpp — see audit_cli.h.
#include "tools/audit_cli.h"
#include "tools/cli_common.h"

#include "io/checkpoint.h"
#include "io/fs.h"
#include "io/hash.h"

namespace lethe::cli {

Config config_over(const Config& base, const Args& a) {
  Config c = base;
  load_config_files(c, a);
  apply_command_line(c, a);
  return c;
}

LoadedModel load_model(Ctx& ctx, const io::Dataset& ds, const std::string& path, const io::Interactions* train,
                       const std::string& cache_dir) {
  LoadedModel m;
  m.path = path;
  const io::Checkpoint c = io::read_checkpoint(path);
  m.info = read_model_checkpoint_info(c, path);
  if (m.info.data_fingerprint != ds.fingerprint())
    throw Error(path + " was made from different data (fingerprint " + hex64(m.info.data_fingerprint) +
                ", the data folder " + hex64(ds.fingerprint()) + ")");
  const DType dt = m.info.dtype == dtype_name(DType::F64) ? DType::F64 : DType::F32;
  m.session = std::make_unique<ModelSession>(ctx, ds, m.info.model, m.info.config, cache_dir, dt, train);
  restore_model_checkpoint(c, path, m.session->params(), nullptr, nullptr);
  m.emb = embed(ctx, m.session->model(), m.session->params());
  return m;
}

std::string file_hash(const std::string& path) {
  const std::string bytes = io::read_file(path);
  return io::hex64(io::hash64(bytes.data(), bytes.size()));
}

std::string command_line(int argc, char** argv) {
  std::string s = "lethe";
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    const bool quote = a.empty() || a.find_first_of(" \t\"'$`\\|&;<>()*?") != std::string::npos;
    if (!quote) { s += " " + a; continue; }
    std::string q = "'";
    for (char ch : a) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    s += " " + q + "'";
  }
  return s;
}

}  // namespace lethe::cli
