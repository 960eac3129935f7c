// tests/io/test_run_folder.cpp — the run-folder discipline (io/run_folder.h) that keeps a finished
// run from being lost, mixed or silently replaced: the manifest vouches for every file and notices
// a changed one; another command's run, an interrupted run without --resume, a different setting
// on --resume and files that are not a run are refused, naming what is there; the lock refuses a
// second run with the holder's pid and command line; --overwrite keeps the old run until the new
// one has finished and puts it back when the new one fails; a run that fails before it has
// anything worth keeping leaves no folder; temporary files are unique per write and cleared.
// The kill -9 cases are exercised on the real binary by tests/tools/crash_consistency.sh.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "io/atomic_file.h"
#include "io/fs.h"
#include "io/run_folder.h"
#include "tests/io/io_test_util.h"

namespace lethe::io {
namespace {

using test::error_of;
using test::has_all;
using test::TempDir;

RunFolderOptions opts(const std::string& command, RunSettings s = {{"model", "mgcn"}, {"config.lr", "0.001"}}) {
  RunFolderOptions o;
  o.command = command;
  o.settings = std::move(s);
  o.command_line = "lethe " + command + " (test)";
  o.resume_hint = "--resume RUN/last.ckpt";
  return o;
}

// A finished run of `command` in dir: run.json, result.txt, sub/log.txt, manifest.json.
void finished_run(const std::string& dir, const std::string& command, const std::string& content = "result") {
  RunFolder rf(dir, opts(command));
  rf.begin();
  write_file_atomic(rf.path("result.txt"), content);
  make_dirs(rf.path("sub"));
  write_file_atomic(rf.path("sub/log.txt"), "log");
  rf.finish();
}

TEST(IoRunFolder, TheManifestVouchesForEveryFileAndNoticesAChange) {
  TempDir t;
  const std::string dir = t.file("run");
  finished_run(dir, "train");
  RunFolderInfo i = inspect_run_folder(dir);
  EXPECT_EQ(i.state, RunState::kFinished) << i.problem;
  EXPECT_EQ(i.command, "train");
  EXPECT_EQ(i.files, 3);  // run.json, result.txt, sub/log.txt
  EXPECT_EQ(i.settings.at("model"), "mgcn");
  EXPECT_TRUE(has_all(describe_run_folder(i), {"finished", "`lethe train`", "3 file(s)"}));

  write_file_atomic(t.file("run/result.txt"), "RESULT");  // same size, other bytes
  i = inspect_run_folder(dir);
  EXPECT_EQ(i.state, RunState::kDamaged);
  EXPECT_TRUE(has_all(i.problem, {"result.txt", "changed after the run finished"}));
  EXPECT_EQ(inspect_run_folder(dir, false).state, RunState::kFinished) << "without hashing, only the manifest counts";
  ::unlink(t.file("run/sub/log.txt").c_str());
  write_file_atomic(t.file("run/result.txt"), "result");
  EXPECT_TRUE(has_all(inspect_run_folder(dir).problem, {"sub/log.txt", "missing"}));
}

// Issue item 1: `lethe unlearn --out <a finished train folder>` replaced its files.
TEST(IoRunFolder, AnotherCommandsRunIsRefused) {
  TempDir t;
  const std::string dir = t.file("run");
  finished_run(dir, "train");
  EXPECT_TRUE(has_all(error_of([&] { RunFolder rf(dir, opts("unlearn")); }),
                      {dir, "already holds a finished `lethe train` run", "--overwrite", ".lethe-previous"}));
  RunFolderOptions r = opts("unlearn");
  r.resume = true;  // --resume does not make it ours either
  EXPECT_TRUE(has_all(error_of([&] { RunFolder rf(dir, r); }), {"finished `lethe train` run"}));
  EXPECT_EQ(inspect_run_folder(dir).state, RunState::kFinished);
  EXPECT_EQ(read_file(t.file("run/result.txt")), "result");
}

// Issue item 4: re-running without --resume replaced an interrupted run's last.ckpt.
TEST(IoRunFolder, AnInterruptedRunIsRefusedWithoutResume) {
  TempDir t;
  const std::string dir = t.file("run");
  {
    RunFolder rf(dir, opts("train"));
    rf.begin();
    write_file_atomic(rf.path("last.ckpt"), "epoch 3");
    rf.keep();
  }  // interrupted: no manifest
  EXPECT_EQ(inspect_run_folder(dir).state, RunState::kUnfinished);
  EXPECT_TRUE(has_all(error_of([&] { RunFolder rf(dir, opts("train")); }),
                      {"holds an interrupted `lethe train` run", "started", "--resume RUN/last.ckpt", "--overwrite"}));
  RunFolderOptions u = opts("unlearn");
  u.resume_hint.clear();  // a command that cannot continue a run says so
  EXPECT_TRUE(has_all(error_of([&] { RunFolder rf(dir, u); }), {"interrupted `lethe train` run", "--overwrite"}));
  EXPECT_EQ(read_file(t.file("run/last.ckpt")), "epoch 3");
}

// Issue item 5: --resume accepted changed settings; resuming a finished run trained on.
TEST(IoRunFolder, ResumeComparesEverySettingAndLeavesAFinishedRunAlone) {
  TempDir t;
  const std::string dir = t.file("run");
  {
    RunFolder rf(dir, opts("train", {{"config.mgcn.knn_k", "10"}, {"model", "mgcn"}}));
    rf.begin();
    rf.keep();
  }
  RunFolderOptions o = opts("train", {{"config.mgcn.knn_k", "5"}, {"model", "mgcn"}});
  o.resume = true;
  EXPECT_TRUE(has_all(error_of([&] { RunFolder rf(dir, o); }), {"--resume", "mgcn.knn_k = 10", "mgcn.knn_k = 5"}));
  o.settings = {{"model", "mgcn"}};  // a setting missing on one side is a difference too
  EXPECT_TRUE(has_all(error_of([&] { RunFolder rf(dir, o); }), {"mgcn.knn_k = 10", "(not set)"}));
  o.settings = {{"config.mgcn.knn_k", "10"}, {"model", "mgcn"}};
  {
    RunFolder rf(dir, o);
    EXPECT_EQ(rf.start(), RunFolder::Start::kResume);
    rf.begin();
    rf.finish();
  }
  {
    RunFolder rf(dir, o);  // --resume of the finished run: nothing to do, nothing written
    EXPECT_EQ(rf.start(), RunFolder::Start::kFinished);
  }
  EXPECT_EQ(inspect_run_folder(dir).state, RunState::kFinished);
  o.reopen_finished = true;  // the experiment: adds rows, so the folder stops being finished first
  {
    RunFolder rf(dir, o);
    EXPECT_EQ(rf.start(), RunFolder::Start::kResume);
    EXPECT_FALSE(path_exists(rf.path(kManifestFile)));
  }
  EXPECT_EQ(first_difference({{"a", "1"}}, {{"a", "1"}}).key, "");
}

// A setting added by a later version: a run made before it lacks the key. It compares equal when
// this run's value reproduces what that run did (or always, for "*"), and differs otherwise,
// saying what the earlier run behaved as; a key the new run lacks (a removed setting) differs.
TEST(IoRunFolder, SettingsAddedLaterCompareByTheirEarlierBehaviour) {
  const RunSettings old = {{"config.lr", "0.001"}, {"model", "mgcn"}};
  const RunSettings legacy = {{"config.filter", "false"}, {"config.every", "*"}};
  EXPECT_EQ(first_difference(old, {{"config.lr", "0.001"}, {"model", "mgcn"}, {"config.filter", "false"}}, legacy).key,
            "");
  EXPECT_EQ(first_difference(old, {{"config.lr", "0.001"}, {"model", "mgcn"}, {"config.every", "7"}}, legacy).key, "");
  const SettingDiff d =
      first_difference(old, {{"config.filter", "true"}, {"config.lr", "0.001"}, {"model", "mgcn"}}, legacy);
  EXPECT_EQ(d.key, "config.filter");
  EXPECT_EQ(d.here, "true");
  EXPECT_TRUE(has_all(d.there, {"before this setting existed", "false"})) << d.there;
  // Not a legacy key, or no legacy table: a missing key is a difference, as before.
  EXPECT_EQ(first_difference(old, {{"config.lr", "0.001"}, {"config.new", "1"}, {"model", "mgcn"}}, legacy).key,
            "config.new");
  EXPECT_EQ(first_difference(old, {{"config.filter", "false"}, {"config.lr", "0.001"}, {"model", "mgcn"}}).key,
            "config.filter");
  // A key only the earlier run has differs whatever the table says.
  EXPECT_EQ(first_difference({{"config.filter", "false"}, {"model", "mgcn"}}, {{"model", "mgcn"}}, legacy).key,
            "config.filter");
  // A different value of a key both have is a difference even when it is the legacy value.
  EXPECT_EQ(first_difference({{"config.every", "1"}}, {{"config.every", "2"}}, legacy).key, "config.every");

  // The run folder's own --resume comparison takes the table from its options.
  TempDir t;
  const std::string dir = t.file("run");
  {
    RunFolder rf(dir, opts("experiment", old));
    rf.begin();
    rf.finish();
  }
  RunFolderOptions o = opts("experiment", {{"config.filter", "true"}, {"config.lr", "0.001"}, {"model", "mgcn"}});
  o.resume = true;
  o.reopen_finished = true;
  o.legacy = legacy;
  EXPECT_TRUE(has_all(error_of([&] { RunFolder rf(dir, o); }), {"--resume", "filter", "before this setting existed"}));
  o.settings["config.filter"] = "false";
  RunFolder rf(dir, o);
  EXPECT_EQ(rf.start(), RunFolder::Start::kResume);
  EXPECT_EQ(setting_name("config.tru.gate.k"), "tru.gate.k");
  EXPECT_EQ(setting_name("method.tru.tru.gate.k"), "tru.gate.k of method tru");
}

// Issue item 3: two runs with the same --out wrote into each other.
TEST(IoRunFolder, TheLockRefusesASecondRunNamingTheHolder) {
  TempDir t;
  const std::string dir = t.file("run");
  {
    RunFolder a(dir, opts("train"));
    a.begin();
    a.keep();
    EXPECT_TRUE(
        has_all(error_of([&] { RunFolder b(dir, opts("train")); }),
                {dir, "in use by another lethe process", "pid " + std::to_string(::getpid()), "lethe train (test)"}));
    EXPECT_TRUE(has_all(error_of([&] { RunLock r(dir, RunLock::Mode::kShared, "reader"); }), {"in use"}));
    EXPECT_TRUE(has_all(inspect_run_folder(dir).holder, {"pid " + std::to_string(::getpid())}));
  }
  // Released with the run (by the kernel, were the process killed): readers share the lock.
  RunLock r1(dir, RunLock::Mode::kShared, "reader 1");
  RunLock r2(dir, RunLock::Mode::kShared, "reader 2");
  EXPECT_TRUE(has_all(error_of([&] { RunFolder b(dir, opts("train")); }), {"in use", "reading it"}));
}

TEST(IoRunFolder, TemporaryNamesAreUniqueAndLeftoversAreCleared) {
  TempDir t;
  const std::string p = t.file("out.txt");
  AtomicWriter a(p), b(p);  // two writers of one path never share a temporary file
  EXPECT_NE(a.tmp_path(), b.tmp_path());
  EXPECT_TRUE(is_temporary_name(base_name(a.tmp_path()))) << a.tmp_path();
  a.write("first");
  b.write("second, longer");
  a.commit();
  b.commit();
  EXPECT_EQ(read_file(p), "second, longer");
  EXPECT_FALSE(is_temporary_name("out.txt"));
  EXPECT_FALSE(is_temporary_name("x.tmp"));
  EXPECT_FALSE(is_temporary_name(".tmp.1.2"));
  EXPECT_TRUE(is_temporary_name("checkpoint.tmp.123.4"));

  // What a killed run left behind is removed when the folder is next locked.
  const std::string dir = t.file("run");
  {
    RunFolder rf(dir, opts("train"));
    rf.begin();
    rf.keep();
  }
  write_file_atomic(t.file("run/checkpoint.tmp.99999.1"), "half");
  EXPECT_EQ(inspect_run_folder(dir).state, RunState::kUnfinished) << "temporary files are not part of a run";
  RunFolderOptions o = opts("train");
  o.resume = true;
  RunFolder rf(dir, o);
  EXPECT_FALSE(path_exists(t.file("run/checkpoint.tmp.99999.1")));
}

TEST(IoRunFolder, FilesThatAreNotARunAreRefusedUnlessOverwritten) {
  TempDir t;
  const std::string dir = t.file("run");
  make_dirs(dir);
  write_file_atomic(t.file("run/notes.txt"), "mine");
  EXPECT_TRUE(has_all(error_of([&] { RunFolder rf(dir, opts("train")); }), {"not part of a lethe run", "notes.txt"}));
  RunFolderOptions allowed = opts("experiment");
  allowed.allowed = {"notes.txt"};  // e.g. the experiment's original/ it reuses
  { RunFolder rf(dir, allowed); }
  EXPECT_EQ(read_file(t.file("run/notes.txt")), "mine") << "an allowed entry stays, even when the run fails";
  RunFolderOptions o = opts("train");
  o.overwrite = true;
  RunFolder rf(dir, o);
  EXPECT_EQ(read_file(t.file("run/.lethe-previous/notes.txt")), "mine");
  rf.begin();
  rf.finish();
  EXPECT_FALSE(path_exists(t.file("run/.lethe-previous")));
  EXPECT_FALSE(path_exists(t.file("run/notes.txt")));
}

TEST(IoRunFolder, OverwriteKeepsTheOldRunUntilTheNewOneHasFinished) {
  TempDir t;
  const std::string dir = t.file("run");
  finished_run(dir, "train", "old");
  RunFolderOptions o = opts("unlearn");
  o.overwrite = true;
  {  // the new run fails before it has anything worth keeping: the old one comes back
    RunFolder rf(dir, o);
    EXPECT_EQ(inspect_run_folder(dir + "/.lethe-previous").state, RunState::kFinished);
    rf.begin();
    write_file_atomic(rf.path("summary.json"), "{}");
  }
  EXPECT_EQ(inspect_run_folder(dir).state, RunState::kFinished);
  EXPECT_EQ(read_file(t.file("run/result.txt")), "old");
  EXPECT_FALSE(path_exists(t.file("run/summary.json")));
  {  // interrupted after it had something worth keeping: both stay, and the refusal says where
    RunFolder rf(dir, o);
    rf.begin();
    rf.keep();
  }
  RunFolderInfo i = inspect_run_folder(dir);
  EXPECT_EQ(i.state, RunState::kUnfinished);
  EXPECT_EQ(i.previous, dir + "/.lethe-previous");
  EXPECT_TRUE(has_all(describe_run_folder(i), {"replaced by --overwrite", ".lethe-previous"}));
  EXPECT_TRUE(
      has_all(error_of([&] { RunFolder rf(dir, opts("unlearn")); }),
              {"interrupted `lethe unlearn` run", "the finished run it was replacing is kept in", ".lethe-previous"}));
  EXPECT_EQ(read_file(t.file("run/.lethe-previous/result.txt")), "old");
  RunFolderOptions r = opts("unlearn");
  r.resume = true;
  {
    RunFolder rf(dir, r);
    rf.begin();
    rf.finish();  // finished: now the replaced run goes
  }
  EXPECT_EQ(inspect_run_folder(dir).command, "unlearn");
  EXPECT_FALSE(path_exists(t.file("run/.lethe-previous")));
  EXPECT_TRUE(has_all(error_of([&] {
                        RunFolderOptions both = opts("unlearn");
                        both.resume = both.overwrite = true;
                        RunFolder rf(dir, both);
                      }),
                      {"--resume and --overwrite contradict"}));
}

TEST(IoRunFolder, AnOverwriteCutShortIsRolledBack) {
  TempDir t;
  const std::string dir = t.file("run");
  finished_run(dir, "train", "old");
  // As a kill between two moves of --overwrite leaves it: part of the old run moved aside.
  make_dirs(t.file("run/.lethe-previous.partial"));
  move_path(t.file("run/result.txt"), t.file("run/.lethe-previous.partial/result.txt"));
  EXPECT_TRUE(has_all(inspect_run_folder(dir).problem, {"cut short", "moves it back"}));
  EXPECT_TRUE(
      has_all(error_of([&] { RunFolder rf(dir, opts("train")); }), {"already holds a finished `lethe train` run"}));
  EXPECT_EQ(inspect_run_folder(dir).state, RunState::kFinished) << "the next run put it back before deciding";
  EXPECT_EQ(read_file(t.file("run/result.txt")), "old");
}

// Issue item 9: a failed run left an empty --out folder.
TEST(IoRunFolder, ARunThatFailsBeforeItHasAnythingLeavesNoFolder) {
  TempDir t;
  const std::string dir = t.file("a/run");
  try {
    RunFolder rf(dir, opts("train"));
    rf.begin();
    write_file_atomic(rf.path("config.txt"), "x");
    throw Error("training diverged");
  } catch (const Error&) {
  }
  EXPECT_FALSE(entry_exists(dir));
  make_dirs(t.file("mine"));  // a folder the user made stays, empty as it was
  { RunFolder rf(t.file("mine"), opts("train")); }
  EXPECT_TRUE(is_directory(t.file("mine")));
  EXPECT_TRUE(list_dir(t.file("mine")).empty());
}

TEST(IoRunFolder, PrintableEscapesControlCharactersAndBrokenUtf8) {
  EXPECT_EQ(printable("run\x1b[31m\n"), "run\\x1b[31m\\n");
  EXPECT_EQ(printable("caf\xc3\xa9 \xe2\x82\xac"), "caf\xc3\xa9 \xe2\x82\xac");  // UTF-8 is kept
  EXPECT_EQ(printable("a\xff"
                      "b\xc3"),
            "a\\xffb\\xc3");
  EXPECT_EQ(printable("\xc2\x9b"
                      "2J"),
            "\\xc2\\x9b2J");  // C1 CSI
  EXPECT_EQ(printable("tab\there\x7f"), "tab\\there\\x7f");
}

}  // namespace
}  // namespace lethe::io
