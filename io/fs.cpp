// io/fs.cpp — see fs.h.
#include "io/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "io/utf8.h"
#include "kernels/common.h"

namespace lethe::io {

std::string read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw Error("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw Error("cannot read " + path + ": " + (S_ISDIR(st.st_mode) ? "it is a folder" : std::strerror(errno)));
  }
  std::string out;
  // Regular files: one allocation of the known size, read in large pieces. Anything else
  // (a pipe) is read until EOF.
  out.resize(S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) : 0);
  size_t got = 0;
  for (;;) {
    if (got == out.size()) out.resize(out.size() + (1 << 16));
    const ssize_t n = ::read(fd, &out[got], out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string why = std::strerror(errno);
      ::close(fd);
      throw Error("cannot read " + path + ": " + why);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}
bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool is_regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool entry_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::string why_not_regular_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    struct stat lst {};
    if (err == ENOENT && ::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode))
      return "it is a symbolic link to a file that does not exist";
    if (err == ELOOP) return "its symbolic links loop";
    return std::strerror(err);
  }
  if (S_ISDIR(st.st_mode)) return "it is a folder, not a file";
  if (!S_ISREG(st.st_mode)) return "it is not a regular file (a device, pipe or socket)";
  if (::access(path.c_str(), R_OK) != 0) return std::strerror(errno);
  return "";
}

std::vector<std::string> list_dir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) throw Error("cannot list folder " + dir + ": " + std::strerror(errno));
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

void make_dirs(const std::string& dir) {
  if (dir.empty() || is_directory(dir)) return;
  const std::string parent = dir_name(dir);
  if (parent != dir && parent != "." && parent != "/") make_dirs(parent);
  if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST)
    throw Error("cannot create folder " + dir + ": " + std::strerror(errno));
  if (!is_directory(dir)) throw Error("cannot create folder " + dir + ": a file of that name exists");
}

bool dir_writable(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
  // A folder with no write permission bit is read-only by intent, even for root (who could
  // write it anyway): ../shared/data is such a folder.
  if ((st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0) return false;
  const std::string probe = path_join(dir, ".lethe-write-probe-" + std::to_string(::getpid()));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return false;
  ::close(fd);
  ::unlink(probe.c_str());
  return true;
}

void move_path(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0)
    throw Error("cannot move " + from + " to " + to + ": " + std::strerror(errno));
}

void remove_tree(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw Error("cannot remove " + path + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    for (const auto& n : list_dir(path)) remove_tree(path_join(path, n));
    if (::rmdir(path.c_str()) != 0 && errno != ENOENT)
      throw Error("cannot remove folder " + path + ": " + std::strerror(errno));
  } else if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    throw Error("cannot remove " + path + ": " + std::strerror(errno));
  }
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "unknown host";
  return buf;
}

std::string path_join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (a.back() == '/') return a + b;
  return a + "/" + b;
}

std::string base_name(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const auto s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

std::string dir_name(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const auto s = p.rfind('/');
  if (s == std::string::npos) return ".";
  if (s == 0) return "/";
  return p.substr(0, s);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string printable(const std::string& s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = p[i];
    const size_t len = utf8_sequence_length(p + i, s.size() - i);
    // C1 controls (U+0080..U+009F) are two bytes, 0xC2 0x80..0x9F.
    const bool c1 = len == 2 && c == 0xC2 && p[i + 1] < 0xA0;
    if (len == 0 || c1 || c < 0x20 || c == 0x7F) {
      const size_t n = len == 0 ? 1 : len;
      for (size_t k = 0; k < n; ++k) {
        const unsigned char b = p[i + k];
        if (b == '\n')
          out += "\\n";
        else if (b == '\t')
          out += "\\t";
        else if (b == '\r')
          out += "\\r";
        else {
          out += "\\x";
          out += hex[b >> 4];
          out += hex[b & 15];
        }
      }
      i += n;
      continue;
    }
    out.append(s, i, len);
    i += len;
  }
  return out;
}

}  // namespace lethe::io
