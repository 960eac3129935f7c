// tools/cmd_experiment.cpp — `lethe experiment`: the whole unlearning comparison of issue 5 in
// one command (the runner is engine/audit/experiment.h): train θ₀ once, then for every seed make
// a request, run every method and the noise-floor Retrain, audit them all, and keep
// OUT/results.{json,csv,md} and OUT/tradeoff.svg up to date after every method. OUT is a run
// folder (io/run_folder.h); with several regimes it holds OUT/original/ and one run folder per
// regime, and is itself locked and finished by a manifest over theirs.
// Everything that can be wrong with the options or the data is reported before any work starts.
#include <cstdint>
#include <cstdio>
#include <memory>

#include "engine/audit/backdoor.h"
#include "engine/audit/experiment.h"
#include "io/fs.h"
#include "io/request.h"
#include "io/run_folder.h"
#include "tools/audit_cli.h"
#include "tools/cli_common.h"
#include "tools/commands.h"

namespace lethe::cli {

int cmd_experiment(int argc, char** argv) {
  std::string names;
  for (const auto& m : method_names()) names += (names.empty() ? "" : ",") + m;
  Args a("experiment",
         "Runs an unlearning experiment: trains the original model once into OUT/original/ (reused when it already\n"
         "holds a finished run with the same training settings and data), then for each seed s = 1..N makes a\n"
         "deletion request with seed s (OUT/requests/), runs every method on it (Retrain first; the noise floor is\n"
         "Retrain with seed s + 1000), audits them (retain/forget Recall@20, Exposure@20, overlap@20 with Retrain,\n"
         "time, speed-up, peak memory) and rewrites OUT/results.json, results.csv, results.md and tradeoff.svg after\n"
         "every method. A method that fails is recorded with its error and the run goes on. --audits adds the\n"
         "membership-inference columns (mia, umia) and the backdoor experiment (OUT/backdoor/); docs/AUDITS.md.\n"
         "OUT must be new or empty (or hold only original/); a finished or interrupted experiment in it is refused\n"
         "unless --resume (same settings only) or --overwrite.");
  a.opt("data", "", "dataset folder", true)
      .opt("model", "mgcn", "backbone: lightgcn, mgcn or miggt (any case: MGCN, LightGCN, MIG-GT)")
      .opt("regime", "user",
           "user | item | interaction, or a comma-separated list (each into OUT/<regime>/, one shared OUT/original/)")
      .opt("ratio", "", "fraction of the candidates to delete [default: user 0.05, item 0.01, interaction 0.05]")
      .opt("selection", "random", "random | most-active | least-active (user and item regimes)")
      .opt("methods", "retrain,finetune,neggrad,neggrad+,mmrecun,tru", "comma-separated, from: " + names)
      .opt("method-config", "",
           "METHOD=FILE[,METHOD=FILE...]: `key = value` lines applied to that method only, on top of the shared "
           "settings (unlearning keys only: unlearn.*, mmrecun.*, tru.*, ...; e.g. each method's tuned lr and epochs)")
      .opt("seeds", "1", "number of requests (seeds first-seed .. first-seed+N-1)")
      .opt("first-seed", "1", "seed of the first request (use seeds disjoint from the reported ones for tuning)")
      .opt("retain-split", "test", "split of the retain-utility audit: test (reporting) or valid (tuning)")
      .opt("noise-floor", "first", "Retrain with seed s+1000 for: all seeds | first seed | off")
      .opt("audits", "core,mia",
           "comma-separated: core (retain/forget/exposure/overlap; always on when any of core, mia, umia is listed), "
           "mia (membership inference, families A/B/C), umia (user-level attack, user regime; holds two 10 % user groups "
           "out of all training), backdoor (the backdoor experiment into OUT/backdoor/; alone, it is all that runs)")
      .opt("out", "", "experiment folder", true)
      .opt("original", "",
           "folder of θ₀ (a `lethe train` run folder: reused when it holds a finished run with the same "
           "training settings and data, trained there when new, continued with --resume when interrupted, "
           "refused otherwise) [default: OUT/original]")
      .opt("device", "auto", "auto, cpu or cuda")
      .flag("resume",
            "continue the experiment in OUT: keep its successful (seed, method) rows and run only the missing "
            "ones (methods and seeds may be added; any other setting must be the same, else it is refused)")
      .opt("redo", "",
           "with --resume: comma-separated methods to run again on every seed, their rows replaced (after a change "
           "to a method; their own settings may change); not retrain")
      .flag("overwrite", "replace what OUT holds (kept in OUT/.lethe-previous until this run has finished)")
      .flag("keep-checkpoints", "save every unlearned model under OUT/runs/ (Retrain's is always saved)")
      .flag("brief", "stage lines only: each run's start and end with the elapsed time and the ETA, no per-epoch lines")
      .flag("quiet", "no progress lines");
  add_config_flags(a, config_groups());  // θ₀'s training, every method, the audits: all of them
  if (!a.parse(argc, argv)) return 0;
  io::RunFolderOptions ro = run_options(a, "experiment-regimes", a.on("resume"), argc, argv);

  audit::ExperimentOptions o;
  o.data_dir = a.str("data");
  o.model = canonical_model_name(a.str("model"));
  o.out_dir = a.str("out");
  o.methods = audit::parse_methods(a.str("methods"));
  std::vector<io::Regime> regimes;
  {
    const std::string list = a.str("regime");
    size_t pos = 0;
    while (pos <= list.size()) {
      const size_t comma = std::min(list.find(',', pos), list.size());
      const io::Regime r = io::parse_regime(list.substr(pos, comma - pos));
      if (r == io::Regime::kExplicit)
        throw Error("lethe experiment: --regime must be user, item or interaction (use lethe unlearn for a hand-written request)");
      for (io::Regime q : regimes)
        if (q == r) throw Error("lethe experiment: regime " + std::string(io::regime_name(r)) + " listed twice");
      regimes.push_back(r);
      pos = comma + 1;
    }
  }
  o.regime = regimes.front();
  o.selection = io::parse_selection(a.str("selection"));
  if (a.has("ratio")) {
    o.ratio = a.f64("ratio");
    if (!(o.ratio > 0 && o.ratio <= 1)) throw Error("lethe experiment: --ratio must be in (0, 1], got " + a.str("ratio"));
  }
  o.seeds = a.i64("seeds", 1, 1000000);
  o.first_seed = a.i64("first-seed", 0, INT64_MAX - 1000000 - 1000);
  o.retain_split = a.str("retain-split");
  o.noise_floor = audit::parse_noise_floor(a.str("noise-floor"));
  o.audits = audit::parse_audits(a.str("audits"));
  o.cfg = config_from(a);
  if (a.has("method-config")) o.method_cfg = audit::parse_method_configs(a.str("method-config"), o.cfg, o.methods);
  o.device = device_from(a);
  o.resume = a.on("resume");
  o.overwrite = a.on("overwrite");
  if (a.has("redo")) o.redo = audit::parse_methods(a.str("redo"), "--redo");
  o.keep_checkpoints = a.on("keep-checkpoints");
  o.progress = !a.on("quiet");
  o.epoch_lines = !a.on("brief");
  o.command = command_line(argc, argv);
  const std::string out = o.out_dir;
  if (a.has("original")) o.original_dir = a.str("original");
  else if (regimes.size() > 1 || o.audits.backdoor) o.original_dir = io::path_join(out, "original");
  audit::ExperimentEta eta;  // the stage lines' ETA over every regime: θ₀ once, then each regime's runs
  eta.plan("original", 1);
  for (io::Regime r : regimes) {  // validate every regime's options before any work
    o.regime = r;
    audit::validate(o);
    if (o.audits.requests()) audit::plan_runs(o, eta);
  }
  o.eta = &eta;
  const io::Dataset ds = io::load_dataset(o.data_dir);  // a bad folder fails before OUT is made
  o.dataset = &ds;
  // Several regimes: OUT holds original/ and one experiment run folder per regime; OUT itself is
  // locked for the whole command (and replaced as a whole by --overwrite), and finished by a
  // manifest over theirs once every regime has finished.
  std::unique_ptr<io::RunFolder> all;
  if (regimes.size() > 1 || o.audits.backdoor) {
    ro.title = "`lethe experiment` (several regimes, or a regime and the backdoor experiment)";
    ro.reopen_finished = true;
    ro.resume_hint = "--resume";
    ro.allowed = {"original", "original-shadow", "user", "item", "interaction", "backdoor"};
    // θ₀ run folders under other names beside them (an --original inside OUT — the user-level
    // attack's θ₀ of one regime run on its own — and its shadow model): another run's inputs, kept.
    if (io::is_directory(out))
      for (const std::string& e : io::list_dir(out)) {
        const std::string p = io::path_join(out, e);
        if (io::is_directory(p) && io::entry_exists(io::path_join(p, io::kRunFile)) &&
            io::inspect_run_folder(p).command == "train")
          ro.allowed.push_back(e);
      }
    ro.compare = [](const io::RunFolderInfo&) { return io::SettingDiff{}; };  // each regime compares its own
    if (o.audits.requests())
      for (io::Regime r : regimes) ro.settings[std::string("regime.") + io::regime_name(r)] = "included";
    if (o.audits.backdoor) ro.settings["backdoor"] = "included";
    all = std::make_unique<io::RunFolder>(out, ro);
    io::RunSettings merged = ro.settings;
    for (const auto& [k, v] : all->found().settings) merged.insert({k, v});
    all->begin(merged);
    o.overwrite = false;  // OUT's content was replaced as a whole
  }
  for (io::Regime r : regimes) {
    if (!o.audits.requests()) break;
    o.regime = r;
    if (all) o.out_dir = io::path_join(out, io::regime_name(r));
    const std::vector<audit::AuditRow> rows = audit::run_experiment(o);
    if (all) all->keep();
    int failed = 0;
    for (const auto& row : rows) failed += !row.ok();
    const std::string shown = io::printable(o.out_dir);
    std::printf("%s regime: %zu row(s) in %s/results.json (%d failed); table: %s/results.md; plot: %s/tradeoff.svg\n",
                io::regime_name(r), rows.size(), shown.c_str(), failed, shown.c_str(), shown.c_str());
  }
  if (o.audits.backdoor) {
    o.regime = io::Regime::kUser;  // the request names the fake users
    o.out_dir = io::path_join(out, "backdoor");
    const std::vector<audit::AuditRow> rows = audit::run_backdoor_experiment(o);
    if (all) all->keep();
    int failed = 0;
    for (const auto& row : rows) failed += !row.ok();
    const std::string shown = io::printable(o.out_dir);
    std::printf("backdoor: %zu row(s) in %s/results.json (%d failed); table: %s/results.md\n", rows.size(),
                shown.c_str(), failed, shown.c_str());
  }
  if (all) all->finish();
  return 0;
}

}  // namespace lethe::cli
