// io/run_folder.cpp — see run_folder.h.
#include "io/run_folder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "io/atomic_file.h"
#include "io/fs.h"
#include "io/hash.h"
#include "io/json.h"
#include "kernels/common.h"

namespace lethe::io {
namespace {

constexpr const char* kRunFormat = "lethe run v1";
constexpr const char* kManifestFormat = "lethe run manifest v1";
constexpr const char* kPartialDir = ".lethe-previous.partial";
constexpr const char* kDeletingDir = ".lethe-previous.deleting";
constexpr uint64_t kFileHashSeed = 0x4C4554484D414E31ull;  // "LETHMAN1"

std::string utc_timestamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Size and content hash of a file, read in pieces (checkpoints can be large).
std::string file_digest(const std::string& path, int64_t* bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error("cannot open " + path + ": " + std::strerror(errno));
  Hasher h(kFileHashSeed);
  std::vector<char> buf(1 << 20);
  int64_t total = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string why = std::strerror(errno);
      ::close(fd);
      throw Error("cannot read " + path + ": " + why);
    }
    if (n == 0) break;
    h.update(buf.data(), static_cast<size_t>(n));
    total += n;
  }
  ::close(fd);
  *bytes = total;
  return hex64(h.digest());
}

bool is_aside_name(const std::string& n) { return n == kPreviousDir || n == kPartialDir || n == kDeletingDir; }

// Entries that are part of the folder's content: not the lock, not temporary files, not the
// copy of a replaced run.
std::vector<std::string> content_entries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& n : list_dir(dir))
    if (n != kRunLockFile && !is_temporary_name(n) && !is_aside_name(n)) out.push_back(n);
  return out;
}

bool is_nested_run(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && entry_exists(path_join(path, kRunFile));
}

// Every file of the run, relative to `root`, sorted: regular files (not links), nested run
// folders by their manifest.json only.
void walk_files(const std::string& root, const std::string& rel, std::vector<std::string>& out) {
  const std::string dir = rel.empty() ? root : path_join(root, rel);
  for (const auto& n : list_dir(dir)) {
    if (is_temporary_name(n) || n == kRunLockFile) continue;
    if (rel.empty() && (n == kManifestFile || is_aside_name(n))) continue;
    const std::string r = rel.empty() ? n : rel + "/" + n;
    const std::string full = path_join(root, r);
    struct stat st {};
    if (::lstat(full.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (entry_exists(path_join(full, kRunFile))) {
        const RunFolderInfo sub = inspect_run_folder(full, false);
        if (sub.state != RunState::kFinished)
          throw Error("cannot finish " + root + ": the run folder " + full + " inside it is " +
                      run_state_name(sub.state));
        out.push_back(r + "/" + kManifestFile);
      } else {
        walk_files(root, r, out);
      }
    } else if (S_ISREG(st.st_mode)) {
      out.push_back(r);
    }
  }
}

// Removes what killed runs left: temporary files anywhere in the folder except inside nested
// run folders (they are cleared when they are locked themselves) and aside copies.
void remove_temporaries(const std::string& dir, bool top) {
  for (const auto& n : list_dir(dir)) {
    const std::string full = path_join(dir, n);
    if (is_temporary_name(n)) {
      remove_tree(full);
      continue;
    }
    if (top && is_aside_name(n)) continue;
    struct stat st {};
    if (::lstat(full.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && !is_nested_run(full)) remove_temporaries(full, false);
  }
}

std::string list_some(const std::vector<std::string>& v, size_t most = 3) {
  std::string s;
  for (size_t k = 0; k < v.size() && k < most; ++k) s += (k ? ", " : "") + printable(v[k]);
  if (v.size() > most) s += " and " + std::to_string(v.size() - most) + " more";
  return s;
}

std::string holder_of(int fd) {
  char buf[1024] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string s = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

RunSettings settings_of(const Json& j) {
  RunSettings s;
  for (const auto& [k, v] : j.members()) s[k] = v.as_string();
  return s;
}

std::string title_of(const std::string& command, const std::string& title) {
  return title.empty() ? "`lethe " + command + "`" : title;
}

}  // namespace

std::string settings_hash(const RunSettings& s) {
  Hasher h(0x4C45544853455431ull);  // "LETHSET1"
  for (const auto& [k, v] : s) {
    h.update_str(k);
    h.update_str(v);
  }
  return hex64(h.digest());
}

SettingDiff first_difference(const RunSettings& there, const RunSettings& here, const RunSettings& legacy) {
  auto a = there.begin(), b = here.begin();
  while (a != there.end() || b != here.end()) {
    if (b == here.end() || (a != there.end() && a->first < b->first)) return {a->first, a->second, "(not set)"};
    if (a == there.end() || b->first < a->first) {
      const auto l = legacy.find(b->first);
      if (l == legacy.end()) return {b->first, "(not set)", b->second};
      if (l->second != "*" && l->second != b->second)
        return {b->first, "(not set: made before this setting existed, which behaved as " + l->second + ")", b->second};
      ++b;
      continue;
    }
    if (a->second != b->second) return {a->first, a->second, b->second};
    ++a;
    ++b;
  }
  return {};
}

std::string setting_name(const std::string& key) {
  if (key.rfind("config.", 0) == 0) return key.substr(7);
  if (key.rfind("method.", 0) == 0) {
    const size_t dot = key.find('.', 7);
    if (dot != std::string::npos) return key.substr(dot + 1) + " of method " + key.substr(7, dot - 7);
  }
  return key;
}

const char* run_state_name(RunState s) {
  switch (s) {
    case RunState::kMissing:
      return "missing";
    case RunState::kEmpty:
      return "empty";
    case RunState::kUnfinished:
      return "interrupted";
    case RunState::kFinished:
      return "finished";
    case RunState::kDamaged:
      return "damaged";
    case RunState::kForeign:
      return "not a run folder";
  }
  return "?";
}

RunFolderInfo inspect_run_folder(const std::string& dir, bool verify) {
  RunFolderInfo info;
  info.dir = dir;
  if (!entry_exists(dir)) return info;
  if (!is_directory(dir)) {
    info.state = RunState::kForeign;
    info.problem = "it is not a folder";
    return info;
  }
  bool partial = false;
  for (const auto& n : list_dir(dir)) {
    if (n == kPreviousDir) info.previous = path_join(dir, n);
    partial = partial || n == kPartialDir;
  }
  // Is a run writing it right now? (A probe: a shared lock is refused while a writer holds it.)
  if (const int fd = ::open(path_join(dir, kRunLockFile).c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    if (::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
      info.holder = holder_of(fd);
      if (info.holder.empty()) info.holder = "another lethe process";
    }
    ::close(fd);
  }
  info.entries = content_entries(dir);
  if (partial) {  // killed while --overwrite moved the old run aside: nothing new was written yet
    info.state = RunState::kDamaged;
    info.problem = "an --overwrite was cut short while moving the previous run aside (part of it is in " +
                   printable(path_join(dir, kPartialDir)) + "); the next lethe run in this folder moves it back first";
    return info;
  }
  if (info.entries.empty()) {
    info.state = RunState::kEmpty;
    return info;
  }
  const std::string run_path = path_join(dir, kRunFile), man_path = path_join(dir, kManifestFile);
  if (!entry_exists(run_path)) {
    info.state = RunState::kForeign;
    info.problem = list_some(info.entries);
    return info;
  }
  info.state = RunState::kDamaged;
  try {
    const Json r = read_json(run_path);
    if (!r.is_object() || !r.contains("format") || r.at("format").as_string() != kRunFormat)
      throw Error("not a '" + std::string(kRunFormat) + "' file");
    info.command = r.at("command").as_string();
    info.settings = settings_of(r.at("settings"));
    if (const Json* t = r.find("title")) info.title = t->as_string();
    if (const Json* t = r.find("started")) info.started = t->as_string();
    if (const Json* c = r.find("command_line")) info.command_line = c->as_string();
  } catch (const std::exception& e) {
    info.problem = std::string(kRunFile) + " is unreadable: " + e.what();
    return info;
  }
  if (!entry_exists(man_path)) {
    info.state = RunState::kUnfinished;
    return info;
  }
  try {
    const Json m = read_json(man_path);
    if (!m.is_object() || !m.contains("format") || m.at("format").as_string() != kManifestFormat)
      throw Error("not a '" + std::string(kManifestFormat) + "' file");
    if (m.at("command").as_string() != info.command ||
        m.at("settings_hash").as_string() != settings_hash(info.settings)) {
      info.problem = std::string(kManifestFile) + " belongs to another run than " + kRunFile;
      return info;
    }
    const Json& files = m.at("files");
    for (const auto& [rel, f] : files.members()) {
      ++info.files;
      if (!verify) continue;
      const std::string full = path_join(dir, rel);
      struct stat st {};
      if (::lstat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        info.problem = printable(rel) + " is missing";
        return info;
      }
      int64_t bytes = 0;
      const std::string h = file_digest(full, &bytes);
      if (bytes != f.at("bytes").as_int()) {
        info.problem = printable(rel) + " has " + std::to_string(bytes) + " bytes, the manifest says " +
                       std::to_string(f.at("bytes").as_int());
        return info;
      }
      if (h != f.at("hash").as_string()) {
        info.problem = printable(rel) + " changed after the run finished (content hash " + h + ", the manifest says " +
                       f.at("hash").as_string() + ")";
        return info;
      }
      if (ends_with(rel, std::string("/") + kManifestFile)) {  // a nested run folder: verify it too
        const std::string sub = dir_name(full);
        if (entry_exists(path_join(sub, kRunFile))) {
          const RunFolderInfo si = inspect_run_folder(sub, true);
          if (si.state != RunState::kFinished) {
            info.problem = "the run folder " + printable(dir_name(rel)) + " inside it is " + run_state_name(si.state) +
                           (si.problem.empty() ? "" : " (" + si.problem + ")");
            return info;
          }
        }
      }
    }
  } catch (const std::exception& e) {
    info.problem = std::string(kManifestFile) + " is unreadable: " + e.what();
    return info;
  }
  info.state = RunState::kFinished;
  return info;
}

std::string describe_run_folder(const RunFolderInfo& i) {
  const std::string d = printable(i.dir);
  std::string s;
  switch (i.state) {
    case RunState::kMissing:
      s = d + ": does not exist\n";
      break;
    case RunState::kEmpty:
      s = d + ": empty (a new run may use it)\n";
      break;
    case RunState::kForeign:
      s = d + ": not a lethe run folder (" + i.problem + ")\n";
      break;
    case RunState::kDamaged:
      s = d + ": DAMAGED" + (i.command.empty() ? "" : " " + title_of(i.command, i.title) + " run") + ": " + i.problem +
          "\n";
      break;
    case RunState::kUnfinished:
      s = d + ": interrupted " + title_of(i.command, i.title) +
          " run (not finished; resumable with the same settings)\n";
      break;
    case RunState::kFinished:
      s = d + ": finished " + title_of(i.command, i.title) + " run, " + std::to_string(i.files) +
          " file(s) match its manifest\n";
      break;
  }
  if (!i.holder.empty()) s += "  IN USE now by " + printable(i.holder) + "\n";
  if (!i.started.empty()) s += "  started " + i.started + ": " + printable(i.command_line) + "\n";
  if (!i.settings.empty()) s += "  settings hash " + settings_hash(i.settings) + "\n";
  if (!i.previous.empty())
    s += "  a run replaced by --overwrite is kept in " + printable(i.previous) + " until the new run finishes\n";
  return s;
}

// ---- the lock -------------------------------------------------------------------------------

RunLock::RunLock(const std::string& dir, Mode mode, const std::string& command_line)
    : path_(path_join(dir, kRunLockFile)) {
  for (int attempt = 0;; ++attempt) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error("cannot create the lock file " + path_ + ": " + std::strerror(errno));
    if (::flock(fd_, (mode == Mode::kExclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
      const int err = errno;
      // The holder line is the last writer's; when only readers hold the lock now (a shared
      // lock would be granted), it is stale.
      const bool readers_only = mode == Mode::kExclusive && ::flock(fd_, LOCK_SH | LOCK_NB) == 0;
      const std::string holder = readers_only ? "" : holder_of(fd_);
      ::close(fd_);
      fd_ = -1;
      if (err == EWOULDBLOCK)
        throw Error(dir + " is in use by another lethe process" +
                    (readers_only     ? std::string(" reading it (an experiment reusing the run)")
                     : holder.empty() ? std::string()
                                      : " (" + printable(holder) + ")") +
                    ": wait for it to finish, or choose another folder");
      throw Error("cannot lock " + path_ + ": " + std::strerror(err));
    }
    // The file locked must still be the one at the path (a run that removed its folder may
    // have unlinked it between our open and our flock).
    struct stat a {
    }, b{};
    if (::fstat(fd_, &a) == 0 && ::stat(path_.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) break;
    ::close(fd_);
    fd_ = -1;
    if (attempt >= 8) throw Error("cannot lock " + path_ + ": it keeps being replaced");
  }
  if (mode == Mode::kExclusive) {
    const std::string holder = "pid " + std::to_string(::getpid()) + " on " + host_name() + " since " +
                               utc_timestamp() + ": " + command_line + "\n";
    if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, holder.data(), holder.size(), 0);
  }
  test_kill_point("run folder locked:", dir);
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

void RunLock::remove_file() { ::unlink(path_.c_str()); }

// ---- the run folder --------------------------------------------------------------------------

RunFolder::RunFolder(const std::string& dir, RunFolderOptions o) : dir_(dir), o_(std::move(o)) {
  if (o_.resume && o_.overwrite)
    throw Error("--resume and --overwrite contradict each other (continue the run in " + dir + ", or replace it)");
  if (!entry_exists(dir_)) {
    make_dirs(dir_);
    created_ = true;
    test_kill_point("run folder created:", dir_);
  } else if (!is_directory(dir_)) {
    throw Error(dir_ + " exists and is not a folder");
  }
  lock_ = std::make_unique<RunLock>(dir_, RunLock::Mode::kExclusive, o_.command_line);
  recover();
  found_ = inspect_run_folder(dir_, true);
  const RunFolderInfo& f = found_;
  const std::string cmd = title_of(f.command, f.title);
  const std::string aside = path_join(dir_, kPreviousDir);
  const std::string replace_hint =
      ": choose another --out, or pass --overwrite to replace it (the replaced run is kept in " + aside +
      " until the new one has finished)";
  const std::string prev_note =
      f.previous.empty() ? "" : " (the finished run it was replacing is kept in " + f.previous + ")";
  const std::string when = f.started.empty() ? "" : " (started " + f.started + ")";
  auto check_settings = [&] {
    const SettingDiff d = o_.compare ? o_.compare(f) : first_difference(f.settings, o_.settings, o_.legacy);
    if (d.empty()) return;
    throw Error("--resume: the run in " + dir_ + " was made with " + setting_name(d.key) + " = " + printable(d.there) +
                ", this command has " + setting_name(d.key) + " = " + printable(d.here) +
                "; resuming with other settings would mix results of both in one run. Choose another --out, or "
                "run without --resume and with --overwrite to start again");
  };
  switch (f.state) {
    case RunState::kMissing:
    case RunState::kEmpty:
      start_ = Start::kNew;
      break;
    case RunState::kForeign: {
      bool all_allowed = true;
      for (const auto& e : f.entries)
        all_allowed = all_allowed && std::find(o_.allowed.begin(), o_.allowed.end(), e) != o_.allowed.end();
      if (all_allowed) {
        start_ = Start::kNew;
        break;
      }
      if (!f.previous.empty())
        throw Error(dir_ + " holds files that are not part of a lethe run (" + f.problem +
                    ") beside a replaced run kept in " + f.previous + ": sort them out by hand");
      if (!o_.overwrite)
        throw Error(dir_ + " holds files that are not part of a lethe run (" + f.problem +
                    "): choose another --out (a new or empty folder), or pass --overwrite to move them aside (they are "
                    "deleted once the new run has finished)");
      move_aside(f);
      break;
    }
    case RunState::kDamaged:
      if (!o_.overwrite)
        throw Error(dir_ + " holds a" + (f.command.empty() ? "" : " " + cmd) + " run that is damaged (" + f.problem +
                    ")" + replace_hint);
      move_aside(f);
      break;
    case RunState::kUnfinished:
      if (f.command == o_.command && o_.resume) {
        check_settings();
        start_ = Start::kResume;
        break;
      }
      if (o_.overwrite) {
        move_aside(f);
        break;
      }
      if (f.command == o_.command && !o_.resume_hint.empty())
        throw Error(dir_ + " holds an interrupted " + cmd + " run" + when + prev_note + ": continue it with " +
                    o_.resume_hint + ", or pass --overwrite to start again");
      if (f.command == o_.command)
        throw Error(dir_ + " holds an interrupted " + cmd + " run" + when + prev_note +
                    " (it cannot be continued): pass --overwrite to run it again, or choose another --out");
      throw Error(dir_ + " holds an interrupted " + cmd + " run" + when + prev_note + replace_hint);
    case RunState::kFinished:
      if (f.command == o_.command && o_.resume) {
        check_settings();
        if (o_.reopen_finished) {
          // Its results are about to change: it stops being finished before anything is written.
          if (::unlink(path_join(dir_, kManifestFile).c_str()) != 0)
            throw Error("cannot remove " + path_join(dir_, kManifestFile) + ": " + std::strerror(errno));
          test_kill_point("finished run reopened (manifest removed):", dir_);
          start_ = Start::kResume;
        } else {
          start_ = Start::kFinished;
        }
        break;
      }
      if (o_.overwrite) {
        move_aside(f);
        break;
      }
      throw Error(dir_ + " already holds a finished " + cmd + " run" + when + replace_hint);
  }
  if (start_ == Start::kNew) present_ = content_entries(dir_);
}

RunFolder::~RunFolder() {
  if (!finished_ && start_ == Start::kNew && !keep_) cleanup();
}

std::string RunFolder::path(const std::string& name) const { return path_join(dir_, name); }

void RunFolder::recover() {
  remove_temporaries(dir_, true);
  const std::string partial = path_join(dir_, kPartialDir), aside = path_join(dir_, kPreviousDir),
                    deleting = path_join(dir_, kDeletingDir);
  if (entry_exists(partial)) {  // a move aside cut short: nothing new was written yet, undo it
    for (const auto& n : list_dir(partial)) move_path(path_join(partial, n), path_join(dir_, n));
    remove_tree(partial);
  }
  if (entry_exists(deleting)) remove_tree(deleting);
  if (entry_exists(aside)) {
    const RunFolderInfo now = inspect_run_folder(dir_, true);
    if (now.state == RunState::kFinished) {  // the new run finished; deleting the old one was cut short
      move_path(aside, deleting);
      remove_tree(deleting);
    } else if (now.state == RunState::kEmpty) {  // the new run never began: the old one comes back
      restore_aside();
    }
  }
}

void RunFolder::move_aside(const RunFolderInfo& f) {
  const std::string aside = path_join(dir_, kPreviousDir), partial = path_join(dir_, kPartialDir);
  // The run must not replace what it reads.
  char* real_dir = ::realpath(dir_.c_str(), nullptr);
  const std::string rd = real_dir ? std::string(real_dir) + "/" : std::string();
  std::free(real_dir);
  for (const auto& in : o_.inputs) {
    char* r = ::realpath(in.c_str(), nullptr);
    const std::string ri = r ? r : "";
    std::free(r);
    if (!rd.empty() && !ri.empty() && (ri + "/").rfind(rd, 0) == 0)
      throw Error(in + " lies inside " + dir_ +
                  ", which --overwrite would replace: this run reads it. Choose another "
                  "--out, or move it out first");
  }
  // Run folders inside (an experiment's original/) must not be in use by another process.
  std::vector<std::unique_ptr<RunLock>> nested;
  for (const auto& e : f.entries)
    if (is_nested_run(path_join(dir_, e)))
      nested.push_back(std::make_unique<RunLock>(path_join(dir_, e), RunLock::Mode::kExclusive, o_.command_line));
  if (entry_exists(aside)) {
    // An earlier --overwrite never finished: the run it replaced stays kept; what is here now
    // (that unfinished replacement) is what this run replaces, and it is dropped.
    for (const auto& e : f.entries) {
      remove_tree(path_join(dir_, e));
      test_kill_point("unfinished replacement removed:", e);
    }
  } else {
    make_dirs(partial);
    for (const auto& e : f.entries) {
      move_path(path_join(dir_, e), path_join(partial, e));
      test_kill_point("entry moved aside:", e);
    }
    move_path(partial, aside);
    test_kill_point("old run moved aside:", aside);
  }
  start_ = Start::kNew;
  std::fprintf(stderr, "%s: the previous content is kept in %s until this run has finished\n", printable(dir_).c_str(),
               printable(aside).c_str());
}

void RunFolder::restore_aside() noexcept {
  const std::string aside = path_join(dir_, kPreviousDir);
  try {
    if (!entry_exists(aside)) return;
    for (const auto& n : list_dir(aside))
      if (!entry_exists(path_join(dir_, n))) move_path(path_join(aside, n), path_join(dir_, n));
    remove_tree(aside);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warning: cannot move the replaced run in %s back: %s\n", printable(aside).c_str(),
                 printable(e.what()).c_str());
  }
}

void RunFolder::cleanup() noexcept {
  try {
    bool nested_kept = false;
    for (const auto& e : content_entries(dir_)) {
      if (std::find(present_.begin(), present_.end(), e) != present_.end()) continue;
      if (is_nested_run(path_join(dir_, e))) {  // e.g. a θ₀ run folder with a resumable checkpoint
        nested_kept = true;
        continue;
      }
      remove_tree(path_join(dir_, e));
    }
    if (nested_kept) return;
    restore_aside();
    if (!content_entries(dir_).empty()) return;
    for (const auto& n : list_dir(dir_))
      if (is_temporary_name(n)) remove_tree(path_join(dir_, n));
    lock_->remove_file();
    if (created_) ::rmdir(dir_.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warning: cannot clean up %s after the failed run: %s\n", printable(dir_).c_str(),
                 printable(e.what()).c_str());
  }
}

void RunFolder::begin() { begin(o_.settings); }

void RunFolder::begin(const RunSettings& s) {
  Json r = Json::object();
  r["format"] = kRunFormat;
  r["command"] = o_.command;
  r["title"] = title_of(o_.command, o_.title);
  Json js = Json::object();
  for (const auto& [k, v] : s) js[k] = v;
  r["settings"] = js;
  r["settings_hash"] = settings_hash(s);
  const std::string now = utc_timestamp();
  r["started"] = start_ == Start::kResume && !found_.started.empty() ? found_.started : now;
  if (start_ == Start::kResume) r["resumed"] = now;
  r["command_line"] = o_.command_line;
  r["host"] = host_name();
  r["pid"] = static_cast<int64_t>(::getpid());
  write_json(path(kRunFile), r);
  o_.settings = s;
  began_ = true;
}

void RunFolder::finish() {
  if (start_ == Start::kFinished) return;
  if (!began_) throw Error("internal: " + dir_ + " finished before it began");
  std::vector<std::string> files;
  walk_files(dir_, "", files);
  std::sort(files.begin(), files.end());
  Json m = Json::object();
  m["format"] = kManifestFormat;
  m["command"] = o_.command;
  m["settings_hash"] = settings_hash(o_.settings);
  m["finished"] = utc_timestamp();
  Json fj = Json::object();
  for (const auto& rel : files) {
    int64_t bytes = 0;
    const std::string h = file_digest(path_join(dir_, rel), &bytes);
    Json e = Json::object();
    e["bytes"] = bytes;
    e["hash"] = h;
    fj[rel] = e;
  }
  m["files"] = fj;
  write_json(path(kManifestFile), m);
  finished_ = true;
  const std::string aside = path(kPreviousDir), deleting = path(kDeletingDir);
  if (entry_exists(aside)) {
    move_path(aside, deleting);
    test_kill_point("replaced run being deleted:", deleting);
    remove_tree(deleting);
    test_kill_point("replaced run deleted:", deleting);
  }
}

}  // namespace lethe::io
