// io/atomic_file.cpp — see atomic_file.h.
#include "io/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "io/fs.h"
#include "kernels/common.h"

namespace lethe::io {
namespace {

int64_t g_fault_after = -1;
std::atomic<uint64_t> g_tmp_counter{0};

// `<path>.tmp.<pid>.<n>`: unique per process and per write.
std::string temporary_name(const std::string& path) {
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(++g_tmp_counter);
}

std::string sys_reason() { return std::strerror(errno); }

// fsync the folder holding `path`, so that the rename itself survives a crash. Best effort: some
// file systems refuse fsync on a directory, which is not an error for us.
void sync_dir_of(const std::string& path) {
  const int fd = ::open(dir_name(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

void set_atomic_write_fault(int64_t fail_after_bytes) { g_fault_after = fail_after_bytes; }

bool is_temporary_name(const std::string& name) {
  // <name> ".tmp." <digits> "." <digits>, <name> not empty
  size_t k = name.size();
  auto digits_back = [&] {
    const size_t stop = k;
    while (k > 0 && name[k - 1] >= '0' && name[k - 1] <= '9') --k;
    return k < stop;
  };
  if (!digits_back() || k == 0 || name[--k] != '.' || !digits_back()) return false;
  return k > 5 && name.compare(k - 5, 5, ".tmp.") == 0;
}

void test_kill_point(const char* where, const std::string& path) {
  static const int64_t at = [] {
    const char* v = std::getenv("LETHE_TEST_KILL_AT");
    return v && *v ? std::atoll(v) : int64_t{0};
  }();
  static const bool trace = [] {
    const char* v = std::getenv("LETHE_TEST_KILL_TRACE");
    return v && *v && std::strcmp(v, "0") != 0;
  }();
  static std::atomic<int64_t> reached{0};
  if (at <= 0 && !trace) return;
  const int64_t n = ++reached;
  if (trace) std::fprintf(stderr, "kill point %lld: %s %s\n", static_cast<long long>(n), where, path.c_str());
  if (n == at) ::raise(SIGKILL);
}

AtomicWriter::AtomicWriter(std::string path) : path_(std::move(path)), tmp_(temporary_name(path_)) {
  f_ = std::fopen(tmp_.c_str(), "wb");
  if (!f_) throw Error("cannot create " + tmp_ + " (to write " + path_ + "): " + sys_reason());
  std::setvbuf(f_, nullptr, _IOFBF, 1 << 20);
}

AtomicWriter::~AtomicWriter() {
  if (!committed_) abandon();
}

void AtomicWriter::abandon() noexcept {
  if (f_) { std::fclose(f_); f_ = nullptr; }
  if (!committed_) ::unlink(tmp_.c_str());
}

void AtomicWriter::write(const void* data, size_t n) {
  if (!f_) throw Error("write to " + path_ + " after it was committed or failed");
  if (n == 0) return;
  if (g_fault_after >= 0 && written_ + static_cast<int64_t>(n) > g_fault_after) {
    abandon();
    throw Error("cannot write " + tmp_ + ": injected write failure (test hook)");
  }
  if (std::fwrite(data, 1, n, f_) != n) {
    const std::string why = sys_reason();
    abandon();
    throw Error("cannot write " + tmp_ + ": " + why);
  }
  written_ += static_cast<int64_t>(n);
}

void AtomicWriter::commit() {
  if (!f_) throw Error("commit of " + path_ + " after it was committed or failed");
  if (std::fflush(f_) != 0 || ::fsync(::fileno(f_)) != 0) {
    const std::string why = sys_reason();
    abandon();
    throw Error("cannot write " + tmp_ + ": " + why);
  }
  const int rc = std::fclose(f_);
  f_ = nullptr;
  if (rc != 0) {
    const std::string why = sys_reason();
    abandon();
    throw Error("cannot close " + tmp_ + ": " + why);
  }
  test_kill_point("atomic write, temporary file complete, before the rename:", path_);
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    const std::string why = sys_reason();
    abandon();
    throw Error("cannot rename " + tmp_ + " to " + path_ + ": " + why);
  }
  committed_ = true;
  sync_dir_of(path_);
  test_kill_point("atomic write, after the rename:", path_);
}

void write_file_atomic(const std::string& path, const std::string& content) {
  AtomicWriter w(path);
  w.write(content);
  w.commit();
}

}  // namespace lethe::io
