// io/atomic_file.h — every file Lethe writes goes through here: the bytes go to `<path>.tmp`,
// which is flushed, fsync'ed and closed, and only then renamed over `<path>` (and the folder
// fsync'ed). A reader therefore sees either the old complete file or the new complete file,
// never a half-written one, and a failed write (disk full, an exception half way, a crash)
// leaves an existing good file untouched. Used by the .inter/.npy writers, the synthetic
// generator, request files, checkpoints, JSON/CSV/Markdown results.
//
// One writer per path at a time: two processes writing the same path would share `<path>.tmp`.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace lethe::io {

class AtomicWriter {
 public:
  // Creates (truncates) `<path>.tmp`. Throws lethe::Error naming the file when it cannot.
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

// Test hook (fault injection): while set to n >= 0, any AtomicWriter throws lethe::Error
// ("injected write failure") once a write would take its byte count past n, as a full disk
// would. -1 (the default) turns it off. Process-global and not thread-safe: tests only.
void set_atomic_write_fault(int64_t fail_after_bytes);

}  // namespace lethe::io
