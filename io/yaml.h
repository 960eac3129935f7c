// io/yaml.h — YAML settings files (read with yaml-cpp, Debian's libyaml-cpp-dev): the format the
// MMRec toolbox's configuration folders use. A file is one mapping of settings; nested mappings
// are flattened with '.' (`mgcn: {cl: 0.1}` is the setting mgcn.cl); a value is a scalar, kept
// as written (`1e-04`, `True`, `'data/'` without its quotes), or a flow/block sequence of
// scalars (`[0.96, 50]`). An empty file holds no settings. Anything else — a document that is
// not a mapping, a null value, a sequence of mappings, a key given twice (also after
// flattening) — is an error naming FILE:LINE. What the settings mean is the engine's business
// (engine/config.h); this layer only reads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lethe::io {

struct YamlSetting {
  std::string key;                  // flattened, e.g. "learning_rate" or "mgcn.cl"
  std::vector<std::string> values;  // one value for a scalar
  bool is_list = false;             // written as a sequence (even of one element)
  int64_t line = 0;                 // 1-based line of the key
};

// Settings in file order. Throws lethe::Error "FILE:LINE: ..." on any problem.
std::vector<YamlSetting> parse_yaml_settings(const std::string& text, const std::string& path_for_errors);
std::vector<YamlSetting> read_yaml_settings(const std::string& path);

// True for a file name ending in .yaml or .yml (any case).
bool is_yaml_path(const std::string& path);

}  // namespace lethe::io
