// tests/data_dir.h — where the real data sets live, for tests in any folder. The data is
// research data without an open licence, read in place and never copied into the repository;
// a test that needs it skips (GTEST_SKIP, with the reason) when it is absent.
// Lookup: the environment variable LETHE_DATA if set, else LETHE_SOURCE_DIR "/../shared/data"
// (LETHE_SOURCE_DIR is a compile definition of every test binary: the project's top folder).
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

namespace lethe::test {

inline std::string data_root() {
  if (const char* e = std::getenv("LETHE_DATA"); e && *e) return e;
  return std::string(LETHE_SOURCE_DIR) + "/../shared/data";
}

// The folder of data set `name` (e.g. "tiktok"), or "" when it does not exist.
inline std::string find_dataset(const std::string& name) {
  const std::string dir = data_root() + "/" + name;
  struct stat st {};
  return (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) ? dir : std::string();
}

}  // namespace lethe::test

// Declares `var` = the folder of data set `name`, or skips the test saying where it looked.
#define LETHE_REQUIRE_DATASET(var, name)                                                           \
  const std::string var = ::lethe::test::find_dataset(name);                                       \
  if (var.empty())                                                                                 \
  GTEST_SKIP() << "data set '" << (name) << "' not found under " << ::lethe::test::data_root()     \
               << " (set LETHE_DATA to the folder holding tiktok/, amazon-baby/, amazon-sports/)"
