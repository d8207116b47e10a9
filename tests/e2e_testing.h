#ifndef RLFLEET_TESTS_E2E_TESTING_H_
#define RLFLEET_TESTS_E2E_TESTING_H_

// Test fixture for the end-to-end tests: each test gets its own temporary runs_dir (and so its
// own ipc directory), runs the real `rlfleet` binary on a config of configs/, and reads what the
// run left behind. Header-only; tests only.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/file_util.h"
#include "launcher/process.h"

namespace rlfleet {
namespace testing {

inline const std::string kRlfleetBinary = RLFLEET_BINARY;

// configs/<name> of the source tree.
inline std::string ConfigPath(const std::string& name) {
  return std::string(RLFLEET_SOURCE_DIR) + "/configs/" + name;
}

// Child pids of `pid` (from /proc), to check that none outlives the launcher.
inline std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::vector<pid_t> children;
  const std::filesystem::path tasks = std::filesystem::path("/proc") / std::to_string(pid) / "task";
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
    std::ifstream in(task.path() / "children");
    pid_t child;
    while (in >> child) children.push_back(child);
  }
  return children;
}

// The text of /proc/<pid>/<name>, "" when the process is gone (libstdc++ throws when the read
// itself fails because the process ended after the open).
inline std::string ProcFile(pid_t pid, const char* name) {
  try {
    std::ifstream in("/proc/" + std::to_string(pid) + "/" + name);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  } catch (const std::exception&) {
    return "";
  }
}

inline bool ProcessAlive(pid_t pid) {
  // A zombie still answers kill(0); look at its state instead.
  const std::string text = ProcFile(pid, "stat");
  const size_t close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}

inline std::string Cmdline(pid_t pid) {
  std::string text = ProcFile(pid, "cmdline");
  for (char& c : text) {
    if (c == '\0') c = ' ';
  }
  return text;
}

// A child of `pid` started as `rlfleet worker --role <role>` (for actors, the first found),
// or -1.
inline pid_t ChildWithRole(pid_t pid, const std::string& role) {
  for (pid_t child : ChildrenOf(pid)) {
    if (Cmdline(child).find("--role " + role + " ") != std::string::npos) return child;
  }
  return -1;
}

class E2eFixture : public ::testing::Test {
 protected:
  // `config`: a file name in configs/.
  explicit E2eFixture(std::string config) : config_(ConfigPath(config)) {}

  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    // Parameterized tests have '/' in their names ("Algo/Suite", "Test/param").
    std::string name =
        std::to_string(::getpid()) + "-" + info->test_suite_name() + "-" + info->name();
    for (char& c : name) c = c == '/' ? '_' : c;
    runs_dir_ = std::filesystem::temp_directory_path() / ("rlfleet-e2e-" + name);
    std::filesystem::remove_all(runs_dir_);
    std::filesystem::create_directories(runs_dir_);
    log_ = (runs_dir_ / "launcher.log").string();
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(runs_dir_);
  }

  // `rlfleet train CONFIG --quiet --set runs_dir=... --set <each of sets>`.
  std::vector<std::string> TrainArgs(const std::vector<std::string>& sets) const {
    std::vector<std::string> argv = {kRlfleetBinary, "train", config_,
                                     "--quiet",      "--set", "runs_dir=" + runs_dir_.string()};
    for (const std::string& s : sets) {
      argv.push_back("--set");
      argv.push_back(s);
    }
    return argv;
  }

  // The single run directory the launcher created ("" before it exists).
  std::filesystem::path RunDir() const {
    for (const auto& entry : std::filesystem::directory_iterator(runs_dir_)) {
      if (entry.is_directory()) return entry.path();
    }
    return {};
  }

  // Waits (bounded) until the learner has written status.json; false if the launcher ended.
  bool WaitForStatus(ChildProcess& launcher) const {
    for (int i = 0; i < 1200; ++i) {
      const std::filesystem::path run = RunDir();
      if (!run.empty() && std::filesystem::exists(run / "status.json")) return true;
      if (launcher.Poll()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // Waits until status.json reports at least `env_steps` (false when the launcher exits first
  // or after 2 minutes: a hang guard).
  bool WaitForEnvSteps(ChildProcess& launcher, int64_t env_steps) const {
    if (!WaitForStatus(launcher)) return false;
    const std::filesystem::path status = RunDir() / "status.json";
    for (int i = 0; i < 2400; ++i) {
      // status.json is replaced atomically: it always parses.
      if (nlohmann::json::parse(ReadFile(status.string())).value("env_steps", int64_t{0}) >=
          env_steps) {
        return true;
      }
      if (launcher.Poll()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // Runs `rlfleet train` with `sets` to its end and returns the run directory ("" after a
  // failure: a timeout or a non-zero exit is a test failure naming the launcher's output). The
  // run must have completed its budget.
  std::filesystem::path TrainToCompletion(const std::vector<std::string>& sets,
                                          int timeout_seconds) {
    ChildProcess launcher(TrainArgs(sets), log_);
    const auto status = launcher.Wait(timeout_seconds);
    if (!status.has_value()) {
      ADD_FAILURE() << "did not finish\n" << Log();
      return {};
    }
    if (!status->ok()) {
      ADD_FAILURE() << status->ToString() << "\n" << Log();
      return {};
    }
    return RunDir();
  }

  // The launcher's output so far ("" when there is none).
  std::string Log() const {
    try {
      return ReadFile(log_);
    } catch (...) {
      return "";
    }
  }

  // `rlfleet eval RUN --episodes N` on the run; returns its output, failing the test if it
  // does not exit 0 within two minutes.
  std::string Evaluate(const std::filesystem::path& run, int episodes) const {
    const std::string eval_log = (runs_dir_ / "eval.log").string();
    ChildProcess eval(
        {kRlfleetBinary, "eval", run.string(), "--episodes", std::to_string(episodes)}, eval_log);
    const auto status = eval.Wait(120);
    const std::string output = ReadFile(eval_log);
    EXPECT_TRUE(status && status->ok()) << output;
    return output;
  }

  std::string config_;
  std::filesystem::path runs_dir_;
  std::string log_;
};

// The returns of episodes.csv (wall_seconds,actor,return,length) in file order.
inline std::vector<double> EpisodeReturns(const std::filesystem::path& run_dir) {
  std::ifstream in(run_dir / "episodes.csv");
  std::vector<double> returns;
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream row(line);
    std::string wall, actor, episode_return;
    std::getline(row, wall, ',');
    std::getline(row, actor, ',');
    std::getline(row, episode_return, ',');
    returns.push_back(std::stod(episode_return));
  }
  return returns;
}

inline double Mean(const std::vector<double>& v, size_t begin, size_t end) {
  double sum = 0;
  for (size_t i = begin; i < end; ++i) sum += v[i];
  return sum / static_cast<double>(end - begin);
}

}  // namespace testing
}  // namespace rlfleet

#endif  // RLFLEET_TESTS_E2E_TESTING_H_
