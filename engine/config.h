// engine/config.h — every tunable default of SPEC.md in one table. A Config starts from these
// defaults; a config file (`key = value` lines) and command-line flags (`--key value`, one flag
// per key, generated from this table so --help always lists them) override them, in that order.
// Unknown keys are errors. Values are parsed on use; a bad value names its key.
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
// MultiDelete, ScaleGUN.
const std::vector<ConfigKey>& config_keys();

class Config {
 public:
  Config();  // the defaults
  void set(const std::string& key, const std::string& value, const std::string& origin = "");
  bool known(const std::string& key) const;
  void load_file(const std::string& path);  // `key = value` lines, # comments

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

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, std::string> origin_;
};

// Checks every setting before any work starts: each value parses as what its key holds
// (integer, number, true/false, integer list; an "auto" key either "auto" or a number), integers
// fit 64 bits, numbers are finite, and the keys with a range are inside it (epochs ≥ 1, lr > 0,
// dropouts in [0, 1), eval.ks positive and including 20, ...). Throws one message in the user's
// words naming the key, where its value came from, what is accepted and what was given.
void validate_config(const Config& cfg);

}  // namespace lethe
