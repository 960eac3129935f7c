// io/fs.h — the few file-system helpers the readers and writers share: read a whole file in
// one go (the parsers work on a memory buffer, never one stream call per field), list a folder,
// create folders, and ask whether a folder is writable. Errors are lethe::Error naming the
// path and the system's reason.
#pragma once

#include <string>
#include <vector>

namespace lethe::io {

// The whole file as bytes. Throws "cannot open PATH: reason" / "cannot read PATH: reason".
std::string read_file(const std::string& path);

bool path_exists(const std::string& path);
bool is_directory(const std::string& path);
bool is_regular_file(const std::string& path);
// Names (not paths) of the entries of `dir`, sorted, without "." and "..". Throws if unreadable.
std::vector<std::string> list_dir(const std::string& dir);
// mkdir -p. Throws naming the component that could not be created.
void make_dirs(const std::string& dir);
// Whether a new file may be created in `dir`: false when the folder has no write permission bit
// at all (read-only by intent, even for root, who could write it anyway), else checked by
// creating and removing a probe file (so that a read-only mount is detected too).
bool dir_writable(const std::string& dir);

std::string path_join(const std::string& a, const std::string& b);
std::string base_name(const std::string& path);  // "a/b/c.inter" -> "c.inter"
std::string dir_name(const std::string& path);   // "a/b/c.inter" -> "a/b"; "c" -> "."
bool ends_with(const std::string& s, const std::string& suffix);

}  // namespace lethe::io
