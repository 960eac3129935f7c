// tests/io/test_checkpoint.cpp — the checkpoint container: a round trip is bit for bit identical;
// a flipped byte anywhere (header, metadata, table, data, checksum), a truncated file, a foreign
// file, a newer version and a table entry pointing outside the data are all refused with the
// reason; a failed write never replaces an existing good file.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "io/checkpoint.h"
#include "io/fs.h"
#include "io/hash.h"
#include "tests/io/io_test_util.h"

namespace lethe::io {
namespace {

using test::error_of;
using test::has_all;
using test::TempDir;

Checkpoint sample() {
  Checkpoint c;
  c.meta["model"] = "mgcn";
  c.meta["epoch"] = "17";
  c.meta["rng"] = std::string("counter\0with a NUL", 18);
  c.meta["fingerprint"] = "0123456789abcdef";
  std::vector<float> f(3 * 5);
  for (size_t k = 0; k < f.size(); ++k) f[k] = static_cast<float>(k) * 0.1f - 0.7f;
  f[4] = -0.0f;
  f[5] = std::numeric_limits<float>::quiet_NaN();  // bit patterns survive, NaN included
  c.put("E_u", 3, 5, f.data());
  const std::vector<double> d = {1.0 / 3.0, -2e300, 5e-324};
  c.put("adam.t", 1, 3, d.data());
  const std::vector<int32_t> i32 = {-1, 0, 7};
  c.put("perm", 3, 1, i32.data());
  const std::vector<int64_t> i64 = {INT64_MIN, INT64_MAX};
  c.put("counters", 2, 1, i64.data());
  const std::vector<uint8_t> u8 = {1, 0, 1, 1, 0};  // 5 bytes: the next tensor needs padding
  c.put("mask", 1, 5, u8.data());
  c.put<float>("empty", 0, 4, nullptr);
  return c;
}

std::string write_sample(const TempDir& t, const std::string& name = "model.ckpt") {
  write_checkpoint(t.file(name), sample());
  return t.file(name);
}

TEST(IoCheckpoint, RoundTripIsBitForBit) {
  TempDir t;
  const std::string p = write_sample(t);
  for (const auto& n : list_dir(t.path())) EXPECT_FALSE(is_temporary_name(n)) << n;
  const Checkpoint a = sample(), b = read_checkpoint(p);
  EXPECT_EQ(b.meta, a.meta);
  ASSERT_EQ(b.tensors.size(), a.tensors.size());
  for (size_t k = 0; k < a.tensors.size(); ++k) {
    EXPECT_EQ(b.tensors[k].name, a.tensors[k].name);
    EXPECT_EQ(b.tensors[k].dtype, a.tensors[k].dtype);
    EXPECT_EQ(b.tensors[k].rows, a.tensors[k].rows);
    EXPECT_EQ(b.tensors[k].cols, a.tensors[k].cols);
    EXPECT_EQ(b.tensors[k].bytes, a.tensors[k].bytes) << a.tensors[k].name;
  }
  // Writing what was read gives the same file, byte for byte.
  write_checkpoint(t.file("again.ckpt"), b);
  EXPECT_EQ(read_file(t.file("again.ckpt")), read_file(p));
  const std::string bytes = read_file(p);
  EXPECT_EQ(bytes.substr(0, 8), "LETHECKP");
  // Typed access.
  const std::vector<double> d = b.get<double>("adam.t", 1, 3);
  EXPECT_EQ(d[0], 1.0 / 3.0);
  EXPECT_EQ(d[2], 5e-324);
  EXPECT_TRUE(std::signbit(b.get<float>("E_u")[4]));
  EXPECT_TRUE(has_all(error_of([&] { b.get<float>("adam.t"); }), {"'adam.t' is f64, not f32"}));
  EXPECT_TRUE(has_all(error_of([&] { b.get<double>("adam.t", 3, 1); }), {"shape"}));
  EXPECT_TRUE(has_all(error_of([&] { b.tensor("nope"); }), {"no tensor 'nope'"}));
  EXPECT_TRUE(has_all(error_of([&] { b.meta_at("lr"); }), {"no metadata key 'lr'"}));
}

TEST(IoCheckpoint, DataIsEightByteAligned) {
  TempDir t;
  const std::string bytes = read_file(write_sample(t));
  uint64_t data_off;
  std::memcpy(&data_off, bytes.data() + 40, 8);
  EXPECT_EQ(data_off % 8, 0u);
  // The f64 tensor follows the 60-byte f32 one: it must start on an 8-byte boundary.
  const double third = 1.0 / 3.0;
  const size_t at = bytes.find(std::string(reinterpret_cast<const char*>(&third), 8));
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(at % 8, 0u);
}

TEST(IoCheckpoint, EveryFlippedByteIsRefused) {
  TempDir t;
  const std::string good = read_file(write_sample(t));
  const std::string p = t.file("flip.ckpt");
  // Every byte position, one bit each: header, metadata, table, padding, data, checksum.
  for (size_t pos = 0; pos < good.size(); ++pos) {
    std::string bad = good;
    bad[pos] = static_cast<char>(bad[pos] ^ (1 << (pos % 8)));
    const std::string m = error_of([&] { parse_checkpoint(bad.data(), bad.size(), "flip.ckpt"); });
    ASSERT_FALSE(m.empty()) << "flipped byte " << pos << " was accepted";
    ASSERT_NE(m.find("flip.ckpt"), std::string::npos) << m;
  }
  std::string bad = good;
  bad[good.size() / 2] ^= 0x10;  // in the data
  test::write_bytes(p, bad);
  EXPECT_TRUE(has_all(error_of([&] { read_checkpoint(p); }), {"flip.ckpt", "corrupted (checksum mismatch)"}));
}

TEST(IoCheckpoint, TruncatedIsRefusedWithSizes) {
  TempDir t;
  const std::string good = read_file(write_sample(t));
  for (size_t len : {size_t{0}, size_t{5}, size_t{8}, size_t{40}, good.size() / 2, good.size() - 1}) {
    const std::string m = error_of([&] { parse_checkpoint(good.data(), len, "cut.ckpt"); });
    EXPECT_TRUE(has_all(m, {"cut.ckpt", "truncated", "expected", "found " + std::to_string(len)})) << len;
  }
  EXPECT_TRUE(has_all(error_of([&] { parse_checkpoint(good.data(), good.size() / 2, "cut.ckpt"); }),
                      {"expected " + std::to_string(good.size()) + " bytes"}));
}

TEST(IoCheckpoint, ForeignFileAndNewerVersion) {
  TempDir t;
  std::string good = read_file(write_sample(t));
  const std::string npy = "\x93NUMPY\x01\x00 whatever";
  EXPECT_TRUE(has_all(error_of([&] { parse_checkpoint(npy.data(), npy.size(), "x.ckpt"); }), {"not a Lethe checkpoint"}));
  std::string newer = good;
  newer[8] = 2;  // version 2: refused before the checksum is even looked at
  EXPECT_TRUE(has_all(error_of([&] { parse_checkpoint(newer.data(), newer.size(), "x.ckpt"); }),
                      {"format version 2", "newer", "this build reads (1)"}));
  newer[8] = 0;
  EXPECT_TRUE(has_all(error_of([&] { parse_checkpoint(newer.data(), newer.size(), "x.ckpt"); }), {"unknown checkpoint format version 0"}));
}

// Rewrites the checksum after an edit, to test the structural checks behind it.
void reseal(std::string& b) {
  const uint64_t h = hash64(b.data(), b.size() - 8, 0x4C455448);
  std::memcpy(&b[b.size() - 8], &h, 8);
}

TEST(IoCheckpoint, TableEntryOutsideTheDataIsRefused) {
  Checkpoint c;
  const std::vector<float> v = {1, 2, 3, 4};
  c.put("w", 2, 2, v.data());
  TempDir t;
  write_checkpoint(t.file("c.ckpt"), c);
  std::string b = read_file(t.file("c.ckpt"));
  // Table entry of "w": after the 56-byte header (no metadata): u64 len + "w" + u32 dtype +
  // u32 reserved + i64 rows + i64 cols + u64 offset + u64 size.
  const size_t entry = 56 + 8 + 1;
  uint64_t off = 64;  // the data section is 16 bytes long
  std::string moved = b;
  std::memcpy(&moved[entry + 24], &off, 8);
  reseal(moved);
  EXPECT_TRUE(has_all(error_of([&] { parse_checkpoint(moved.data(), moved.size(), "c.ckpt"); }),
                      {"c.ckpt", "'w' points outside the data section"}));
  std::string reshaped = b;
  const int64_t rows = 3;
  std::memcpy(&reshaped[entry + 8], &rows, 8);
  reseal(reshaped);
  EXPECT_TRUE(has_all(error_of([&] { parse_checkpoint(reshaped.data(), reshaped.size(), "c.ckpt"); }),
                      {"'w'", "does not match its byte size"}));
  std::string dtype = b;
  dtype[entry] = 9;
  reseal(dtype);
  EXPECT_TRUE(has_all(error_of([&] { parse_checkpoint(dtype.data(), dtype.size(), "c.ckpt"); }), {"unknown dtype code 9"}));
  std::string count = b;
  count[32] = 7;  // 7 tensors announced, one present
  reseal(count);
  EXPECT_TRUE(has_all(error_of([&] { parse_checkpoint(count.data(), count.size(), "c.ckpt"); }), {"malformed tensor table"}));
}

TEST(IoCheckpoint, FailedWriteKeepsTheGoodFile) {
  TempDir t;
  const std::string p = write_sample(t);
  const std::string before = read_file(p);
  Checkpoint other = sample();
  other.meta["epoch"] = "18";
  for (int64_t fail_at : {int64_t{0}, int64_t{10}, int64_t{200}, int64_t{static_cast<int64_t>(before.size()) - 4}}) {
    set_atomic_write_fault(fail_at);
    const std::string m = error_of([&] { write_checkpoint(p, other); });
    set_atomic_write_fault(-1);
    EXPECT_TRUE(has_all(m, {"model.ckpt.tmp", "injected write failure"}));
    EXPECT_EQ(read_file(p), before) << "the good file was replaced after a failure at byte " << fail_at;
    for (const auto& n : list_dir(t.path()))
      EXPECT_FALSE(is_temporary_name(n)) << "the temporary file is cleaned up: " << n;
  }
  write_checkpoint(p, other);  // and a write that succeeds replaces it
  EXPECT_EQ(read_checkpoint(p).meta_at("epoch"), "18");
}

TEST(IoCheckpoint, DuplicateTensorNamesAndBadSizesRefusedOnWrite) {
  TempDir t;
  Checkpoint c;
  const float x = 1;
  c.put("a", 1, 1, &x);
  c.put("a", 1, 1, &x);  // put replaces
  EXPECT_EQ(c.tensors.size(), 1u);
  c.tensors.push_back(c.tensors[0]);
  EXPECT_TRUE(has_all(error_of([&] { write_checkpoint(t.file("d.ckpt"), c); }), {"'a' appears twice"}));
  c.tensors.pop_back();
  c.tensors[0].rows = 2;
  EXPECT_TRUE(has_all(error_of([&] { write_checkpoint(t.file("d.ckpt"), c); }), {"'a' holds 4 bytes"}));
  EXPECT_FALSE(path_exists(t.file("d.ckpt")));
}

}  // namespace
}  // namespace lethe::io
