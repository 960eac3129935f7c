// io/config.h — configuration files: one `key = value` per line; blank lines and lines whose
// first non-blank character is '#' are ignored; a '#' preceded by a space or tab starts a
// trailing comment; a value may be double-quoted to keep '#' or surrounding spaces ("a # b").
// Keys are letters, digits, '_', '.', '-'. A malformed line or a key given twice is an error
// naming FILE:LINE. Values are parsed on demand; a bad value is an error naming
// FILE:LINE:KEY and what was expected. Keys set from the command line (set()) override the
// file and are reported as "<command line>".
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace lethe::io {

class Config {
 public:
  Config() = default;
  static Config parse(const std::string& text, const std::string& path_for_errors);
  static Config load(const std::string& path);

  bool has(const std::string& key) const { return entries_.count(key) > 0; }
  std::vector<std::string> keys() const;  // sorted

  // Required values throw "FILE:LINE: missing key" / "FILE:LINE:KEY: expected ..."; the
  // overloads with a default return it when the key is absent (a present bad value still throws).
  std::string str(const std::string& key) const;
  std::string str(const std::string& key, const std::string& def) const;
  int64_t i64(const std::string& key) const;
  int64_t i64(const std::string& key, int64_t def) const;
  double f64(const std::string& key) const;
  double f64(const std::string& key, double def) const;
  bool boolean(const std::string& key) const;  // true/false, yes/no, on/off, 1/0
  bool boolean(const std::string& key, bool def) const;

  // Override or add a value (e.g. from --key value on the command line).
  void set(const std::string& key, const std::string& value, const std::string& origin = "<command line>");
  // Keys that were never read: a typo in a config file shows up here.
  std::vector<std::string> unused() const;
  const std::string& path() const { return path_; }
  // "FILE:LINE" where key was set.
  std::string where(const std::string& key) const;

 private:
  struct Entry {
    std::string value, origin;
    int64_t line = 0;
  };
  const Entry& get(const std::string& key) const;
  [[noreturn]] void bad_value(const std::string& key, const std::string& expected) const;
  std::string path_;
  std::map<std::string, Entry> entries_;
  mutable std::set<std::string> used_;
};

}  // namespace lethe::io
