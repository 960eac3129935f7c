// io/dataset.h — a recommendation dataset in memory: the MMRec folder convention (SPEC §1.1).
// One <name>.inter (TSV with header; required columns userID, itemID, x_label in any order;
// other columns ignored; x_label 0 train, 1 valid, 2 test) and zero or more
// <modality>_feat.npy (2-D, one row per item, converted to float32).
// Loading validates everything before returning (SPEC §1.2); a bad file raises lethe::Error
// whose message names the file, the line (for .inter) and what was expected.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/common.h"

namespace lethe::io {

// One split as parallel arrays, in file order.
struct Interactions {
  std::vector<int32_t> user, item;
  int64_t size() const { return static_cast<int64_t>(user.size()); }
  void push(int32_t u, int32_t i) { user.push_back(u); item.push_back(i); }
};

// A dense float32 feature table, row i = item i.
struct FeatureTable {
  std::string modality;  // file-name prefix: image, text, audio, ...
  int64_t rows = 0, cols = 0;
  std::vector<float> data;  // rows × cols, row-major
  std::string path;         // where it was read from ("" when generated in memory)
};

struct Dataset {
  std::string name;  // the .inter file's stem
  std::string dir;   // the folder it was read from
  int32_t n_users = 0, n_items = 0;  // max id + 1 over all splits
  Interactions train, valid, test;
  std::vector<FeatureTable> features;  // sorted by modality name
  // Notes made while loading (not errors): users with no train rows, dropped duplicate rows.
  std::vector<int32_t> users_without_train;
  int64_t duplicates_dropped = 0;

  const FeatureTable* feature(const std::string& modality) const;
  // A content hash of the interactions (all splits) and every feature table: identifies the
  // data a checkpoint or a cache entry was made from.
  uint64_t fingerprint() const;
};

struct LoadOptions {
  bool load_features = true;
  // Duplicate (user, item) rows: the first occurrence is kept and the rest dropped (counted in
  // duplicates_dropped and reported on stderr) unless reject_duplicates, which makes them errors.
  bool reject_duplicates = false;
};

// Loads the dataset folder `dir` (see above). Throws lethe::Error on any problem.
Dataset load_dataset(const std::string& dir, const LoadOptions& opt = {});

// The pieces, usable alone (tests, fuzzers, the synthetic generator).
// read_inter parses one .inter file; the splits are returned in file order, n_users/n_items set.
Dataset read_inter(const std::string& path, const LoadOptions& opt = {});
Dataset parse_inter(const std::string& text, const std::string& path_for_errors, const LoadOptions& opt = {});
FeatureTable read_npy(const std::string& path);
FeatureTable parse_npy(const void* bytes, size_t size, const std::string& path_for_errors);

// Writers (used by the synthetic generator and tests): write to a temporary name, then rename.
void write_inter(const std::string& path, const Dataset& d);
void write_npy_f32(const std::string& path, const FeatureTable& t);

}  // namespace lethe::io
