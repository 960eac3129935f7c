// tests/io/io_test_util.h — helpers for the io/ tests: a temporary folder that removes itself,
// writing small files (the bad-input tests each write their own malformed file), and checking
// that an error message names the file, the line and what was expected.
#pragma once

#include <ftw.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <initializer_list>
#include <string>

#include "kernels/common.h"

namespace lethe::test {

class TempDir {
 public:
  TempDir() {
    std::string base = "/tmp";
    if (const char* t = std::getenv("TMPDIR"); t && *t) base = t;
    std::string tmpl = base + "/lethe-io-test-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw Error("cannot create a temporary folder under " + base);
    path_ = tmpl;
  }
  ~TempDir() {
    ::nftw(path_.c_str(),
           [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); }, 16, FTW_DEPTH | FTW_PHYS);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Plain (non-atomic) write, for test inputs.
inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << "cannot write " << path;
  ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
  std::fclose(f);
}

// The message of the lethe::Error that fn throws ("" and a test failure when it throws none).
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a lethe::Error, none was thrown";
  return "";
}

// Every piece must occur in the message.
inline ::testing::AssertionResult has_all(const std::string& msg, std::initializer_list<std::string> pieces) {
  for (const auto& p : pieces)
    if (msg.find(p) == std::string::npos)
      return ::testing::AssertionFailure() << "message lacks \"" << p << "\":\n  " << msg;
  return ::testing::AssertionSuccess() << msg;
}

}  // namespace lethe::test
