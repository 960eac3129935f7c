// io/json.cpp — see json.h.
#include "io/json.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "io/atomic_file.h"
#include "io/fs.h"
#include "io/utf8.h"
#include "kernels/common.h"

namespace lethe::io {

std::string format_double(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

namespace {
const char* type_name(Json::Type t) {
  switch (t) {
    case Json::Type::kNull: return "null";
    case Json::Type::kBool: return "a boolean";
    case Json::Type::kInt: return "an integer";
    case Json::Type::kDouble: return "a number";
    case Json::Type::kString: return "a string";
    case Json::Type::kArray: return "an array";
    case Json::Type::kObject: return "an object";
  }
  return "?";
}
[[noreturn]] void wrong_type(Json::Type have, const char* want) {
  throw Error(std::string("JSON value is ") + type_name(have) + ", expected " + want);
}
// Escapes a string for JSON. Bytes that are not well-formed UTF-8 (a Latin-1 file name, a
// truncated sequence) cannot be written as they are: the result would not be JSON any reader
// accepts. Each such byte becomes U+FFFD, the replacement character.
void escape_to(std::string& out, const std::string& s) {
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = p[i];
    if (c >= 0x80) {
      const size_t len = utf8_sequence_length(p + i, s.size() - i);
      if (len == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD
        ++i;
      } else {
        out.append(s, i, len);
        i += len;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}
}  // namespace

Json& Json::operator[](const std::string& key) {
  if (t_ == Type::kNull) t_ = Type::kObject;
  if (t_ != Type::kObject) wrong_type(t_, "an object");
  for (auto& m : o_)
    if (m.first == key) return m.second;
  o_.emplace_back(key, Json());
  return o_.back().second;
}
const Json* Json::find(const std::string& key) const {
  if (t_ != Type::kObject) return nullptr;
  for (const auto& m : o_)
    if (m.first == key) return &m.second;
  return nullptr;
}
const Json& Json::at(const std::string& key) const {
  if (t_ != Type::kObject) wrong_type(t_, "an object");
  if (const Json* j = find(key)) return *j;
  throw Error("JSON object has no member '" + key + "'");
}
const std::vector<std::pair<std::string, Json>>& Json::members() const {
  if (t_ != Type::kObject) wrong_type(t_, "an object");
  return o_;
}
Json& Json::push_back(Json v) {
  if (t_ == Type::kNull) t_ = Type::kArray;
  if (t_ != Type::kArray) wrong_type(t_, "an array");
  a_.push_back(std::move(v));
  return a_.back();
}
const Json& Json::at(size_t i) const {
  if (t_ != Type::kArray) wrong_type(t_, "an array");
  if (i >= a_.size()) throw Error("JSON array index " + std::to_string(i) + " out of range (size " + std::to_string(a_.size()) + ")");
  return a_[i];
}
const std::vector<Json>& Json::elements() const {
  if (t_ != Type::kArray) wrong_type(t_, "an array");
  return a_;
}
size_t Json::size() const { return t_ == Type::kArray ? a_.size() : (t_ == Type::kObject ? o_.size() : 0); }
bool Json::as_bool() const {
  if (t_ != Type::kBool) wrong_type(t_, "a boolean");
  return b_;
}
int64_t Json::as_int() const {
  if (t_ == Type::kInt) return i_;
  if (t_ == Type::kDouble && std::isfinite(d_) && d_ == std::floor(d_) && std::fabs(d_) < 9.2e18) return static_cast<int64_t>(d_);
  wrong_type(t_, "an integer");
}
double Json::as_double() const {
  if (t_ == Type::kInt) return static_cast<double>(i_);
  if (t_ == Type::kDouble) return d_;
  if (t_ == Type::kNull) return std::nan("");
  wrong_type(t_, "a number");
}
const std::string& Json::as_string() const {
  if (t_ != Type::kString) wrong_type(t_, "a string");
  return s_;
}

void Json::dump_to(std::string& out, int indent, int level) const {
  auto newline = [&](int lvl) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<size_t>(indent * lvl), ' ');
  };
  switch (t_) {
    case Type::kNull: out += "null"; break;
    case Type::kBool: out += b_ ? "true" : "false"; break;
    case Type::kInt: out += std::to_string(i_); break;
    case Type::kDouble: out += std::isfinite(d_) ? format_double(d_) : "null"; break;
    case Type::kString: escape_to(out, s_); break;
    case Type::kArray:
      out += '[';
      for (size_t k = 0; k < a_.size(); ++k) {
        if (k) out += indent < 0 ? ", " : ",";
        newline(level + 1);
        a_[k].dump_to(out, indent, level + 1);
      }
      if (!a_.empty()) newline(level);
      out += ']';
      break;
    case Type::kObject:
      out += '{';
      for (size_t k = 0; k < o_.size(); ++k) {
        if (k) out += indent < 0 ? ", " : ",";
        newline(level + 1);
        escape_to(out, o_[k].first);
        out += ": ";
        o_[k].second.dump_to(out, indent, level + 1);
      }
      if (!o_.empty()) newline(level);
      out += '}';
      break;
  }
}

std::string Json::dump(int indent) const {
  std::string out;
  dump_to(out, indent, 0);
  return out;
}

struct JsonParser {
  const std::string& s;
  const std::string& path;
  size_t p = 0;

  [[noreturn]] void bad(const std::string& what) const {
    int64_t line = 1, col = 1;
    for (size_t k = 0; k < p && k < s.size(); ++k) {
      if (s[k] == '\n') { ++line; col = 1; } else ++col;
    }
    throw Error(path + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + what);
  }
  void ws() {
    while (p < s.size() && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) ++p;
  }
  bool lit(const char* w) {
    const size_t n = std::strlen(w);
    if (s.compare(p, n, w) == 0) { p += n; return true; }
    return false;
  }
  unsigned hex4() {
    if (p + 4 > s.size()) bad("expected 4 hex digits after \\u");
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s[p++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
      else { --p; bad("expected a hex digit in \\u escape"); }
    }
    return v;
  }
  static void utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) out += static_cast<char>(cp);
    else if (cp < 0x800) { out += static_cast<char>(0xC0 | (cp >> 6)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12)); out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18)); out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)); out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  std::string str() {
    ++p;  // opening quote
    std::string out;
    for (;;) {
      if (p >= s.size()) bad("unterminated string");
      const unsigned char c = static_cast<unsigned char>(s[p]);
      if (c == '"') { ++p; return out; }
      if (c < 0x20) bad("control character in a string (escape it)");
      if (c != '\\') { out += static_cast<char>(c); ++p; continue; }
      ++p;
      if (p >= s.size()) bad("unterminated escape");
      const char e = s[p++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00) {
            if (!lit("\\u")) bad("expected a low surrogate after a high surrogate");
            const unsigned lo = hex4();
            if (lo < 0xDC00 || lo >= 0xE000) bad("invalid low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            bad("unpaired low surrogate");
          }
          utf8(out, cp);
          break;
        }
        default: --p; bad(std::string("invalid escape \\") + e);
      }
    }
  }
  Json number() {
    const size_t b = p;
    bool is_int = true;
    if (p < s.size() && s[p] == '-') ++p;
    if (p >= s.size() || !(s[p] >= '0' && s[p] <= '9')) bad("expected a digit");
    if (s[p] == '0') ++p;
    else while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
    if (p < s.size() && s[p] == '.') {
      is_int = false;
      ++p;
      if (p >= s.size() || !(s[p] >= '0' && s[p] <= '9')) bad("expected a digit after '.'");
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
    }
    if (p < s.size() && (s[p] == 'e' || s[p] == 'E')) {
      is_int = false;
      ++p;
      if (p < s.size() && (s[p] == '+' || s[p] == '-')) ++p;
      if (p >= s.size() || !(s[p] >= '0' && s[p] <= '9')) bad("expected a digit in the exponent");
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
    }
    const std::string text = s.substr(b, p - b);
    if (is_int && text != "-0") {  // "-0" is the double −0.0 (the integer would lose the sign)
      errno = 0;
      char* end = nullptr;
      const long long v = std::strtoll(text.c_str(), &end, 10);
      if (errno == 0 && *end == '\0') return Json(static_cast<int64_t>(v));
    }
    return Json(std::strtod(text.c_str(), nullptr));
  }
  Json value(int depth) {
    if (depth > 512) bad("nesting deeper than 512 levels");
    ws();
    if (p >= s.size()) bad("unexpected end of input, expected a value");
    const char c = s[p];
    if (c == '{') {
      ++p;
      Json o = Json::object();
      ws();
      if (p < s.size() && s[p] == '}') { ++p; return o; }
      for (;;) {
        ws();
        if (p >= s.size() || s[p] != '"') bad("expected a string key");
        std::string key = str();
        ws();
        if (p >= s.size() || s[p] != ':') bad("expected ':' after a key");
        ++p;
        Json v = value(depth + 1);
        for (const auto& m : o.o_)
          if (m.first == key) bad("duplicate key \"" + key + "\"");
        o.o_.emplace_back(std::move(key), std::move(v));
        ws();
        if (p < s.size() && s[p] == ',') { ++p; continue; }
        if (p < s.size() && s[p] == '}') { ++p; return o; }
        bad("expected ',' or '}' in an object");
      }
    }
    if (c == '[') {
      ++p;
      Json a = Json::array();
      ws();
      if (p < s.size() && s[p] == ']') { ++p; return a; }
      for (;;) {
        a.a_.push_back(value(depth + 1));
        ws();
        if (p < s.size() && s[p] == ',') { ++p; continue; }
        if (p < s.size() && s[p] == ']') { ++p; return a; }
        bad("expected ',' or ']' in an array");
      }
    }
    if (c == '"') return Json(str());
    if (lit("true")) return Json(true);
    if (lit("false")) return Json(false);
    if (lit("null")) return Json();
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    bad(std::string("unexpected character '") + c + "', expected a value");
  }
};

Json Json::parse(const std::string& text, const std::string& path) {
  JsonParser ps{text, path};
  Json v = ps.value(0);
  ps.ws();
  if (ps.p != text.size()) ps.bad("unexpected text after the value");
  return v;
}

Json read_json(const std::string& path) { return Json::parse(read_file(path), path); }

void write_json(const std::string& path, const Json& j, int indent) { write_file_atomic(path, j.dump(indent) + "\n"); }

}  // namespace lethe::io
