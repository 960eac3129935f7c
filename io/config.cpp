// io/config.cpp — see config.h.
#include "io/config.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "io/fs.h"
#include "kernels/common.h"

namespace lethe::io {
namespace {
bool key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}
std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}
}  // namespace

Config Config::parse(const std::string& text, const std::string& path) {
  Config c;
  c.path_ = path;
  int64_t line = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    ++line;
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string raw = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    const std::string t = trim(raw);
    if (t.empty() || t[0] == '#') continue;
    const std::string at = path + ":" + std::to_string(line) + ": ";
    const size_t eq = t.find('=');
    if (eq == std::string::npos) throw Error(at + "expected 'key = value', found '" + t + "'");
    const std::string key = trim(t.substr(0, eq));
    if (key.empty()) throw Error(at + "missing key before '=' in '" + t + "'");
    for (char ch : key)
      if (!key_char(ch)) throw Error(at + "invalid key '" + key + "' (letters, digits, '_', '.', '-')");
    std::string value = trim(t.substr(eq + 1));
    if (!value.empty() && value[0] == '"') {
      const size_t close = value.find('"', 1);
      if (close == std::string::npos) throw Error(at + "unterminated quoted value for '" + key + "'");
      const std::string rest = trim(value.substr(close + 1));
      if (!rest.empty() && rest[0] != '#') throw Error(at + "unexpected text after the quoted value of '" + key + "'");
      value = value.substr(1, close - 1);
    } else {
      for (size_t k = 1; k < value.size(); ++k)
        if (value[k] == '#' && (value[k - 1] == ' ' || value[k - 1] == '\t')) {
          value = trim(value.substr(0, k));
          break;
        }
      if (value == "#" || (!value.empty() && value[0] == '#')) value.clear();
    }
    if (value.empty()) throw Error(at + "missing value for '" + key + "' (write key = value; quote \"\" for an empty string)");
    auto it = c.entries_.find(key);
    if (it != c.entries_.end())
      throw Error(at + "duplicate key '" + key + "' (first set at line " + std::to_string(it->second.line) + ")");
    c.entries_[key] = Entry{value, path, line};
  }
  return c;
}

Config Config::load(const std::string& path) { return parse(read_file(path), path); }

std::vector<std::string> Config::keys() const {
  std::vector<std::string> k;
  for (const auto& e : entries_) k.push_back(e.first);
  return k;
}

void Config::set(const std::string& key, const std::string& value, const std::string& origin) {
  entries_[key] = Entry{value, origin, 0};
}

std::string Config::where(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return path_;
  return it->second.line > 0 ? it->second.origin + ":" + std::to_string(it->second.line) : it->second.origin;
}

std::vector<std::string> Config::unused() const {
  std::vector<std::string> out;
  for (const auto& e : entries_)
    if (!used_.count(e.first)) out.push_back(e.first);
  return out;
}

const Config::Entry& Config::get(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) throw Error((path_.empty() ? std::string("config") : path_) + ": missing key '" + key + "'");
  used_.insert(key);
  return it->second;
}

void Config::bad_value(const std::string& key, const std::string& expected) const {
  throw Error(where(key) + ":" + key + ": expected " + expected + ", found '" + entries_.at(key).value + "'");
}

std::string Config::str(const std::string& key) const { return get(key).value; }
std::string Config::str(const std::string& key, const std::string& def) const { return has(key) ? str(key) : def; }

int64_t Config::i64(const std::string& key) const {
  const std::string& v = get(key).value;
  errno = 0;
  char* end = nullptr;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno == ERANGE) bad_value(key, "an integer");
  return x;
}
int64_t Config::i64(const std::string& key, int64_t def) const { return has(key) ? i64(key) : def; }

double Config::f64(const std::string& key) const {
  const std::string& v = get(key).value;
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !std::isfinite(x)) bad_value(key, "a finite number");
  return x;
}
double Config::f64(const std::string& key, double def) const { return has(key) ? f64(key) : def; }

bool Config::boolean(const std::string& key) const {
  const std::string& v = get(key).value;
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  bad_value(key, "true/false (or yes/no, on/off, 1/0)");
}
bool Config::boolean(const std::string& key, bool def) const { return has(key) ? boolean(key) : def; }

}  // namespace lethe::io
