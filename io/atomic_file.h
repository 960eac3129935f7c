// io/atomic_file.h — every file Lethe writes goes through here: the bytes go to a temporary
// file `<path>.tmp.<pid>.<n>` (unique to this process and this write), which is flushed,
// fsync'ed and closed, and only then renamed over `<path>` (and the folder fsync'ed). A reader
// therefore sees either the old complete file or the new complete file, never a half-written
// one; a failed write (disk full, an exception half way, a crash) leaves an existing good file
// untouched; and two processes writing the same path never write into each other's temporary
// file. Used by the .inter/.npy writers, the synthetic generator, request files, checkpoints,
// JSON/CSV/Markdown results and the run folders (io/run_folder.h).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace lethe::io {

class AtomicWriter {
 public:
  // Creates the temporary file. Throws lethe::Error naming the file when it cannot.
  explicit AtomicWriter(std::string path);
  // Without commit() the temporary file is closed and removed; `path` is never touched.
  ~AtomicWriter();
  AtomicWriter(const AtomicWriter&) = delete;
  AtomicWriter& operator=(const AtomicWriter&) = delete;

  void write(const void* data, size_t n);
  void write(const std::string& s) { write(s.data(), s.size()); }
  // Flush, fsync, close, rename over `path`, fsync the folder. Throws on any failure (and then
  // removes the temporary file).
  void commit();

  int64_t bytes_written() const { return written_; }
  const std::string& path() const { return path_; }
  const std::string& tmp_path() const { return tmp_; }

 private:
  void abandon() noexcept;
  std::string path_, tmp_;
  std::FILE* f_ = nullptr;
  int64_t written_ = 0;
  bool committed_ = false;
};

// Writes `content` to `path` atomically (see above).
void write_file_atomic(const std::string& path, const std::string& content);

// Whether a file name is one of AtomicWriter's temporary names (`<name>.tmp.<pid>.<n>`): what a
// killed process leaves behind, removed when its run folder is next locked.
bool is_temporary_name(const std::string& name);

// Test hook (crash injection): when the environment variable LETHE_TEST_KILL_AT holds a number
// N >= 1, the process kills itself with SIGKILL at the N-th kill point it reaches. Kill points
// sit between the steps that must survive a crash (before and after every rename of an atomic
// write, between the steps of a run folder's move aside, ...), so a test can stop a real
// `lethe` run at every one of them and check what it left (tests/tools/crash_consistency.sh).
// LETHE_TEST_KILL_TRACE=1 prints each point reached (and the file concerned) on stderr. No
// effect when unset.
void test_kill_point(const char* where, const std::string& path = "");

// Test hook (fault injection): while set to n >= 0, any AtomicWriter throws lethe::Error
// ("injected write failure") once a write would take its byte count past n, as a full disk
// would. -1 (the default) turns it off. Process-global and not thread-safe: tests only.
void set_atomic_write_fault(int64_t fail_after_bytes);

}  // namespace lethe::io
