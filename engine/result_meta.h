// engine/result_meta.h — the block of fields that makes a result comparable with another: which
// data (name and content fingerprint), which model and method, which settings (a hash of every
// setting), which build (Lethe's version and git commit) and which result schema. Every result
// row and metrics file carries it (results.json/csv rows, metrics.json, summary.json, `lethe
// eval --json`); docs/SCHEMA.md documents the fields. Kept as one separate block so that the
// result writers only call put() and the row readers from_json().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/config.h"
#include "io/dataset.h"
#include "io/json.h"

namespace lethe {

// The version of the result schema (docs/SCHEMA.md); raised when a field changes meaning.
constexpr int kResultSchemaVersion = 1;

struct RunMeta {
  int schema_version = kResultSchemaVersion;
  std::string lethe_version, git_commit;  // of the build that produced the result
  std::string dataset, dataset_fingerprint, model, method, settings_hash;

  // Adds the fields to a JSON object: run_meta_keys(), and "method" unless the object already
  // has one (a results row names its method itself).
  void put(io::Json& j) const;
  // Reads them back; a row written before the block existed reads as empty strings, schema 0.
  static RunMeta from_json(const io::Json& j);
};

// schema_version, lethe_version, git_commit, dataset, dataset_fingerprint, model,
// settings_hash — in the order CSV columns show them ("method" and "device" are columns of every
// row already).
const std::vector<std::string>& run_meta_keys();

// The block for a result made by this build: `settings` is hashed (Config::hash()).
RunMeta run_meta(const std::string& dataset, uint64_t fingerprint, const std::string& model, const std::string& method,
                 const Config& settings);
RunMeta run_meta(const io::Dataset& ds, const std::string& model, const std::string& method, const Config& settings);

// This build's version ("0.1.0") and git commit (12 hex digits, "-dirty" suffix when the tree had
// uncommitted changes, "unknown" outside a git checkout), captured at configure time.
std::string lethe_version();
std::string lethe_git_commit();

}  // namespace lethe
