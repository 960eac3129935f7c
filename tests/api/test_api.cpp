// tests/api/test_api.cpp — the public facade (include/lethe/lethe.h) end to end on a tiny
// synthetic dataset: train, evaluate, top-K (equal to the CLI's export path: compute_topk on
// a checkpoint restored the way `lethe eval` restores it), save → load, settings with MMRec's
// names, a deletion request, unlearning, the audit, and errors that name what was wrong.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "engine/checkpointing.h"
#include "engine/recommend.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "graph/knn.h"
#include "lethe/lethe.h"
#include "tests/io/io_test_util.h"

namespace {

using lethe::test::error_of;
using lethe::test::has_all;
using lethe::test::TempDir;

struct ApiFixture : ::testing::Test {
  static void SetUpTestSuite() {
    dir = new TempDir();
    lethe::SynthOptions so;
    so.users = 120;
    so.items = 60;
    so.interactions = 1200;
    so.modalities = "image:8,text:4";
    so.seed = 5;
    lethe::make_synthetic(dir->file("data"), so);
  }
  static void TearDownTestSuite() { delete dir; }
  static lethe::Settings quick() {
    lethe::Settings s;
    s.set("epochs", "4").set("learning_rate", "0.01");  // an MMRec name among Lethe's
    return s;
  }
  static TempDir* dir;
};
TempDir* ApiFixture::dir = nullptr;

TEST_F(ApiFixture, TrainEvaluateTopKSaveLoad) {
  const lethe::Dataset data = lethe::Dataset::open(dir->file("data"));
  EXPECT_EQ(data.n_users(), 120);
  EXPECT_EQ(data.modalities(), (std::vector<std::string>{"image", "text"}));
  std::vector<int32_t> u, i;
  data.interactions("train", u, i);
  EXPECT_EQ(static_cast<int64_t>(u.size()), data.rows("train"));

  const lethe::Recommender m = lethe::Recommender::train(data, "MGCN", quick());
  EXPECT_EQ(m.model(), "mgcn");
  EXPECT_NE(m.settings().find("lr = 0.01"), std::string::npos);
  EXPECT_GE(m.training_summary().at("best_epoch"), 1);
  const lethe::MetricMap ev = m.evaluate("test", {5, 20});
  for (const char* k : {"recall@5", "ndcg@20", "precision@20", "map@20", "hit@5", "mrr@20"}) EXPECT_TRUE(ev.count(k)) << k;
  EXPECT_EQ(ev.at("users"), 120);

  const lethe::Matrix ue = m.user_embeddings(), ie = m.item_embeddings();
  EXPECT_EQ(ue.rows, 120);
  EXPECT_EQ(ie.rows, 60);
  EXPECT_EQ(ue.cols, ie.cols);
  EXPECT_EQ(static_cast<int64_t>(ue.data.size()), ue.rows * ue.cols);

  const lethe::TopK top = m.top_k(10);
  ASSERT_EQ(top.users.size(), 120u);
  for (size_t r = 0; r < top.users.size(); ++r)
    for (int k = 1; k < top.k; ++k) EXPECT_GE(top.scores[r * 10 + k - 1], top.scores[r * 10 + k]);
  // The score is the dot product of the embeddings.
  const int32_t u0 = top.users[3], i0 = top.items[30];
  double dot = 0;
  for (int64_t c = 0; c < ue.cols; ++c) dot += double(ue.data[u0 * ue.cols + c]) * ie.data[i0 * ie.cols + c];
  EXPECT_NEAR(top.scores[30], dot, 1e-4 * (1 + std::abs(dot)));

  // save → the CLI's path (`lethe eval --checkpoint`: restore into a fresh session, embed,
  // compute_topk with the train mask) gives the same lists and scores.
  m.save(dir->file("m.ckpt"));
  {
    const lethe::io::Dataset ds = lethe::io::load_dataset(dir->file("data"));
    const lethe::io::Checkpoint c = lethe::io::read_checkpoint(dir->file("m.ckpt"));
    const lethe::ModelCheckpointInfo info = lethe::read_model_checkpoint_info(c, "m.ckpt");
    lethe::Ctx ctx(lethe::Device::CPU);
    lethe::ModelSession s(ctx, ds, info.model, info.config, lethe::graph::default_cache_dir(dir->file("data")));
    lethe::restore_model_checkpoint(c, "m.ckpt", s.params(), nullptr, nullptr);
    const lethe::Embeddings e = lethe::embed(ctx, s.model(), s.params());
    const lethe::RankedLists cli = lethe::compute_topk(ctx, e.users, e.items, &s.data().train_mask, 10, {}, 2048);
    EXPECT_EQ(cli.items, top.items);
    for (size_t k = 0; k < cli.scores.size(); ++k) EXPECT_EQ(static_cast<float>(cli.scores[k]), top.scores[k]);
  }
  const lethe::Recommender back = lethe::Recommender::load(data, dir->file("m.ckpt"));
  EXPECT_EQ(back.top_k(10).items, top.items);
  EXPECT_EQ(back.settings_hash(), m.settings_hash());
  EXPECT_EQ(m.top_k(3, {7, 2, 7}).users, (std::vector<int32_t>{2, 7}));
}

TEST_F(ApiFixture, ForgetUnlearnAudit) {
  const lethe::Dataset data = lethe::Dataset::open(dir->file("data"));
  const lethe::Recommender m = lethe::Recommender::train(data, "lightgcn", quick());
  const lethe::ForgetRequest req = lethe::ForgetRequest::make(data, "user", 0.1, 2);
  EXPECT_EQ(req.regime(), "user");
  EXPECT_EQ(req.users().size(), 12u);
  EXPECT_EQ(req.forget_rows() + req.retain_rows(), data.rows("train"));
  req.write(dir->file("req.tsv"));
  EXPECT_EQ(lethe::ForgetRequest::read(data, dir->file("req.tsv")).users(), req.users());

  lethe::Settings us;
  us.set("unlearn.epochs", "2");
  const lethe::Unlearned un = m.unlearn(req, "mmrecun", us);
  EXPECT_EQ(un.method, "mmrecun");
  EXPECT_EQ(un.epochs, 2);
  const lethe::Unlearned re = m.unlearn(req, "retrain", quick());
  const lethe::AuditReport a = m.audit(un.model, req, &re.model);
  EXPECT_TRUE(a.retain.count("recall@20"));
  EXPECT_TRUE(a.forget.count("recall@20"));
  EXPECT_GE(a.overlap_with_retrain, 0.0);
  EXPECT_LE(a.overlap_with_retrain, 1.0);
  EXPECT_TRUE(std::isnan(m.audit(un.model, req).overlap_with_retrain));
  // An unlearned model ranks on D_r and evaluates without the deleted users.
  EXPECT_LT(un.model.evaluate("test").at("users"), 120);
  un.model.save(dir->file("un.ckpt"));
  const lethe::Recommender ul = lethe::Recommender::load(data, dir->file("un.ckpt"), req);
  EXPECT_EQ(ul.top_k(5).items, un.model.top_k(5).items);
}

TEST_F(ApiFixture, ErrorsNameWhatWasWrong) {
  const lethe::Dataset data = lethe::Dataset::open(dir->file("data"));
  EXPECT_TRUE(has_all(error_of([&] { lethe::Recommender::train(data, "BM3"); }), {"unknown model 'BM3'"}));
  lethe::Settings bad;
  bad.set("learning_rat", "0.1");
  EXPECT_TRUE(has_all(error_of([&] { lethe::Recommender::train(data, "mgcn", bad); }), {"learning_rat"}));
  EXPECT_TRUE(has_all(error_of([&] { lethe::Dataset::open(dir->file("nope")); }), {"nope"}));
  EXPECT_TRUE(has_all(error_of([&] { lethe::ForgetRequest::make(data, "users"); }), {"users"}));
  const lethe::Recommender m = lethe::Recommender::train(data, "lightgcn", quick());
  EXPECT_TRUE(has_all(error_of([&] { m.top_k(0); }), {"k must be in [1, 1024]"}));
  EXPECT_TRUE(has_all(error_of([&] { m.top_k(5, {500}); }), {"user 500"}));
  EXPECT_TRUE(has_all(error_of([&] { m.unlearn(lethe::ForgetRequest::make(data, "item"), "forget-it"); }),
                      {"forget-it"}));
  EXPECT_TRUE(has_all(error_of([&] { m.evaluate("train"); }), {"test or valid"}));
  const lethe::Recommender empty;
  EXPECT_TRUE(has_all(error_of([&] { empty.top_k(5); }), {"empty handle"}));
  EXPECT_EQ(lethe::version(), LETHE_VERSION);
  EXPECT_EQ(lethe::Settings().set("reg_weight", "0.5").resolved("MGCN").find("mgcn.reg = 0.5") != std::string::npos,
            true);
}

}  // namespace
