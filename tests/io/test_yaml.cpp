// tests/io/test_yaml.cpp — YAML settings files: scalars as written, lists, nested mappings
// flattened with '.', and FILE:LINE errors for what a settings file may not hold.
#include <gtest/gtest.h>

#include "io/yaml.h"
#include "tests/io/io_test_util.h"

namespace lethe::io {
namespace {

using test::error_of;
using test::has_all;

TEST(IoYaml, ReadsScalarsListsAndNestedMappings) {
  const auto s = parse_yaml_settings(
      "# MMRec-style\n"
      "learning_rate: 0.001\n"
      "use_gpu: True\n"
      "data_path: 'data/'\n"
      "topk: [5, 10, 20]\n"
      "seed:\n"
      "  - 999\n"
      "mgcn:\n"
      "  cl: 1e-02\n"
      "  knn_k: 10\n",
      "c.yaml");
  ASSERT_EQ(s.size(), 7u);
  EXPECT_EQ(s[0].key, "learning_rate");
  EXPECT_EQ(s[0].values, (std::vector<std::string>{"0.001"}));
  EXPECT_FALSE(s[0].is_list);
  EXPECT_EQ(s[0].line, 2);
  EXPECT_EQ(s[1].values[0], "True");
  EXPECT_EQ(s[2].values[0], "data/");
  EXPECT_EQ(s[3].values, (std::vector<std::string>{"5", "10", "20"}));
  EXPECT_TRUE(s[3].is_list);
  EXPECT_TRUE(s[4].is_list);
  EXPECT_EQ(s[4].values, (std::vector<std::string>{"999"}));
  EXPECT_EQ(s[5].key, "mgcn.cl");
  EXPECT_EQ(s[5].values[0], "1e-02");
  EXPECT_EQ(s[5].line, 9);
  EXPECT_EQ(s[6].key, "mgcn.knn_k");
  EXPECT_TRUE(parse_yaml_settings("# nothing but a comment\n", "e.yaml").empty());
  EXPECT_TRUE(parse_yaml_settings("", "e.yaml").empty());
}

TEST(IoYaml, ErrorsNameTheFileAndLine) {
  EXPECT_TRUE(has_all(error_of([] { parse_yaml_settings("a: 1\nb: [1, 2\n", "bad.yaml"); }), {"bad.yaml:", "not valid YAML"}));
  EXPECT_TRUE(has_all(error_of([] { parse_yaml_settings("a: 1\na: 2\n", "dup.yaml"); }), {"dup.yaml:2:", "'a'", "twice", "line 1"}));
  EXPECT_TRUE(has_all(error_of([] { parse_yaml_settings("m:\n  x: 1\nm.x: 2\n", "flat.yaml"); }), {"flat.yaml:3:", "'m.x'", "twice"}));
  EXPECT_TRUE(has_all(error_of([] { parse_yaml_settings("a:\n", "null.yaml"); }), {"null.yaml:1:", "'a'", "no value"}));
  EXPECT_TRUE(has_all(error_of([] { parse_yaml_settings("- 1\n- 2\n", "list.yaml"); }), {"list.yaml:1:", "mapping"}));
  EXPECT_TRUE(has_all(error_of([] { parse_yaml_settings("a: [{b: 1}]\n", "deep.yaml"); }), {"deep.yaml:1:", "plain values"}));
  EXPECT_TRUE(has_all(error_of([] { parse_yaml_settings("a: []\n", "empty.yaml"); }), {"empty.yaml:1:", "empty list"}));
  EXPECT_TRUE(has_all(error_of([] { read_yaml_settings("/nonexistent/x.yaml"); }), {"/nonexistent/x.yaml"}));
}

TEST(IoYaml, RecognisesYamlFileNames) {
  EXPECT_TRUE(is_yaml_path("a/MGCN.yaml"));
  EXPECT_TRUE(is_yaml_path("b.YML"));
  EXPECT_FALSE(is_yaml_path("c.cfg"));
  EXPECT_FALSE(is_yaml_path("yaml"));
}

}  // namespace
}  // namespace lethe::io
