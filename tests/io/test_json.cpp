// tests/io/test_json.cpp — the JSON writer/parser (numbers at full precision, NaN/inf as null,
// escaping, errors with line:column) and the CSV / Markdown table writers.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "io/atomic_file.h"
#include "io/fs.h"
#include "io/json.h"
#include "io/utf8.h"
#include "io/table.h"
#include "tests/io/io_test_util.h"

namespace lethe::io {
namespace {

using test::error_of;
using test::has_all;
using test::TempDir;

TEST(IoJson, DoublesRoundTripInShortestForm) {
  EXPECT_EQ(format_double(0.1), "0.1");
  EXPECT_EQ(format_double(1.0), "1");
  EXPECT_EQ(format_double(-2.5e-7), "-2.5e-07");
  EXPECT_EQ(format_double(1.0 / 3.0), "0.3333333333333333");
  for (double v : {1.0 / 3.0, 0.1 + 0.2, 1e300, 5e-324, 2.2250738585072014e-308, -123456.789, 0.0964,
                   std::numeric_limits<double>::max(), 9007199254740993.0}) {
    const Json back = Json::parse(Json(v).dump());
    EXPECT_EQ(back.as_double(), v) << format_double(v);
  }
  EXPECT_EQ(format_double(std::nan("")), "nan");
  // Negative zero keeps its sign through dump → parse → dump (found by fuzz_json: "-0E0").
  const Json z = Json::parse("-0E0");
  EXPECT_TRUE(std::signbit(z.as_double()));
  EXPECT_EQ(z.dump(), "-0");
  EXPECT_TRUE(std::signbit(Json::parse(z.dump()).as_double()));
  EXPECT_EQ(Json::parse("-0").dump(), "-0");
}

TEST(IoJson, NonFiniteWrittenAsNull) {
  Json j = Json::object();
  j["nan"] = std::nan("");
  j["inf"] = std::numeric_limits<double>::infinity();
  j["ninf"] = -std::numeric_limits<double>::infinity();
  EXPECT_EQ(j.dump(-1), "{\"nan\": null, \"inf\": null, \"ninf\": null}");
  EXPECT_TRUE(std::isnan(Json::parse(j.dump()).at("nan").as_double()));
}

TEST(IoJson, IntegersAreExact) {
  Json j = Json::array();
  j.push_back(INT64_MAX);
  j.push_back(INT64_MIN);
  j.push_back(uint64_t{42});
  j.push_back(-7);
  const Json b = Json::parse(j.dump());
  EXPECT_EQ(b.at(0).as_int(), INT64_MAX);
  EXPECT_EQ(b.at(1).as_int(), INT64_MIN);
  EXPECT_EQ(b.at(2).as_int(), 42);
  EXPECT_EQ(b.at(3).as_int(), -7);
  EXPECT_EQ(Json::parse("3.0").as_int(), 3);
  EXPECT_EQ(Json::parse("1e2").type(), Json::Type::kDouble);
  EXPECT_TRUE(has_all(error_of([] { Json::parse("2.5").as_int(); }), {"expected an integer"}));
}

TEST(IoJson, NestedRoundTripKeepsOrder) {
  Json r = Json::object();
  r["method"] = "tru";
  r["backbone"] = "mgcn";
  r["ok"] = true;
  r["none"] = nullptr;
  Json& m = r["metrics"];
  m["recall@20"] = 0.0964;
  m["ndcg@20"] = 0.0412;
  Json& a = r["per_epoch"];
  for (int e = 0; e < 3; ++e) a.push_back(0.5 / (e + 1));
  r["empty_obj"] = Json::object();
  r["empty_arr"] = Json::array();
  for (int indent : {-1, 0, 2, 4}) {
    const Json b = Json::parse(r.dump(indent));
    EXPECT_EQ(b.dump(2), r.dump(2)) << indent;
  }
  const Json b = Json::parse(r.dump());
  EXPECT_EQ(b.members()[0].first, "method");
  EXPECT_EQ(b.at("metrics").at("recall@20").as_double(), 0.0964);
  EXPECT_EQ(b.at("per_epoch").size(), 3u);
  EXPECT_TRUE(b.at("none").is_null());
  EXPECT_TRUE(b.at("ok").as_bool());
  EXPECT_TRUE(has_all(error_of([&] { b.at("missing"); }), {"no member 'missing'"}));
  EXPECT_TRUE(has_all(error_of([&] { b.at("method").as_double(); }), {"is a string", "expected a number"}));
}

TEST(IoJson, StringEscapes) {
  const std::string s = std::string("quote\" backslash\\ newline\n tab\t ctl\x01 del\x7f utf8 \xC3\xA9 nul", 44) + std::string(1, '\0');
  const std::string dumped = Json(s).dump();
  EXPECT_EQ(dumped.find('\n'), std::string::npos);
  EXPECT_NE(dumped.find("\\u0001"), std::string::npos);
  EXPECT_NE(dumped.find("\\u0000"), std::string::npos);
  EXPECT_EQ(Json::parse(dumped).as_string(), s);
  EXPECT_EQ(Json::parse("\"\\u00e9\\ud83d\\ude00\\/\"").as_string(), "\xC3\xA9\xF0\x9F\x98\x80/");
}

TEST(IoJson, ParseErrorsNameLineAndColumn) {
  EXPECT_TRUE(has_all(error_of([] { Json::parse("{\n  \"a\": 1,\n  \"b\" 2\n}", "m.json"); }), {"m.json:3:7:", "expected ':'"}));
  EXPECT_TRUE(has_all(error_of([] { Json::parse("[1, 2", "m.json"); }), {"m.json:1:6:", "expected ',' or ']'"}));
  EXPECT_TRUE(has_all(error_of([] { Json::parse("{\"a\": 1, \"a\": 2}", "m.json"); }), {"duplicate key \"a\""}));
  EXPECT_TRUE(has_all(error_of([] { Json::parse("[1] x", "m.json"); }), {"m.json:1:5:", "after the value"}));
  EXPECT_TRUE(has_all(error_of([] { Json::parse("NaN", "m.json"); }), {"unexpected character 'N'"}));
  EXPECT_TRUE(has_all(error_of([] { Json::parse("\"a\nb\"", "m.json"); }), {"control character"}));
  EXPECT_TRUE(has_all(error_of([] { Json::parse("01", "m.json"); }), {"after the value"}));
  EXPECT_TRUE(has_all(error_of([] { Json::parse("\"\\ud800x\"", "m.json"); }), {"low surrogate"}));
  EXPECT_TRUE(has_all(error_of([] { Json::parse(std::string(600, '['), "m.json"); }), {"deeper than 512"}));
  EXPECT_TRUE(has_all(error_of([] { Json::parse("", "m.json"); }), {"unexpected end of input"}));
}

// Issue item 9: a dataset or modality name that is not UTF-8 (a Latin-1 file name) made
// metrics.json and results.json invalid JSON. Each bad byte is written as U+FFFD.
TEST(IoJson, InvalidUtf8IsReplacedSoTheOutputStaysJson) {
  Json j = Json::object();
  j["dataset"] = std::string("caf\xe9-\xff\xfe") + "\xc3\xa9";  // Latin-1 é, two bad bytes, then UTF-8 é
  j["cut"] = std::string("abc\xe2\x82");                        // a sequence cut short
  const std::string text = j.dump(-1);
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = 0; i < text.size();) {
    const size_t len = utf8_sequence_length(p + i, text.size() - i);
    ASSERT_GT(len, 0u) << "invalid UTF-8 at byte " << i << " of " << text;
    i += len;
  }
  const Json back = Json::parse(text);
  EXPECT_EQ(back.at("dataset").as_string(), "caf\xef\xbf\xbd-\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9");
  EXPECT_EQ(back.at("cut").as_string(), "abc\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(Json(std::string("\xf0\x9f\x98\x80 ok")).dump(), "\"\xf0\x9f\x98\x80 ok\"");  // 4-byte UTF-8 kept
  EXPECT_EQ(Json(std::string("\xed\xa0\x80")).dump(),
            "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // a surrogate is not UTF-8
}

TEST(IoJson, FileWriteRead) {
  TempDir t;
  Json j = Json::object();
  j["x"] = 1.5;
  write_json(t.file("r.json"), j);
  for (const auto& n : list_dir(t.path())) EXPECT_FALSE(is_temporary_name(n)) << n;
  EXPECT_EQ(read_json(t.file("r.json")).at("x").as_double(), 1.5);
  test::write_bytes(t.file("bad.json"), "{\"x\": }");
  EXPECT_TRUE(has_all(error_of([&] { read_json(t.file("bad.json")); }), {"bad.json:1:7:"}));
}

TEST(IoTable, CsvQuotesWhatNeedsIt) {
  Table t({"method", "note", "recall@20", "n"});
  t.add_row({"tru", "plain", 0.0964, 12});
  t.add_row({"a,b", "say \"hi\"\nthen", Cell(0.123456, 3), int64_t{-5}});
  EXPECT_EQ(t.to_csv(), "method,note,recall@20,n\ntru,plain,0.0964,12\n\"a,b\",\"say \"\"hi\"\"\nthen\",0.123,-5\n");
  EXPECT_TRUE(has_all(error_of([&] { t.add_row({"x"}); }), {"1 cells", "header has 4"}));
}

TEST(IoTable, MarkdownAlignsNumbersRight) {
  Table t({"method", "R@20"});
  t.add_row({"retrain", Cell(0.09641, 4)});
  t.add_row({"a|b", Cell(std::nan(""))});
  const std::string md = t.to_markdown();
  EXPECT_EQ(md,
            "| method  |   R@20 |\n"
            "| ------- | -----: |\n"
            "| retrain | 0.0964 |\n"
            "| a\\|b    |    nan |\n");
  TempDir d;
  t.write_markdown(d.file("t.md"));
  t.write_csv(d.file("t.csv"));
  EXPECT_EQ(read_file(d.file("t.md")), md);
  EXPECT_EQ(read_file(d.file("t.csv")), t.to_csv());
}

// Widths in characters, not bytes (every line of the table is as wide on screen), and a "–" for a
// missing value keeps a numeric column right-aligned.
TEST(IoTable, MarkdownPadsByCharactersAndKeepsPlaceholdersNumeric) {
  Table t({"model", "µs", "graph"});
  t.add_row({"θ₀", Cell(1120), Cell(1001)});
  t.add_row({"miggt", Cell(1862), "–"});
  EXPECT_EQ(t.to_markdown(),
            "| model |   µs | graph |\n"
            "| ----- | ---: | ----: |\n"
            "| θ₀    | 1120 |  1001 |\n"
            "| miggt | 1862 |     – |\n");
  Table only_text({"a"});
  only_text.add_row({"–"});
  EXPECT_EQ(only_text.to_markdown(), "| a   |\n| --- |\n| –   |\n");  // no number: a text column
}

}  // namespace
}  // namespace lethe::io
