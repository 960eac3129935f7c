// kernels/common.cpp — out-of-line pieces of common.h.
#include "kernels/common.h"
#include "kernels/omp_wait.h"

#include <cstdlib>
#include <cstring>

namespace lethe {

// The OpenMP wait policy every Lethe program starts with: kernels/omp_preinit.cpp.
const char* omp_wait_policy() {
  const char* p = std::getenv("OMP_WAIT_POLICY");
  return p ? p : "libgomp default (spins before sleeping)";
}

[[noreturn]] void fail_at(const char* file, int line, const std::string& what) {
  // Keep the path short: from the project's top-level folder on.
  const char* f = file;
  for (const char* top : {"/kernels/", "/engine/", "/graph/", "/io/", "/tools/", "/tests/", "/bench/"}) {
    if (const char* p = std::strstr(file, top)) { f = p + 1; break; }
  }
  throw Error(std::string(f) + ":" + std::to_string(line) + ": " + what);
}

}  // namespace lethe
