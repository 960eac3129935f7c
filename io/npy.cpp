// io/npy.cpp — the .npy reader and writer (docs/MODELS.md, "Data").
// Accepted: format versions 1.0, 2.0, 3.0; dtypes <f2, <f4, <f8 (little-endian float16/32/64);
// C order; exactly 2-D (items × features). Everything is converted to float32 and checked
// finite (a NaN/inf names its row and column). float16 is decoded bit-exactly, subnormals
// included: every float16 value is exactly representable in float32.
// The header is a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False,
// 'shape': (6710, 128), }; it is parsed by a small tokenizer that accepts exactly what numpy
// writes (and the few spellings the format allows: either quote style, optional trailing comma,
// any key order) and rejects anything else with the reason.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "io/atomic_file.h"
#include "io/dataset.h"
#include "io/fs.h"
#include "kernels/common.h"

namespace lethe::io {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw Error(path + ": " + what); }

// float16 bits → float32, exact.
float half_to_float(uint16_t h, bool* finite) {
  const uint32_t sign = static_cast<uint32_t>(h >> 15) << 31;
  const uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {  // inf / NaN
    *finite = false;
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp == 0) {  // zero or subnormal: mant · 2^-24, exact in float32
    const float v = static_cast<float>(mant) * 5.9604644775390625e-8f;  // 2^-24
    return sign ? -v : v;
  } else {
    bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

struct HeaderParser {
  const std::string& s;
  const std::string& path;
  size_t p = 0;

  [[noreturn]] void bad(const std::string& what) const {
    fail(path, "malformed .npy header (" + what + "): " + (s.size() > 200 ? s.substr(0, 200) + "..." : s));
  }
  void ws() {
    while (p < s.size() && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) ++p;
  }
  bool eat(char c) {
    ws();
    if (p < s.size() && s[p] == c) { ++p; return true; }
    return false;
  }
  std::string str() {
    ws();
    if (p >= s.size() || (s[p] != '\'' && s[p] != '"')) bad("expected a quoted string at offset " + std::to_string(p));
    const char q = s[p++];
    const size_t b = p;
    while (p < s.size() && s[p] != q) {
      if (s[p] == '\\') bad("escape sequences are not supported");
      ++p;
    }
    if (p >= s.size()) bad("unterminated string");
    return s.substr(b, p++ - b);
  }
  bool boolean() {
    ws();
    if (s.compare(p, 4, "True") == 0) { p += 4; return true; }
    if (s.compare(p, 5, "False") == 0) { p += 5; return false; }
    bad("expected True or False for 'fortran_order'");
  }
  std::vector<int64_t> shape() {
    if (!eat('(')) bad("expected a tuple for 'shape'");
    std::vector<int64_t> dims;
    for (;;) {
      if (eat(')')) break;
      ws();
      const size_t b = p;
      int64_t v = 0;
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
        if (v > (std::numeric_limits<int64_t>::max() - 9) / 10) bad("dimension too large");
        v = v * 10 + (s[p++] - '0');
      }
      if (p == b) bad("expected a non-negative integer dimension in 'shape'");
      if (p < s.size() && s[p] == 'L') ++p;  // Python 2 long suffix, still legal in v1.0 files
      dims.push_back(v);
      if (dims.size() > 32) bad("too many dimensions");
      if (eat(',')) continue;
      if (eat(')')) break;
      bad("expected ',' or ')' in 'shape'");
    }
    return dims;
  }
};

}  // namespace

FeatureTable parse_npy(const void* bytes, size_t size, const std::string& path) {
  const unsigned char* b = static_cast<const unsigned char*>(bytes);
  if (size < 10)
    fail(path, "truncated .npy file: " + std::to_string(size) + " bytes, a .npy header needs at least 10");
  if (std::memcmp(b, "\x93NUMPY", 6) != 0) fail(path, "not a .npy file (it does not start with the \\x93NUMPY magic)");
  const int major = b[6], minor = b[7];
  if (!((major == 1 || major == 2 || major == 3) && minor == 0))
    fail(path, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                   " (supported: 1.0, 2.0, 3.0)");
  size_t hlen, start;
  if (major == 1) {
    hlen = static_cast<size_t>(b[8]) | (static_cast<size_t>(b[9]) << 8);
    start = 10;
  } else {
    if (size < 12)
      fail(path, "truncated .npy file: " + std::to_string(size) + " bytes, a version " + std::to_string(major) +
                     ".0 header needs at least 12");
    hlen = static_cast<size_t>(b[8]) | (static_cast<size_t>(b[9]) << 8) | (static_cast<size_t>(b[10]) << 16) |
           (static_cast<size_t>(b[11]) << 24);
    start = 12;
  }
  if (hlen > size - start)
    fail(path, "truncated .npy header: it declares " + std::to_string(hlen) + " header bytes but only " +
                   std::to_string(size - start) + " follow");
  const std::string header(reinterpret_cast<const char*>(b + start), hlen);

  HeaderParser hp{header, path};
  std::string descr;
  bool have_descr = false, have_order = false, have_shape = false, fortran = false;
  std::vector<int64_t> dims;
  if (!hp.eat('{')) hp.bad("expected '{'");
  for (;;) {
    if (hp.eat('}')) break;
    const std::string key = hp.str();
    if (!hp.eat(':')) hp.bad("expected ':' after '" + key + "'");
    if (key == "descr") {
      hp.ws();
      if (hp.p < header.size() && header[hp.p] == '[')
        fail(path, "unsupported dtype: structured arrays are not feature tables (supported: <f2, <f4, <f8)");
      descr = hp.str();
      have_descr = true;
    } else if (key == "fortran_order") {
      fortran = hp.boolean();
      have_order = true;
    } else if (key == "shape") {
      dims = hp.shape();
      have_shape = true;
    } else {
      hp.bad("unexpected key '" + key + "' (a .npy header has exactly descr, fortran_order, shape)");
    }
    if (hp.eat(',')) continue;
    if (hp.eat('}')) break;
    hp.bad("expected ',' or '}'");
  }
  hp.ws();
  if (hp.p != header.size()) hp.bad("unexpected text after the closing '}'");
  if (!have_descr || !have_order || !have_shape) hp.bad("it must name descr, fortran_order and shape");

  size_t isz;
  if (descr == "<f2") isz = 2;
  else if (descr == "<f4") isz = 4;
  else if (descr == "<f8") isz = 8;
  else
    fail(path, "unsupported dtype '" + descr + "' (supported: <f2, <f4, <f8 — little-endian float16/32/64; "
               "convert with x.astype(np.float32))");
  if (fortran)
    fail(path, "Fortran-order arrays are not supported (save a C-order array: np.save(path, np.ascontiguousarray(x)))");
  if (dims.size() != 2) {
    std::string sh = "(";
    for (size_t k = 0; k < dims.size(); ++k) sh += (k ? ", " : "") + std::to_string(dims[k]);
    sh += dims.size() == 1 ? ",)" : ")";
    fail(path, "expected a 2-D array (one row per item, one column per feature), found shape " + sh);
  }
  const int64_t rows = dims[0], cols = dims[1];
  if (cols == 0 && rows > 0) fail(path, "the feature table has 0 columns");
  const size_t avail = size - start - hlen;
  // rows × cols × isz without overflow: compare against what is there first.
  const bool fits = cols == 0 || static_cast<uint64_t>(rows) <= (std::numeric_limits<uint64_t>::max() / isz) / static_cast<uint64_t>(cols);
  const uint64_t need = fits ? static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols) * isz : 0;
  if (!fits || need > avail)
    fail(path, "truncated data: shape (" + std::to_string(rows) + ", " + std::to_string(cols) + ") of " + descr +
                   " needs " + (fits ? std::to_string(need) : std::string("more than 2^64")) + " bytes, the file holds " +
                   std::to_string(avail));
  if (need < avail)
    fail(path, std::to_string(avail - need) + " unexpected bytes after the data (shape (" + std::to_string(rows) +
                   ", " + std::to_string(cols) + ") of " + descr + " takes " + std::to_string(need) + ")");

  FeatureTable t;
  t.rows = rows;
  t.cols = cols;
  t.data.resize(static_cast<size_t>(rows * cols));
  const unsigned char* src = b + start + hlen;
  const size_t n = t.data.size();
  float* dst = t.data.data();
  auto not_finite = [&](size_t k, double v) {
    const std::string what = std::isnan(v) ? "NaN" : (v > 0 ? "+inf" : "-inf");
    fail(path, "row " + std::to_string(k / static_cast<size_t>(cols)) + ", column " +
                   std::to_string(k % static_cast<size_t>(cols)) + " is " + what + " (feature values must be finite)");
  };
  if (isz == 2) {
    for (size_t k = 0; k < n; ++k) {
      uint16_t h;
      std::memcpy(&h, src + 2 * k, 2);
      bool finite = true;
      dst[k] = half_to_float(h, &finite);
      if (!finite) not_finite(k, static_cast<double>(dst[k]));
    }
  } else if (isz == 4) {
    if (n > 0) std::memcpy(dst, src, n * 4);
    for (size_t k = 0; k < n; ++k)
      if (!std::isfinite(dst[k])) not_finite(k, static_cast<double>(dst[k]));
  } else {
    for (size_t k = 0; k < n; ++k) {
      double v;
      std::memcpy(&v, src + 8 * k, 8);
      if (!std::isfinite(v)) not_finite(k, v);
      if (std::fabs(v) > static_cast<double>(std::numeric_limits<float>::max()))
        fail(path, "row " + std::to_string(k / static_cast<size_t>(cols)) + ", column " +
                       std::to_string(k % static_cast<size_t>(cols)) + " is " + std::to_string(v) +
                       ", outside the float32 range (features are converted to float32)");
      dst[k] = static_cast<float>(v);
    }
  }
  t.path = path;
  return t;
}

FeatureTable read_npy(const std::string& path) {
  const std::string bytes = read_file(path);
  FeatureTable t = parse_npy(bytes.data(), bytes.size(), path);
  const std::string base = base_name(path);
  const std::string suffix = "_feat.npy";
  t.modality = ends_with(base, suffix) ? base.substr(0, base.size() - suffix.size())
                                       : (ends_with(base, ".npy") ? base.substr(0, base.size() - 4) : base);
  return t;
}

void write_npy_f32(const std::string& path, const FeatureTable& t) {
  LETHE_CHECK(t.rows >= 0 && t.cols >= 0 && static_cast<int64_t>(t.data.size()) == t.rows * t.cols,
              "write_npy_f32(" + path + "): data size does not match rows × cols");
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(t.rows) + ", " +
                     std::to_string(t.cols) + "), }";
  // Version 1.0: the preamble (10 bytes) plus the header, padded with spaces and ended by '\n',
  // is a multiple of 64 bytes so that the data is aligned.
  size_t total = 10 + dict.size() + 1;
  total = (total + 63) / 64 * 64;
  dict.append(total - 10 - dict.size() - 1, ' ');
  dict += '\n';
  std::string pre = "\x93NUMPY";
  pre += '\x01';
  pre += '\x00';
  pre += static_cast<char>(dict.size() & 0xff);
  pre += static_cast<char>((dict.size() >> 8) & 0xff);
  AtomicWriter w(path);
  w.write(pre);
  w.write(dict);
  w.write(t.data.data(), t.data.size() * sizeof(float));
  w.commit();
}

}  // namespace lethe::io
