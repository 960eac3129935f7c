// tools/cmd_info.cpp — `lethe info`: what this build can do and which devices it sees (when it
// sees none, the CUDA error of the device query); with --data DIR, the statistics of a data set
// folder (users, items, splits, feature tables, the notes made while loading, the fingerprint);
// with --run DIR, the state of a run folder (io/run_folder.h: finished and matching its manifest,
// interrupted, damaged, ...), its files verified — exit code 0 when finished, 3 when interrupted
// (or running), 5 when missing or empty, 4 otherwise (damaged, not a run folder).
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "io/dataset.h"
#include "io/fs.h"
#include "io/hash.h"
#include "io/run_folder.h"
#include "kernels/omp_wait.h"
#include "kernels/runtime.h"
#include "tools/args.h"
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

// min / mean / max of the per-entity train degree.
std::string degree_stats(const std::vector<int32_t>& ids, int32_t n) {
  if (n <= 0) return "-";
  std::vector<int64_t> deg(static_cast<size_t>(n), 0);
  for (int32_t x : ids) ++deg[static_cast<size_t>(x)];
  const auto mm = std::minmax_element(deg.begin(), deg.end());
  char buf[128];
  std::snprintf(buf, sizeof buf, "min %lld, mean %.2f, max %lld", static_cast<long long>(*mm.first),
                static_cast<double>(ids.size()) / n, static_cast<long long>(*mm.second));
  return buf;
}

int data_info(const Args& a) {
  io::LoadOptions lo;
  lo.inter_file = a.str("inter");
  const auto t0 = std::chrono::steady_clock::now();
  const io::Dataset d = io::load_dataset(a.str("data"), lo);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const int64_t rows = d.train.size() + d.valid.size() + d.test.size();
  std::printf("data set: %s (%s)\n", io::printable(d.name).c_str(), io::printable(d.inter_path).c_str());
  std::printf("users: %s   items: %s\n", thousands(d.n_users).c_str(), thousands(d.n_items).c_str());
  std::printf("rows: %s = train %s + valid %s + test %s\n", thousands(rows).c_str(), thousands(d.train.size()).c_str(),
              thousands(d.valid.size()).c_str(), thousands(d.test.size()).c_str());
  std::printf("train density: %.4f%%\n",
              100.0 * static_cast<double>(d.train.size()) / (static_cast<double>(d.n_users) * static_cast<double>(d.n_items)));
  std::printf("train rows per user: %s\n", degree_stats(d.train.user, d.n_users).c_str());
  std::printf("train rows per item: %s\n", degree_stats(d.train.item, d.n_items).c_str());
  if (d.features.empty()) std::printf("features: none\n");
  for (const auto& f : d.features)
    std::printf("features: %-8s %s × %s  (%s)\n", io::printable(f.modality).c_str(), thousands(f.rows).c_str(),
                thousands(f.cols).c_str(), io::printable(f.path).c_str());
  std::printf("users without train rows: %s", thousands(static_cast<int64_t>(d.users_without_train.size())).c_str());
  for (size_t k = 0; k < d.users_without_train.size() && k < 20; ++k)
    std::printf("%s%d", k ? ", " : " (", d.users_without_train[k]);
  if (!d.users_without_train.empty()) std::printf("%s)", d.users_without_train.size() > 20 ? ", ..." : "");
  std::printf("\nduplicate rows dropped: %s\n", thousands(d.duplicates_dropped).c_str());
  for (const auto& n : d.notes) std::printf("note: %s\n", io::printable(n).c_str());
  std::printf("fingerprint: %s\n", io::hex64(d.fingerprint()).c_str());
  std::printf("load time: %.3f s\n", load_s);
  return 0;
}

int run_info(const std::string& dir) {
  const io::RunFolderInfo i = io::inspect_run_folder(dir);
  std::fputs(io::describe_run_folder(i).c_str(), stdout);
  switch (i.state) {
    case io::RunState::kFinished:
      return 0;
    case io::RunState::kUnfinished:
      return 3;
    case io::RunState::kMissing:
    case io::RunState::kEmpty:
      return 5;
    default:
      return 4;
  }
}

}  // namespace

int cmd_info(int argc, char** argv) {
  Args a("info",
         "Prints the build configuration and the CUDA devices this process can use; with --data, the\n"
         "statistics of a data set folder.");
  a.opt("data", "", "a data set folder (or a .inter file): print its statistics")
      .opt("inter", "", "with --data: which .inter file of the folder (for folders with alternative splits)")
      .opt("run", "",
           "a run folder: is it finished (every file matching its manifest), interrupted, damaged? "
           "exit code 0 finished, 3 interrupted (or running), 5 missing or empty, 4 anything else");
  if (!a.parse(argc, argv)) return 0;
  if (a.has("run")) return run_info(a.str("run"));
  if (a.has("data")) return data_info(a);
  std::printf("lethe %s\n", "0.1.0");
  std::printf("CUDA backend compiled: %s\n", cuda::built_with_cuda() ? "yes" : "no");
  const int n = cuda::device_count();
  if (n > 0) std::printf("CUDA devices: %d (%s)\n", n, cuda::device_description().c_str());
  else std::printf("CUDA devices: 0\nCUDA device query: %s\n", cuda::device_query_error().c_str());
  std::printf("OpenMP: %d threads, wait policy %s\n", omp_get_max_threads(), omp_wait_policy());
  return 0;
}

}  // namespace lethe::cli
