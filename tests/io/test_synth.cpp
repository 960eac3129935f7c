// tests/io/test_synth.cpp — the synthetic generator (docs/MODELS.md, "Data"): shape and split rules,
// determinism (same seed → same bytes, independent of the thread count, and a pinned
// fingerprint so that a change of the output is noticed), the planted structure (popularity
// skew, per-modality signal-to-noise ordering), the feature transforms (ReLU / L2 rows), item
// factors fitted to a train split, and the deterministic exp/log it is built on.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "io/dataset.h"
#include "io/detmath.h"
#include "io/hash.h"
#include "io/synth.h"
#include "tests/io/io_test_util.h"

namespace lethe::io {
namespace {

using test::error_of;
using test::has_all;
using test::TempDir;

SynthSpec small_spec(uint64_t seed = 7) {
  SynthSpec s;
  s.users = 300;
  s.items = 200;
  s.interactions = 3000;
  s.rank = 8;
  s.modalities = {{"image", 64, 1.0}, {"text", 32, 3.0}};
  s.seed = seed;
  s.name = "toy";
  return s;
}

TEST(IoSynth, DetExpLogMatchLibm) {
  double worst_exp = 0, worst_log = 0, worst_expf = 0;
  for (double x = -700; x <= 700; x += 0.01337) {
    worst_exp = std::max(worst_exp, std::fabs(detmath::exp(x) - std::exp(x)) / std::exp(x));
  }
  for (double x = 1e-300; x < 1e300; x *= 1.137) worst_log = std::max(worst_log, std::fabs(detmath::log(x) - std::log(x)) / std::fabs(std::log(x) + 1e-300));
  for (double x = 0.5; x < 2.0; x += 1e-4)  // around 1, where log is small: absolute error
    worst_log = std::max(worst_log, std::fabs(detmath::log(x) - std::log(x)));
  for (float x = -87.0f; x <= 0.0f; x += 0.00731f)
    worst_expf = std::max(worst_expf, std::fabs(static_cast<double>(detmath::expf_nonpos(x)) - std::exp(static_cast<double>(x))) / std::exp(static_cast<double>(x)));
  EXPECT_LT(worst_exp, 1e-15);
  EXPECT_LT(worst_log, 1e-15);
  EXPECT_LT(worst_expf, 3e-7);
  EXPECT_EQ(detmath::exp(0.0), 1.0);
  EXPECT_EQ(detmath::log(1.0), 0.0);
  EXPECT_TRUE(std::isinf(detmath::exp(1000.0)));
  EXPECT_EQ(detmath::exp(-1000.0), 0.0);
  EXPECT_TRUE(std::isnan(detmath::log(-1.0)));
  EXPECT_TRUE(std::isinf(detmath::log(0.0)));
  EXPECT_NEAR(detmath::log(4.9406564584124654e-324), std::log(4.9406564584124654e-324), 1e-12);  // subnormal
  EXPECT_GT(detmath::expf_nonpos(-1000.0f), 0.0f);  // clamped at e^-87, never 0
}

TEST(IoSynth, ShapeSplitsAndInvariants) {
  const SynthSpec s = small_spec();
  const Dataset d = generate_synth(s);
  EXPECT_EQ(d.n_users, 300);
  EXPECT_EQ(d.n_items, 200);
  EXPECT_TRUE(d.users_without_train.empty());
  std::vector<int64_t> tr(300, 0), va(300, 0), te(300, 0);
  std::set<std::pair<int32_t, int32_t>> pairs;
  std::vector<int64_t> item_rows(200, 0);
  for (auto [split, cnt] : {std::pair{&d.train, &tr}, std::pair{&d.valid, &va}, std::pair{&d.test, &te}})
    for (int64_t e = 0; e < split->size(); ++e) {
      const int32_t u = split->user[static_cast<size_t>(e)], i = split->item[static_cast<size_t>(e)];
      ++(*cnt)[static_cast<size_t>(u)];
      ++item_rows[static_cast<size_t>(i)];
      EXPECT_TRUE(pairs.insert({u, i}).second) << "duplicate pair (" << u << ", " << i << ")";
    }
  for (int u = 0; u < 300; ++u) {
    EXPECT_GE(tr[static_cast<size_t>(u)], s.min_train) << "user " << u;
    EXPECT_EQ(va[static_cast<size_t>(u)], te[static_cast<size_t>(u)]) << "user " << u;
    EXPECT_GE(va[static_cast<size_t>(u)], 1);
    const int64_t n = tr[static_cast<size_t>(u)] + va[static_cast<size_t>(u)] + te[static_cast<size_t>(u)];
    EXPECT_LE(va[static_cast<size_t>(u)], std::max<int64_t>(1, n / 10)) << "8:1:1 (n−2/1/1 below 10 rows)";
  }
  for (int i = 0; i < 200; ++i) EXPECT_GT(item_rows[static_cast<size_t>(i)], 0) << "item " << i << " appears in no row";
  const int64_t rows = static_cast<int64_t>(pairs.size());
  EXPECT_GE(rows, s.interactions - 300);  // μ is solved from below; at most one row short per user on average
  EXPECT_LE(rows, s.interactions + 200);  // plus at most one extra row per item nobody drew
  // Rows are sorted by user then item within each split (the .inter layout).
  for (int64_t e = 1; e < d.train.size(); ++e) {
    const auto a = std::pair{d.train.user[static_cast<size_t>(e - 1)], d.train.item[static_cast<size_t>(e - 1)]};
    const auto b = std::pair{d.train.user[static_cast<size_t>(e)], d.train.item[static_cast<size_t>(e)]};
    ASSERT_LT(a, b);
  }
  // Popularity is skewed (Zipf): the most popular item has many times the mean.
  const int64_t mx = *std::max_element(item_rows.begin(), item_rows.end());
  EXPECT_GT(static_cast<double>(mx), 5.0 * static_cast<double>(rows) / 200.0);
}

TEST(IoSynth, FeatureTransforms) {
  const Dataset d = generate_synth(small_spec());
  ASSERT_EQ(d.features.size(), 2u);
  const FeatureTable* img = d.feature("image");
  const FeatureTable* txt = d.feature("text");
  ASSERT_TRUE(img && txt);
  EXPECT_EQ(img->rows, 200);
  EXPECT_EQ(img->cols, 64);
  EXPECT_EQ(txt->cols, 32);
  int64_t zeros = 0;
  for (float x : img->data) {
    EXPECT_GE(x, 0.0f);
    zeros += x == 0.0f;
  }
  EXPECT_GT(zeros, static_cast<int64_t>(img->data.size()) / 4) << "ReLU features are sparse";
  for (int64_t i = 0; i < txt->rows; ++i) {
    double n2 = 0;
    for (int64_t c = 0; c < txt->cols; ++c) n2 += static_cast<double>(txt->data[static_cast<size_t>(i * txt->cols + c)]) * txt->data[static_cast<size_t>(i * txt->cols + c)];
    EXPECT_NEAR(std::sqrt(n2), 1.0, 1e-5) << "text row " << i;
  }
}

TEST(IoSynth, DeterministicAcrossRunsSeedsAndThreads) {
  const uint64_t a = generate_synth(small_spec(7)).fingerprint();
  EXPECT_EQ(generate_synth(small_spec(7)).fingerprint(), a);
  EXPECT_NE(generate_synth(small_spec(8)).fingerprint(), a);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const uint64_t one = generate_synth(small_spec(7)).fingerprint();
  omp_set_num_threads(3);
  const uint64_t three = generate_synth(small_spec(7)).fingerprint();
  omp_set_num_threads(saved);
  EXPECT_EQ(one, a);
  EXPECT_EQ(three, a);
}

TEST(IoSynth, PinnedOutput) {
  // The generator's output for this spec, pinned: the same bits on every machine (Philox,
  // io/detmath.h, fixed summation orders). A deliberate change of the generator changes the
  // data sets everyone generates: update the value and say so in the change.
  EXPECT_EQ(hex64(generate_synth(small_spec(7)).fingerprint()), "34ad30f3addd41d5");
}

TEST(IoSynth, ModalitiesAreKeyedByName) {
  SynthSpec a = small_spec(), b = small_spec();
  b.modalities = {{"text", 32, 3.0}};
  const Dataset da = generate_synth(a), db = generate_synth(b);
  EXPECT_EQ(da.feature("text")->data, db.feature("text")->data) << "adding a modality changes no other";
  EXPECT_EQ(da.train.user, db.train.user);
  EXPECT_EQ(da.train.item, db.train.item);
}

// Correlation over item pairs between feature similarity and factor similarity.
double structure_corr(const FeatureTable& f, const std::vector<double>& q, int r) {
  std::vector<double> xs, ys;
  for (int64_t i = 0; i < f.rows; ++i)
    for (int64_t j = i + 1; j < f.rows; j += 3) {
      double fx = 0, ni = 0, nj = 0, qy = 0;
      for (int64_t c = 0; c < f.cols; ++c) {
        const double a = f.data[static_cast<size_t>(i * f.cols + c)], b = f.data[static_cast<size_t>(j * f.cols + c)];
        fx += a * b; ni += a * a; nj += b * b;
      }
      for (int k = 0; k < r; ++k) qy += q[static_cast<size_t>(i * r + k)] * q[static_cast<size_t>(j * r + k)];
      xs.push_back(fx / std::sqrt(ni * nj + 1e-30));
      ys.push_back(qy);
    }
  double mx = 0, my = 0;
  for (size_t k = 0; k < xs.size(); ++k) { mx += xs[k]; my += ys[k]; }
  mx /= static_cast<double>(xs.size());
  my /= static_cast<double>(ys.size());
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t k = 0; k < xs.size(); ++k) {
    sxy += (xs[k] - mx) * (ys[k] - my); sxx += (xs[k] - mx) * (xs[k] - mx); syy += (ys[k] - my) * (ys[k] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

TEST(IoSynth, HigherSnrMeansMoreInformativeFeatures) {
  const int r = 8, items = 150;
  std::vector<double> q(static_cast<size_t>(items * r));
  for (size_t k = 0; k < q.size(); ++k) q[k] = std::sin(static_cast<double>(k) * 12.9898) * 0.5;
  const auto f = synth_features(q, items, r, {{"a-text", 128, 0.3}, {"b-text", 128, 3.0}, {"c-text", 128, 30.0}}, 3);
  ASSERT_EQ(f.size(), 3u);
  const double c03 = structure_corr(f[0], q, r), c3 = structure_corr(f[1], q, r), c30 = structure_corr(f[2], q, r);
  EXPECT_LT(c03, c3);
  EXPECT_LT(c3, c30);
  EXPECT_GT(c30, 0.8) << "almost noise-free features reflect the factors";
  EXPECT_GT(default_snr("text"), default_snr("image")) << "text is the more informative modality by default";
  EXPECT_EQ(default_snr("visual"), default_snr("image"));
}

TEST(IoSynth, ParseModalities) {
  const auto m = parse_modalities("image:4096,text:384,audio:128", "text:5");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].name, "image");
  EXPECT_EQ(m[0].dim, 4096);
  EXPECT_EQ(m[0].snr, default_snr("image"));
  EXPECT_EQ(m[1].snr, 5.0);
  EXPECT_EQ(m[2].snr, default_snr("audio"));
  EXPECT_TRUE(parse_modalities("").empty());
  EXPECT_TRUE(has_all(error_of([] { parse_modalities("image"); }), {"'image'", "name:dim"}));
  EXPECT_TRUE(has_all(error_of([] { parse_modalities("image:0"); }), {"width"}));
  EXPECT_TRUE(has_all(error_of([] { parse_modalities("my_image:8"); }), {"name:dim"}));
  EXPECT_TRUE(has_all(error_of([] { parse_modalities("a:8,a:9"); }), {"twice"}));
  EXPECT_TRUE(has_all(error_of([] { parse_modalities("a:8", "b:2"); }), {"no modality named 'b'"}));
  EXPECT_TRUE(has_all(error_of([] { parse_modalities("a:8", "a:-1"); }), {"positive"}));
}

TEST(IoSynth, ImpossibleSpecsAreErrors) {
  SynthSpec s = small_spec();
  s.interactions = 100;
  EXPECT_TRUE(has_all(error_of([&] { generate_synth(s); }), {"--interactions 100", "minimum 2,100"}));
  s = small_spec();
  s.items = 5;
  EXPECT_TRUE(has_all(error_of([&] { generate_synth(s); }), {"--items 5", "too small"}));
  s = small_spec();
  s.interactions = 300LL * 200 + 1;
  EXPECT_TRUE(has_all(error_of([&] { generate_synth(s); }), {"exceeds users × items"}));
}

TEST(IoSynth, WriteDatasetLoadsBackIdentically) {
  TempDir t;
  const Dataset d = generate_synth(small_spec());
  write_dataset(t.file("out"), d);
  const Dataset back = load_dataset(t.file("out"));
  EXPECT_EQ(back.name, "toy");
  EXPECT_EQ(back.fingerprint(), d.fingerprint());
  write_dataset(t.file("out"), d);  // rewriting the same data set in place is fine
  Dataset other = d;
  other.name = "other";
  EXPECT_TRUE(has_all(error_of([&] { write_dataset(t.file("out"), other); }), {"already holds toy.inter", "empty folder"}));
  Dataset fewer = d;
  fewer.features.pop_back();
  EXPECT_TRUE(has_all(error_of([&] { write_dataset(t.file("out"), fewer); }), {"text_feat.npy"}));
}

TEST(IoSynth, FittedFactorsSeparateCommunitiesAndUseTrainOnly) {
  // Two communities: users 0..19 × items 0..9 and users 20..39 × items 10..19, each user with
  // 6 train rows in its block, two bridging rows; item 20 occurs only in the test split (cold).
  Dataset d;
  d.n_users = 40;
  d.n_items = 21;
  for (int u = 0; u < 40; ++u)
    for (int k = 0; k < 6; ++k) d.train.push(u, (u < 20 ? 0 : 10) + (u + k) % 10);
  d.train.push(0, 15);  // two bridges keep the graph connected (one trivial singular pair)
  d.train.push(20, 5);
  d.test.push(3, 20);
  const int r = 4;
  const std::vector<double> q = fit_item_factors(d, r, 11);
  ASSERT_EQ(q.size(), static_cast<size_t>(21 * r));
  for (int k = 0; k < r; ++k) EXPECT_EQ(q[static_cast<size_t>(20 * r + k)], 0.0) << "cold item: zero factors";
  // The first non-trivial factor has one sign on each block.
  const double s0 = q[0];
  ASSERT_NE(s0, 0.0);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(q[static_cast<size_t>(i * r)] > 0, (i < 10) == (s0 > 0)) << "item " << i;
  EXPECT_EQ(fit_item_factors(d, r, 11), q) << "deterministic";
  // Valid/test rows do not change the fit.
  Dataset e = d;
  e.valid.push(0, 15);
  EXPECT_EQ(fit_item_factors(e, r, 11), q);
}

TEST(IoSynth, DefaultShapeMirrorsAmazonBabyInSeconds) {
  SynthSpec s;  // defaults: 19,445 × 7,050, ~160k rows
  s.modalities.clear();  // the interaction graph only (feature generation is timed by the CLI)
  const auto t0 = std::chrono::steady_clock::now();
  const Dataset d = generate_synth(s);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ timing   ] synthetic 19,445 × 7,050 graph in %.2f s\n", secs);
  EXPECT_EQ(d.n_users, 19445);
  EXPECT_EQ(d.n_items, 7050);
  const int64_t rows = d.train.size() + d.valid.size() + d.test.size();
  EXPECT_NEAR(static_cast<double>(rows), 160000.0, 2000.0);
  EXPECT_LT(secs, 60.0);  // seconds on an idle machine; generous for a busy CI box
}

}  // namespace
}  // namespace lethe::io
