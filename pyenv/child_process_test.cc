#include "pyenv/child_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace rlfleet {
namespace {

bool Alive(pid_t pid) { return kill(pid, 0) == 0; }

TEST(SpawnedProcessTest, ReportsHowTheChildExited) {
  SpawnedProcess ok = SpawnedProcess::Spawn({"/bin/sh", "-c", "exit 0"});
  EXPECT_TRUE(ok.WaitForExit(10));
  EXPECT_EQ(ok.ExitDescription(), "exited with status 0");
  EXPECT_EQ(ok.exit_status(), 0);
  SpawnedProcess three = SpawnedProcess::Spawn({"sh", "-c", "exit 3"});  // found on PATH
  EXPECT_TRUE(three.WaitForExit(10));
  EXPECT_EQ(three.ExitDescription(), "exited with status 3");
  EXPECT_EQ(three.exit_status(), 3);
}

TEST(SpawnedProcessTest, KillAndDestructorLeaveNoProcess) {
  SpawnedProcess child = SpawnedProcess::Spawn({"/bin/sleep", "100"});
  const pid_t pid = child.pid();
  EXPECT_TRUE(child.running());
  EXPECT_FALSE(child.HasExited());
  child.Kill();
  EXPECT_FALSE(child.running());
  EXPECT_FALSE(Alive(pid)) << "killed and reaped: no zombie either";
  EXPECT_NE(child.ExitDescription().find("killed by signal 9"), std::string::npos)
      << child.ExitDescription();
  pid_t second = 0;
  {
    SpawnedProcess scoped = SpawnedProcess::Spawn({"/bin/sleep", "100"});
    second = scoped.pid();
    SpawnedProcess moved = std::move(scoped);
    EXPECT_EQ(moved.pid(), second);
    EXPECT_FALSE(scoped.running());
  }
  EXPECT_FALSE(Alive(second));
}

TEST(SpawnedProcessTest, SpawnErrorsSayWhy) {
  auto message = [](const std::string& program) -> std::string {
    try {
      SpawnedProcess::Spawn({program});
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "no exception";
  };
  EXPECT_EQ(message("/nonexistent/python3"), "/nonexistent/python3 does not exist");
  EXPECT_EQ(message("/tmp"), "/tmp is not an executable file");
  EXPECT_EQ(message("no-such-program-rlfleet"), "no-such-program-rlfleet was not found on PATH");
}

}  // namespace
}  // namespace rlfleet
