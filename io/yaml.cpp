// io/yaml.cpp — see yaml.h. yaml-cpp parses; this file walks the node tree, flattens nested
// mappings and turns every problem into a lethe::Error that names the file and the line.
#include "io/yaml.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "io/fs.h"
#include "kernels/common.h"

namespace lethe::io {
namespace {

std::string at(const std::string& path, const YAML::Mark& m) {
  return path + ":" + std::to_string(m.line + 1) + ": ";
}

void walk(const YAML::Node& map, const std::string& prefix, const std::string& path, std::vector<YamlSetting>& out,
          std::map<std::string, int64_t>& seen) {
  for (const auto& kv : map) {
    const YAML::Node& k = kv.first;
    const YAML::Node& v = kv.second;
    if (!k.IsScalar()) throw Error(at(path, k.Mark()) + "a setting's name must be a plain word");
    const std::string key = prefix + k.Scalar();
    const int64_t line = k.Mark().line + 1;
    if (key.empty()) throw Error(at(path, k.Mark()) + "empty setting name");
    if (v.IsMap()) {
      walk(v, key + ".", path, out, seen);
      continue;
    }
    if (auto it = seen.find(key); it != seen.end())
      throw Error(at(path, k.Mark()) + "setting '" + key + "' is given twice (first at line " +
                  std::to_string(it->second) + ")");
    seen[key] = line;
    YamlSetting s;
    s.key = key;
    s.line = line;
    if (!v.IsDefined() || v.IsNull()) {
      throw Error(at(path, k.Mark()) + "setting '" + key + "' has no value (write key: value; '' for an empty string)");
    } else if (v.IsScalar()) {
      s.values.push_back(v.Scalar());
    } else if (v.IsSequence()) {
      s.is_list = true;
      for (const auto& e : v) {
        if (!e.IsScalar())
          throw Error(at(path, e.Mark()) + "setting '" + key + "': a list may only hold plain values");
        s.values.push_back(e.Scalar());
      }
      if (s.values.empty()) throw Error(at(path, k.Mark()) + "setting '" + key + "' is an empty list");
    } else {
      throw Error(at(path, k.Mark()) + "setting '" + key + "' has a value of an unsupported kind");
    }
    out.push_back(std::move(s));
  }
}

}  // namespace

std::vector<YamlSetting> parse_yaml_settings(const std::string& text, const std::string& path) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    throw Error(path + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
  std::vector<YamlSetting> out;
  if (docs.empty()) return out;
  if (docs.size() > 1) throw Error(at(path, docs[1].Mark()) + "expected one YAML document, found " + std::to_string(docs.size()));
  const YAML::Node& root = docs[0];
  if (root.IsNull()) return out;  // a file of comments only
  if (!root.IsMap()) throw Error(at(path, root.Mark()) + "expected a mapping of settings (key: value lines)");
  std::map<std::string, int64_t> seen;
  try {
    walk(root, "", path, out, seen);
  } catch (const YAML::Exception& e) {
    throw Error(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return out;
}

std::vector<YamlSetting> read_yaml_settings(const std::string& path) { return parse_yaml_settings(read_file(path), path); }

bool is_yaml_path(const std::string& path) {
  std::string p = path;
  std::transform(p.begin(), p.end(), p.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ends_with(p, ".yaml") || ends_with(p, ".yml");
}

}  // namespace lethe::io
