// tests/models/tiny_data.h — a small in-memory dataset with a planted structure (for gradient
// checks and quick training tests): users and items belong to one of G groups, users interact
// mostly within their group, and the item features encode the group plus noise.
#pragma once

#include <random>
#include <set>

#include "io/dataset.h"

namespace lethe::test {

inline io::Dataset tiny_dataset(int32_t U, int32_t I, int per_user, std::vector<int> feat_dims, uint64_t seed,
                                int groups = 3) {
  std::mt19937_64 rng(seed);
  io::Dataset ds;
  ds.name = "tiny";
  ds.n_users = U;
  ds.n_items = I;
  auto group_of_item = [&](int32_t i) { return i % groups; };
  for (int32_t u = 0; u < U; ++u) {
    const int g = u % groups;
    std::set<int32_t> items;
    while (static_cast<int>(items.size()) < std::min(per_user, I)) {
      int32_t i = static_cast<int32_t>(rng() % I);
      if (group_of_item(i) != g && rng() % 5 != 0) continue;  // mostly in-group
      items.insert(i);
    }
    int k = 0;
    const int n = static_cast<int>(items.size());
    for (int32_t i : items) {
      if (k < n - 2) ds.train.push(u, i);
      else if (k == n - 2) ds.valid.push(u, i);
      else ds.test.push(u, i);
      ++k;
    }
  }
  std::normal_distribution<double> noise(0.0, 0.3);
  int m = 0;
  for (int d : feat_dims) {
    io::FeatureTable f;
    f.modality = m == 0 ? "image" : (m == 1 ? "text" : "audio" + std::to_string(m));
    f.rows = I;
    f.cols = d;
    f.data.resize(static_cast<size_t>(I) * d);
    for (int32_t i = 0; i < I; ++i)
      for (int c = 0; c < d; ++c)
        f.data[static_cast<size_t>(i) * d + c] = static_cast<float>((c % groups == group_of_item(i) ? 1.0 : 0.0) + noise(rng));
    ds.features.push_back(f);
    ++m;
  }
  return ds;
}

}  // namespace lethe::test
