// engine/config.h — every tunable default in one table (what each means: docs/MODELS.md and
// docs/CONFIG.md). A Config starts from these defaults; settings files and command-line flags
// (`--key value`, one flag per key, generated from this table so --help always lists them)
// override them, in that order. Values are parsed on use; a bad value names its key.
//
// Settings files come in two formats: `key = value` lines (io/config.h) and YAML (io/yaml.h,
// .yaml/.yml). Both accept the MMRec toolbox's names as aliases of Lethe's (learning_rate → lr,
// embedding_size → dim, ...: docs/CONFIG.md has the table), and MMRec's layered folders
// (overall.yaml → dataset/<dataset>.yaml → model/<Model>.yaml) load with load_config(). Unknown
// names are errors (a typo must not silently train something else); MMRec names that have no
// Lethe meaning (gpu_id, data_path, ...) are ignored with a note; MMRec values Lethe cannot honour
// (learner: sgd, valid_metric: NDCG@10, ...) are errors.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace lethe {

struct ConfigKey {
  const char* key;
  const char* def;  // "auto": resolved by the backbone (e.g. lr 1e-3, MIG-GT 1e-2)
  const char* help;
};

// The table, grouped: training protocol, evaluation, LightGCN, MGCN, MIG-GT, unlearning, TRU,
// MultiDelete, ScaleGUN, audits.
const std::vector<ConfigKey>& config_keys();

// Settings added after runs began recording theirs (run.json, checkpoints), each with the value
// that reproduces what a run made before the setting existed did; "*" where it cannot change such
// a run's results (it only times checkpoints, or only a method that did not exist then reads it).
// Run folders compare an earlier run's missing keys against these (io/run_folder.h), so that a
// newer program continues or reuses that run only when it behaves the same.
const std::map<std::string, std::string>& legacy_config_values();

// The group a key belongs to, by its prefix — what each command's --help lists (a command shows
// only the groups it reads): "training" (no prefix), "evaluation" (eval.), "LightGCN", "MGCN",
// "MIG-GT", "unlearning" (unlearn., finetune., neggrad., neggrad_plus., mmrecun.), "TRU",
// "MultiDelete", "ScaleGUN", "audits" (audit., backdoor.). config_groups() lists them in the
// table's order.
std::string config_group(const std::string& key);
const std::vector<std::string>& config_groups();

// Whether `name` is one of the MMRec toolbox's setting names that Config::apply understands (an
// alias of a Lethe key such as learning_rate, one it maps by the model such as reg_weight, one it
// checks such as learner, or one it ignores with a note such as gpu_id) — so that the command
// line accepts `--learning_rate 0.01` as settings files do.
bool is_mmrec_name(const std::string& name);
// The MMRec names without a Lethe meaning (gpu_id, data_path, ...), which Config::apply ignores.
bool is_mmrec_ignored(const std::string& name);

class Config {
 public:
  Config();  // the defaults
  void set(const std::string& key, const std::string& value, const std::string& origin = "");
  bool known(const std::string& key) const;
  // A settings file: YAML when the name ends in .yaml/.yml, else `key = value` lines; Lethe's
  // names and MMRec's aliases both accepted.
  void load_file(const std::string& path);
  // One setting under a Lethe or MMRec name (a list for MMRec's list-valued settings); what
  // load_file does for each entry. Throws naming `origin` for an unknown name or a bad value.
  void apply(const std::string& name, const std::vector<std::string>& values, bool is_list, const std::string& origin);

  // The backbone the settings are for (canonical name, "" = not known yet): decides what MMRec's
  // model-specific names mean (reg_weight, n_layers). Checkpoints restore it with the settings.
  void set_model(const std::string& model) { model_ = model; }
  const std::string& model() const { return model_; }
  // Notes made while loading: MMRec names without a Lethe meaning, grids reduced to one value.
  const std::vector<std::string>& notes() const { return notes_; }

  std::string str(const std::string& key) const;
  double f64(const std::string& key) const;
  int64_t i64(const std::string& key) const;
  bool flag(const std::string& key) const;  // true/false/1/0/yes/no/on/off
  std::vector<int64_t> i64_list(const std::string& key) const;  // comma-separated
  bool is_auto(const std::string& key) const { return str(key) == "auto"; }
  // f64/i64 of a key whose default is "auto": `fallback` when it is still "auto".
  double f64_or(const std::string& key, double fallback) const;
  int64_t i64_or(const std::string& key, int64_t fallback) const;

  // Where a key's value came from: "default", "--epochs", "run.cfg:3", ...
  std::string origin(const std::string& key) const;

  const std::map<std::string, std::string>& values() const { return values_; }
  std::string dump() const;  // `key = value` lines, sorted (reproducible; written beside results)
  // 16 hex digits: the content hash of dump() — two runs with equal hashes used equal settings.
  std::string hash() const;

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, std::string> origin_;
  std::string model_;
  std::vector<std::string> notes_;
  std::vector<std::string> grid_;     // MMRec hyper_parameters seen so far (lists reduced to one value)
  std::vector<std::string> ignored_;  // MMRec names without a Lethe meaning in the file being loaded
};

// The backbones: "lightgcn", "mgcn", "miggt". canonical_model_name() accepts any case and
// ignores '-' and '_' (MGCN, LightGCN, MIG-GT) and throws, listing the three, for anything else.
const std::vector<std::string>& model_names();
std::string canonical_model_name(const std::string& name);

// MMRec's layered configuration, then plain files, in this order (later layers override):
//   mmrec_dir/overall.yaml, mmrec_dir/dataset/<dataset>.yaml, mmrec_dir/model/<Model>.yaml
// (each optional, but the folder must hold at least one; file names are matched ignoring case,
// and '-'/'_' for the model: MGCN.yaml, mgcn.yaml, LightGCN.yaml), then every file of `files`.
struct ConfigLayers {
  std::string mmrec_dir;
  std::vector<std::string> dataset_names;  // candidates for dataset/<name>.yaml (folder name, .inter stem)
  std::vector<std::string> files;
};
// Loads the layers onto `c` (whose model() should be set for MMRec's model-specific names).
void load_config(Config& c, const ConfigLayers& layers);
// The names a dataset folder may go by in dataset/<name>.yaml: its own name and the stem of its
// .inter file(s), without reading the data.
std::vector<std::string> dataset_names_of(const std::string& data_dir);
// Checks every setting before any work starts: each value parses as what its key holds
// (integer, number, true/false, integer list; an "auto" key either "auto" or a number), integers
// fit 64 bits, numbers are finite, and the keys with a range are inside it (epochs ≥ 1, lr > 0,
// dropouts in [0, 1), eval.ks positive and including 20, ...). Throws one message in the user's
// words naming the key, where its value came from, what is accepted and what was given.
void validate_config(const Config& cfg);

}  // namespace lethe
