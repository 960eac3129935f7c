// io/dataset.cpp — the dataset folder (docs/MODELS.md, "Data"): one .inter file plus every
// <modality>_feat.npy, validated as a whole; and the dataset fingerprint.
// Nothing is half-loaded: the Dataset is assembled in a local and only returned once every file
// has been read and checked; any problem throws.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "io/dataset.h"
#include "io/fs.h"
#include "io/hash.h"
#include "kernels/common.h"

namespace lethe::io {

const FeatureTable* Dataset::feature(const std::string& modality) const {
  for (const auto& f : features)
    if (f.modality == modality) return &f;
  return nullptr;
}

uint64_t Dataset::fingerprint() const {
  // Content only (not the name or the folder): the ID ranges, each split in order, each feature
  // table (modality name, shape, float32 values). See io/hash.h for the hash itself.
  Hasher h(0x4C45544845445331ull);  // "LETHEDS1"
  h.update_pod(static_cast<int64_t>(n_users));
  h.update_pod(static_cast<int64_t>(n_items));
  for (const Interactions* s : {&train, &valid, &test}) {
    h.update_pod(s->size());
    h.update(s->user.data(), s->user.size() * sizeof(int32_t));
    h.update(s->item.data(), s->item.size() * sizeof(int32_t));
  }
  h.update_pod(static_cast<int64_t>(features.size()));
  for (const auto& f : features) {
    h.update_str(f.modality);
    h.update_pod(f.rows);
    h.update_pod(f.cols);
    h.update(f.data.data(), f.data.size() * sizeof(float));
  }
  return h.digest();
}

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// "<stem>.inter" with no dot in the stem: a primary split file; "<stem>.<variant>.inter": an
// alternative one (only read when chosen).
bool is_primary_inter(const std::string& name) {
  return name.find('.') == name.size() - 6;
}

}  // namespace

Dataset load_dataset(const std::string& path, const LoadOptions& opt) {
  std::string dir, inter;
  if (is_regular_file(path)) {
    if (!ends_with(path, ".inter"))
      throw Error(path + ": not a dataset folder or a .inter file (a dataset is a folder holding one <name>.inter "
                         "and optional <modality>_feat.npy files)");
    dir = dir_name(path);
    inter = base_name(path);
  } else if (is_directory(path)) {
    dir = path;
  } else {
    throw Error("dataset folder " + path + " does not exist");
  }
  const std::vector<std::string> names = list_dir(dir);
  std::vector<std::string> inters, primaries, feats;
  const bool inter_chosen = !inter.empty() || !opt.inter_file.empty();
  for (const auto& n : names) {
    const std::string full = path_join(dir, n);
    const bool is_inter = ends_with(n, ".inter") && n.size() > 6, is_feat = ends_with(n, "_feat.npy") && n.size() > 9;
    // A file the folder convention makes part of the data set (every feature table; the plain
    // <name>.inter unless a split file was chosen) that cannot be read is an error: skipping it
    // would train on what is left — one modality instead of two — in silence.
    const bool part = (is_feat && opt.load_features) || (is_inter && !inter_chosen && is_primary_inter(n));
    if (part) {
      const std::string why = why_not_regular_file(full);
      if (!why.empty())
        throw Error(full + ": cannot be read as " + (is_feat ? "a feature table" : "an interaction file") + ": " + why +
                    " (every " + (is_feat ? "<modality>_feat.npy" : "<name>.inter") +
                    " in a dataset folder is part of the data set: fix or remove it)");
    }
    if (is_inter && is_regular_file(full)) {
      inters.push_back(n);
      if (is_primary_inter(n)) primaries.push_back(n);
    }
    if (is_feat && is_regular_file(full)) feats.push_back(n);
  }
  std::vector<std::string> notes;
  if (inter.empty() && !opt.inter_file.empty()) {
    inter = opt.inter_file;
    if (!is_regular_file(path_join(dir, inter)))
      throw Error(path_join(dir, inter) + ": no such .inter file (the folder holds: " +
                  (inters.empty() ? std::string("no .inter file") : join(inters)) + ")");
  }
  if (inter.empty()) {
    if (inters.empty())
      throw Error(dir + ": no .inter file in the folder (a dataset folder holds exactly one <name>.inter, "
                        "tab-separated with the columns userID, itemID, x_label)");
    if (primaries.size() > 1)
      throw Error(dir + ": more than one .inter file (" + join(primaries) +
                  "); keep exactly one, or choose one (LoadOptions::inter_file, --inter)");
    if (primaries.size() == 1) {
      inter = primaries[0];
    } else if (inters.size() == 1) {
      inter = inters[0];
    } else {
      throw Error(dir + ": more than one .inter file (" + join(inters) +
                  ") and none is a plain <name>.inter; choose one (LoadOptions::inter_file, --inter)");
    }
    if (inters.size() > 1) {
      std::vector<std::string> others;
      for (const auto& n : inters)
        if (n != inter) others.push_back(n);
      notes.push_back("read " + inter + "; alternative split file(s) " + join(others) +
                      " not read (choose with --inter)");
    }
  }

  Dataset d = read_inter(path_join(dir, inter), opt);
  d.dir = dir;
  d.notes.insert(d.notes.begin(), notes.begin(), notes.end());

  if (opt.load_features) {
    for (const auto& n : feats) {
      const std::string full = path_join(dir, n);
      FeatureTable t = read_npy(full);
      if (t.rows != d.n_items)
        throw Error(full + ": has " + std::to_string(t.rows) + " rows but the dataset has " + std::to_string(d.n_items) +
                    " items (max itemID + 1 in " + inter + "); row i must hold item i's features");
      d.features.push_back(std::move(t));
    }
    std::sort(d.features.begin(), d.features.end(),
              [](const FeatureTable& a, const FeatureTable& b) { return a.modality < b.modality; });
  }
  return d;
}

}  // namespace lethe::io
