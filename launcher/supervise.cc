#include "launcher/supervise.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "core/clock.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "launcher/local_cluster.h"
#include "launcher/process.h"

namespace rlfleet {
namespace fs = std::filesystem;

void SuperviseOptions::Validate() const {
  if (argv.empty()) throw std::invalid_argument("SuperviseOptions.argv is empty");
  if (role_name.empty()) throw std::invalid_argument("SuperviseOptions.role_name is empty");
  if (run_dir.empty()) throw std::invalid_argument("SuperviseOptions.run_dir is empty");
  if (max_restarts < 0) throw std::invalid_argument("SuperviseOptions.max_restarts must be >= 0");
  if (!(restart_window_seconds > 0)) {
    throw std::invalid_argument("SuperviseOptions.restart_window_seconds must be > 0");
  }
  if (!(shutdown_grace_seconds > 0)) {
    throw std::invalid_argument("SuperviseOptions.shutdown_grace_seconds must be > 0");
  }
}

int SuperviseRole(const SuperviseOptions& options, const std::atomic<bool>& interrupt) {
  options.Validate();
  const fs::path run_dir = options.run_dir;
  fs::create_directories(run_dir / "logs");
  const std::string log = (run_dir / "logs" / (options.role_name + ".log")).string();
  std::vector<std::string> restart_argv = options.argv;
  if (options.learner &&
      std::find(restart_argv.begin(), restart_argv.end(), "--resume") == restart_argv.end()) {
    restart_argv.push_back("--resume");
  }

  RestartBook restarts(options.max_restarts, options.restart_window_seconds);
  Stopwatch clock;
  auto child = std::make_unique<ChildProcess>(options.argv, log);
  RLF_LOG(Info) << "supervising " << options.role_name << " (pid " << child->pid() << "; log "
                << log << ")";
  while (!interrupt.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const std::optional<ExitStatus> status = child->Poll();
    if (!status) continue;
    if (status->ok()) {
      RLF_LOG(Info) << options.role_name << " finished";
      return 0;
    }
    if (!restarts.Allow(options.role_name, clock.Seconds())) {
      RLF_LOG(Error) << options.role_name << " died (" << status->ToString() << ") "
                     << options.max_restarts + 1 << " times within "
                     << options.restart_window_seconds
                     << " s (cluster.max_restarts, cluster.restart_window_seconds); giving up. "
                     << "Last lines of " << log << ":\n"
                     << TailOfFile(log, 15);
      return 1;
    }
    const int64_t count = restarts.Restarts(options.role_name);
    RLF_LOG(Warning) << options.role_name << " died (" << status->ToString() << "); restarting it ("
                     << count << " restarts"
                     << (options.learner ? ", from its newest checkpoint" : "") << "). Log tail:\n"
                     << TailOfFile(log, 5);
    try {
      fs::create_directories(run_dir / "restarts");
      WriteFileAtomic((run_dir / "restarts" / (options.role_name + ".json")).string(),
                      nlohmann::json({{"restarts", count}}).dump() + "\n");
    } catch (const std::exception& e) {
      RLF_LOG(Warning) << "cannot record the restart: " << e.what();
    }
    child = std::make_unique<ChildProcess>(restart_argv, log);
  }
  RLF_LOG(Info) << "stopping " << options.role_name;
  child->Signal(SIGTERM);
  std::optional<ExitStatus> status = child->Wait(options.shutdown_grace_seconds);
  if (!status) {
    RLF_LOG(Warning) << options.role_name << " did not stop within "
                     << options.shutdown_grace_seconds << " s: killing it";
    child->Signal(SIGKILL);
    status = child->Wait(options.shutdown_grace_seconds);
  }
  return status && status->ok() ? 0 : 1;
}

std::vector<std::pair<std::string, int64_t>> SupervisedRestarts(const std::string& run_dir) {
  std::vector<std::pair<std::string, int64_t>> result;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(fs::path(run_dir) / "restarts", error)) {
    if (entry.path().extension() != ".json") continue;
    try {
      const auto json = nlohmann::json::parse(ReadFile(entry.path().string()));
      result.emplace_back(entry.path().stem().string(), json.at("restarts").get<int64_t>());
    } catch (const std::exception& e) {
      RLF_LOG(Warning) << "cannot read " << entry.path() << ": " << e.what();
    }
  }
  std::sort(result.begin(), result.end());
  return result;
}

}  // namespace rlfleet
