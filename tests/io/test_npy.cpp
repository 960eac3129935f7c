// tests/io/test_npy.cpp — the .npy reader: format versions 1.0/2.0/3.0, dtypes <f2/<f4/<f8,
// float16 decoding (all 65,536 bit patterns, subnormals, inf/NaN detection), and one test per
// bad input (dtype, order, version, dimensions, truncated header or data, trailing bytes,
// malformed header, non-finite values naming row and column).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "io/dataset.h"
#include "io/fs.h"
#include "tests/io/io_test_util.h"

namespace lethe::io {
namespace {

using test::error_of;
using test::has_all;
using test::TempDir;

// A .npy file: preamble for `major`.0, the header dict padded to a multiple of 64, then data.
std::string make_npy(int major, const std::string& dict, const std::string& data) {
  const size_t pre = major == 1 ? 10 : 12;
  std::string h = dict;
  size_t total = pre + h.size() + 1;
  total = (total + 63) / 64 * 64;
  h.append(total - pre - h.size() - 1, ' ');
  h += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  const size_t n = h.size();
  out += static_cast<char>(n & 0xff);
  out += static_cast<char>((n >> 8) & 0xff);
  if (major != 1) {
    out += static_cast<char>((n >> 16) & 0xff);
    out += static_cast<char>((n >> 24) & 0xff);
  }
  return out + h + data;
}
std::string dict(const std::string& descr, const std::string& shape, bool fortran = false) {
  return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
}
template <class T>
std::string raw(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// Parses bytes written to a file named `name` (so that messages carry a path); the error text.
std::string npy_error(const std::string& bytes, const std::string& name = "bad_feat.npy") {
  TempDir t;
  test::write_bytes(t.file(name), bytes);
  return error_of([&] { read_npy(t.file(name)); });
}

// Reference float16 decoding by arithmetic (not bit manipulation).
double half_ref(uint16_t h) {
  const int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
  const double sign = s ? -1.0 : 1.0;
  if (e == 0) return sign * std::ldexp(m, -24);
  if (e == 31) return m ? std::numeric_limits<double>::quiet_NaN() : sign * std::numeric_limits<double>::infinity();
  return sign * std::ldexp(1024 + m, e - 25);
}

TEST(IoNpy, ReadsF4AllVersions) {
  const std::vector<float> v = {1.5f, -2.0f, 0.0f, 3.25f, 1e-30f, 7.0f};
  for (int major : {1, 2, 3}) {
    const std::string b = make_npy(major, dict("<f4", "(2, 3)"), raw(v));
    const FeatureTable t = parse_npy(b.data(), b.size(), "x.npy");
    EXPECT_EQ(t.rows, 2);
    EXPECT_EQ(t.cols, 3);
    EXPECT_EQ(t.data, v) << "version " << major;
  }
}

TEST(IoNpy, ReadsF8AndF2ConvertingToFloat32) {
  const std::vector<double> d = {0.1, -1e10, 3.0, 1e-40};
  const std::string b8 = make_npy(1, dict("<f8", "(1, 4)"), raw(d));
  const FeatureTable t8 = parse_npy(b8.data(), b8.size(), "x.npy");
  for (size_t k = 0; k < d.size(); ++k) EXPECT_EQ(t8.data[k], static_cast<float>(d[k]));
  const std::vector<uint16_t> h = {0x3c00, 0xc000, 0x0001, 0x8001, 0x03ff, 0x7bff, 0x0000, 0x8000};
  const std::string b2 = make_npy(1, dict("<f2", "(4, 2)"), raw(h));
  const FeatureTable t2 = parse_npy(b2.data(), b2.size(), "x.npy");
  const std::vector<float> want = {1.0f, -2.0f, 5.9604644775390625e-8f, -5.9604644775390625e-8f,
                                   6.0975551605224609375e-5f, 65504.0f, 0.0f, -0.0f};
  for (size_t k = 0; k < want.size(); ++k) EXPECT_EQ(t2.data[k], want[k]) << k;
  EXPECT_TRUE(std::signbit(t2.data[7]));
}

TEST(IoNpy, Float16AllFiniteBitPatternsExact) {
  std::vector<uint16_t> all;
  for (uint32_t h = 0; h < 65536; ++h)
    if (((h >> 10) & 31) != 31) all.push_back(static_cast<uint16_t>(h));
  const std::string b = make_npy(1, dict("<f2", "(" + std::to_string(all.size()) + ", 1)"), raw(all));
  const FeatureTable t = parse_npy(b.data(), b.size(), "x.npy");
  ASSERT_EQ(t.data.size(), all.size());
  for (size_t k = 0; k < all.size(); ++k) {
    ASSERT_EQ(static_cast<double>(t.data[k]), half_ref(all[k])) << "bits 0x" << std::hex << all[k];
    ASSERT_EQ(std::signbit(t.data[k]), (all[k] >> 15) != 0);
  }
}

TEST(IoNpy, Float16InfAndNanNameRowAndColumn) {
  std::vector<uint16_t> h(6, 0x3c00);
  h[4] = 0x7c00;  // +inf at row 1, column 1 of (2, 3)
  EXPECT_TRUE(has_all(npy_error(make_npy(1, dict("<f2", "(2, 3)"), raw(h))), {"bad_feat.npy", "row 1, column 1", "+inf", "finite"}));
  h[4] = 0x3c00;
  h[2] = 0xfe01;  // NaN at row 0, column 2
  EXPECT_TRUE(has_all(npy_error(make_npy(1, dict("<f2", "(2, 3)"), raw(h))), {"row 0, column 2", "NaN"}));
  h[2] = 0xfc00;  // -inf
  EXPECT_TRUE(has_all(npy_error(make_npy(1, dict("<f2", "(2, 3)"), raw(h))), {"row 0, column 2", "-inf"}));
}

TEST(IoNpy, Float32AndFloat64NonFiniteNameRowAndColumn) {
  std::vector<float> f(8, 1.0f);
  f[5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(has_all(npy_error(make_npy(1, dict("<f4", "(4, 2)"), raw(f))), {"bad_feat.npy", "row 2, column 1", "NaN"}));
  std::vector<double> d(4, 1.0);
  d[3] = -std::numeric_limits<double>::infinity();
  EXPECT_TRUE(has_all(npy_error(make_npy(2, dict("<f8", "(2, 2)"), raw(d))), {"row 1, column 1", "-inf"}));
  d[3] = 1e39;  // finite in double, not in float32
  EXPECT_TRUE(has_all(npy_error(make_npy(2, dict("<f8", "(2, 2)"), raw(d))), {"row 1, column 1", "float32 range"}));
}

TEST(IoNpy, UnsupportedDtype) {
  for (const char* dt : {"<i4", ">f4", "|u1", "<c8", "<f16"}) {
    const std::string m = npy_error(make_npy(1, dict(dt, "(1, 1)"), std::string(16, '\0')));
    EXPECT_TRUE(has_all(m, {"bad_feat.npy", std::string("unsupported dtype '") + dt + "'", "<f2, <f4, <f8"}));
  }
  EXPECT_TRUE(has_all(npy_error(make_npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", "")),
                      {"structured"}));
}

TEST(IoNpy, FortranOrderRefused) {
  const std::string m = npy_error(make_npy(1, dict("<f4", "(2, 2)", true), std::string(16, '\0')));
  EXPECT_TRUE(has_all(m, {"bad_feat.npy", "Fortran-order", "ascontiguousarray"}));
}

TEST(IoNpy, UnsupportedVersion) {
  std::string b = make_npy(1, dict("<f4", "(1, 1)"), std::string(4, '\0'));
  b[6] = 4;
  EXPECT_TRUE(has_all(npy_error(b), {"bad_feat.npy", "unsupported .npy format version 4.0", "1.0, 2.0, 3.0"}));
  b[6] = 1;
  b[7] = 1;
  EXPECT_TRUE(has_all(npy_error(b), {"version 1.1"}));
}

TEST(IoNpy, NotTwoDimensional) {
  EXPECT_TRUE(has_all(npy_error(make_npy(1, dict("<f4", "(3,)"), std::string(12, '\0'))), {"bad_feat.npy", "2-D", "(3,)"}));
  EXPECT_TRUE(has_all(npy_error(make_npy(1, dict("<f4", "(1, 2, 2)"), std::string(16, '\0'))), {"2-D", "(1, 2, 2)"}));
  EXPECT_TRUE(has_all(npy_error(make_npy(1, dict("<f4", "()"), std::string(4, '\0'))), {"2-D", "()"}));
}

TEST(IoNpy, BadMagic) {
  EXPECT_TRUE(has_all(npy_error("PK\x03\x04 this is a zip file, not npy"), {"bad_feat.npy", "not a .npy file"}));
}

TEST(IoNpy, TruncatedPreambleAndHeader) {
  EXPECT_TRUE(has_all(npy_error("\x93NUMPY\x01"), {"bad_feat.npy", "truncated .npy file", "7 bytes"}));
  const std::string b = make_npy(2, dict("<f4", "(1, 1)"), std::string(4, '\0'));
  EXPECT_TRUE(has_all(npy_error(b.substr(0, 11)), {"truncated .npy file", "version 2.0 header needs at least 12"}));
  EXPECT_TRUE(has_all(npy_error(b.substr(0, 40)), {"truncated .npy header", "header bytes"}));
}

TEST(IoNpy, TruncatedData) {
  const std::vector<float> v(6, 1.0f);
  const std::string b = make_npy(1, dict("<f4", "(2, 3)"), raw(v));
  const std::string m = npy_error(b.substr(0, b.size() - 5));
  EXPECT_TRUE(has_all(m, {"bad_feat.npy", "truncated data", "(2, 3)", "needs 24 bytes", "holds 19"}));
  // A shape whose byte size overflows 64 bits is reported as truncated, not allocated.
  EXPECT_TRUE(has_all(npy_error(make_npy(1, dict("<f8", "(4611686018427387904, 4611686018427387904)"), "")), {"truncated data"}));
}

TEST(IoNpy, TrailingBytesRefused) {
  const std::vector<float> v(2, 1.0f);
  EXPECT_TRUE(has_all(npy_error(make_npy(1, dict("<f4", "(1, 2)"), raw(v) + "xyz")), {"bad_feat.npy", "3 unexpected bytes"}));
}

TEST(IoNpy, MalformedHeaderDict) {
  const std::string data(4, '\0');
  EXPECT_TRUE(has_all(npy_error(make_npy(1, "{'descr': '<f4', 'shape': (1, 1), }", data)), {"malformed .npy header", "fortran_order"}));
  EXPECT_TRUE(has_all(npy_error(make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), 'x': 1}", data)),
                      {"unexpected key 'x'"}));
  EXPECT_TRUE(has_all(npy_error(make_npy(1, "{'descr': '<f4' 'fortran_order': False}", data)), {"malformed .npy header"}));
  EXPECT_TRUE(has_all(npy_error(make_npy(1, "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1, 1)}", data)),
                      {"True or False"}));
  EXPECT_TRUE(has_all(npy_error(make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, x)}", data)),
                      {"dimension"}));
  EXPECT_TRUE(has_all(npy_error(make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1)} junk", data)),
                      {"after the closing"}));
}

TEST(IoNpy, AcceptsHeaderVariants) {
  // Double quotes, no trailing comma, keys in another order, Python-2 long suffix.
  const std::vector<float> v = {1, 2};
  const std::string b = make_npy(1, "{\"shape\": (1L, 2L), \"fortran_order\": False, \"descr\": \"<f4\"}", raw(v));
  const FeatureTable t = parse_npy(b.data(), b.size(), "x.npy");
  EXPECT_EQ(t.rows, 1);
  EXPECT_EQ(t.cols, 2);
}

TEST(IoNpy, WriteReadRoundTripAndAlignment) {
  TempDir t;
  FeatureTable f;
  f.rows = 3;
  f.cols = 5;
  for (int k = 0; k < 15; ++k) f.data.push_back(static_cast<float>(k) * 0.37f - 2.0f);
  write_npy_f32(t.file("text_feat.npy"), f);
  const FeatureTable g = read_npy(t.file("text_feat.npy"));
  EXPECT_EQ(g.modality, "text");
  EXPECT_EQ(g.rows, 3);
  EXPECT_EQ(g.cols, 5);
  EXPECT_EQ(g.data, f.data);
  const std::string bytes = read_file(t.file("text_feat.npy"));
  EXPECT_EQ((bytes.size() - 60) % 64, 0u) << "the data starts at a multiple of 64";
}

}  // namespace
}  // namespace lethe::io
