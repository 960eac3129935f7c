// tests/io/test_request.cpp — deletion requests (docs/MODELS.md, "Requests"): selection sizes per regime,
// determinism, most/least-active ordering, resolve() into D_f / D_r, the request file round
// trip, and every request-file error with its line number.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "io/dataset.h"
#include "io/fs.h"
#include "io/hash.h"
#include "io/request.h"
#include "io/synth.h"
#include "tests/io/io_test_util.h"

namespace lethe::io {
namespace {

using test::error_of;
using test::has_all;
using test::TempDir;

const Dataset& graph() {
  static const Dataset d = [] {
    SynthSpec s;
    s.users = 400;
    s.items = 300;
    s.interactions = 5000;
    s.modalities.clear();
    s.seed = 5;
    return generate_synth(s);
  }();
  return d;
}

// users 0..3, items 0..4; user 3 has no train rows; item 4 has no train rows.
const Dataset& toy() {
  static const Dataset d = parse_inter(
      "userID\titemID\tx_label\n0\t0\t0\n0\t1\t0\n0\t2\t0\n1\t1\t0\n1\t3\t0\n2\t2\t0\n2\t4\t2\n3\t0\t1\n", "toy.inter");
  return d;
}

std::vector<int64_t> degrees(const std::vector<int32_t>& ids, int32_t n) {
  std::vector<int64_t> deg(static_cast<size_t>(n), 0);
  for (int32_t x : ids) ++deg[static_cast<size_t>(x)];
  return deg;
}

TEST(IoRequest, UserRegimeSizeAndResolve) {
  const Dataset& d = graph();
  RequestSpec s;
  s.seed = 1;
  const Request r = make_request(d, s);
  EXPECT_EQ(r.spec.ratio, 0.05);
  EXPECT_EQ(r.users.size(), 20u);  // 5% of 400 users with train rows
  EXPECT_TRUE(r.items.empty());
  EXPECT_TRUE(std::is_sorted(r.users.begin(), r.users.end()));
  const ForgetSplit f = resolve(d, r);
  EXPECT_EQ(f.forget.size() + f.retain.size(), d.train.size());
  const std::set<int32_t> del(r.users.begin(), r.users.end());
  int64_t expect_f = 0;
  for (int32_t u : d.train.user) expect_f += del.count(u);
  EXPECT_EQ(f.forget.size(), expect_f);
  for (int32_t u : f.forget.user) EXPECT_TRUE(del.count(u));
  for (int32_t u : f.retain.user) EXPECT_FALSE(del.count(u));
  EXPECT_EQ(f.forget_users, r.users);
  EXPECT_EQ(f.deleted_users, r.users);
  EXPECT_TRUE(f.deleted_items.empty());
  // Both parts keep train order: they interleave back into the train split.
  size_t a = 0, b = 0;
  for (int64_t e = 0; e < d.train.size(); ++e) {
    const bool in_f = a < f.forget.user.size() && f.forget.user[a] == d.train.user[static_cast<size_t>(e)] &&
                      f.forget.item[a] == d.train.item[static_cast<size_t>(e)];
    if (in_f) ++a;
    else {
      ASSERT_EQ(f.retain.item[b], d.train.item[static_cast<size_t>(e)]);
      ++b;
    }
  }
  EXPECT_EQ(a, f.forget.user.size());
}

TEST(IoRequest, ItemRegimeSizeAndResolve) {
  const Dataset& d = graph();
  RequestSpec s;
  s.regime = Regime::kItem;
  s.ratio = 0.02;
  s.seed = 3;
  const Request r = make_request(d, s);
  const auto deg = degrees(d.train.item, d.n_items);
  const int64_t cands = std::count_if(deg.begin(), deg.end(), [](int64_t x) { return x > 0; });
  EXPECT_EQ(static_cast<int64_t>(r.items.size()), std::max<int64_t>(1, std::llround(0.02 * static_cast<double>(cands))));
  const ForgetSplit f = resolve(d, r);
  int64_t expect_f = 0;
  for (int32_t i : r.items) expect_f += deg[static_cast<size_t>(i)];
  EXPECT_EQ(f.forget.size(), expect_f);
  EXPECT_EQ(f.deleted_items, r.items);
  for (int32_t i : f.forget.item) EXPECT_TRUE(std::binary_search(r.items.begin(), r.items.end(), i));
  EXPECT_EQ(default_ratio(Regime::kItem), 0.01);
}

TEST(IoRequest, InteractionRegimeSizeAndResolve) {
  const Dataset& d = graph();
  RequestSpec s;
  s.regime = Regime::kInteraction;
  s.seed = 9;
  const Request r = make_request(d, s);
  EXPECT_EQ(r.interactions.size(), std::llround(0.05 * static_cast<double>(d.train.size())));
  const ForgetSplit f = resolve(d, r);
  EXPECT_EQ(f.forget.size(), r.interactions.size());
  EXPECT_EQ(f.forget.user, r.interactions.user);  // both in train order
  EXPECT_EQ(f.forget.item, r.interactions.item);
  EXPECT_TRUE(f.deleted_users.empty());
  const std::set<int32_t> lost(f.forget.user.begin(), f.forget.user.end());
  EXPECT_EQ(f.forget_users, std::vector<int32_t>(lost.begin(), lost.end()));
  s.selection = Selection::kMostActive;
  EXPECT_TRUE(has_all(error_of([&] { make_request(d, s); }), {"most-active", "user and item regimes"}));
}

TEST(IoRequest, DeterministicAndSeedDependent) {
  const Dataset& d = graph();
  for (Regime g : {Regime::kUser, Regime::kItem, Regime::kInteraction}) {
    RequestSpec s;
    s.regime = g;
    s.seed = 42;
    const Request a = make_request(d, s), b = make_request(d, s);
    EXPECT_EQ(a.users, b.users);
    EXPECT_EQ(a.items, b.items);
    EXPECT_EQ(a.interactions.user, b.interactions.user);
    EXPECT_EQ(a.interactions.item, b.interactions.item);
    s.seed = 43;
    const Request c = make_request(d, s);
    EXPECT_TRUE(a.users != c.users || a.items != c.items || a.interactions.item != c.interactions.item)
        << regime_name(g) << ": another seed selects differently";
  }
}

TEST(IoRequest, MostAndLeastActiveOrdering) {
  const Dataset& d = graph();
  const auto deg = degrees(d.train.user, d.n_users);
  for (Selection sel : {Selection::kMostActive, Selection::kLeastActive}) {
    RequestSpec s;
    s.selection = sel;
    s.ratio = 0.1;
    const Request r = make_request(d, s);
    ASSERT_EQ(r.users.size(), 40u);
    const std::set<int32_t> chosen(r.users.begin(), r.users.end());
    int64_t worst_in = sel == Selection::kMostActive ? INT64_MAX : 0, best_out = sel == Selection::kMostActive ? 0 : INT64_MAX;
    for (int32_t u = 0; u < d.n_users; ++u) {
      const int64_t g = deg[static_cast<size_t>(u)];
      if (g == 0) continue;
      if (chosen.count(u)) worst_in = sel == Selection::kMostActive ? std::min(worst_in, g) : std::max(worst_in, g);
      else best_out = sel == Selection::kMostActive ? std::max(best_out, g) : std::min(best_out, g);
    }
    if (sel == Selection::kMostActive) EXPECT_GE(worst_in, best_out);
    else EXPECT_LE(worst_in, best_out);
  }
  RequestSpec s;
  s.regime = Regime::kItem;
  s.selection = Selection::kMostActive;
  s.ratio = 1.0 / 300;
  const Request r = make_request(d, s);
  const auto ideg = degrees(d.train.item, d.n_items);
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(ideg[static_cast<size_t>(r.items[0])], *std::max_element(ideg.begin(), ideg.end()));
}

TEST(IoRequest, BadSpecs) {
  RequestSpec s;
  s.ratio = 1.5;
  EXPECT_TRUE(has_all(error_of([&] { make_request(graph(), s); }), {"ratio", "(0, 1]"}));
  s = RequestSpec{};
  s.regime = Regime::kExplicit;
  EXPECT_TRUE(has_all(error_of([&] { make_request(graph(), s); }), {"explicit", "hand-written"}));
  EXPECT_TRUE(has_all(error_of([] { parse_regime("users"); }), {"'users'", "user, item, interaction"}));
  EXPECT_TRUE(has_all(error_of([] { parse_selection("top"); }), {"'top'", "most-active"}));
}

TEST(IoRequest, FileRoundTrip) {
  TempDir t;
  const Dataset& d = graph();
  for (Regime g : {Regime::kUser, Regime::kItem, Regime::kInteraction}) {
    RequestSpec s;
    s.regime = g;
    s.seed = 17;
    s.selection = g == Regime::kInteraction ? Selection::kRandom : Selection::kLeastActive;
    const Request r = make_request(d, s);
    const std::string path = t.file(std::string(regime_name(g)) + ".tsv");
    write_request(path, r, d);
    for (const auto& n : list_dir(t.path())) EXPECT_FALSE(is_temporary_name(n)) << n;
    const Request back = read_request(path, d);
    EXPECT_EQ(back.spec.regime, g);
    EXPECT_EQ(back.spec.ratio, r.spec.ratio);
    EXPECT_EQ(back.spec.selection, r.spec.selection);
    EXPECT_EQ(back.spec.seed, 17u);
    EXPECT_EQ(back.fingerprint, d.fingerprint());
    EXPECT_EQ(back.users, r.users);
    EXPECT_EQ(back.items, r.items);
    EXPECT_EQ(back.interactions.user, r.interactions.user);
    EXPECT_EQ(back.interactions.item, r.interactions.item);
    const ForgetSplit a = resolve(d, r), b = resolve(d, back);
    EXPECT_EQ(a.forget.user, b.forget.user);
    EXPECT_EQ(a.forget.item, b.forget.item);
    EXPECT_EQ(a.retain.item, b.retain.item);
    const std::string text = read_file(path);
    EXPECT_EQ(text.rfind("# lethe deletion request v1\n", 0), 0u);
    EXPECT_NE(text.find("# fingerprint: " + hex64(d.fingerprint())), std::string::npos);
  }
}

TEST(IoRequest, ExplicitFileMixesKindsAndUnions) {
  const ForgetSplit f = resolve(toy(), parse_request("# my request\nuser 1  # the whole user\n\nitem 2\ninteraction 0 0\t\n", "x.tsv", toy()));
  // user 1: (1,1) (1,3); item 2: (0,2) (2,2); pair (0,0).
  EXPECT_EQ(f.forget.size(), 5);
  EXPECT_EQ(f.retain.size(), 1);  // (0,1)
  EXPECT_EQ(f.forget_users, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(f.deleted_users, (std::vector<int32_t>{1}));
  EXPECT_EQ(f.deleted_items, (std::vector<int32_t>{2}));
}

// Writes `text` as a request file and reads it against toy(); returns the error.
std::string req_error(const std::string& text) {
  TempDir t;
  test::write_bytes(t.file("req.tsv"), text);
  return error_of([&] { read_request(t.file("req.tsv"), toy()); });
}

TEST(IoRequest, ErrorUnknownKeyword) {
  EXPECT_TRUE(has_all(req_error("user 0\nusr 1\n"), {"req.tsv:2:", "unknown keyword 'usr'", "'user U'"}));
}
TEST(IoRequest, ErrorWrongFieldCount) {
  EXPECT_TRUE(has_all(req_error("# c\ninteraction 0\n"), {"req.tsv:2:", "'interaction' takes 2 field(s), found 1"}));
  EXPECT_TRUE(has_all(req_error("user 0 1\n"), {"req.tsv:1:", "'user' takes 1 field(s), found 2"}));
}
TEST(IoRequest, ErrorNonInteger) {
  EXPECT_TRUE(has_all(req_error("user 0\nitem x1\n"), {"req.tsv:2:", "not a non-negative integer ID: 'x1'"}));
  EXPECT_TRUE(has_all(req_error("user -2\n"), {"req.tsv:1:", "negative ID '-2'"}));
}
TEST(IoRequest, ErrorOutOfRange) {
  EXPECT_TRUE(has_all(req_error("user 0\n\nuser 4\n"), {"req.tsv:3:", "user 4 is out of range", "4 users: 0..3"}));
  EXPECT_TRUE(has_all(req_error("item 5\n"), {"req.tsv:1:", "item 5 is out of range", "0..4"}));
  EXPECT_TRUE(has_all(req_error("interaction 0 99\n"), {"req.tsv:1:", "item 99 is out of range"}));
}
TEST(IoRequest, ErrorInteractionNotInTrain) {
  EXPECT_TRUE(has_all(req_error("interaction 0 0\ninteraction 2 4\n"), {"req.tsv:2:", "(2, 4) is not a train interaction", "test split"}));
  EXPECT_TRUE(has_all(req_error("interaction 1 0\n"), {"req.tsv:1:", "(1, 0)", "in no split"}));
}
TEST(IoRequest, ErrorEntityWithoutTrainRows) {
  EXPECT_TRUE(has_all(req_error("user 3\n"), {"req.tsv:1:", "user 3 has no train interactions"}));
  EXPECT_TRUE(has_all(req_error("user 0\nitem 4\n"), {"req.tsv:2:", "item 4 has no train interactions"}));
}
TEST(IoRequest, ErrorEmptyRequest) {
  EXPECT_TRUE(has_all(req_error("# lethe deletion request v1\n# regime: user\n\n"), {"req.tsv", "empty request"}));
  EXPECT_TRUE(has_all(req_error(""), {"empty request"}));
}
TEST(IoRequest, ErrorDuplicateLine) {
  EXPECT_TRUE(has_all(req_error("user 0\nitem 1\nuser 1\nitem 1\n"), {"req.tsv:4:", "duplicate entry", "line 2"}));
}
TEST(IoRequest, ErrorBadHeader) {
  EXPECT_TRUE(has_all(req_error("# lethe deletion request v2\nuser 0\n"), {"req.tsv:1:", "unsupported request format", "v1"}));
  EXPECT_TRUE(has_all(req_error("# fingerprint: xyz\nuser 0\n"), {"req.tsv:1:", "malformed fingerprint"}));
  EXPECT_TRUE(has_all(req_error("# regime: everything\nuser 0\n"), {"req.tsv:1:", "unknown regime 'everything'"}));
  EXPECT_TRUE(has_all(req_error("# ratio: 2\nuser 0\n"), {"req.tsv:1:", "malformed ratio"}));
}
// A request made for other data is refused (it used to be a warning: issue "mismatches only
// warn"); --force accepts it, says so on stderr and records it in Request::forced.
TEST(IoRequest, FingerprintMismatchIsRefusedUnlessForced) {
  const std::string text = "# lethe deletion request v1\n# fingerprint: 0123456789abcdef\nuser 0\n";
  EXPECT_TRUE(has_all(req_error(text),
                      {"req.tsv:2:", "0123456789abcdef", hex64(toy().fingerprint()), "other data", "--force"}));
  testing::internal::CaptureStderr();
  TempDir t;
  test::write_bytes(t.file("req.tsv"), text);
  ReadRequestOptions force;
  force.force = true;
  const Request r = read_request(t.file("req.tsv"), toy(), force);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(r.users, (std::vector<int32_t>{0}));
  EXPECT_TRUE(has_all(err, {"warning", "req.tsv:2:", "0123456789abcdef", hex64(toy().fingerprint())}));
  ASSERT_EQ(r.forced.size(), 1u);
  EXPECT_TRUE(has_all(r.forced[0], {"req.tsv:2:", "0123456789abcdef"}));
}

// The header's regime says what the lines are: a "user" request listing an item was read under
// the wrong label. Refused, naming the line and the header's line; --force reads it as explicit.
TEST(IoRequest, HeaderRegimeContradictingItsLinesIsRefused) {
  const std::string text = "# lethe deletion request v1\n# regime: user\nuser 0\nitem 1\n";
  EXPECT_TRUE(has_all(req_error(text), {"req.tsv:4:", "'item' line", "header (line 2)", "regime: user", "explicit"}));
  EXPECT_TRUE(has_all(req_error("# regime: interaction\ninteraction 0 0\nuser 1\n"),
                      {"req.tsv:3:", "'user' line", "regime: interaction"}));
  // An explicit request (or one without a regime line) may mix kinds.
  EXPECT_EQ(parse_request("# regime: explicit\nuser 0\nitem 1\n", "x.tsv", toy()).items, (std::vector<int32_t>{1}));
  testing::internal::CaptureStderr();
  ReadRequestOptions force;
  force.force = true;
  const Request r = parse_request(text, "req.tsv", toy(), force);
  (void)testing::internal::GetCapturedStderr();
  EXPECT_EQ(r.spec.regime, Regime::kExplicit);
  ASSERT_EQ(r.forced.size(), 1u);
  EXPECT_TRUE(has_all(r.forced[0], {"req.tsv:4:", "explicit"}));
}

}  // namespace
}  // namespace lethe::io
