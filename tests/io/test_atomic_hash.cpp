// tests/io/test_atomic_hash.cpp — the write-to-temporary-then-rename helper (a failed write
// leaves the old file and no temporary behind) and the 64-bit content hash (streaming equals
// one shot; every input bit matters; a pinned value so that the definition cannot drift).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "io/fs.h"
#include "io/hash.h"
#include "tests/io/io_test_util.h"

namespace lethe::io {
namespace {

using test::error_of;
using test::has_all;
using test::TempDir;

TEST(IoAtomicFile, ReplacesOnlyOnCommit) {
  TempDir t;
  const std::string p = t.file("out.txt");
  write_file_atomic(p, "old");
  {
    AtomicWriter w(p);
    w.write("new content");
    EXPECT_TRUE(path_exists(w.tmp_path()));
    EXPECT_EQ(read_file(p), "old") << "not visible before commit";
  }  // destroyed without commit: abandoned
  EXPECT_EQ(read_file(p), "old");
  EXPECT_EQ(list_dir(t.path()), std::vector<std::string>{"out.txt"}) << "the temporary file is gone";
  {
    AtomicWriter w(p);
    w.write("new");
    w.commit();
    EXPECT_EQ(w.bytes_written(), 3);
  }
  EXPECT_EQ(read_file(p), "new");
}

TEST(IoAtomicFile, InjectedFailureKeepsOldFile) {
  TempDir t;
  const std::string p = t.file("out.txt");
  write_file_atomic(p, "good");
  set_atomic_write_fault(2);
  const std::string m = error_of([&] { write_file_atomic(p, "replacement"); });
  set_atomic_write_fault(-1);
  EXPECT_TRUE(has_all(m, {"out.txt.tmp.", "injected"}));
  EXPECT_EQ(read_file(p), "good");
  EXPECT_EQ(list_dir(t.path()), std::vector<std::string>{"out.txt"}) << "the temporary file is gone";
}

TEST(IoAtomicFile, UnwritableFolderIsAnErrorNamingThePath) {
  EXPECT_TRUE(has_all(error_of([] { write_file_atomic("/nonexistent-dir/x.json", "{}"); }),
                      {"/nonexistent-dir/x.json.tmp.", "cannot create"}));
}

TEST(IoAtomicFile, FolderHelpers) {
  TempDir t;
  make_dirs(t.file("a/b/c"));
  EXPECT_TRUE(is_directory(t.file("a/b/c")));
  EXPECT_TRUE(dir_writable(t.file("a/b/c")));
  EXPECT_FALSE(dir_writable(t.file("nope")));
  ::chmod(t.file("a/b/c").c_str(), 0555);  // read-only by intent: not writable, even for root
  EXPECT_FALSE(dir_writable(t.file("a/b/c")));
  ::chmod(t.file("a/b/c").c_str(), 0755);
  write_file_atomic(t.file("a/z"), "");
  write_file_atomic(t.file("a/y"), "");
  EXPECT_EQ(list_dir(t.file("a")), (std::vector<std::string>{"b", "y", "z"}));
  EXPECT_EQ(base_name("x/y/z.inter"), "z.inter");
  EXPECT_EQ(dir_name("x/y/z.inter"), "x/y");
  EXPECT_EQ(dir_name("z.inter"), ".");
  EXPECT_EQ(dir_name("/z"), "/");
  EXPECT_EQ(path_join("a/", "b"), "a/b");
}

TEST(IoHash, StreamingEqualsOneShot) {
  std::string s;
  for (int k = 0; k < 1000; ++k) s += static_cast<char>(k * 37 + 11);
  const uint64_t one = hash64(s.data(), s.size());
  for (size_t step : {size_t{1}, size_t{3}, size_t{7}, size_t{8}, size_t{13}, size_t{999}}) {
    Hasher h;
    for (size_t p = 0; p < s.size(); p += step) h.update(s.data() + p, std::min(step, s.size() - p));
    EXPECT_EQ(h.digest(), one) << "pieces of " << step;
  }
}

TEST(IoHash, EveryBitAndTheLengthMatter) {
  std::string s(64, 'x');
  const uint64_t base = hash64(s.data(), s.size());
  for (size_t byte = 0; byte < s.size(); ++byte)
    for (int bit = 0; bit < 8; ++bit) {
      std::string t = s;
      t[byte] = static_cast<char>(t[byte] ^ (1 << bit));
      ASSERT_NE(hash64(t.data(), t.size()), base) << byte << ":" << bit;
    }
  const std::string z1(5, '\0'), z2(6, '\0');
  EXPECT_NE(hash64(z1.data(), 5), hash64(z2.data(), 6)) << "trailing zero bytes change the hash";
  EXPECT_NE(hash64(s.data(), s.size(), 1), base) << "the seed matters";
  // Avalanche: one flipped input bit changes about half of the output bits.
  double flipped = 0;
  for (int k = 0; k < 256; ++k) {
    std::string t = s;
    t[static_cast<size_t>(k % 64)] = static_cast<char>(t[static_cast<size_t>(k % 64)] ^ (1 << (k % 8)));
    flipped += __builtin_popcountll(hash64(t.data(), t.size()) ^ base);
  }
  EXPECT_NEAR(flipped / 256, 32.0, 3.0);
}

TEST(IoHash, PinnedValues) {
  // The definition in io/hash.h, pinned: fingerprints in request files and checksums in
  // checkpoints depend on it.
  EXPECT_EQ(hex64(hash64("", 0)), "9ca066f1a4ab2eea");
  EXPECT_EQ(hex64(hash64("lethe", 5)), "052850f48945253a");
  EXPECT_EQ(hex64(0x0123456789abcdefull), "0123456789abcdef");
}

}  // namespace
}  // namespace lethe::io
