// tests/unlearn/test_auto.cpp — TRU's row-granular isolation and the tuner behind tru-auto /
// mmrecun-auto, on the tiny planted-structure θ₀ of original.h:
//   * the row weights are each row's deleted share, and rows the request does not touch keep
//     θ₀'s values bit for bit when only the forget gradient moves them (they move without it);
//     rows whose whole support is deleted restart from a fresh draw and no step moves them;
//   * the tuning signals read the auditor's own numbers (utility, forget recall);
//   * the tuner is reproducible, its candidates follow the seed, and it never reads the test
//     split (deleting every test row changes nothing), so no held-out answer can steer it;
//   * it has no way to receive a Retrain: an experiment that runs Retrain first gives tru-auto
//     exactly the result of one that never runs Retrain;
//   * the offline calibration of its pair target (lethe calibrate) reads the same signals on θ₀
//     and on a Retrain, and summarises the shares with a leave-one-out check.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "engine/audit/calibration.h"
#include "engine/audit/experiment.h"
#include "engine/audit/tuning_signals.h"
#include "engine/unlearn/auto.h"
#include "engine/unlearn/tru.h"
#include "io/fs.h"
#include "io/json.h"
#include "tests/io/io_test_util.h"
#include "tests/unlearn/original.h"

namespace lethe {
namespace {

// ---- row-granular isolation ----

TEST(TruRows, WeightsAreTheDeletedShareOfEachRow) {
  io::Interactions train, forget;
  // user 0: 4 rows, 1 deleted; user 1: 2 rows, both deleted; user 2: untouched.
  for (auto [u, i] : std::vector<std::pair<int, int>>{{0, 0}, {0, 1}, {0, 2}, {0, 3}, {1, 0}, {1, 4}, {2, 1}, {2, 0}})
    train.push(u, i);
  forget.push(0, 0);
  forget.push(1, 0);
  forget.push(1, 4);
  const tru::RowWeights w = tru::row_weights(3, 5, forget, train, 1.0);
  EXPECT_DOUBLE_EQ(w.user[0], 0.25);
  EXPECT_DOUBLE_EQ(w.user[1], 1.0);
  EXPECT_DOUBLE_EQ(w.user[2], 0.0);
  EXPECT_DOUBLE_EQ(w.item[0], 2.0 / 3.0);  // item 0: 3 rows, 2 deleted
  EXPECT_DOUBLE_EQ(w.item[1], 0.0);
  EXPECT_DOUBLE_EQ(w.item[4], 1.0);
  const tru::RowWeights w2 = tru::row_weights(3, 5, forget, train, 2.0);
  EXPECT_DOUBLE_EQ(w2.user[0], 0.0625);
  const tru::RowWeights w0 = tru::row_weights(3, 5, forget, train, 0.0);  // every touched row: 1
  EXPECT_DOUBLE_EQ(w0.user[0], 1.0);
  EXPECT_DOUBLE_EQ(w0.user[2], 0.0);
  io::Interactions stray;  // more deleted rows than user 2 has: not a forget set of this train set
  for (int i : {1, 2, 3}) stray.push(2, i);
  EXPECT_THROW(tru::row_weights(3, 5, stray, train, 1.0), Error);
}

// The rows of user- and item-indexed tables that D_f does not touch, and whether they changed.
struct RowChange {
  int untouched_changed = 0, untouched = 0, touched_changed = 0, touched = 0;
};
RowChange row_change(Ctx& ctx, const Original& o, const io::ForgetSplit& split, ModelSession& after) {
  ModelSession ref(ctx, o.ds, o.model, o.cfg, "", DType::F32, &split.retain);
  restore_model_checkpoint(o.ckpt, "original", ref.params(), nullptr, nullptr);
  std::set<int32_t> fu(split.forget.user.begin(), split.forget.user.end()),
      fi(split.forget.item.begin(), split.forget.item.end());
  RowChange c;
  const UiPropagation up = ref.model().ui_propagation();
  std::vector<std::pair<int, bool>> tables = {{up.user_param, true}, {up.item_param, false}};
  for (int id : ref.model().item_row_params()) tables.push_back({id, false});
  for (const auto& [id, users] : tables) {
    const std::vector<double> a = ref.params().get(id), b = after.params().get(id);
    const int64_t cols = ref.params().info(id).cols;
    for (int64_t r = 0; r < ref.params().info(id).rows; ++r) {
      bool same = true;
      for (int64_t k = 0; k < cols; ++k) same = same && a[r * cols + k] == b[r * cols + k];
      const bool touched = users ? fu.count(static_cast<int32_t>(r)) > 0 : fi.count(static_cast<int32_t>(r)) > 0;
      (touched ? c.touched : c.untouched) += 1;
      (touched ? c.touched_changed : c.untouched_changed) += same ? 0 : 1;
    }
  }
  return c;
}

TEST(TruRows, UntouchedRowsKeepTheirValuesTouchedRowsMove) {
  const Original& o = original("mgcn");
  const io::ForgetSplit split = split_of(o, io::Regime::kInteraction, 0.05, 9);
  Ctx ctx(Device::CPU);
  UnlearnInput in = input_for(ctx, o, split);
  // Only the forget gradient moves parameters: no retain term, a fresh Adam (a zero gradient makes
  // a zero step), the other interventions off so that nothing else reweights the rows.
  in.cfg.set("unlearn.epochs", "3");
  in.cfg.set("mmrecun.beta", "0");
  in.cfg.set("tru.gate", "false");
  in.cfg.set("tru.scaling", "false");
  in.cfg.set("tru.isolation", "false");
  in.cfg.set("tru.rows", "true");
  in.cfg.set("tru.confine", "false");  // the item rows D_f touches move too (TruConfine below)
  const UnlearnResult with = run_unlearning("tru", in);
  const RowChange c = row_change(ctx, o, split, *with.session);
  ASSERT_GT(c.untouched, 0);
  EXPECT_EQ(c.untouched_changed, 0) << "rows D_f does not touch moved under row-granular isolation";
  EXPECT_GT(c.touched_changed, c.touched / 2);
  // Without it (tru-no-rows, otherwise the same run) the forget gradient reaches them through
  // the graph and they move.
  const UnlearnResult without = run_unlearning("tru-no-rows", in);
  EXPECT_GT(row_change(ctx, o, split, *without.session).untouched_changed, c.untouched / 2);
  // And tru with tru.rows = false is tru-no-rows, bit for bit.
  UnlearnInput off = in;
  off.cfg.set("tru.rows", "false");
  EXPECT_EQ(run_unlearning("tru", off).session->params().slab_bytes(), without.session->params().slab_bytes());
}

// tru.confine (on by default): on a request that deletes pairs only, the update moves the user
// rows of the users who lose pairs and nothing else — every other element (the other users' rows,
// every item-indexed table, every dense layer) keeps θ₀'s bits, the optimizer step itself being
// masked — and it still forgets. Off (tru-no-confine, or tru.confine = false: the same run bit
// for bit) the item tables and the layers isolation chooses move too. A user request is left as
// it was: confinement applies to pair requests only.
TEST(TruConfine, OnlyTheRowsOfTheUsersWhoLosePairsMove) {
  const Original& o = original("mgcn");
  const io::ForgetSplit split = split_of(o, io::Regime::kInteraction, 0.05, 9);
  const SplitPatterns p = split_patterns(o.ds, split);
  Ctx ctx(Device::CPU);
  UnlearnInput in = input_for(ctx, o, split);
  in.cfg.set("unlearn.epochs", "3");
  in.cfg.set("tru.offset", "false");  // the rows of the user table itself (TruOffset: through the offset)
  ModelSession ref(ctx, o.ds, o.model, o.cfg, "", DType::F32, &split.retain);
  restore_model_checkpoint(o.ckpt, "original", ref.params(), nullptr, nullptr);
  const std::set<int32_t> fu(split.forget.user.begin(), split.forget.user.end());
  const int uid = ref.model().ui_propagation().user_param;
  // Elements that differ from θ₀'s: in the forget users' rows of the user table, and elsewhere.
  auto changed = [&](ModelSession& after) {
    std::pair<int64_t, int64_t> n{0, 0};
    for (int id = 0; id < ref.params().count(); ++id) {
      const std::vector<double> a = ref.params().get(id), b = after.params().get(id);
      const int64_t cols = ref.params().info(id).cols;
      for (size_t k = 0; k < a.size(); ++k)
        if (a[k] != b[k]) ++(id == uid && fu.count(static_cast<int32_t>(static_cast<int64_t>(k) / cols)) ? n.first : n.second);
    }
    return n;
  };
  const UnlearnResult with = run_unlearning("tru", in);
  const auto [inside, outside] = changed(*with.session);
  EXPECT_EQ(outside, 0) << "elements outside the forget users' rows moved under confinement";
  EXPECT_GT(inside, static_cast<int64_t>(fu.size()));
  EXPECT_TRUE(with.selected_layers.empty());  // no layer choice: the confinement is the isolation
  EXPECT_LT(forget_recall(ctx, *with.session, p), original_forget_recall(ctx, o, split, p));
  const UnlearnResult without = run_unlearning("tru-no-confine", in);
  EXPECT_GT(changed(*without.session).second, 0);
  UnlearnInput off = in;
  off.cfg.set("tru.confine", "false");
  EXPECT_EQ(run_unlearning("tru", off).session->params().slab_bytes(), without.session->params().slab_bytes());
  // A user request: confinement does not apply, tru and tru-no-confine are the same run.
  const io::ForgetSplit us = split_of(o, io::Regime::kUser, 0.1, 4);
  UnlearnInput uin = input_for(ctx, o, us);
  uin.cfg.set("unlearn.epochs", "2");
  EXPECT_EQ(run_unlearning("tru", uin).session->params().slab_bytes(),
            run_unlearning("tru-no-confine", uin).session->params().slab_bytes());
}

// tru.offset: under confinement the forget users move through an offset on their final
// embeddings (the model becomes "<backbone>+offset") instead of their rows of the user table, which
// propagate into their items: every backbone parameter keeps θ₀'s bits, the offset is non-zero in
// the forget users' rows only, so every item embedding and every other user's embedding — every
// other user's score — is θ₀'s on the edited graph, and it still forgets. tru-no-offset is the
// confined update as before; the model round-trips through a checkpoint; unlearning refuses to
// start from it; a user request (no confinement) is unchanged.
TEST(TruOffset, OnlyTheForgetUsersScoresChange) {
  const Original& o = original("mgcn");
  const io::ForgetSplit split = split_of(o, io::Regime::kInteraction, 0.05, 9);
  const SplitPatterns p = split_patterns(o.ds, split);
  Ctx ctx(Device::CPU);
  UnlearnInput in = input_for(ctx, o, split);
  in.cfg.set("unlearn.epochs", "3");
  UnlearnInput on = in;  // tru.offset is on by default
  ASSERT_TRUE(on.cfg.flag("tru.offset"));
  in.cfg.set("tru.offset", "false");
  ModelSession ref(ctx, o.ds, o.model, o.cfg, "", DType::F32, &split.retain);
  restore_model_checkpoint(o.ckpt, "original", ref.params(), nullptr, nullptr);
  const Embeddings e0 = embed(ctx, ref.model(), ref.params());
  const std::set<int32_t> fu(split.forget.user.begin(), split.forget.user.end());

  const UnlearnResult with = run_unlearning("tru", on);
  ModelSession& s = *with.session;
  ASSERT_EQ(s.model().name(), o.model + "+offset");
  ASSERT_EQ(s.params().count(), ref.params().count() + 1);
  for (int id = 0; id < ref.params().count(); ++id) {
    ASSERT_EQ(s.params().info(id).name, ref.params().info(id).name);
    EXPECT_EQ(s.params().get(id), ref.params().get(id)) << ref.params().info(id).name << " moved";
  }
  const int oid = s.params().id("offset.user");
  const std::vector<double> off = s.params().get(oid);
  const int64_t d = s.params().info(oid).cols;
  int64_t inside = 0, outside = 0;
  for (size_t k = 0; k < off.size(); ++k)
    if (off[k] != 0.0) ++(fu.count(static_cast<int32_t>(static_cast<int64_t>(k) / d)) ? inside : outside);
  EXPECT_EQ(outside, 0) << "offset rows of users who lose no pair moved";
  EXPECT_GT(inside, static_cast<int64_t>(fu.size()));
  const Embeddings e = embed(ctx, s.model(), s.params());
  EXPECT_EQ(e.items.t().to_host(ctx), e0.items.t().to_host(ctx)) << "an item embedding changed";
  const std::vector<double> u = e.users.t().to_host(ctx), u0 = e0.users.t().to_host(ctx);
  ASSERT_EQ(u.size(), u0.size());
  int64_t other_rows_moved = 0, forget_rows_moved = 0;
  for (int32_t r = 0; r < o.ds.n_users; ++r) {
    const bool moved = !std::equal(u.begin() + r * d, u.begin() + (r + 1) * d, u0.begin() + r * d);
    if (moved) ++(fu.count(r) ? forget_rows_moved : other_rows_moved);
  }
  EXPECT_EQ(other_rows_moved, 0);
  EXPECT_GT(forget_rows_moved, 0);
  EXPECT_LT(forget_recall(ctx, s, p), original_forget_recall(ctx, o, split, p));

  // tru-no-offset (or tru.offset off): the confined update on the user table.
  const std::vector<char> table = run_unlearning("tru", in).session->params().slab_bytes();
  EXPECT_EQ(run_unlearning("tru-no-offset", on).session->params().slab_bytes(), table);

  // The model round-trips through a checkpoint, and is not a starting point for unlearning.
  const io::Checkpoint c = make_model_checkpoint(s.model().name(), on.cfg, o.ds, s.params(), nullptr, nullptr);
  EXPECT_EQ(read_model_checkpoint_info(c, "mem").model, o.model + "+offset");
  ModelSession back(ctx, o.ds, o.model + "+offset", o.cfg, "", DType::F32, &split.retain);
  restore_model_checkpoint(c, "mem", back.params(), nullptr, nullptr);
  EXPECT_EQ(embed(ctx, back.model(), back.params()).users.t().to_host(ctx), u);
  UnlearnInput again = on;
  again.model = o.model + "+offset";
  again.original = &c;
  EXPECT_TRUE(test::has_all(test::error_of([&] { run_unlearning("tru", again); }), {"tru.offset", o.model + " checkpoint"}));

  // A user request: no confinement, so no offset either.
  const io::ForgetSplit us = split_of(o, io::Regime::kUser, 0.1, 4);
  UnlearnInput uin = input_for(ctx, o, us), uon = uin;
  uin.cfg.set("unlearn.epochs", "2");
  uin.cfg.set("tru.offset", "false");
  uon.cfg = uin.cfg;
  uon.cfg.set("tru.offset", "true");
  const UnlearnResult ur = run_unlearning("tru", uon);
  EXPECT_EQ(ur.session->model().name(), o.model);
  EXPECT_EQ(ur.session->params().slab_bytes(), run_unlearning("tru", uin).session->params().slab_bytes());
}

// tru.rows.id_tables: with layer isolation and row-granular isolation, every row-weighted table
// (MGCN: the user and item ID tables and the item feature tables) is updated beside the kmax
// layers the Fisher scores choose; the dense layers' choice is unchanged. Without row weights
// (tru.rows off, or tru-no-rows) the setting changes nothing, bit for bit.
TEST(TruRows, IdTablesAreChosenBesideKmaxAndOnlyWithRows) {
  const Original& o = original("mgcn");
  const io::ForgetSplit split = split_of(o, io::Regime::kInteraction, 0.05, 9);
  Ctx ctx(Device::CPU);
  UnlearnInput in = input_for(ctx, o, split);
  in.cfg.set("unlearn.epochs", "2");
  in.cfg.set("tru.confine", "false");  // layer isolation applies (confinement replaces it)
  in.cfg.set("tru.isolation.kmax", "1");
  in.cfg.set("tru.isolation.alpha", "0.5");
  in.cfg.set("tru.rows.id_tables", "false");
  const UnlearnResult plain = run_unlearning("tru", in);
  ASSERT_EQ(plain.selected_layers.size(), 1u);
  in.cfg.set("tru.rows.id_tables", "true");
  const UnlearnResult with = run_unlearning("tru", in);
  std::set<std::string> chosen(with.selected_layers.begin(), with.selected_layers.end());
  for (const char* t : {"user_emb", "item_emb"}) EXPECT_TRUE(chosen.count(t)) << t << " not chosen";
  EXPECT_TRUE(chosen.count(plain.selected_layers[0])) << "the scored choice changed";
  // Every table outside the scored choice is a row-weighted one (ID or item feature table).
  for (const auto& l : with.selected_layers) {
    if (l == plain.selected_layers[0]) continue;
    EXPECT_TRUE(l == "user_emb" || l == "item_emb" || (l.size() > 5 && l.compare(l.size() - 5, 5, ".feat") == 0))
        << l << " is not a row-weighted table";
  }
  EXPECT_NE(with.session->params().slab_bytes(), plain.session->params().slab_bytes());
  // No row weights: the setting has nothing to add.
  in.cfg.set("tru.rows", "false");
  const UnlearnResult off_with = run_unlearning("tru", in);
  in.cfg.set("tru.rows.id_tables", "false");
  const UnlearnResult off_without = run_unlearning("tru", in);
  EXPECT_EQ(off_with.selected_layers, off_without.selected_layers);
  EXPECT_EQ(off_with.session->params().slab_bytes(), off_without.session->params().slab_bytes());
}

TEST(TruRows, FullyDeletedRowsRestartFromAFreshDrawAndStayThere) {
  const Original& o = original("mgcn");
  const io::ForgetSplit split = split_of(o, io::Regime::kUser, 0.1, 4);
  ASSERT_FALSE(split.deleted_users.empty());
  Ctx ctx(Device::CPU);
  UnlearnInput in = input_for(ctx, o, split);
  in.cfg.set("tru.rows", "true");
  in.cfg.set("unlearn.epochs", "1");
  const UnlearnResult one = run_unlearning("tru", in);
  in.cfg.set("unlearn.epochs", "3");
  const UnlearnResult three = run_unlearning("tru", in);
  in.cfg.set("tru.rows.reset", "false");
  const UnlearnResult kept = run_unlearning("tru", in);
  EXPECT_GE(one.stats.at("rows_reset"), static_cast<double>(split.deleted_users.size()));
  EXPECT_EQ(kept.stats.count("rows_reset"), 0u);
  ModelSession ref(ctx, o.ds, o.model, o.cfg, "", DType::F32, &split.retain);
  restore_model_checkpoint(o.ckpt, "original", ref.params(), nullptr, nullptr);
  const int id = ref.params().id("user_emb");
  const int64_t d = ref.params().info(id).cols;
  const std::vector<double> t0 = ref.params().get(id), a = one.session->params().get(id),
                            b = three.session->params().get(id), c = kept.session->params().get(id);
  std::set<int32_t> deleted(split.deleted_users.begin(), split.deleted_users.end());
  for (int32_t u = 0; u < o.ds.n_users; ++u) {
    const auto row = [&](const std::vector<double>& v) {
      return std::vector<double>(v.begin() + u * d, v.begin() + (u + 1) * d);
    };
    if (deleted.count(u)) {
      EXPECT_NE(row(a), row(t0)) << "deleted user " << u << " kept θ₀'s row";
      EXPECT_EQ(row(a), row(b)) << "deleted user " << u << " moved after its reset";
      EXPECT_NE(row(c), row(a)) << "without the reset, deleted user " << u << " got the fresh row anyway";
    }
  }
}

// ---- the tuning signals ----

TEST(TuningSignals, ReadTheAuditorsNumbers) {
  const Original& o = original("mgcn");
  io::RequestSpec rs;
  rs.regime = io::Regime::kItem;
  rs.ratio = 0.1;
  rs.seed = 2;
  const io::ForgetSplit split = io::resolve(o.ds, io::make_request(o.ds, rs));
  Ctx ctx(Device::CPU);
  ModelSession s(ctx, o.ds, o.model, o.cfg, "", DType::F32, &split.retain);
  restore_model_checkpoint(o.ckpt, "original", s.params(), nullptr, nullptr);
  const Embeddings e = embed(ctx, s.model(), s.params());
  audit::TuningSettings ts;
  ts.strata = 1;  // one stratum: F is the plain hit rate of D_f's pairs
  audit::TuningSignals sig(ctx, o.ds, split, io::Regime::kItem, 5, ts, 64);
  const audit::Signals r = sig.measure_reference(e.users, e.items);
  SplitPatterns sp = split_patterns(o.ds, split);
  sp.test = sp.valid;
  const audit::Auditor aud(ctx, sp, {20}, 64);
  const audit::CoreAudit a = aud.audit(e.users, e.items, false);
  EXPECT_NEAR(r.utility_retained, a.retain.get("recall@20"), 1e-12);
  {  // the floor's users: the retained users who lose no row (the audit with the others excluded)
    SplitPatterns su = sp;
    su.deleted_user.resize(static_cast<size_t>(o.ds.n_users), 0);
    for (int32_t u : split.forget_users) su.deleted_user[static_cast<size_t>(u)] = 1;
    const audit::Auditor au(ctx, su, {20}, 64);
    ASSERT_FALSE(split.forget_users.empty());
    EXPECT_NEAR(r.utility, au.audit(e.users, e.items, false).retain.get("recall@20"), 1e-12);
    EXPECT_NE(r.utility, r.utility_retained) << "the two populations gave the same mean: the test tells nothing";
    EXPECT_EQ(sig.floor_population(), "valid rows of the retained users who lose no row");
    audit::TuningSettings all = ts;
    all.floor_untouched = false;  // every retained user, as before unlearn.auto.floor_users
    audit::TuningSignals sig_all(ctx, o.ds, split, io::Regime::kItem, 5, all, 64);
    const audit::Signals ra = sig_all.measure_reference(e.users, e.items);
    EXPECT_NEAR(ra.utility, a.retain.get("recall@20"), 1e-12);
    EXPECT_EQ(ra.utility, ra.utility_retained);
    EXPECT_EQ(ra.forget, r.forget);  // the floor's population changes nothing else
    EXPECT_EQ(ra.mia_auc, r.mia_auc);
  }
  EXPECT_NEAR(r.forget, a.forget.get("recall@20"), 1e-12);  // one stratum: F is the audited forget recall
  EXPECT_DOUBLE_EQ(sig.floor(), 0.98 * r.utility);
  EXPECT_TRUE(r.floor_ok);
  // θ₀ still holds the deleted items' rows: its D_f pairs rank far above held-out ones.
  EXPECT_GT(r.forget, r.valid + r.parity_band) << "F " << r.forget << " V " << r.valid;
  EXPECT_FALSE(r.parity_ok);
  EXPECT_NEAR(r.distance, std::max(r.parity_dev, r.mia_dev), 1e-15);
  // A model measured later is judged against the floor that θ₀ set.
  const audit::Signals again = sig.measure(e.users, e.items);
  EXPECT_EQ(again.utility, r.utility);
  EXPECT_TRUE(again.floor_ok);
  EXPECT_EQ(again.utility_se, 0.0);  // the same model: no user-by-user difference
}

// Pair requests: V over the users who lose no pair (unlearn.auto.pair_population untouched) and
// the target pair_ratio × V; elsewhere both settings change nothing.
TEST(TuningSignals, PairRequestsCanHoldFToAShareOfTheUntouchedUsersV) {
  const Original& o = original("mgcn");
  io::RequestSpec rs;
  rs.regime = io::Regime::kInteraction;
  rs.ratio = 0.1;
  rs.seed = 3;
  const io::ForgetSplit split = io::resolve(o.ds, io::make_request(o.ds, rs));
  ASSERT_FALSE(split.forget_users.empty());
  Ctx ctx(Device::CPU);
  ModelSession s(ctx, o.ds, o.model, o.cfg, "", DType::F32, &split.retain);
  restore_model_checkpoint(o.ckpt, "original", s.params(), nullptr, nullptr);
  const Embeddings e = embed(ctx, s.model(), s.params());
  audit::TuningSettings ts;
  ts.strata = 1;  // one stratum: V is the plain per-user mean of its population's valid recall
  audit::TuningSignals same(ctx, o.ds, split, io::Regime::kInteraction, 5, ts, 64);
  const audit::Signals a = same.measure_reference(e.users, e.items);
  EXPECT_EQ(a.target, a.valid);  // the default: F is held to V itself
  EXPECT_EQ(same.population(), "valid rows of the users with forget pairs");
  audit::TuningSettings tu = ts;
  tu.pair_untouched = true;
  tu.pair_ratio = 0.75;
  audit::TuningSignals unt(ctx, o.ds, split, io::Regime::kInteraction, 5, tu, 64);
  const audit::Signals b = unt.measure_reference(e.users, e.items);
  EXPECT_EQ(unt.population(), "valid rows of the users who lose no pair (target 0.7500 × V)");
  // The floor's users are the same population, so with one stratum V is the floor's utility.
  EXPECT_NEAR(b.valid, b.utility, 1e-12);
  EXPECT_GT(std::fabs(b.valid - a.valid), 1e-6) << "both populations gave the same V: the test tells nothing";
  EXPECT_DOUBLE_EQ(b.target, 0.75 * b.valid);
  EXPECT_EQ(b.forget, a.forget);  // F, the floor and membership are untouched by V's population
  EXPECT_EQ(b.utility, a.utility);
  EXPECT_EQ(b.mia_auc, a.mia_auc);
  EXPECT_GE(b.parity_band, 0.1 * b.target);
  EXPECT_NEAR(b.parity_dev, std::fabs(b.forget - b.target) / b.parity_band, 1e-15);
  EXPECT_EQ(b.parity_ok, std::fabs(b.forget - b.target) <= b.parity_band);
  EXPECT_NEAR(b.parity(), b.forget / b.target, 1e-15);
  // A user request: V stays the deleted users' own, and the ratio is not applied.
  io::RequestSpec us = rs;
  us.regime = io::Regime::kUser;
  const io::ForgetSplit usplit = io::resolve(o.ds, io::make_request(o.ds, us));
  ModelSession su(ctx, o.ds, o.model, o.cfg, "", DType::F32, &usplit.retain);
  restore_model_checkpoint(o.ckpt, "original", su.params(), nullptr, nullptr);
  const Embeddings eu = embed(ctx, su.model(), su.params());
  audit::TuningSignals ud(ctx, o.ds, usplit, io::Regime::kUser, 5, ts, 64), uu(ctx, o.ds, usplit, io::Regime::kUser, 5, tu, 64);
  const audit::Signals c = ud.measure_reference(eu.users, eu.items), d = uu.measure_reference(eu.users, eu.items);
  EXPECT_EQ(uu.population(), ud.population());
  EXPECT_EQ(d.valid, c.valid);
  EXPECT_EQ(d.target, c.target);
  EXPECT_EQ(d.parity_band, c.parity_band);
}

// The calibration row of a pair request is the tuner's own signals: F_R and V′₀ with V over the
// users who lose no pair, Retrain's parity over the forget users' own; a user request is measured
// but the pair settings do not apply to it.
TEST(Calibration, ARowIsTheTunersSignalsOnTheOriginalAndOnRetrain) {
  const Original& o = original("mgcn");
  const io::ForgetSplit split = split_of(o, io::Regime::kInteraction, 0.1, 4);
  Ctx ctx(Device::CPU);
  UnlearnInput in = input_for(ctx, o, split);
  in.cfg.set("epochs", "6");
  const UnlearnResult re = run_unlearning("retrain", in);
  const Embeddings er = embed(ctx, re.session->model(), re.session->params());
  ModelSession s(ctx, o.ds, o.model, o.cfg, "", DType::F32, &split.retain);
  restore_model_checkpoint(o.ckpt, "original", s.params(), nullptr, nullptr);
  const Embeddings e0 = embed(ctx, s.model(), s.params());
  audit::TuningSettings ts;
  ts.pair_ratio = 0.5;  // the settings' own share is not applied: the share is what is measured
  ts.pair_untouched = true;
  const audit::CalibrationRow row =
      audit::calibration_row(ctx, o.ds, split, 5, ts, e0.users, e0.items, er.users, er.items, 64);

  audit::TuningSettings own = ts, unt = ts;
  own.pair_untouched = false;
  own.pair_ratio = unt.pair_ratio = 1.0;
  audit::TuningSignals so(ctx, o.ds, split, io::Regime::kInteraction, 5, own, 64);
  audit::TuningSignals su(ctx, o.ds, split, io::Regime::kInteraction, 5, unt, 64);
  const audit::Signals o_own = so.measure_reference(e0.users, e0.items), r_own = so.measure(er.users, er.items);
  const audit::Signals o_unt = su.measure_reference(e0.users, e0.items), r_unt = su.measure(er.users, er.items);
  EXPECT_TRUE(row.pairs_only);
  EXPECT_EQ(row.regime, "interaction");
  EXPECT_EQ(row.forget_rows, split.forget.size());
  EXPECT_EQ(row.valid_untouched_original, o_unt.valid);
  EXPECT_EQ(row.valid_untouched_retrain, r_unt.valid);
  EXPECT_EQ(row.forget_retrain, r_unt.forget);
  EXPECT_EQ(row.forget_original, o_unt.forget);
  EXPECT_EQ(row.valid_forget_original, o_own.valid);
  EXPECT_EQ(row.valid_forget_retrain, r_own.valid);
  EXPECT_DOUBLE_EQ(row.retrain_parity, r_own.forget / r_own.valid);
  EXPECT_DOUBLE_EQ(row.share(), r_unt.forget / o_unt.valid);
  EXPECT_LT(row.forget_retrain, row.forget_original) << "Retrain ranks D_f as high as θ₀: the test tells nothing";
  EXPECT_GT(std::fabs(row.valid_untouched_original - row.valid_forget_original), 1e-6);

  const io::ForgetSplit usplit = split_of(o, io::Regime::kUser, 0.1, 4);
  ModelSession su0(ctx, o.ds, o.model, o.cfg, "", DType::F32, &usplit.retain);
  restore_model_checkpoint(o.ckpt, "original", su0.params(), nullptr, nullptr);
  const Embeddings eu = embed(ctx, su0.model(), su0.params());
  const audit::CalibrationRow urow =
      audit::calibration_row(ctx, o.ds, usplit, 5, ts, eu.users, eu.items, eu.users, eu.items, 64);
  EXPECT_FALSE(urow.pairs_only);
  EXPECT_EQ(urow.regime, "user");
  EXPECT_TRUE(std::isnan(urow.valid_untouched_original));
  EXPECT_DOUBLE_EQ(urow.retrain_parity, urow.forget_retrain / urow.valid_forget_retrain);
}

// The summary: the share's mean, sd and range over the pair requests only, the suggested ratio,
// and each request judged against the share of the others (leave-one-out) within Retrain's reach.
TEST(Calibration, TheSummaryJudgesEachRequestByTheOthersShare) {
  auto pair_row = [](double f_r, double v0) {
    audit::CalibrationRow r;
    r.pairs_only = true;
    r.forget_retrain = f_r;
    r.valid_untouched_original = v0;
    r.valid_forget_retrain = f_r;
    r.retrain_parity = 1.0;
    return r;
  };
  std::vector<audit::CalibrationRow> rows = {pair_row(0.10, 0.125), pair_row(0.09, 0.1), pair_row(0.07, 0.1)};
  audit::CalibrationRow user;
  user.forget_retrain = 0.5;
  user.valid_forget_retrain = 0.25;
  user.retrain_parity = 2.0;
  rows.push_back(user);
  const audit::CalibrationSummary s = audit::summarize_calibration(rows);
  EXPECT_EQ(s.excluded, 1);
  EXPECT_EQ(s.share.n, 3);
  EXPECT_NEAR(s.share.mean, 0.8, 1e-12);
  EXPECT_NEAR(s.share.sd, 0.1, 1e-12);
  EXPECT_NEAR(s.share.min, 0.7, 1e-12);
  EXPECT_NEAR(s.share.max, 0.9, 1e-12);
  EXPECT_EQ(s.retrain_parity.mean, 1.0);  // the user request's 2.0 is left out
  EXPECT_DOUBLE_EQ(s.suggested_ratio, 0.8);
  // The others' shares: 0.8 → target 0.1 (F_R 0.10, within); 0.75 → 0.075 (F_R 0.09: 0.015 ≤
  // 0.2 × 0.09); 0.85 → 0.085 (F_R 0.07: 0.015 > max(0.014, 0.01)).
  EXPECT_NEAR(rows[0].loo_target, 0.1, 1e-12);
  EXPECT_NEAR(rows[1].loo_share, 0.75, 1e-12);
  EXPECT_NEAR(rows[2].loo_target, 0.085, 1e-12);
  EXPECT_TRUE(rows[0].loo_within);
  EXPECT_TRUE(rows[1].loo_within);
  EXPECT_FALSE(rows[2].loo_within);
  EXPECT_TRUE(std::isnan(rows[3].loo_target));
  EXPECT_EQ(s.loo_within, 2);
  EXPECT_EQ(s.loo_judged, 3);
  const io::Json j = audit::calibration_json(rows, s);
  EXPECT_EQ(j.at("rows").size(), 4u);
  EXPECT_EQ(j.at("summary").at("suggested_pair_population").as_string(), "untouched");
  EXPECT_TRUE(j.at("rows").at(3).at("loo_within").is_null());
  EXPECT_TRUE(std::isnan(j.at("rows").at(3).at("share").as_double()));  // written as null
  // One pair request: a share, but nothing to judge it by.
  std::vector<audit::CalibrationRow> one = {pair_row(0.1, 0.125)};
  const audit::CalibrationSummary s1 = audit::summarize_calibration(one);
  EXPECT_EQ(s1.loo_judged, 0);
  EXPECT_DOUBLE_EQ(s1.suggested_ratio, 0.8);
}

// Bad values of the pair-target settings are refused in the user's words before any unlearning.
TEST(TuningSignals, BadPairTargetSettingsAreRefused) {
  const Original& o = original("mgcn");
  const io::ForgetSplit split = split_of(o, io::Regime::kInteraction, 0.05, 9);
  Ctx ctx(Device::CPU);
  UnlearnInput in = input_for(ctx, o, split);
  in.cfg.set("unlearn.auto.pair_population", "bogus");
  EXPECT_TRUE(test::has_all(test::error_of([&] { run_unlearning("tru-auto", in); }),
                            {"unlearn.auto.pair_population", "forget or untouched", "bogus"}));
  Config c = o.cfg;
  c.set("unlearn.auto.pair_ratio", "0");
  EXPECT_TRUE(test::has_all(test::error_of([&] { validate_config(c); }), {"unlearn.auto.pair_ratio", "'0'"}));
  c.set("unlearn.auto.pair_ratio", "0.78");
  EXPECT_NO_THROW(validate_config(c));
}

// ---- the tuner ----

UnlearnInput auto_input(Ctx& ctx, const Original& o, const io::ForgetSplit& split) {
  UnlearnInput in = input_for(ctx, o, split);
  in.cfg.set("unlearn.auto.candidates", "3");
  in.cfg.set("unlearn.auto.rung_epochs", "1");
  in.cfg.set("unlearn.auto.max_epochs", "4");
  in.cfg.set("tru.rows", "true");
  return in;
}

TEST(Auto, CandidatesFollowTheSeedAndStartFromTheRunsOwnSettings) {
  Config base;
  base.set("tru.rows", "true");
  base.set("tru.match", "false");  // the gate is searched only with the reverse loss it weights
  const auto a = unlearn::auto_candidates("tru", base, 0.002, 1), b = unlearn::auto_candidates("tru", base, 0.002, 1),
             c = unlearn::auto_candidates("tru", base, 0.002, 2);
  ASSERT_EQ(a.size(), 4u);
  const double mid = 0.002 * std::sqrt(base.f64("unlearn.auto.lr_low") * base.f64("unlearn.auto.lr_high"));
  ASSERT_EQ(a[0].settings.size(), 1u);
  EXPECT_EQ(a[0].settings[0].first, "unlearn.lr");
  EXPECT_NEAR(std::stod(a[0].settings[0].second), mid, 1e-4 * mid);
  for (size_t k = 0; k < a.size(); ++k) EXPECT_EQ(a[k].settings, b[k].settings);
  bool differs = false;
  for (size_t k = 1; k < a.size(); ++k) differs = differs || a[k].settings != c[k].settings;
  EXPECT_TRUE(differs);
  // Every searched setting is in its range, and each knob's strata are each used once.
  std::set<int> strata;
  std::set<std::string> gate, isolation;
  for (size_t k = 1; k < a.size(); ++k) {
    ASSERT_EQ(a[k].settings.size(), 8u);  // lr, gate on/off, λ, isolation on/off, κ, α, γ, rows power
    gate.insert(a[k].cfg.str("tru.gate"));
    isolation.insert(a[k].cfg.str("tru.isolation"));
    const double lr = a[k].cfg.f64("unlearn.lr"), kappa = a[k].cfg.f64("tru.isolation.kappa");
    EXPECT_TRUE(lr >= 0.002 * base.f64("unlearn.auto.lr_low") && lr <= 0.002 * base.f64("unlearn.auto.lr_high")) << lr;
    EXPECT_TRUE(kappa >= 0.1 && kappa <= 0.6) << kappa;
    const double lo = 0.002 * base.f64("unlearn.auto.lr_low"), hi = 0.002 * base.f64("unlearn.auto.lr_high");
    strata.insert(static_cast<int>(std::log(lr / lo) / std::log(hi / lo) * 3.0));
  }
  EXPECT_EQ(strata.size(), 3u);
  EXPECT_EQ(gate, (std::set<std::string>{"true", "false"}));  // the switches' strata: both sides tried
  EXPECT_EQ(isolation, (std::set<std::string>{"true", "false"}));
  EXPECT_TRUE(a[0].cfg.flag("tru.gate"));  // candidate 0: the run's own settings
  EXPECT_TRUE(a[0].cfg.flag("tru.isolation"));
  // MMRecUn searches the learning rate only.
  for (const auto& m : unlearn::auto_candidates("mmrecun", base, 0.002, 1)) EXPECT_EQ(m.settings.size(), 1u);
  // Without the switches the gate and layer isolation stay as the run has them.
  Config fixed = base;
  fixed.set("unlearn.auto.gate_switch", "false");
  fixed.set("unlearn.auto.isolation_switch", "false");
  for (const auto& m : unlearn::auto_candidates("tru", fixed, 0.002, 1)) {
    EXPECT_TRUE(m.cfg.flag("tru.gate"));
    EXPECT_TRUE(m.cfg.flag("tru.isolation"));
  }
}

// Settings a run would not read are not searched: the gate's under rank matching (which
// replaces the loss the gate weights), isolation's and scaling's when a pair request confines the
// update (and not when the request deletes a user or an item, or with confinement off).
TEST(Auto, SettingsTheRunIgnoresAreNotSearched) {
  Config base;  // defaults: rows and confinement on, rank matching off
  auto keys = [](const std::vector<unlearn::AutoCandidate>& c) {
    std::set<std::string> k;
    for (const auto& [key, v] : c[1].settings) k.insert(key);
    return k;
  };
  const std::set<std::string> full{"unlearn.lr",          "tru.gate",          "tru.gate.lambda",   "tru.isolation",
                                   "tru.isolation.kappa", "tru.isolation.alpha", "tru.scaling.gamma", "tru.rows.power"};
  EXPECT_EQ(keys(unlearn::auto_candidates("tru", base, 0.002, 1, false)), full);
  EXPECT_EQ(keys(unlearn::auto_candidates("tru", base, 0.002, 1, true)),
            (std::set<std::string>{"unlearn.lr", "tru.gate", "tru.gate.lambda", "tru.rows.power"}));
  EXPECT_EQ(keys(unlearn::auto_candidates("tru-no-confine", base, 0.002, 1, true)), full);
  Config matched = base;
  matched.set("tru.match", "true");
  EXPECT_EQ(keys(unlearn::auto_candidates("tru", matched, 0.002, 1, true)),
            (std::set<std::string>{"unlearn.lr", "tru.rows.power"}));
  EXPECT_EQ(keys(unlearn::auto_candidates("tru-no-match", matched, 0.002, 1, false)), full);
  // Without row weights there is nothing to confine the update to.
  Config norows = base;
  norows.set("tru.rows", "false");
  EXPECT_TRUE(keys(unlearn::auto_candidates("tru", norows, 0.002, 1, true)).count("tru.isolation.kappa"));
}

TEST(Auto, AblationsSearchWithoutTheInterventionTheyTurnOff) {
  EXPECT_EQ(unlearn::auto_base("tru-auto"), "tru");
  EXPECT_EQ(unlearn::auto_base("mmrecun-auto"), "mmrecun");
  EXPECT_EQ(unlearn::auto_base("tru"), "");
  Config base;
  base.set("tru.match", "false");  // with the reverse loss, so that the gate is searched
  const std::map<std::string, std::vector<std::string>> gone{{"gate", {"tru.gate", "tru.gate.lambda"}},
                                                             {"scaling", {"tru.scaling.gamma"}},
                                                             {"isolation", {"tru.isolation", "tru.isolation.kappa", "tru.isolation.alpha"}},
                                                             {"rows", {"tru.rows.power"}},
                                                             {"match", {}},
                                                             {"confine", {}}};
  const auto full = unlearn::auto_candidates("tru", base, 0.002, 1);
  for (const auto& [part, keys] : gone) {
    const std::string m = "tru-auto-no-" + part;
    EXPECT_TRUE(is_method(m)) << m;
    ASSERT_EQ(unlearn::auto_base(m), "tru-no-" + part);
    const auto c = unlearn::auto_candidates(unlearn::auto_base(m), base, 0.002, 1);
    ASSERT_EQ(c.size(), full.size());
    for (size_t k = 1; k < c.size(); ++k) {
      EXPECT_EQ(c[k].settings.size() + keys.size(), full[k].settings.size()) << m;
      for (const auto& [key, v] : c[k].settings)
        EXPECT_EQ(std::find(keys.begin(), keys.end(), key), keys.end()) << m << " searches " << key;
    }
  }
}

TEST(Auto, SameSeedSameChoiceAndTheTestSplitIsNeverRead) {
  const Original& o = original("mgcn");
  const io::ForgetSplit split = split_of(o, io::Regime::kInteraction, 0.05, 9);
  Ctx ctx(Device::CPU);
  const UnlearnResult a = run_unlearning("tru-auto", auto_input(ctx, o, split));
  const UnlearnResult b = run_unlearning("tru-auto", auto_input(ctx, o, split));
  EXPECT_EQ(a.session->params().slab_bytes(), b.session->params().slab_bytes());
  ASSERT_EQ(a.trace.size(), b.trace.size());
  for (size_t k = 0; k + 1 < a.trace.size(); ++k) {  // the last line carries the wall time
    io::Json x = a.trace[k], y = b.trace[k];
    for (auto* j : {&x, &y})
      if (j->contains("train_seconds")) (*j)["train_seconds"] = (*j)["eval_seconds"] = 0.0;
    EXPECT_EQ(x.dump(-1), y.dump(-1)) << k;
  }
  EXPECT_EQ(a.stats.at("auto_chosen"), b.stats.at("auto_chosen"));
  EXPECT_EQ(a.trace.front().at("auto").as_string(), "start");
  EXPECT_EQ(a.trace.back().at("auto").as_string(), "result");
  // The data without a single test row: the same run, bit for bit.
  Original blind = o;
  blind.ds.test = io::Interactions{};
  const UnlearnResult c = run_unlearning("tru-auto", auto_input(ctx, blind, split));
  EXPECT_EQ(a.session->params().slab_bytes(), c.session->params().slab_bytes());
  // MMRecUn's search runs too, and the result is its chosen candidate's epoch.
  const UnlearnResult m = run_unlearning("mmrecun-auto", auto_input(ctx, o, split));
  EXPECT_GE(m.stats.at("auto_best_epoch"), 1.0);
  EXPECT_EQ(static_cast<double>(m.log.size()), m.stats.at("auto_best_epoch"));
}

TEST(Auto, TheEpochBudgetCapsTheWholeSearch) {
  const Original& o = original("mgcn");
  const io::ForgetSplit split = split_of(o, io::Regime::kInteraction, 0.2, 2);
  Ctx ctx(Device::CPU);
  auto run = [&](const char* budget) {
    UnlearnInput in = auto_input(ctx, o, split);
    in.cfg.set("unlearn.auto.max_epochs", "12");
    in.cfg.set("unlearn.auto.max_total_epochs", budget);
    return run_unlearning("mmrecun-auto", in);
  };
  const UnlearnResult free = run("0"), roomy = run("1000"), capped = run("5");
  ASSERT_GT(free.stats.at("auto_epochs_total"), 5.0);  // else the cap below would test nothing
  // A cap the search never reaches changes nothing.
  EXPECT_EQ(roomy.session->params().slab_bytes(), free.session->params().slab_bytes());
  EXPECT_EQ(roomy.stats.at("auto_epochs_total"), free.stats.at("auto_epochs_total"));
  // A cap it reaches: no epoch beyond it, and the result is the best epoch seen within it.
  EXPECT_EQ(capped.stats.at("auto_epochs_total"), 5.0);
  int64_t epochs = 0;
  bool said = false;
  for (const auto& j : capped.trace) {
    epochs += j.at("auto").as_string() == "epoch" && j.at("epoch").as_int() > 0;
    said = said || (j.contains("finished") && j.at("finished").as_string().find("max_total_epochs") != std::string::npos);
  }
  EXPECT_EQ(epochs, 5);
  EXPECT_TRUE(said) << "the trace does not say why the search stopped";
}

TEST(Auto, RefinementOnlyAddsEvaluationsBetweenTheChosenEpochAndItsNeighbour) {
  // A request on which MMRecUn's chosen epoch and the next lie on either side of forget parity.
  const Original& o = original("mgcn");
  const io::ForgetSplit split = split_of(o, io::Regime::kInteraction, 0.2, 2);
  Ctx ctx(Device::CPU);
  auto run = [&](const char* refine) {
    UnlearnInput in = auto_input(ctx, o, split);
    in.cfg.set("unlearn.auto.max_epochs", "12");
    in.cfg.set("unlearn.auto.refine", refine);
    return run_unlearning("mmrecun-auto", in);
  };
  const UnlearnResult a = run("3"), b = run("0");
  std::vector<io::Json> refines, search_a, search_b;
  for (const auto& j : a.trace) (j.at("auto").as_string() == "refine" ? refines : search_a).push_back(j);
  for (const auto& j : b.trace) search_b.push_back(j);
  ASSERT_EQ(refines.size(), 3u) << "the request no longer straddles parity: pick another";
  // The search itself is untouched: the same lines up to the result (wall times aside).
  ASSERT_EQ(search_a.size(), search_b.size());
  for (size_t k = 0; k + 1 < search_a.size(); ++k) {
    io::Json x = search_a[k], y = search_b[k];
    for (auto* j : {&x, &y})
      if (j->contains("train_seconds")) (*j)["train_seconds"] = (*j)["eval_seconds"] = 0.0;
    EXPECT_EQ(x.dump(-1), y.dump(-1)) << k;
  }
  // Bisection between the chosen epoch and a neighbour: t = 1/2, then ±1/4, then ±1/8.
  const int64_t best = static_cast<int64_t>(b.stats.at("auto_best_epoch"));
  double prev = 0.5, best_t = 0.0;
  for (size_t k = 0; k < refines.size(); ++k) {
    const io::Json& r = refines[k];
    EXPECT_EQ(r.at("between").at(size_t{0}).as_int(), best);
    EXPECT_EQ(std::abs(r.at("between").at(size_t{1}).as_int() - best), 1);
    const double t = r.at("t").as_double();
    EXPECT_DOUBLE_EQ(std::fabs(t - prev), k == 0 ? 0.0 : 0.5 / static_cast<double>(1 << k)) << k;
    prev = t;
    if (r.at("best").as_bool()) best_t = t;
  }
  EXPECT_EQ(a.stats.at("auto_refined_t"), best_t);
  EXPECT_EQ(b.stats.at("auto_refined_t"), 0.0);
  // The refined point is never worse by the tuner's own order than the epoch it started from.
  const io::Json& sa = a.trace.back().at("signals");
  const io::Json& sb = b.trace.back().at("signals");
  ASSERT_TRUE(sb.at("floor_ok").as_bool());
  EXPECT_TRUE(sa.at("floor_ok").as_bool());
  EXPECT_TRUE((sa.at("parity_ok").as_bool() && sa.at("mia_ok").as_bool()) ||
              sa.at("parity_dev").as_double() <= sb.at("parity_dev").as_double());
  if (best_t > 0) EXPECT_NE(a.session->params().slab_bytes(), b.session->params().slab_bytes());
  else EXPECT_EQ(a.session->params().slab_bytes(), b.session->params().slab_bytes());
}

}  // namespace
}  // namespace lethe

namespace lethe::audit {
namespace {

TEST(Experiment, AutoMethodsGiveTheSameResultWithOrWithoutARetrain) {
  test::TempDir dir;
  const std::string data = dir.file("data");
  io::make_dirs(data);
  io::write_inter(io::path_join(data, "tiny.inter"), test::tiny_dataset(60, 40, 10, {}, 7));
  auto opts = [&](const std::string& out, std::vector<std::string> methods) {
    ExperimentOptions o;
    o.data_dir = data;
    o.cache_dir = dir.file("cache");
    o.out_dir = dir.file(out);
    o.original_dir = dir.file("original");  // one θ₀ for both
    o.model = "lightgcn";
    o.regime = io::Regime::kInteraction;
    o.ratio = 0.1;
    o.methods = std::move(methods);
    o.seeds = 1;
    o.noise_floor = NoiseFloor::kOff;
    o.cfg.set("epochs", "2");
    o.cfg.set("unlearn.auto.candidates", "2");
    o.cfg.set("unlearn.auto.rung_epochs", "1");
    o.cfg.set("unlearn.auto.max_epochs", "2");
    o.device = Device::CPU;
    o.progress = false;
    o.command = "lethe experiment (test)";
    return o;
  };
  const std::vector<AuditRow> with = run_experiment(opts("with", {"retrain", "tru-auto"}));
  const std::vector<AuditRow> without = run_experiment(opts("without", {"tru-auto"}));
  auto row = [](const std::vector<AuditRow>& rows) {
    for (const auto& r : rows)
      if (r.method == "tru-auto") return r;
    ADD_FAILURE() << "no tru-auto row";
    return AuditRow{};
  };
  const AuditRow a = row(with), b = row(without);
  ASSERT_TRUE(a.ok()) << a.error;
  EXPECT_EQ(a.retain_recall20, b.retain_recall20);
  EXPECT_EQ(a.forget_recall20, b.forget_recall20);
  EXPECT_EQ(a.method_stats, b.method_stats);
  EXPECT_FALSE(std::isnan(a.speedup));  // Retrain's time is used to report, never to tune
  // The search's trace is in the method's log.
  const std::string log = io::read_file(dir.file("with") + "/logs/interaction-seed1-tru-auto.jsonl");
  EXPECT_NE(log.find("\"auto\": \"result\""), std::string::npos);
  EXPECT_NE(log.find("\"decision\""), std::string::npos);
}

}  // namespace
}  // namespace lethe::audit
