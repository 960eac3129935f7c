// tools/cmd_forget.cpp — `lethe forget`: makes a deletion request (docs/MODELS.md, "Requests") from a data set's
// train split and writes the request file, or (--request FILE) validates an existing one; both
// print what the request resolves to (|D_f|, |D_r|, entities). The selection logic and the
// file format live in io/request.h.
#include <cstdint>
#include <cstdio>
#include <string>

#include "io/dataset.h"
#include "io/fs.h"
#include "io/hash.h"
#include "io/json.h"
#include "io/request.h"
#include "kernels/common.h"
#include "tools/args.h"
#include "tools/cli_common.h"
#include "tools/commands.h"

namespace lethe::cli {
namespace {

std::string thousands(int64_t v) {
  std::string s = std::to_string(v), out;
  for (size_t k = 0; k < s.size(); ++k) {
    if (k > 0 && (s.size() - k) % 3 == 0 && s[k - 1] != '-') out += ',';
    out += s[k];
  }
  return out;
}

void summary(const io::Dataset& d, const io::Request& r, const io::ForgetSplit& f) {
  const int64_t n = d.train.size();
  std::printf("  entities: %s user(s), %s item(s), %s interaction(s)\n", thousands(static_cast<int64_t>(r.users.size())).c_str(),
              thousands(static_cast<int64_t>(r.items.size())).c_str(), thousands(r.interactions.size()).c_str());
  std::printf("  |D_f| = %s train rows (%.2f%% of %s), |D_r| = %s\n", thousands(f.forget.size()).c_str(),
              n ? 100.0 * static_cast<double>(f.forget.size()) / static_cast<double>(n) : 0.0, thousands(n).c_str(),
              thousands(f.retain.size()).c_str());
  std::printf("  users losing rows: %s; deleted users: %s; deleted items: %s\n",
              thousands(static_cast<int64_t>(f.forget_users.size())).c_str(),
              thousands(static_cast<int64_t>(f.deleted_users.size())).c_str(),
              thousands(static_cast<int64_t>(f.deleted_items.size())).c_str());
}

}  // namespace

int cmd_forget(int argc, char** argv) {
  Args a("forget",
         "Makes a deletion request from the train split of a data set (docs/MODELS.md, \"Requests\") and writes it as a\n"
         "request file (--out), or checks an existing request file against the data set (--request).\n"
         "Selection is deterministic from --seed.");
  a.opt("data", "", "data set folder (or a .inter file)", true)
      .opt("inter", "", "which .inter file of the folder (for folders with alternative splits)")
      .opt("regime", "user", "user | item | interaction")
      .opt("ratio", "",
           "fraction of the candidates (entities with train rows) [default: user 0.05, item 0.01, interaction 0.05]")
      .opt("selection", "random", "random | most-active | least-active (user and item regimes)")
      .opt("seed", "1", "random seed of the selection")
      .opt("out", "", "request file to write")
      .opt("request", "", "an existing request file to validate and summarise instead")
      .flag("force",
            "with --request: accept a request made for other data, or whose header's regime contradicts its "
            "lines (said on stderr)");
  if (!a.parse(argc, argv)) return 0;
  if (a.has("request") && a.has("out"))
    throw Error("lethe forget: --request validates an existing file; it takes no --out");
  if (!a.has("request") && !a.has("out"))
    throw Error("lethe forget: --out is required (the request file to write), or --request FILE to check one");
  // Every option is checked before the data is read.
  io::RequestSpec spec;
  spec.regime = io::parse_regime(a.str("regime"));
  spec.selection = io::parse_selection(a.str("selection"));
  spec.ratio = a.has("ratio") ? a.f64("ratio") : 0.0;
  if (a.has("ratio") && !(spec.ratio > 0 && spec.ratio <= 1))
    throw Error("lethe forget: --ratio must be in (0, 1], got " + a.str("ratio"));
  const int64_t seed = a.i64("seed", 0, INT64_MAX);
  spec.seed = static_cast<uint64_t>(seed);
  if (a.has("out")) check_output_file(a.str("out"), "out");
  io::LoadOptions lo;
  lo.inter_file = a.str("inter");
  const io::Dataset d = io::load_dataset(a.str("data"), lo);

  if (a.has("request")) {
    io::ReadRequestOptions ro;
    ro.force = a.on("force");
    const io::Request r = io::read_request(a.str("request"), d, ro);
    const io::ForgetSplit f = io::resolve(d, r);
    std::printf("request %s: %s for %s (regime %s)\n", io::printable(a.str("request")).c_str(),
                r.forced.empty() ? "valid" : "accepted with --force", io::printable(d.inter_path).c_str(),
                io::regime_name(r.spec.regime));
    summary(d, r, f);
    return 0;
  }
  const io::Request r = io::make_request(d, spec);
  io::write_request(a.str("out"), r, d);
  const io::ForgetSplit f = io::resolve(d, r);
  std::printf("forget: %s regime, ratio %s, selection %s, seed %lld on %s\n", io::regime_name(r.spec.regime),
              io::format_double(r.spec.ratio).c_str(), io::selection_name(r.spec.selection),
              static_cast<long long>(seed), io::printable(d.inter_path).c_str());
  summary(d, r, f);
  std::printf("  wrote %s (data set fingerprint %s)\n", io::printable(a.str("out")).c_str(),
              io::hex64(r.fingerprint).c_str());
  return 0;
}

}  // namespace lethe::cli
