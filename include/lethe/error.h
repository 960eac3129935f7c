// lethe/error.h — the one exception type Lethe throws: every bad input, failed check and I/O
// problem is a lethe::Error whose message names the file (and line) or the setting at fault and
// what was expected. Library code never calls exit(). Part of the public API (include/lethe/).
#pragma once

#include <stdexcept>

#include "lethe/export.h"

namespace lethe {

class LETHE_API Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace lethe
