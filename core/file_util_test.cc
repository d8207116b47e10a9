#include "core/file_util.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace rlfleet {
namespace {

std::filesystem::path TestDir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("rlfleet-file-util-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(FileUtilTest, AtomicWriteReplacesWholeFileAndLeavesNoTemporary) {
  const auto dir = TestDir();
  const std::string path = (dir / "a.json").string();
  WriteFileAtomic(path, "first");
  WriteFileAtomic(path, "second, longer");
  EXPECT_EQ(ReadFile(path), "second, longer");
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    (void)entry;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
  std::filesystem::remove_all(dir);
}

TEST(FileUtilTest, ErrorsNameThePath) {
  const std::string missing = "/nonexistent-dir-rlfleet/x.json";
  try {
    WriteFileAtomic(missing, "x");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir-rlfleet/x.json"), std::string::npos);
  }
  EXPECT_THROW(ReadFile(missing), std::runtime_error);
  EXPECT_THROW(AppendToFile(missing, "row\n"), std::runtime_error);
}

TEST(FileUtilTest, FullDiskIsAnErrorAndKeepsTheOldFile) {
  // /dev/full accepts opens and fails every write with ENOSPC.
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  EXPECT_THROW(AppendToFile("/dev/full", "row\n"), std::runtime_error);
}

TEST(FileUtilTest, AppendAddsRows) {
  const auto dir = TestDir();
  const std::string path = (dir / "rows.csv").string();
  AppendToFile(path, "a\n");
  AppendToFile(path, "b\n");
  EXPECT_EQ(ReadFile(path), "a\nb\n");
  std::filesystem::remove_all(dir);
}

// A TempDir is private and goes under $TMPDIR, unless that is too long for ipc socket paths.
TEST(FileUtilTest, TempDirIsPrivateAndFollowsTmpdir) {
  TempDir outer("rlfleet-tmpdir");
  const char* saved = std::getenv("TMPDIR");
  const std::string before = saved == nullptr ? "" : saved;
  ::setenv("TMPDIR", outer.path().c_str(), 1);
  {
    TempDir inner("x");
    EXPECT_EQ(inner.path().rfind(outer.path() + "/x-", 0), 0u) << inner.path();
    struct stat st;
    ASSERT_EQ(::stat(inner.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
  }
  ::setenv("TMPDIR", ("/" + std::string(200, 'a')).c_str(), 1);
  {
    TempDir fallback("x");
    EXPECT_EQ(fallback.path().rfind("/tmp/x-", 0), 0u) << fallback.path();
  }
  if (saved == nullptr) {
    ::unsetenv("TMPDIR");
  } else {
    ::setenv("TMPDIR", before.c_str(), 1);
  }
}

TEST(FileUtilTest, TempDirIsRemovedWithItsContents) {
  std::string path;
  {
    TempDir dir("rlfleet-file-util-test");
    path = dir.path();
    EXPECT_EQ(path.rfind("/tmp/rlfleet-file-util-test-", 0), 0u) << path;
    ASSERT_TRUE(std::filesystem::is_directory(path));
    std::filesystem::create_directories(path + "/a/b");
    WriteFileAtomic(path + "/a/b/c.txt", "x");
    TempDir other("rlfleet-file-util-test");
    EXPECT_NE(other.path(), path);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_THROW(TempDir("no/such/dir"), std::runtime_error);
}

TEST(FileUtilTest, TailOfFileKeepsTheLastLinesIndented) {
  TempDir dir("rlfleet-file-util-test");
  const std::string path = dir.path() + "/log.txt";
  WriteFileAtomic(path, "one\ntwo\nthree\nfour");  // the last line without a newline
  EXPECT_EQ(TailOfFile(path, 2), "    three\n    four\n");
  EXPECT_EQ(TailOfFile(path, 10), "    one\n    two\n    three\n    four\n");
  EXPECT_EQ(TailOfFile(path, 0), "");
  EXPECT_EQ(TailOfFile(dir.path() + "/missing.txt", 3), "");
}

}  // namespace
}  // namespace rlfleet
