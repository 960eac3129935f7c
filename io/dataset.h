// io/dataset.h — a recommendation dataset in memory: the MMRec folder convention (docs/MODELS.md, "Data").
// One <name>.inter (TSV with header; required columns userID, itemID, x_label in any order;
// other columns ignored; x_label 0 train, 1 valid, 2 test) and zero or more
// <modality>_feat.npy (2-D, one row per item, converted to float32).
// Loading validates everything before returning (docs/MODELS.md, "Data"); a bad file raises lethe::Error
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
  std::string inter_path;  // the .inter file read ("" when generated in memory)
  int32_t n_users = 0, n_items = 0;  // max id + 1 over all splits
  Interactions train, valid, test;
  std::vector<FeatureTable> features;  // sorted by modality name
  // Notes made while loading (not errors): users with no train rows, dropped duplicate rows.
  std::vector<int32_t> users_without_train;
  int64_t duplicates_dropped = 0;
  // The same notes as readable sentences (what `lethe info` prints), e.g. which .inter file was
  // chosen when the folder holds alternative splits.
  std::vector<std::string> notes;

  const FeatureTable* feature(const std::string& modality) const;
  // A content hash of the interactions (all splits) and every feature table: identifies the
  // data a checkpoint or a cache entry was made from.
  uint64_t fingerprint() const;
};

struct LoadOptions {
  bool load_features = true;
  // Which .inter file of the folder to read (a file name such as "baby.alt-split.inter"), for
  // folders that hold alternative splits. Empty: the folder's only `<name>.inter` whose stem has
  // no dot; files named `<name>.<variant>.inter` (e.g. baby.alt-split.inter) are alternatives
  // that are only read when chosen here. Two or more plain `<name>.inter` files are an error.
  std::string inter_file;
  // Duplicate (user, item) rows: the first occurrence is kept and the rest dropped (counted in
  // duplicates_dropped and reported on stderr) unless reject_duplicates, which makes them errors.
  bool reject_duplicates = false;
};

// Loads the dataset folder `dir` (see above). Throws lethe::Error on any problem. `dir` may also
// be the path of a .inter file: that file is read and the features come from its folder.
Dataset load_dataset(const std::string& dir, const LoadOptions& opt = {});

// IDs are 0-based and dense (U = max userID + 1), so an ID is also an array index: IDs at or
// above kMaxId are refused, and so are sparse IDs — more than max(1024, distinct) of the IDs
// 0..max unused (un-remapped raw IDs, not a data set this engine should allocate for).
constexpr int64_t kMaxId = 100000000;

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
