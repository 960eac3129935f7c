// tests/engine/test_config_files.cpp — settings files as MMRec users write them: YAML and
// `key = value` files with MMRec's names, model-specific names resolved by the model, grids
// reduced to one value with a note, MMRec settings without a Lethe meaning ignored with a note,
// values Lethe cannot honour and unknown names refused, MMRec's layered folders (the folder
// tests/data/mmrec_configs is in MMRec's layout), model names in any case.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "engine/config.h"
#include "tests/io/io_test_util.h"

namespace lethe {
namespace {

using test::error_of;
using test::has_all;
using test::TempDir;
using test::write_bytes;

const std::string kDir = std::string(LETHE_SOURCE_DIR) + "/tests/data/mmrec_configs";

bool any_note_has(const Config& c, const std::string& piece) {
  for (const auto& n : c.notes())
    if (n.find(piece) != std::string::npos) return true;
  return false;
}

TEST(ConfigFiles, MmrecNamesAreAliasesInYaml) {
  TempDir d;
  write_bytes(d.file("a.yaml"),
              "learning_rate: 0.005\nembedding_size: 32\ntrain_batch_size: 512\nstopping_step: 7\n"
              "learning_rate_scheduler: [0.9, 25]\ntopk: [5, 20]\nknn_k: 3\nn_ui_layers: 1\ncl_loss: 0.1\n"
              "eval_step: 2\neval_batch_size: 100\nfilter_out_cod_start_users: False\nseed: 7\n");
  Config c;
  c.load_file(d.file("a.yaml"));
  EXPECT_EQ(c.f64("lr"), 0.005);
  EXPECT_EQ(c.i64("dim"), 32);
  EXPECT_EQ(c.i64("batch_size"), 512);
  EXPECT_EQ(c.i64("patience"), 7);
  EXPECT_EQ(c.f64("lr_decay"), 0.9);
  EXPECT_EQ(c.f64("lr_decay_epochs"), 25);
  EXPECT_EQ(c.i64_list("eval.ks"), (std::vector<int64_t>{5, 20}));
  EXPECT_EQ(c.i64("mgcn.knn_k"), 3);
  EXPECT_EQ(c.i64("mgcn.ui_layers"), 1);
  EXPECT_EQ(c.f64("mgcn.cl"), 0.1);
  EXPECT_EQ(c.i64("eval_every"), 2);
  EXPECT_EQ(c.i64("eval.tile_users"), 100);
  EXPECT_FALSE(c.flag("eval.filter_cold_users"));
  EXPECT_EQ(c.i64("seed"), 7);
}

TEST(ConfigFiles, LetheNamesNestedYamlAndKeyValueFilesWork) {
  TempDir d;
  write_bytes(d.file("b.yml"), "lr: 0.01\nmgcn:\n  cl: 0.001\ntru:\n  gate:\n    k: 10\n");
  write_bytes(d.file("c.cfg"), "learning_rate = 0.02\ntopk = 10,20\n");
  Config c;
  c.load_file(d.file("b.yml"));
  EXPECT_EQ(c.f64("lr"), 0.01);
  EXPECT_EQ(c.f64("mgcn.cl"), 0.001);
  EXPECT_EQ(c.i64("tru.gate.k"), 10);
  c.load_file(d.file("c.cfg"));  // later files override earlier ones
  EXPECT_EQ(c.f64("lr"), 0.02);
  EXPECT_EQ(c.i64_list("eval.ks"), (std::vector<int64_t>{10, 20}));
}

TEST(ConfigFiles, ModelSpecificNamesFollowTheModel) {
  TempDir d;
  write_bytes(d.file("m.yaml"), "reg_weight: 0.5\nn_layers: 2\n");
  Config mg;
  mg.set_model("mgcn");
  mg.load_file(d.file("m.yaml"));
  EXPECT_EQ(mg.f64("mgcn.reg"), 0.5);
  EXPECT_EQ(mg.i64("mgcn.ii_layers"), 2);
  EXPECT_EQ(mg.str("lightgcn.reg"), "1e-4");  // untouched
  Config lg;
  lg.set_model("lightgcn");
  lg.load_file(d.file("m.yaml"));
  EXPECT_EQ(lg.f64("lightgcn.reg"), 0.5);
  EXPECT_EQ(lg.i64("lightgcn.layers"), 2);
  Config none;
  EXPECT_TRUE(has_all(error_of([&] { none.load_file(d.file("m.yaml")); }), {"m.yaml:1", "reg_weight", "--model"}));
  Config mig;
  mig.set_model("miggt");
  EXPECT_TRUE(has_all(error_of([&] { mig.load_file(d.file("m.yaml")); }), {"reg_weight", "no meaning for miggt"}));
}

TEST(ConfigFiles, UnknownNamesAndUnfollowableValuesAreErrors) {
  TempDir d;
  auto err = [&](const std::string& text) {
    write_bytes(d.file("e.yaml"), text);
    Config c;
    c.set_model("mgcn");
    return error_of([&] { c.load_file(d.file("e.yaml")); });
  };
  EXPECT_TRUE(has_all(err("learning_rat: 0.1\n"), {"e.yaml:1", "unknown setting 'learning_rat'"}));
  EXPECT_TRUE(has_all(err("learner: sgd\n"), {"e.yaml:1", "learner", "Adam only"}));
  EXPECT_TRUE(has_all(err("valid_metric: NDCG@10\n"), {"valid_metric", "Recall@20"}));
  EXPECT_TRUE(has_all(err("training_neg_sample_num: 4\n"), {"one negative"}));
  EXPECT_TRUE(has_all(err("weight_decay: 0.01\n"), {"weight decay"}));
  EXPECT_TRUE(has_all(err("learning_rate_scheduler: [0.9]\n"), {"[factor, epochs]"}));
  EXPECT_TRUE(has_all(err("cl_loss: [0.1, 0.01]\n"), {"e.yaml:1", "cl_loss", "one value", "list of 2"}));
  EXPECT_TRUE(has_all(err("inter_splitting_label: split\n"), {"x_label"}));
}

TEST(ConfigFiles, MmrecLayersApplyInOrderWithNotes) {
  Config c;
  c.set_model("mgcn");
  ConfigLayers l;
  l.mmrec_dir = kDir;
  l.dataset_names = {"tests-data", "synth"};  // the folder's name, then the .inter stem
  load_config(c, l);
  EXPECT_EQ(c.i64("seed"), 999);        // overall.yaml: a one-value grid
  EXPECT_EQ(c.i64("epochs"), 300);      // overall.yaml
  EXPECT_EQ(c.i64("patience"), 10);     // overall.yaml
  EXPECT_EQ(c.i64("eval_every"), 2);    // overall.yaml
  EXPECT_EQ(c.i64("eval.tile_users"), 512);
  EXPECT_EQ(c.i64_list("eval.ks"), (std::vector<int64_t>{5, 10, 20, 50}));
  EXPECT_EQ(c.i64("batch_size"), 512);  // dataset/synth.yaml overrides overall's 1024
  EXPECT_FALSE(c.flag("eval.filter_cold_users"));  // dataset/synth.yaml overrides overall
  EXPECT_EQ(c.i64("dim"), 32);          // model/MGCN.yaml overrides overall's 64
  EXPECT_EQ(c.f64("lr"), 0.004);        // model/MGCN.yaml overrides overall's 0.002
  EXPECT_EQ(c.f64("lr_decay"), 0.9);
  EXPECT_EQ(c.f64("lr_decay_epochs"), 20);
  EXPECT_EQ(c.i64("mgcn.ui_layers"), 3);
  EXPECT_EQ(c.i64("mgcn.ii_layers"), 2);
  EXPECT_EQ(c.f64("mgcn.reg"), 1e-3);
  EXPECT_EQ(c.i64("mgcn.knn_k"), 5);
  EXPECT_EQ(c.f64("mgcn.cl"), 0.1);     // the grid's first value, with a note
  EXPECT_TRUE(any_note_has(c, "cl_loss is an MMRec grid [0.1, 0.01]"));
  EXPECT_TRUE(any_note_has(c, "overall.yaml: MMRec settings without a Lethe meaning, ignored: gpu_id, use_gpu"));
  EXPECT_TRUE(any_note_has(c, "MGCN.yaml: MMRec settings without a Lethe meaning, ignored: lambda_coeff"));

  Config g;  // the same folder for LightGCN: its own model file, the same names mean its settings
  g.set_model("lightgcn");
  load_config(g, l);
  EXPECT_EQ(g.i64("lightgcn.layers"), 4);
  EXPECT_EQ(g.f64("lightgcn.reg"), 1e-2);
  EXPECT_EQ(g.f64("lr"), 0.002);  // overall's: no MGCN.yaml in the way
}

TEST(ConfigFiles, LayersThenFilesAndMissingFolders) {
  TempDir d;
  write_bytes(d.file("last.yaml"), "lr: 0.1\n");
  Config c;
  c.set_model("mgcn");
  ConfigLayers l;
  l.mmrec_dir = kDir;
  l.files = {d.file("last.yaml")};
  load_config(c, l);
  EXPECT_EQ(c.f64("lr"), 0.1);
  EXPECT_EQ(c.i64("batch_size"), 1024);  // no dataset name given: overall's value
  ConfigLayers empty;
  empty.mmrec_dir = d.path();
  EXPECT_TRUE(has_all(error_of([&] { load_config(c, empty); }), {d.path(), "overall.yaml"}));
  ConfigLayers missing;
  missing.mmrec_dir = d.file("nope");
  EXPECT_TRUE(has_all(error_of([&] { load_config(c, missing); }), {"does not exist"}));
}

TEST(ConfigFiles, ModelNamesInAnyCase) {
  EXPECT_EQ(canonical_model_name("MGCN"), "mgcn");
  EXPECT_EQ(canonical_model_name("LightGCN"), "lightgcn");
  EXPECT_EQ(canonical_model_name("MIG-GT"), "miggt");
  EXPECT_EQ(canonical_model_name("mig_gt"), "miggt");
  EXPECT_TRUE(has_all(error_of([] { canonical_model_name("BM3"); }), {"unknown model 'BM3'", "lightgcn, mgcn or miggt"}));
  // A backbone with the certified pair head keeps its suffix; the backbone part in any case.
  EXPECT_EQ(canonical_model_name("MGCN+head"), "mgcn+head");
  EXPECT_EQ(canonical_model_name("lightgcn+HEAD"), "lightgcn+head");
  EXPECT_TRUE(has_all(error_of([] { canonical_model_name("bm3+head"); }), {"unknown model 'bm3+head'"}));
  EXPECT_THROW(canonical_model_name("+head"), Error);
}

// Every key belongs to one of the groups the commands' --help shows (a key outside them would be
// a setting no command declares), and each group holds at least one key.
TEST(ConfigFiles, EveryKeyHasAGroupAndEveryGroupKeys) {
  const auto& groups = config_groups();
  std::map<std::string, int> count;
  for (const auto& k : config_keys()) {
    const std::string g = config_group(k.key);
    EXPECT_NE(std::find(groups.begin(), groups.end(), g), groups.end()) << k.key << " -> " << g;
    ++count[g];
  }
  for (const auto& g : groups) EXPECT_GT(count[g], 0) << g;
  EXPECT_EQ(config_group("seed"), "training");
  EXPECT_EQ(config_group("eval.ks"), "evaluation");
  EXPECT_EQ(config_group("neggrad_plus.beta"), "unlearning");
  EXPECT_EQ(config_group("tru.gate.k"), "TRU");
  EXPECT_EQ(config_group("backdoor.attack_size"), "audits");
}

// The settings added after runs began recording theirs name real keys, and each earlier behaviour
// is a value its key accepts ("*" aside); the behaviour-changing ones are pinned here, because a
// wrong entry would let a newer program reuse a run that computed something else.
TEST(ConfigFiles, LegacyValuesNameRealKeysWithValidValues) {
  const auto& legacy = legacy_config_values();
  for (const auto& [k, v] : legacy) {
    Config c;
    EXPECT_TRUE(c.known(k)) << k;
    if (v != "*") {
      EXPECT_NO_THROW(c.set(k, v, "legacy")) << k << " = " << v;
    }
  }
  EXPECT_EQ(legacy.at("eval.filter_cold_users"), "false");
  EXPECT_EQ(legacy.at("tru.rows"), "false");
  EXPECT_EQ(legacy.at("cuda.tf32"), "false");
  EXPECT_EQ(legacy.at("unlearn.auto.utility"), "*");
  EXPECT_EQ(legacy.at("unlearn.auto.floor_users"), "retained");  // the floor over every retained user
  EXPECT_EQ(legacy.at("tru.match"), "false");    // the reverse loss and the gate on D_f
  EXPECT_EQ(legacy.at("tru.confine"), "false");  // pair requests reached every table
  EXPECT_FALSE(legacy.count("lr")) << "a setting every run records has no earlier behaviour";
}

// The command line accepts MMRec's names (tools/cli_common.cpp) exactly where Config::apply
// understands them: each name is_mmrec_name() accepts applies without "unknown setting".
TEST(ConfigFiles, MmrecNamesOnTheCommandLineAreThoseApplyKnows) {
  for (const char* n : {"learning_rate", "embedding_size", "train_batch_size", "stopping_step", "knn_k", "cl_loss",
                        "reg_weight", "n_layers", "learning_rate_scheduler", "learner", "gpu_id"})
    EXPECT_TRUE(is_mmrec_name(n)) << n;
  for (const char* n : {"lr", "dim", "tru.gate.k", "no_such_name", "--lr"}) EXPECT_FALSE(is_mmrec_name(n)) << n;
  EXPECT_TRUE(is_mmrec_ignored("gpu_id"));
  EXPECT_FALSE(is_mmrec_ignored("learning_rate"));
  Config c;
  c.set_model("mgcn");
  c.apply("learning_rate", {"0.02"}, false, "--learning_rate");
  c.apply("reg_weight", {"0.003"}, false, "--reg_weight");
  c.apply("learning_rate_scheduler", {"0.9,10"}, false, "--learning_rate_scheduler");
  c.apply("gpu_id", {"0"}, false, "--gpu_id");
  EXPECT_EQ(c.str("lr"), "0.02");
  EXPECT_EQ(c.origin("lr"), "--learning_rate");
  EXPECT_EQ(c.str("mgcn.reg"), "0.003");
  EXPECT_EQ(c.str("lr_decay"), "0.9");
  EXPECT_EQ(c.str("lr_decay_epochs"), "10");
}

TEST(ConfigFiles, DatasetNamesAndSettingsHash) {
  TempDir d;
  write_bytes(d.file("baby.inter"), "userID\titemID\tx_label\n");
  write_bytes(d.file("baby.alt.inter"), "userID\titemID\tx_label\n");
  const auto names = dataset_names_of(d.path() + "/");
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[1], "baby");  // alternatives (baby.alt.inter) are not names
  Config a, b;
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_EQ(a.hash().size(), 16u);
  b.set("lr", "0.01");
  EXPECT_NE(a.hash(), b.hash());
}

}  // namespace
}  // namespace lethe
