// kernels/common.cpp — out-of-line pieces of common.h.
#include "kernels/common.h"

#include <cstring>

namespace lethe {

[[noreturn]] void fail_at(const char* file, int line, const std::string& what) {
  // Keep the path short: from the project's top-level folder on.
  const char* f = file;
  for (const char* top : {"/kernels/", "/engine/", "/graph/", "/io/", "/tools/", "/tests/", "/bench/"}) {
    if (const char* p = std::strstr(file, top)) { f = p + 1; break; }
  }
  throw Error(std::string(f) + ":" + std::to_string(line) + ": " + what);
}

}  // namespace lethe
