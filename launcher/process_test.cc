#include "launcher/process.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace rlfleet {
namespace {

TEST(ChildProcessTest, ReportsExitCodesAndSignals) {
  ChildProcess ok({"/bin/sh", "-c", "exit 0"}, "");
  ASSERT_TRUE(ok.Wait(30).has_value());
  EXPECT_TRUE(ok.Poll()->ok());

  ChildProcess failing({"/bin/sh", "-c", "exit 3"}, "");
  const auto status = failing.Wait(30);
  ASSERT_TRUE(status.has_value());
  EXPECT_FALSE(status->signaled);
  EXPECT_EQ(status->code, 3);
  EXPECT_EQ(status->ToString(), "exit 3");

  ChildProcess sleeper({"/bin/sleep", "60"}, "");
  EXPECT_FALSE(sleeper.Poll().has_value());
  sleeper.Signal(SIGKILL);
  const auto killed = sleeper.Wait(30);
  ASSERT_TRUE(killed.has_value());
  EXPECT_TRUE(killed->signaled);
  EXPECT_EQ(killed->code, SIGKILL);
}

TEST(ChildProcessTest, WritesOutputToItsLog) {
  const std::string log = std::filesystem::temp_directory_path() /
                          ("rlfleet-process-test-" + std::to_string(::getpid()) + ".log");
  std::filesystem::remove(log);
  {
    ChildProcess child({"/bin/sh", "-c", "echo hello; echo oops >&2"}, log);
    ASSERT_TRUE(child.Wait(30).has_value());
  }
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "hello\noops\n");
  std::filesystem::remove(log);
}

TEST(ChildProcessTest, DestructorKillsARunningChild) {
  pid_t pid;
  {
    ChildProcess sleeper({"/bin/sleep", "60"}, "");
    pid = sleeper.pid();
    EXPECT_EQ(::kill(pid, 0), 0);
  }
  // Reaped by the destructor: the pid no longer names our child.
  EXPECT_NE(::kill(pid, 0), 0);
}

}  // namespace
}  // namespace rlfleet
