// tools/cmd_synth.cpp — `lethe synth`: a synthetic data set with planted structure (docs/MODELS.md, "Synthetic data"),
// or synthetic item features for an existing graph (--features-for), fitted to its train split.
// The generator itself lives in io/synth.h; this file is argument handling, folder safety and
// the summary.
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "io/atomic_file.h"
#include "io/dataset.h"
#include "io/fs.h"
#include "io/hash.h"
#include "io/synth.h"
#include "kernels/common.h"
#include "tools/args.h"
#include "tools/cli_common.h"
#include "tools/commands.h"

namespace lethe::cli {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string thousands(int64_t v) {
  std::string s = std::to_string(v), out;
  for (size_t k = 0; k < s.size(); ++k) {
    if (k > 0 && (s.size() - k) % 3 == 0 && s[k - 1] != '-') out += ',';
    out += s[k];
  }
  return out;
}

void print_summary(const io::Dataset& d, const std::vector<io::ModalitySpec>& mods) {
  std::printf("  users %s, items %s, rows %s (train %s, valid %s, test %s)\n", thousands(d.n_users).c_str(),
              thousands(d.n_items).c_str(), thousands(d.train.size() + d.valid.size() + d.test.size()).c_str(),
              thousands(d.train.size()).c_str(), thousands(d.valid.size()).c_str(), thousands(d.test.size()).c_str());
  for (const auto& f : d.features) {
    double snr = 0;
    for (const auto& m : mods)
      if (m.name == f.modality) snr = m.snr;
    std::printf("  %s_feat.npy: %s × %s float32, %s, snr %g\n", f.modality.c_str(), thousands(f.rows).c_str(),
                thousands(f.cols).c_str(), io::image_like(f.modality) ? "ReLU (image-like)" : "L2-normalised rows", snr);
  }
  std::printf("  fingerprint %s\n", io::hex64(d.fingerprint()).c_str());
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

std::string absolute(const std::string& p) {
  char buf[PATH_MAX];
  if (::realpath(p.c_str(), buf)) return buf;
  return p;
}

// Puts the source .inter into `out` (a symbolic link to it, or a copy when links are not
// possible) so that `out` is a complete data set folder. Atomic: link/copy to a temporary name,
// then rename.
void link_inter(const std::string& src, const std::string& out) {
  const std::string dst = io::path_join(out, io::base_name(src));
  if (same_file(src, dst)) return;
  const std::string tmp = dst + ".tmp";
  ::unlink(tmp.c_str());
  if (::symlink(absolute(src).c_str(), tmp.c_str()) == 0 && std::rename(tmp.c_str(), dst.c_str()) == 0) return;
  ::unlink(tmp.c_str());
  io::write_file_atomic(dst, io::read_file(src));
}

int features_for(const Args& a, const std::vector<io::ModalitySpec>& mods, int rank, uint64_t seed, bool progress) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string src = a.str("features-for");
  io::LoadOptions lo;
  lo.load_features = false;
  lo.inter_file = a.str("inter");
  io::Dataset d = io::load_dataset(src, lo);
  const std::string src_dir = d.dir;
  std::string out = a.has("out") ? a.str("out") : src_dir;
  const bool in_place = io::is_directory(out) && same_file(out, src_dir);
  if (in_place && !io::dir_writable(src_dir))
    throw Error("lethe synth: " + src_dir + " is not writable (a read-only data folder?): pass --out DIR2, a folder "
                "that will receive the feature files and a link to " + io::base_name(d.inter_path));
  if (mods.empty()) throw Error("lethe synth: --modalities is empty: no feature table to write");
  check_not_run_folder(out, "out");
  io::make_dirs(out);
  if (!in_place) {
    for (const auto& n : io::list_dir(out)) {
      const bool our_inter = n == io::base_name(d.inter_path);
      bool ours = our_inter;
      for (const auto& m : mods) ours = ours || n == m.name + "_feat.npy";
      if (!ours && (io::ends_with(n, ".inter") || io::ends_with(n, "_feat.npy")))
        throw Error("lethe synth: " + out + " already holds " + n + ", which would become part of this data set; "
                    "use an empty folder for --out");
    }
  }
  if (progress)
    std::fprintf(stderr, "synth: fitting rank-%d item factors to the train split of %s (%s rows) ...\n", rank,
                 d.inter_path.c_str(), thousands(d.train.size()).c_str());
  const auto t1 = std::chrono::steady_clock::now();
  const std::vector<double> q = io::fit_item_factors(d, rank, seed);
  if (progress) std::fprintf(stderr, "synth:   done in %.2f s\n", seconds_since(t1));
  std::vector<io::FeatureTable> feats = io::synth_features(q, d.n_items, rank, mods, seed, progress);
  for (const auto& f : feats) io::write_npy_f32(io::path_join(out, f.modality + "_feat.npy"), f);
  if (!in_place) link_inter(d.inter_path, out);
  // Read the result back as a data set: proves it is complete and gives the fingerprint.
  io::LoadOptions lo2;
  lo2.inter_file = io::base_name(d.inter_path);
  const io::Dataset back = io::load_dataset(out, lo2);
  std::printf("synth: wrote features for %s into %s (item factors fitted to the train split only)\n",
              io::printable(d.inter_path).c_str(), io::printable(out).c_str());
  print_summary(back, mods);
  std::printf("  time %.2f s\n", seconds_since(t0));
  return 0;
}

}  // namespace

int cmd_synth(int argc, char** argv) {
  Args a("synth",
         "Generates a synthetic data set with a planted structure (latent factors, Zipf popularity,\n"
         "log-normal activity, per-modality signal-to-noise; docs/MODELS.md), deterministic from --seed.\n"
         "With --features-for DIR: writes <modality>_feat.npy for an existing graph instead, from item\n"
         "factors fitted to its train split (truncated SVD of the normalised train matrix).");
  a.opt("out", "", "output folder (required unless --features-for DIR is writable)")
      .opt("users", "19445", "number of users")
      .opt("items", "7050", "number of items")
      .opt("interactions", "160000", "target number of rows over all splits")
      .opt("modalities", "image:4096,text:384", "feature tables, name:dim,... (names containing image/visual get ReLU)")
      .opt("snr", "", "signal-to-noise power ratio per modality, name:value,... [default: image/visual 1.0, text 3.0, other 2.0]")
      .opt("seed", "1", "random seed (the output is a pure function of the options)")
      .opt("name", "synth", "data set name (the .inter file's stem)")
      .opt("rank", "16", "latent dimension r")
      .opt("tau", "0.1", "softmax temperature of the user-item affinity")
      .opt("zipf", "1.0", "Zipf exponent of item popularity")
      .opt("activity-sigma", "0.8", "log-normal sigma of user activity")
      .opt("features-for", "", "an existing data set folder: write synthetic features for its graph")
      .opt("inter", "", "with --features-for: which .inter file of the folder (for folders with alternative splits)")
      .flag("quiet", "no progress lines on stderr");
  if (!a.parse(argc, argv)) return 0;
  const int64_t rank = a.i64("rank");
  if (rank < 1 || rank > 256) throw Error("lethe synth: --rank must be in 1..256");
  const int64_t seed = a.i64("seed");
  if (seed < 0) throw Error("lethe synth: --seed must be non-negative");
  const auto mods = io::parse_modalities(a.str("modalities"), a.str("snr"));
  const bool progress = !a.on("quiet");
  if (a.has("features-for")) return features_for(a, mods, static_cast<int>(rank), static_cast<uint64_t>(seed), progress);
  if (a.has("inter")) throw Error("lethe synth: --inter applies to --features-for only");
  if (!a.has("out")) throw Error("lethe synth: --out is required (the folder to write the data set into)");
  check_not_run_folder(a.str("out"), "out");

  const auto t0 = std::chrono::steady_clock::now();
  io::SynthSpec s;
  const int64_t users = a.i64("users"), items = a.i64("items");
  if (users < 1 || users >= io::kMaxId || items < 1 || items >= io::kMaxId)
    throw Error("lethe synth: --users and --items must be in 1.." + std::to_string(io::kMaxId - 1));
  s.users = static_cast<int32_t>(users);
  s.items = static_cast<int32_t>(items);
  s.interactions = a.i64("interactions");
  s.modalities = mods;
  s.rank = static_cast<int>(rank);
  s.tau = a.f64("tau");
  s.zipf = a.f64("zipf");
  s.activity_sigma = a.f64("activity-sigma");
  s.seed = static_cast<uint64_t>(seed);
  s.name = a.str("name");
  s.progress = progress;
  if (s.name.empty() || s.name.find_first_of("/.") != std::string::npos)
    throw Error("lethe synth: --name must be a plain file stem (no '/' or '.')");
  const io::Dataset d = io::generate_synth(s);
  const auto t1 = std::chrono::steady_clock::now();
  if (progress) std::fprintf(stderr, "synth: writing %s ...\n", io::printable(a.str("out")).c_str());
  io::write_dataset(a.str("out"), d);
  const double gen = std::chrono::duration<double>(t1 - t0).count(), wr = seconds_since(t1);
  std::printf("synth: wrote %s/%s.inter", io::printable(a.str("out")).c_str(), d.name.c_str());
  for (const auto& f : d.features) std::printf(" + %s_feat.npy", f.modality.c_str());
  std::printf(" (seed %lld)\n", static_cast<long long>(seed));
  print_summary(d, mods);
  std::printf("  time %.2f s (generate %.2f s, write %.2f s)\n", gen + wr, gen, wr);
  return 0;
}

}  // namespace lethe::cli
