#include "launcher/supervise.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "core/file_util.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

// A role played by /bin/sh: `script` runs with the role's arguments as $1...
SuperviseOptions ShellRole(const std::string& run_dir, const std::string& script) {
  SuperviseOptions options;
  options.argv = {"/bin/sh", "-c", script, "sh", "--role", "learner"};
  options.role_name = "learner";
  options.run_dir = run_dir;
  options.learner = true;
  options.max_restarts = 3;
  options.restart_window_seconds = 600;
  options.shutdown_grace_seconds = 0.5;
  return options;
}

TEST(SuperviseTest, ADeadRoleIsRestartedWithResumeAndEachRestartIsRecorded) {
  TempDir dir("rlfleet-supervise-test");
  // Dies twice (exit 7), then finishes.
  const std::string script =
      "n=$(cat " + dir.path() + "/count 2>/dev/null || echo 0); n=$((n+1)); " + "echo $n > " +
      dir.path() + "/count; echo \"run $n: $*\"; " + "[ $n -ge 3 ] && exit 0; exit 7";
  std::atomic<bool> interrupt{false};
  EXPECT_EQ(SuperviseRole(ShellRole(dir.path(), script), interrupt), 0);
  EXPECT_EQ(ReadFile(dir.path() + "/count"), "3\n");
  const std::string log = ReadFile(dir.path() + "/logs/learner.log");
  EXPECT_NE(log.find("run 1: --role learner\n"), std::string::npos) << log;
  EXPECT_NE(log.find("run 2: --role learner --resume\n"), std::string::npos) << log;
  EXPECT_NE(log.find("run 3: --role learner --resume\n"), std::string::npos) << log;
  const auto record = nlohmann::json::parse(ReadFile(dir.path() + "/restarts/learner.json"));
  EXPECT_EQ(record["restarts"], 2);
  const auto restarts = SupervisedRestarts(dir.path());
  ASSERT_EQ(restarts.size(), 1u);
  EXPECT_EQ(restarts[0].first, "learner");
  EXPECT_EQ(restarts[0].second, 2);
}

TEST(SuperviseTest, GivesUpAfterMaxRestartsWithinTheWindow) {
  TempDir dir("rlfleet-supervise-test");
  SuperviseOptions options = ShellRole(dir.path(), "echo x >> " + dir.path() + "/runs; exit 3");
  options.max_restarts = 2;
  options.learner = false;
  options.role_name = "actor-1";
  std::atomic<bool> interrupt{false};
  EXPECT_EQ(SuperviseRole(options, interrupt), 1);
  EXPECT_EQ(ReadFile(dir.path() + "/runs"), "x\nx\nx\n");  // the first run and 2 restarts
  EXPECT_EQ(nlohmann::json::parse(ReadFile(dir.path() + "/restarts/actor-1.json"))["restarts"], 2);
}

// Supervises a role that runs `trap_command`, then touches <dir>/ready and loops; interrupts the
// supervisor once the role is ready and returns the supervisor's exit code.
int SuperviseThenInterrupt(const std::string& dir, const std::string& trap_command) {
  const std::string ready = dir + "/ready";
  fs::remove(ready);
  const std::string script = trap_command + "; touch " + ready + "; while :; do sleep 0.05; done";
  std::atomic<bool> interrupt{false};
  int code = -1;
  std::thread supervisor([&] { code = SuperviseRole(ShellRole(dir, script), interrupt); });
  while (!fs::exists(ready)) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  interrupt = true;
  supervisor.join();
  return code;
}

TEST(SuperviseTest, AnInterruptStopsTheRoleWithSigtermThenSigkill) {
  TempDir dir("rlfleet-supervise-test");
  // Stops cleanly on SIGTERM.
  EXPECT_EQ(SuperviseThenInterrupt(dir.path(),
                                   "trap 'echo stopped > " + dir.path() + "/stopped; exit 0' TERM"),
            0);
  EXPECT_EQ(ReadFile(dir.path() + "/stopped"), "stopped\n");
  EXPECT_FALSE(fs::exists(dir.path() + "/restarts"));
  // Ignores SIGTERM: killed after the grace period, and that is a failure.
  EXPECT_EQ(SuperviseThenInterrupt(dir.path(), "trap '' TERM"), 1);
}

TEST(SuperviseTest, OptionsAreChecked) {
  std::atomic<bool> interrupt{false};
  SuperviseOptions options = ShellRole("/tmp", "exit 0");
  options.argv.clear();
  EXPECT_THROW(SuperviseRole(options, interrupt), std::invalid_argument);
  options = ShellRole("", "exit 0");
  EXPECT_THROW(SuperviseRole(options, interrupt), std::invalid_argument);
  options = ShellRole("/tmp", "exit 0");
  options.max_restarts = -1;
  EXPECT_THROW(SuperviseRole(options, interrupt), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
