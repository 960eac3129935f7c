// engine/audit/experiment.h — the unlearning experiment behind `lethe experiment` (issue 5):
// train θ₀ once (OUT/original/, reused when it already holds a finished run with the same
// training settings and data), then for each seed s = 1..N make a deletion request with seed s
// (OUT/requests/<regime>-seed<s>.tsv), resolve it, run every method on it — Retrain first, since
// every other method is compared with it — plus a noise-floor Retrain with seed s + 1000, audit
// everything (engine/audit/audit.h) and rewrite OUT/results.{json,csv,md} and OUT/tradeoff.svg
// after every method, so that a long run can be read while it runs and survives an interruption
// (--resume skips the (seed, method) rows results.json already holds). OUT and OUT/original are
// run folders (io/run_folder.h): locked, resumed only with the same settings, finished by a
// manifest; a folder holding anything else is refused unless overwrite.
// A method that throws becomes a row with status "failed" and its error; the run goes on.
// The audits (suite.h) decide the columns: the core ones always, the membership inference of
// mia.h and umia.h when asked (umia also holds two user groups out of all training).
// Lives in the engine (not tools/) so that the test suite can run it end to end.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/audit/audit.h"
#include "engine/audit/report.h"
#include "engine/audit/suite.h"
#include "engine/config.h"
#include "engine/tensor.h"
#include "engine/unlearn/unlearn.h"
#include "io/json.h"
#include "io/progress.h"
#include "io/request.h"
#include "io/run_folder.h"

namespace lethe::audit {

class ExperimentEta;  // below: the stage lines' ETA

enum class NoiseFloor : uint8_t { kAll = 0, kFirst = 1, kOff = 2 };
NoiseFloor parse_noise_floor(const std::string& s);  // all | first | off; throws otherwise

// A comma-separated --methods list, each name checked against method_names() (duplicates are
// an error); throws naming the bad name and listing the accepted ones.
// --resume's comparison for an experiment folder (run_experiment's and the backdoor
// experiment's): every shared setting must be equal (a setting added later compares by the
// behaviour of the runs made before it: legacy_config_values()); a method's own settings
// (method.<m>.<key>) only for the methods run now that already have rows there — a method added
// now, one not run now, or one whose rows `redo` replaces may come with settings of its own.
io::SettingDiff resume_difference(const io::RunFolderInfo& found, const io::RunSettings& now,
                                  const std::vector<std::string>& methods, const std::vector<std::string>& redo);
// What a resumed folder's run.json then records: `now`, plus the own settings of the methods
// whose rows stay though they are not run now (not those `redo` replaces).
io::RunSettings resumed_settings(const io::RunFolder& rf, const io::RunSettings& now,
                                 const std::vector<std::string>& redo);

std::vector<std::string> parse_methods(const std::string& list, const std::string& option = "--methods");

// One method's own settings: the file they came from, the keys it sets (for the report) and the
// resulting configuration.
struct MethodSettings {
  std::string file;
  std::vector<std::pair<std::string, std::string>> overrides;  // key, value as written
  Config cfg;
};

// A --method-config list, `METHOD=FILE[,METHOD=FILE...]`: each FILE holds `key = value` lines
// that apply to that method only, on top of `base`. Throws, naming the item or FILE:LINE, for a
// method not in `methods`, retrain (it is the reference and uses the training settings), a
// method given twice, an unknown key, a training key, or a bad value.
std::map<std::string, MethodSettings> parse_method_configs(const std::string& list, const Config& base,
                                                           const std::vector<std::string>& methods);

struct ExperimentOptions {
  std::string data_dir;   // dataset folder
  std::string model = "mgcn";
  std::string out_dir;
  std::string original_dir;  // where θ₀ lives; "" = OUT/original (several regimes share one)
  io::Regime regime = io::Regime::kUser;
  double ratio = 0;       // <= 0: the regime's default
  io::Selection selection = io::Selection::kRandom;
  std::vector<std::string> methods;  // canonical names; retrain runs first whatever its position
  int64_t seeds = 1;
  int64_t first_seed = 1;  // requests use seeds first_seed .. first_seed + seeds − 1
  // "test" (reporting) or "valid" (tuning: hyperparameters are chosen on the valid split only,
  // with requests of seeds disjoint from the reported ones).
  std::string retain_split = "test";
  NoiseFloor noise_floor = NoiseFloor::kFirst;
  AuditSet audits;        // --audits (default core,mia)
  Config cfg;             // training + unlearning settings
  // Per-method settings (--method-config METHOD=FILE): cfg with the file's keys on top. Only
  // unlearning keys (is_training_key false), so θ₀ and Retrain stay shared by every method.
  std::map<std::string, MethodSettings> method_cfg;
  Device device = Device::CPU;
  bool resume = false;           // continue the run in out_dir (same settings): keep its successful rows
  bool overwrite = false;        // replace what out_dir holds (kept aside until this run finishes)
  // With resume: methods run again on every seed, their rows replaced (after a change to a
  // method); their own settings may differ from the rows they replace. Never retrain (every other
  // row is compared with it).
  std::vector<std::string> redo;
  bool keep_checkpoints = false; // save every unlearned model (Retrain's is always saved)
  bool progress = true;          // stage lines on stderr (what runs, when it ends)
  bool epoch_lines = true;       // and, with progress, the per-epoch lines of training and unlearning
  ExperimentEta* eta = nullptr;  // the stage lines' elapsed time and ETA (null: this run's elapsed time)
  std::string cache_dir;         // kNN cache; "" = graph::default_cache_dir(data_dir)
  const io::Dataset* dataset = nullptr;  // data_dir already loaded (the CLI loads it once); nullptr: load it
  std::string command;           // the command line, for results.md
  // Test hook: this method throws "injected failure" instead of running, to exercise how a
  // failed method is recorded. Empty (the default) in every real run.
  std::string inject_failure;
};

// The elapsed time and ETA the stage lines of one `lethe experiment` command show, over all its
// regimes: the runs still to come by kind ("original": a model trained with the training
// settings, θ₀ or the user-level attack's shadow; "retrain"; each approximate method), and the
// mean time each kind has taken so far. Retrain is estimated from θ₀'s training until a Retrain
// has run; an approximate method from the approximate methods measured so far. While a kind still
// to come has no estimate, the ETA is a lower bound ("ETA ≥ 2m").
class ExperimentEta {
 public:
  void plan(const std::string& kind, int64_t runs);
  // One run of `kind` finished in `seconds`, or (seconds < 0) was not needed after all (a row
  // kept by --resume, a reused θ₀). A run never planned still teaches its kind's time.
  void done(const std::string& kind, double seconds);
  // "elapsed 1m05s, ETA 2m10s" ("ETA ≥ ..." when a kind has no estimate; no ETA when nothing is
  // left or nothing is known).
  std::string text() const;

 private:
  io::Stopwatch clock_;
  std::map<std::string, int64_t> left_;
  std::map<std::string, std::pair<double, int64_t>> took_;  // total seconds, runs
};
// What one regime of `o` will run, planned into `eta`: every method for every seed, the noise
// floor's Retrains, the user-level attack's shadow model (user regime with umia). θ₀ is the
// caller's to plan (once for all regimes).
void plan_runs(const ExperimentOptions& o, ExperimentEta& eta);

// Throws for anything wrong before work starts: no methods, a bad ratio, the explicit regime, a
// non-random selection for the interaction regime, seeds < 1, no data/out folder.
// The configuration is checked too (validate_settings).
void validate(const ExperimentOptions& o);
// Parses every setting whose default shows its type (numbers, true/false, integer lists; an
// "auto" setting given a value must be a number, miggt.k_modality excepted), so a bad value
// fails up front with a message naming its key.
void validate_settings(const Config& cfg);

// Runs the experiment; returns the final rows (also in OUT/results.json).
std::vector<AuditRow> run_experiment(const ExperimentOptions& o);

// ---- pieces shared with `lethe unlearn` and `lethe audit` --------------------------------

// The metric fields of a row from one audit (retain, forget, exposure); the rest stays NaN.
AuditRow row_from_audit(const std::string& method, const CoreAudit& a);
// A trained model in its run folder (the layout of `lethe train`).
struct OriginalRun {
  std::string path;
  io::Checkpoint ckpt;
  double train_seconds = AuditRow::kNaN;
  int64_t epochs = -1;
  std::unique_ptr<io::RunLock> lock;  // shared: nobody replaces θ₀ while the experiment uses it
};
// θ₀ lives in a `lethe train` run folder (o.original_dir, default OUT/original;
// engine/run_files.h): reused when it holds a finished run of the same model, data and training
// settings; continued when it holds an interrupted one and o.resume is set; trained there when it
// is new; refused otherwise. θ₀ of the experiment; also the shadow model of the user-level attack
// and the backdoor experiment's models.
OriginalRun ensure_original(const ExperimentOptions& o, const io::Dataset& ds, Ctx& ctx, const std::string& cache,
                            const std::function<void(const std::string&)>& say);

// The user-level attack's preparation (suite.cpp): trains (or reuses) the shadow model in
// <θ₀'s folder>-shadow on a random half of the remaining users and fits the attack.
// remaining: the data without the reserved groups; all_rows: the loaded data (histories).
std::unique_ptr<UmiaSetup> prepare_umia(const ExperimentOptions& o, const io::Dataset& remaining, UserGroups groups,
                                        io::Dataset all_rows, Ctx& ctx, const std::string& cache,
                                        const std::function<void(const std::string&)>& say);

// One unlearning epoch as a JSON object (a log.jsonl line).
io::Json epoch_json(const UnlearnEpoch& e);
// The configuration keys that change what training produces (everything except the unlearning
// and TRU settings): two originals are interchangeable when these agree.
bool is_training_key(const std::string& key);
// "" when the training settings agree, else the first differing key with both values.
std::string training_config_difference(const Config& a, const Config& b);

}  // namespace lethe::audit
