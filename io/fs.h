// io/fs.h — the few file-system helpers the readers and writers share: read a whole file in
// one go (the parsers work on a memory buffer, never one stream call per field), list a folder,
// create, move and remove folders, ask whether a folder is writable, and make a name safe to
// print. Errors are lethe::Error naming the path and the system's reason.
#pragma once

#include <string>
#include <vector>

namespace lethe::io {

// The whole file as bytes. Throws "cannot open PATH: reason" / "cannot read PATH: reason".
std::string read_file(const std::string& path);

bool path_exists(const std::string& path);
bool is_directory(const std::string& path);
bool is_regular_file(const std::string& path);
// Whether `path` names anything at all, a dangling symbolic link included (lstat).
bool entry_exists(const std::string& path);
// "" when `path` is a readable regular file (symbolic links followed), else why not, in words:
// "it is a folder", "it is a symbolic link to a missing file", "symbolic links loop", ...
std::string why_not_regular_file(const std::string& path);
// Names (not paths) of the entries of `dir`, sorted, without "." and "..". Throws if unreadable.
std::vector<std::string> list_dir(const std::string& dir);
// mkdir -p. Throws naming the component that could not be created.
void make_dirs(const std::string& dir);
// Whether a new file may be created in `dir`: false when the folder has no write permission bit
// at all (read-only by intent, even for root, who could write it anyway), else checked by
// creating and removing a probe file (so that a read-only mount is detected too).
bool dir_writable(const std::string& dir);
// rename(2), throwing "cannot move FROM to TO: reason".
void move_path(const std::string& from, const std::string& to);
// rm -r: removes `path` and, for a folder, everything under it; symbolic links are removed, never
// followed. Missing is not an error. Throws naming the first entry that cannot be removed.
void remove_tree(const std::string& path);
// The host's name ("unknown host" when it cannot be read).
std::string host_name();

std::string path_join(const std::string& a, const std::string& b);
std::string base_name(const std::string& path);  // "a/b/c.inter" -> "c.inter"
std::string dir_name(const std::string& path);   // "a/b/c.inter" -> "a/b"; "c" -> "."
bool ends_with(const std::string& s, const std::string& suffix);

// `s` as it may be shown on a terminal: control characters (C0, DEL, C1) and bytes that are not
// valid UTF-8 are written as escapes (\n, \t, \xNN), so that a file name cannot move the
// cursor, change colours or hide part of a message. Printable UTF-8 is kept.
std::string printable(const std::string& s);

}  // namespace lethe::io
