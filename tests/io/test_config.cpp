// tests/io/test_config.cpp — `key = value` config files: comments, quoting, file:line errors
// for malformed lines and duplicate keys, file:line:key errors for bad values.
#include <gtest/gtest.h>

#include <string>

#include "io/config.h"
#include "tests/io/io_test_util.h"

namespace lethe::io {
namespace {

using test::error_of;
using test::has_all;
using test::TempDir;

TEST(IoConfig, ParsesValuesCommentsAndQuotes) {
  const Config c = Config::parse(
      "# training\n"
      "\n"
      "lr = 0.001\n"
      "  epochs=300   # trailing comment\n"
      "name = \"a # b \"\n"
      "url = http://x/#frag\n"
      "ks = 10,20,50\r\n"
      "gate = on\n",
      "run.cfg");
  EXPECT_EQ(c.f64("lr"), 0.001);
  EXPECT_EQ(c.i64("epochs"), 300);
  EXPECT_EQ(c.str("name"), "a # b ");
  EXPECT_EQ(c.str("url"), "http://x/#frag");
  EXPECT_EQ(c.str("ks"), "10,20,50");
  EXPECT_TRUE(c.boolean("gate"));
  EXPECT_EQ(c.keys(), (std::vector<std::string>{"epochs", "gate", "ks", "lr", "name", "url"}));
  EXPECT_EQ(c.where("epochs"), "run.cfg:4");
  EXPECT_EQ(c.i64("batch", 2048), 2048);
  EXPECT_EQ(c.str("missing", "d"), "d");
}

TEST(IoConfig, MalformedLineNamesFileAndLine) {
  EXPECT_TRUE(has_all(error_of([] { Config::parse("a = 1\njust words\n", "x.cfg"); }), {"x.cfg:2:", "expected 'key = value'", "'just words'"}));
  EXPECT_TRUE(has_all(error_of([] { Config::parse("= 3\n", "x.cfg"); }), {"x.cfg:1:", "missing key"}));
  EXPECT_TRUE(has_all(error_of([] { Config::parse("\n\nbad key = 3\n", "x.cfg"); }), {"x.cfg:3:", "invalid key 'bad key'"}));
  EXPECT_TRUE(has_all(error_of([] { Config::parse("a =\n", "x.cfg"); }), {"x.cfg:1:", "missing value for 'a'"}));
  EXPECT_TRUE(has_all(error_of([] { Config::parse("a = # nothing\n", "x.cfg"); }), {"x.cfg:1:", "missing value"}));
  EXPECT_TRUE(has_all(error_of([] { Config::parse("a = \"open\n", "x.cfg"); }), {"x.cfg:1:", "unterminated"}));
}

TEST(IoConfig, DuplicateKeyNamesBothLines) {
  EXPECT_TRUE(has_all(error_of([] { Config::parse("lr = 1\n# x\nlr = 2\n", "x.cfg"); }), {"x.cfg:3:", "duplicate key 'lr'", "line 1"}));
}

TEST(IoConfig, BadValueNamesFileLineKey) {
  const Config c = Config::parse("epochs = 3.5\nlr = fast\ngate = maybe\nbig = 99999999999999999999\n", "x.cfg");
  EXPECT_TRUE(has_all(error_of([&] { c.i64("epochs"); }), {"x.cfg:1:epochs:", "expected an integer", "'3.5'"}));
  EXPECT_TRUE(has_all(error_of([&] { c.f64("lr"); }), {"x.cfg:2:lr:", "expected a finite number", "'fast'"}));
  EXPECT_TRUE(has_all(error_of([&] { c.boolean("gate"); }), {"x.cfg:3:gate:", "true/false"}));
  EXPECT_TRUE(has_all(error_of([&] { c.i64("big"); }), {"x.cfg:4:big:"}));
  EXPECT_TRUE(has_all(error_of([&] { c.i64("epochs", 5); }), {"x.cfg:1:epochs:"})) << "a present bad value is an error even with a default";
  EXPECT_TRUE(has_all(error_of([&] { c.str("nope"); }), {"x.cfg", "missing key 'nope'"}));
}

TEST(IoConfig, OverridesAndUnusedKeys) {
  TempDir t;
  test::write_bytes(t.file("a.cfg"), "lr = 0.1\nepochs = 5\ntypo_key = 1\n");
  Config c = Config::load(t.file("a.cfg"));
  c.set("lr", "0.5");
  EXPECT_EQ(c.f64("lr"), 0.5);
  EXPECT_EQ(c.where("lr"), "<command line>");
  c.set("lr", "x");
  EXPECT_TRUE(has_all(error_of([&] { c.f64("lr"); }), {"<command line>:lr:"}));
  (void)c.i64("epochs");
  EXPECT_EQ(c.unused(), (std::vector<std::string>{"typo_key"}));
  EXPECT_TRUE(has_all(error_of([] { Config::load("/nonexistent/a.cfg"); }), {"/nonexistent/a.cfg", "cannot open"}));
}

}  // namespace
}  // namespace lethe::io
