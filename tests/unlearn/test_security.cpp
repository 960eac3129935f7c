// tests/unlearn/test_security.cpp — the membership audit where the answer is known: a small
// synthetic data set, LightGCN trained long enough to memorise its train rows (θ₀), an
// interaction request, and Retrain. Family A must find θ₀'s forget pairs (well above chance)
// and must not find Retrain's (within 3 null SEs of 0.5: Retrain never saw them); family B must
// stay well above 0.5 for Retrain, since Retrain differs from θ₀ exactly on D_f — the code must
// not take 0.5 as that family's target.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/audit/suite.h"
#include "engine/checkpointing.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "engine/unlearn/unlearn.h"
#include "graph/bipartite.h"
#include "io/synth.h"
#include "tests/models/tiny_data.h"

namespace lethe::audit {
namespace {

TEST(SecurityAudits, MembershipFamiliesOnOriginalAndRetrain) {
  io::SynthSpec spec;
  spec.users = 500;
  spec.items = 250;
  spec.interactions = 7500;
  spec.modalities = {};
  spec.seed = 3;
  const io::Dataset ds = io::generate_synth(spec);
  Config cfg;
  cfg.set("lr", "0.01");
  cfg.set("epochs", "80");
  cfg.set("eval_every", "80");  // one evaluation, at the end: no early stop
  cfg.set("patience", "1000");
  Ctx ctx(Device::CPU);

  // θ₀ on D.
  ModelSession s0(ctx, ds, "lightgcn", cfg, "");
  TrainOptions opt = TrainOptions::from(cfg, s0.model());
  opt.progress = opt.epoch_lines = opt.eval_test = false;
  s0.init(opt.seed);
  AdamConfig ac;
  ac.lr = opt.lr;
  Adam adam(s0.params(), ac);
  const graph::HostCsr valid = graph::interaction_pattern(ds.n_users, ds.n_items, ds.valid);
  train(ctx, s0.model(), s0.params(), adam, s0.data(), ds.train, valid, valid, opt);
  const Embeddings e0 = embed(ctx, s0.model(), s0.params());

  io::RequestSpec rs;
  rs.regime = io::Regime::kInteraction;
  rs.ratio = 0.1;
  rs.seed = 1;
  const io::ForgetSplit split = io::resolve(ds, io::make_request(ds, rs));
  const SplitPatterns sp = split_patterns(ds, split);
  AuditSet audits;  // core, mia
  RequestAudits ra(ctx, ds, split, sp, rs.regime, rs.seed, audits, 2048);
  const ModelAudit m0 = ra.audit_original(e0.users, e0.items);

  UnlearnInput in;
  in.ctx = &ctx;
  in.ds = &ds;
  in.split = &split;
  in.model = "lightgcn";
  in.cfg = cfg;
  in.seed = 1;
  const UnlearnResult re = run_unlearning("retrain", in);
  const Embeddings er = embed(ctx, re.session->model(), re.session->params());
  const ModelAudit mr = ra.audit(er.users, er.items);

  ASSERT_TRUE(m0.mia && mr.mia);
  const AttackStats &a0 = m0.mia->a, &ar = mr.mia->a;
  ASSERT_GT(ar.test_pos, 150);  // enough pairs for the standard error to mean something
  const double se = ar.se_auc;
  EXPECT_NEAR(ar.auc.mean, 0.5, 3 * se) << "Retrain's forget pairs should look like unseen positives";
  EXPECT_GT(a0.auc.mean, 0.5 + 6 * se) << "θ₀ memorised its forget pairs: the attack should find them";
  EXPECT_GT(a0.bacc.mean, 0.5 + 6 * a0.se_bacc);
  EXPECT_GT(mr.mia->b.auc.mean, 0.5 + 6 * mr.mia->b.se_auc) << "family B's target is Retrain's value, not 0.5";
  // C: θ₀ trained on both kinds of pair (near 0.5), Retrain on the retained ones only (above).
  EXPECT_GT(mr.mia->c_auc.mean, m0.mia->c_auc.mean + 6 * mr.mia->c_se_auc);

  // Bit-identical on a second pass of the same models.
  const ModelAudit mr2 = ra.audit(er.users, er.items);
  EXPECT_EQ(mr2.mia->a.auc_by_split, ar.auc_by_split);
  EXPECT_EQ(mr2.mia->b.bacc_by_split, mr.mia->b.bacc_by_split);
  EXPECT_EQ(mr2.core.retain.get("recall@20"), mr.core.retain.get("recall@20"));
  // θ₀ first: a fresh RequestAudits refuses another model before it.
  RequestAudits fresh(ctx, ds, split, sp, rs.regime, rs.seed, audits, 2048);
  EXPECT_THROW(fresh.audit(er.users, er.items), Error);
}

}  // namespace
}  // namespace lethe::audit
