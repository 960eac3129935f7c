// tests/models/test_backbone_grads.cpp — whole-model gradient checks: for each backbone on a
// tiny dataset, the tape's gradient of the full training loss (ranking + regularisation +
// auxiliary terms) matches central finite differences over every parameter (CPU, double).
#include "engine/models/model.h"
#include "engine/trainer.h"
#include "tests/models/tiny_data.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

void check_model_gradient(const std::string& name, Config cfg, bool reverse, bool weighted) {
  const io::Dataset ds = test::tiny_dataset(6, 9, 5, {5, 3}, 17);
  Ctx ctx(Device::CPU);
  cfg.set("dim", "4");
  ModelData data(ctx, ds, DType::F64, knn_k_for(name, cfg), "");
  auto model = make_model(name, data, cfg);
  ParamStore ps(ctx, DType::F64);
  model->declare(ps);
  ps.finalize();
  model->init(ps, 5);
  // Move every tensor away from its initial value a little so no term sits at a special point.
  std::vector<double> theta = ps.slab_to_host();
  const auto jitter = test::random_vec<double>(ps.numel(), 3, -0.1, 0.1);
  for (const auto& p : ps.infos())
    for (int64_t e = 0; e < p.numel(); ++e) theta[p.offset + e] += jitter[p.offset + e];
  ps.slab_from_host(theta);

  Tape tape(ctx, ps);
  Batch b;
  b.users = {0, 1, 2, 3, 4, 5, 2};
  b.pos = {ds.train.item[0], 3, 4, 5, 6, 7, 8};
  b.neg = {1, 2, 0, 8, 7, 6, 5};
  auto run = [&]() {
    tape.clear();
    b.upload(tape);
    model->forward(tape, false, 0, 0);
    RankSpec rs;
    rs.reverse = reverse;
    if (weighted) rs.weights = tape.upload({0.3, 1.0, 0.7, 0.2, 0.9, 0.5, 1.2}, 7, 1);
    return model->loss(tape, b, rs).total;
  };
  GradSlab g(ps);
  Var loss = run();
  tape.backward(loss, g);
  const auto analytic = g.all().to_host(ctx);
  auto f = [&]() {
    ps.slab_from_host(theta);
    return tape.item(run());
  };
  const auto fd = test::fd_gradient(f, theta);
  EXPECT_TRUE(test::allclose(analytic, fd, test::Tol{1e-7, 1e-5}, name + " d loss / d theta"));
  // Every parameter tensor receives gradient (the check covers the whole model).
  for (const auto& p : ps.infos()) {
    double s = 0;
    for (int64_t e = 0; e < p.numel(); ++e) s += analytic[p.offset + e] * analytic[p.offset + e];
    EXPECT_GT(s, 0.0) << name << ": no gradient reaches " << p.name;
  }
}

TEST(BackboneGradient, LightGCN) { check_model_gradient("lightgcn", Config(), false, false); }
TEST(BackboneGradient, LightGCNReverseWeighted) { check_model_gradient("lightgcn", Config(), true, true); }
TEST(BackboneGradient, MGCN) { check_model_gradient("mgcn", Config(), false, false); }
TEST(BackboneGradient, MGCNReverseWeighted) { check_model_gradient("mgcn", Config(), true, true); }
TEST(BackboneGradient, MGCNThreeModalitiesAndDeeperViews) {
  Config cfg;
  cfg.set("mgcn.ui_layers", "3");
  cfg.set("mgcn.ii_layers", "2");
  cfg.set("mgcn.knn_k", "3");
  cfg.set("mgcn.cl", "0.1");
  const io::Dataset ds = test::tiny_dataset(5, 7, 4, {4, 3, 2}, 23);
  Ctx ctx(Device::CPU);
  cfg.set("dim", "3");
  ModelData data(ctx, ds, DType::F64, 3, "");
  auto model = make_model("mgcn", data, cfg);
  ParamStore ps(ctx, DType::F64);
  model->declare(ps);
  ps.finalize();
  model->init(ps, 9);
  EXPECT_EQ(ps.branches(), (std::vector<std::string>{"id", "image", "text", "audio2", "shared"}));
  Tape tape(ctx, ps);
  Batch b;
  b.users = {0, 1, 2, 3, 4};
  b.pos = {0, 1, 2, 3, 4};
  b.neg = {6, 5, 4, 3, 2};
  std::vector<double> theta = ps.slab_to_host();
  auto run = [&]() {
    tape.clear();
    b.upload(tape);
    model->forward(tape, false, 0, 0);
    return model->loss(tape, b, RankSpec{}).total;
  };
  GradSlab g(ps);
  tape.backward(run(), g);
  const auto analytic = g.all().to_host(ctx);
  auto f = [&]() {
    ps.slab_from_host(theta);
    return tape.item(run());
  };
  EXPECT_TRUE(test::allclose(analytic, test::fd_gradient(f, theta), test::Tol{1e-7, 1e-5}, "mgcn M=3"));
}

}  // namespace
}  // namespace lethe
