// tests/io/test_inter.cpp — the .inter reader (docs/MODELS.md, "Data"): what it accepts (any column
// order, extra columns, CRLF, trailing blank lines), the statistics it computes, the duplicate
// policy, and one test per bad input — each writes its own malformed file and checks that the
// error names the file, the line and what was expected.
#include <gtest/gtest.h>

#include <string>

#include "io/dataset.h"
#include "tests/io/io_test_util.h"

namespace lethe::io {
namespace {

using test::error_of;
using test::has_all;
using test::TempDir;

// Writes `text` as a .inter file and reads it; returns the error message.
std::string inter_error(const std::string& text, const std::string& name = "bad.inter", LoadOptions opt = {}) {
  TempDir t;
  const std::string path = t.file(name);
  test::write_bytes(path, text);
  return error_of([&] { read_inter(path, opt); });
}

TEST(IoInter, ParsesSplitsInFileOrder) {
  const Dataset d = parse_inter("userID\titemID\tx_label\n0\t1\t0\n0\t2\t1\n1\t0\t0\n2\t3\t2\n1\t2\t0\n", "x.inter");
  EXPECT_EQ(d.n_users, 3);
  EXPECT_EQ(d.n_items, 4);
  EXPECT_EQ(d.train.user, (std::vector<int32_t>{0, 1, 1}));
  EXPECT_EQ(d.train.item, (std::vector<int32_t>{1, 0, 2}));
  EXPECT_EQ(d.valid.size(), 1);
  EXPECT_EQ(d.test.size(), 1);
  EXPECT_EQ(d.users_without_train, (std::vector<int32_t>{2}));  // user 2 has a test row only
  EXPECT_EQ(d.duplicates_dropped, 0);
}

TEST(IoInter, ColumnsInAnyOrderExtraColumnsIgnored) {
  const Dataset d = parse_inter("rating\tx_label\ttimestamp\titemID\tuserID\n5\t0\t99\t7\t3\n4.5\t2\t100\t1\t0\n", "x.inter");
  EXPECT_EQ(d.n_users, 4);
  EXPECT_EQ(d.n_items, 8);
  ASSERT_EQ(d.train.size(), 1);
  EXPECT_EQ(d.train.user[0], 3);
  EXPECT_EQ(d.train.item[0], 7);
  ASSERT_EQ(d.test.size(), 1);
  EXPECT_EQ(d.test.user[0], 0);
}

TEST(IoInter, ToleratesCrlfBomAndTrailingBlankLines) {
  const Dataset a = parse_inter("\xEF\xBB\xBFuserID\titemID\tx_label\r\n0\t1\t0\r\n1\t0\t0\r\n\r\n\n", "x.inter");
  EXPECT_EQ(a.train.size(), 2);
  const Dataset b = parse_inter("userID\titemID\tx_label\n0\t1\t0\n1\t0\t0", "x.inter");  // no final newline
  EXPECT_EQ(b.train.size(), 2);
  EXPECT_EQ(a.fingerprint(), b.fingerprint());
}

TEST(IoInter, WrongColumnCountNamesFileLineAndText) {
  const std::string m = inter_error("userID\titemID\tx_label\n0\t1\t0\n0\t2\n");
  EXPECT_TRUE(has_all(m, {"bad.inter:3:", "expected 3 tab-separated fields", "found 2", "'0\\t2'"}));
  const std::string m2 = inter_error("userID\titemID\tx_label\n0\t1\t0\t\n");
  EXPECT_TRUE(has_all(m2, {"bad.inter:2:", "found 4"}));
}

TEST(IoInter, NonIntegerUserQuotesTheText) {
  const std::string m = inter_error("userID\titemID\tx_label\n0\t1\t0\nabc\t1\t0\n");
  EXPECT_TRUE(has_all(m, {"bad.inter:3:", "userID is not an integer", "'abc'", "non-negative integer"}));
}

TEST(IoInter, NonIntegerItemQuotesTheText) {
  const std::string m = inter_error("userID\titemID\tx_label\n0\t1.5\t0\n");
  EXPECT_TRUE(has_all(m, {"bad.inter:2:", "itemID is not an integer", "'1.5'"}));
  EXPECT_TRUE(has_all(inter_error("userID\titemID\tx_label\n0\t 1\t0\n"), {"bad.inter:2:", "' 1'"}));
  EXPECT_TRUE(has_all(inter_error("userID\titemID\tx_label\n0\t\t0\n"), {"bad.inter:2:", "empty itemID"}));
}

TEST(IoInter, NegativeIdIsAnError) {
  const std::string m = inter_error("userID\titemID\tx_label\n0\t1\t0\n-3\t1\t0\n");
  EXPECT_TRUE(has_all(m, {"bad.inter:3:", "negative userID", "'-3'", "0-based non-negative"}));
  EXPECT_TRUE(has_all(inter_error("userID\titemID\tx_label\n0\t-1\t0\n"), {"bad.inter:2:", "negative itemID"}));
}

TEST(IoInter, HugeIdIsAnError) {
  const std::string m = inter_error("userID\titemID\tx_label\n0\t99999999999999999999\t0\n");
  EXPECT_TRUE(has_all(m, {"bad.inter:2:", "itemID", "too large", "remap"}));
}

TEST(IoInter, SparseIdsAreAnError) {
  // One row whose userID is a raw ID: the data set would have 5,000,001 users.
  const std::string m = inter_error("userID\titemID\tx_label\n0\t1\t0\n5000000\t1\t0\n");
  EXPECT_TRUE(has_all(m, {"bad.inter", "userIDs are not dense", "largest is 5000000", "2 distinct", "remap"}));
  const std::string rows = [] {
    std::string s;
    for (int i = 0; i < 100; ++i) s += "0\t" + std::to_string(i * 20) + "\t0\n";  // 100 of 1,981 item IDs used
    return s;
  }();
  EXPECT_TRUE(has_all(inter_error("userID\titemID\tx_label\n" + rows), {"itemIDs are not dense", "100 distinct"}));
  // A few gaps are fine (deleted users, items that only a filtered-out user had).
  const Dataset d = parse_inter("userID\titemID\tx_label\n0\t0\t0\n1000\t7\t0\n", "gaps.inter");
  EXPECT_EQ(d.n_users, 1001);
  EXPECT_EQ(d.users_without_train.size(), 999u);
}

TEST(IoInter, LabelOutsideZeroOneTwo) {
  const std::string m = inter_error("userID\titemID\tx_label\n0\t1\t0\n1\t1\t3\n");
  EXPECT_TRUE(has_all(m, {"bad.inter:3:", "x_label '3'", "expected 0 (train), 1 (valid) or 2 (test)"}));
  EXPECT_TRUE(has_all(inter_error("userID\titemID\tx_label\n0\t1\t-1\n"), {"bad.inter:2:", "'-1'", "out of range"}));
  EXPECT_TRUE(has_all(inter_error("userID\titemID\tx_label\n0\t1\ttrain\n"), {"bad.inter:2:", "x_label is not an integer", "'train'"}));
}

TEST(IoInter, MissingRequiredColumnIsNamed) {
  const std::string m = inter_error("userID\titem\tx_label\n0\t1\t0\n");
  EXPECT_TRUE(has_all(m, {"bad.inter:1:", "missing required column 'itemID'", "'item'"}));
  EXPECT_TRUE(has_all(inter_error("userID,itemID,x_label\n0,1,0\n"), {"bad.inter:1:", "missing required column 'userID'", "tab-separated"}));
}

TEST(IoInter, DuplicateColumnIsAnError) {
  EXPECT_TRUE(has_all(inter_error("userID\titemID\tx_label\tuserID\n0\t1\t0\t0\n"),
                      {"bad.inter:1:", "'userID' appears twice", "columns 1 and 4"}));
}

TEST(IoInter, EmptyFileAndHeaderOnly) {
  EXPECT_TRUE(has_all(inter_error(""), {"bad.inter:1:", "empty file", "header"}));
  EXPECT_TRUE(has_all(inter_error("userID\titemID\tx_label\n"), {"bad.inter:", "no data rows"}));
  EXPECT_TRUE(has_all(inter_error("\n0\t1\t0\n"), {"bad.inter:1:", "empty header line"}));
}

TEST(IoInter, EmptyTrainSplitIsAnError) {
  const std::string m = inter_error("userID\titemID\tx_label\n0\t1\t1\n1\t2\t2\n");
  EXPECT_TRUE(has_all(m, {"bad.inter", "no train rows (x_label 0)", "non-empty train split"}));
}

TEST(IoInter, BlankLineInsideTheDataIsAnError) {
  const std::string m = inter_error("userID\titemID\tx_label\n0\t1\t0\n\n1\t2\t0\n");
  EXPECT_TRUE(has_all(m, {"bad.inter:3:", "blank line"}));
}

TEST(IoInter, DuplicatesKeepFirstAndAreCounted) {
  testing::internal::CaptureStderr();
  const Dataset d = parse_inter("userID\titemID\tx_label\n0\t1\t0\n1\t1\t0\n0\t1\t2\n1\t1\t0\n0\t2\t1\n", "dup.inter");
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(d.duplicates_dropped, 2);
  EXPECT_EQ(d.train.size(), 2);  // (0,1) and (1,1), first occurrences
  EXPECT_EQ(d.test.size(), 0);   // (0,1) again, as test: dropped
  EXPECT_EQ(d.valid.size(), 1);
  EXPECT_TRUE(has_all(err, {"dup.inter", "dropped 2 duplicate"}));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << "one note, not one per row: " << err;
}

TEST(IoInter, RejectDuplicatesNamesBothLines) {
  LoadOptions opt;
  opt.reject_duplicates = true;
  const std::string m = inter_error("userID\titemID\tx_label\n0\t1\t0\n1\t1\t0\n0\t3\t0\n0\t1\t2\n", "bad.inter", opt);
  EXPECT_TRUE(has_all(m, {"bad.inter:5:", "duplicate (user 0, item 1)", "line 2"}));
}

TEST(IoInter, WriteReadRoundTrip) {
  TempDir t;
  const Dataset d = parse_inter("userID\titemID\tx_label\n0\t1\t0\n0\t2\t1\n1\t0\t0\n3\t3\t2\n1\t2\t0\n", "x.inter");
  write_inter(t.file("rt.inter"), d);
  const Dataset back = read_inter(t.file("rt.inter"));
  EXPECT_EQ(back.name, "rt");
  EXPECT_EQ(back.n_users, d.n_users);
  EXPECT_EQ(back.n_items, d.n_items);
  EXPECT_EQ(back.train.user, d.train.user);
  EXPECT_EQ(back.train.item, d.train.item);
  EXPECT_EQ(back.fingerprint(), d.fingerprint());
  EXPECT_EQ(back.users_without_train, (std::vector<int32_t>{2, 3}));
}

TEST(IoInter, MissingFileNamesIt) {
  EXPECT_TRUE(has_all(error_of([] { read_inter("/nonexistent/x.inter"); }), {"/nonexistent/x.inter", "cannot open"}));
}

}  // namespace
}  // namespace lethe::io
