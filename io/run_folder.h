// io/run_folder.h — the discipline every command that writes a run folder follows (`lethe
// train`, `unlearn`, `experiment` and the experiment's θ₀ folder), so that a finished run is
// never lost, mixed with another or silently replaced, whatever happens to the process:
//
//   * a lock: `.lethe-lock` in the folder, held with flock(2) for the run's whole life. The kernel
//     drops it when the process ends, kill -9 included, so a lock is never stale; a second run
//     into the same folder is refused with the holder's pid, host and command line.
//   * run.json, written before any result: the command and every setting that changes its
//     results (RunSettings). A folder holding run.json and no matching manifest is an
//     interrupted run: `--resume` continues it only when its settings equal the new ones (a
//     difference is refused, naming the setting and both values); without --resume it is refused.
//   * manifest.json, written last and atomically: the command, the settings' hash and the size
//     and content hash of every file of the run. "Finished" means: the manifest exists and every
//     file it names is there with that size and hash. Its format is in docs/run-folders.md.
//   * --overwrite moves whatever the folder holds into `.lethe-previous/` inside it (one rename
//     commits the move; a move cut short is rolled back) and deletes that copy only once the new
//     run has finished. A run that fails before it has anything worth keeping removes what it
//     wrote (and the folder, when it created it) and moves the replaced run back.
//   * every write goes through io/atomic_file.h (unique temporary names, rename); temporary
//     files a killed run left behind are removed when the folder is next locked.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lethe::io {

// Every setting that changes a run's results, as text (key → value; sorted, so that the hash
// and the comparison do not depend on the order they were added in).
using RunSettings = std::map<std::string, std::string>;
// 16 hex digits over the sorted (key, value) pairs (io/hash.h).
std::string settings_hash(const RunSettings& s);

// The first setting whose value differs between the run found in a folder and this command.
struct SettingDiff {
  std::string key, there, here;  // "(not set)" for a key one side lacks
  bool empty() const { return key.empty(); }
};
// `legacy` names settings that later versions added, each with the value that reproduces what a run
// made before it existed did ("*": the setting cannot change such a run's results). A key the run
// found lacks is then equal when this run's value is that one (or any, for "*"), so that a new
// program can continue, or reuse, what an earlier one made with the same behaviour; a key this run
// lacks (one that was removed) always differs.
SettingDiff first_difference(const RunSettings& there, const RunSettings& here, const RunSettings& legacy = {});
// A setting's key as messages show it: "config.K" (a configuration key) as K, "method.M.K" (a
// method's own setting in an experiment) as "K of method M", anything else as it is.
std::string setting_name(const std::string& key);

enum class RunState {
  kMissing,     // no such folder
  kEmpty,       // exists and holds nothing (a lock file or temporary files left behind aside)
  kUnfinished,  // run.json and no manifest: an interrupted run (or one still running)
  kFinished,    // manifest.json matches every file it names
  kDamaged,     // manifest.json or run.json unreadable, or a file the manifest names is missing
                // or changed
  kForeign,     // holds files but no run.json: not a lethe run folder
};
const char* run_state_name(RunState s);  // "missing", "empty", "interrupted", "finished", ...

struct RunFolderInfo {
  RunState state = RunState::kMissing;
  std::string dir;
  std::string command;   // run.json's command ("train", ...)
  std::string title;     // run.json's title: the command in words ("`lethe train`")
  RunSettings settings;  // run.json's settings
  std::string started;   // run.json: when the run started (UTC) and its command line
  std::string command_line;
  std::string problem;               // kDamaged: what is wrong; kForeign: the first few entries
  std::vector<std::string> entries;  // what the folder holds (lock, temporary files, aside copy excluded)
  std::string previous;              // a replaced run kept aside by an unfinished --overwrite ("" if none)
  std::string holder;                // a process holds the folder's lock now: its pid, host and command line
  int64_t files = 0;                 // kFinished: files the manifest vouches for
};

// Looks at a folder without locking or changing it. verify = false skips hashing the files
// (the state is then kFinished as soon as a well-formed manifest of the run is present).
RunFolderInfo inspect_run_folder(const std::string& dir, bool verify = true);
// A few lines for people (`lethe info --run DIR`): the state, the command, what to do next.
std::string describe_run_folder(const RunFolderInfo& info);

// The folder's lock (see above). Exclusive for a run that writes; shared for a reader that must
// not see the folder change underneath it (the experiment reusing a finished θ₀). Throws,
// naming the holder, when another process holds a conflicting lock. Released by the destructor.
class RunLock {
 public:
  enum class Mode { kExclusive, kShared };
  RunLock(const std::string& dir, Mode mode, const std::string& command_line);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  // Removes the lock file while still holding it (the folder is about to be removed).
  void remove_file();

 private:
  int fd_ = -1;
  std::string path_;
};

struct RunFolderOptions {
  std::string command;       // "train", "unlearn", "experiment", ...
  std::string title;         // the command in words for messages; "" = "`lethe <command>`"
  RunSettings settings;      // this run's settings (written to run.json by begin())
  std::string command_line;  // for run.json and the lock ("lethe train --data ...")
  bool resume = false;       // continue an interrupted run of the same command and settings
  bool overwrite = false;    // move anything else aside (deleted once this run has finished)
  // --resume of a finished run: false reports it finished (Start::kFinished: nothing to do);
  // true reopens it (the experiment, to add methods or seeds), dropping its manifest.
  bool reopen_finished = false;
  // Entries a new run may find in its folder and leave in place (the experiment's "original",
  // a θ₀ run folder it reuses).
  std::vector<std::string> allowed;
  // Files the run reads (θ₀, the request, ...): --overwrite refuses to move one of them aside.
  std::vector<std::string> inputs;
  // How to continue an interrupted run, for the refusal ("--resume RUN/last.ckpt"); empty for a
  // command that cannot continue one (unlearn).
  std::string resume_hint;
  // Settings added by later versions (first_difference's `legacy`), for the default comparison.
  RunSettings legacy;
  // The comparison --resume makes; empty = first_difference(found.settings, settings, legacy).
  std::function<SettingDiff(const RunFolderInfo& found)> compare;
};

// A run folder opened for writing: created when missing, locked, cleared of what a killed run
// left, and checked against the rules above — the constructor throws a refusal that says what
// the folder holds and what to do. Nothing but the folder and its lock file is written until
// begin().
class RunFolder {
 public:
  enum class Start { kNew, kResume, kFinished };
  RunFolder(const std::string& dir, RunFolderOptions o);
  // Not finished: a new run that never called keep() removes everything it wrote (the folder
  // too when this run created it) and moves a replaced run back; anything else stays as it is
  // (an interrupted, resumable run). Then the lock is released.
  ~RunFolder();
  RunFolder(const RunFolder&) = delete;
  RunFolder& operator=(const RunFolder&) = delete;

  Start start() const { return start_; }
  const RunFolderInfo& found() const { return found_; }  // what the folder held when opened
  const std::string& dir() const { return dir_; }
  std::string path(const std::string& name) const;

  // Writes run.json (the options' settings, or `s`): from here on the folder is this run.
  void begin();
  void begin(const RunSettings& s);
  // The run has written something worth keeping if it fails now (a resumable checkpoint, a
  // result row): a failure no longer removes the folder.
  void keep() { keep_ = true; }
  // Writes manifest.json over every file of the folder (a nested run folder — one holding its
  // own run.json — by its manifest.json, which must exist), then deletes the replaced run kept
  // aside. Throws if a nested run folder is not finished.
  void finish();

 private:
  void recover();
  void move_aside(const RunFolderInfo& info);
  void restore_aside() noexcept;
  void cleanup() noexcept;
  std::string dir_;
  RunFolderOptions o_;
  RunFolderInfo found_;
  Start start_ = Start::kNew;
  bool created_ = false, began_ = false, keep_ = false, finished_ = false;
  std::vector<std::string> present_;  // entries the folder held when this run began
  std::unique_ptr<RunLock> lock_;
};

// The file names of the discipline.
inline constexpr const char* kRunLockFile = ".lethe-lock";
inline constexpr const char* kRunFile = "run.json";
inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr const char* kPreviousDir = ".lethe-previous";

}  // namespace lethe::io
