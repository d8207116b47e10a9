#include "launcher/local_cluster.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "config/config_io.h"
#include "core/clock.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "launcher/endpoints.h"
#include "launcher/heartbeat.h"
#include "launcher/process.h"

namespace rlfleet {
namespace fs = std::filesystem;

namespace {

struct Role {
  std::string kind;  // shard | learner | actor
  int32_t index = 0;
  std::string name() const { return RoleName(kind, index); }
};

std::string FormatCount(double value) {
  char buffer[32];
  if (value >= 1e6) {
    std::snprintf(buffer, sizeof(buffer), "%.2fM", value / 1e6);
  } else if (value >= 1e3) {
    std::snprintf(buffer, sizeof(buffer), "%.1fk", value / 1e3);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.0f", value);
  }
  return buffer;
}

// One line from the learner's status.json, or "" when there is none yet.
std::string ProgressLine(const fs::path& run_dir) {
  try {
    const auto status = nlohmann::json::parse(ReadFile((run_dir / "status.json").string()));
    char buffer[256];
    std::snprintf(buffer, sizeof(buffer),
                  "[%6.1fs] steps %s/%s | %s fps | %.1f upd/s | return %.1f (%lld ep) | lag %.1f",
                  status.at("wall_seconds").get<double>(),
                  FormatCount(status.at("env_steps").get<double>()).c_str(),
                  FormatCount(status.at("total_env_steps").get<double>()).c_str(),
                  FormatCount(status.at("fps").get<double>()).c_str(),
                  status.at("updates_per_second").get<double>(),
                  status.at("mean_return").get<double>(),
                  static_cast<long long>(status.at("episodes").get<int64_t>()),
                  status.at("policy_lag").get<double>());
    return buffer;
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace

bool RestartBook::Allow(const std::string& role, double now_seconds) {
  std::deque<double>& deaths = deaths_[role];
  while (!deaths.empty() && deaths.front() <= now_seconds - window_seconds_) deaths.pop_front();
  if (static_cast<int32_t>(deaths.size()) >= max_restarts_) return false;
  deaths.push_back(now_seconds);
  ++restarts_[role];
  ++total_;
  return true;
}

int64_t RestartBook::Restarts(const std::string& role) const {
  const auto it = restarts_.find(role);
  return it == restarts_.end() ? 0 : it->second;
}

std::string RestartBook::Json() const {
  nlohmann::json json;
  json["total"] = total_;
  nlohmann::json roles = nlohmann::json::object();
  for (const auto& [role, count] : restarts_) roles[role] = count;
  json["roles"] = roles;
  return json.dump();
}

int64_t AvailableMemoryBytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t value = 0;
  std::string unit;
  while (in >> key >> value >> unit) {
    if (key == "MemAvailable:") return value * 1024;  // /proc/meminfo counts kB
  }
  return -1;
}

namespace {

// The memory of the actors: each actor process and its Python env workers.
int64_t PerActorBytes(const RunConfig& config) {
  const int64_t python_workers = config.env.python.empty() ? 0 : config.env.python_workers;
  return kActorPrivateBytes + python_workers * kPythonWorkerPrivateBytes;
}

// The memory that does not grow with the actors: shards, learner and the shared pages.
int64_t FixedBytes(const RunConfig& config) {
  return (config.cluster.num_shards + int64_t{1}) * kServerPrivateBytes + kSharedLibraryBytes +
         (config.env.python.empty() ? 0 : kPythonSharedBytes);
}

}  // namespace

int64_t ClusterMemoryBytes(const RunConfig& config) {
  return FixedBytes(config) + config.cluster.num_actors * PerActorBytes(config);
}

int32_t ActorsThatFit(const RunConfig& config, int64_t available_bytes) {
  const int64_t left = available_bytes - FixedBytes(config);
  if (left < 0) return 0;
  return static_cast<int32_t>(
      std::min<int64_t>(left / PerActorBytes(config), std::numeric_limits<int32_t>::max()));
}

std::string CheckClusterFits(const RunConfig& config, int64_t available_bytes) {
  if (available_bytes < 0) return "";
  const int64_t needed = ClusterMemoryBytes(config);
  if (needed <= available_bytes) return "";
  std::string python;
  if (!config.env.python.empty()) {
    char text[128];
    std::snprintf(text, sizeof(text), ", %.0f MB per Python env worker and %.0f MB once for them",
                  kPythonWorkerPrivateBytes / 1e6, kPythonSharedBytes / 1e6);
    python = text;
  }
  char text[768];
  std::snprintf(text, sizeof(text),
                "cluster.num_actors=%d and cluster.num_shards=%d need about %.1f GB of memory "
                "(%.0f MB per actor process, %.0f MB per shard and for the learner, %.0f MB of "
                "shared libraries once%s) but %.1f GB are available, which hold %d actor(s); "
                "lower cluster.num_actors (or env.num_envs per actor instead) or pass --force",
                config.cluster.num_actors, config.cluster.num_shards, needed / 1e9,
                kActorPrivateBytes / 1e6, kServerPrivateBytes / 1e6, kSharedLibraryBytes / 1e6,
                python.c_str(), available_bytes / 1e9, ActorsThatFit(config, available_bytes));
  return text;
}

void LocalClusterOptions::Validate() const {
  if (executable.empty()) throw std::invalid_argument("LocalClusterOptions.executable is empty");
  if (run_dir.empty()) throw std::invalid_argument("LocalClusterOptions.run_dir is empty");
}

int RunLocalCluster(const RunConfig& config, const LocalClusterOptions& options,
                    const std::atomic<bool>& interrupt) {
  options.Validate();
  const fs::path run_dir = options.run_dir;
  fs::create_directories(run_dir / "logs");

  // Short ipc directory (Unix socket paths are limited to 107 bytes), removed at the end.
  std::optional<TempDir> ipc_dir;
  if (config.cluster.transport == "ipc") ipc_dir.emplace("rlfleet");
  // tcp: the processes of this launch meet through rendezvous files of this launch only.
  const std::string incarnation =
      "local-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device()());
  ::setenv("RLFLEET_RENDEZVOUS_ID", incarnation.c_str(), 1);

  // CURVE: the run's keys, made once per run (a resumed run keeps them).
  if (config.cluster.curve) EnsureRunKeys(run_dir.string());

  const RunConfig cluster_config = FillEndpoints(config, ipc_dir ? ipc_dir->path() : "");
  const std::string cluster_yaml = (run_dir / "cluster.yaml").string();
  WriteFileAtomic(cluster_yaml, RunConfigToYaml(cluster_config));

  std::vector<Role> roles;
  for (int32_t i = 0; i < config.cluster.num_shards; ++i) roles.push_back({"shard", i});
  roles.push_back({"learner", 0});
  for (int32_t i = 0; i < config.cluster.num_actors; ++i) roles.push_back({"actor", i});

  // A restarted learner continues from its newest checkpoint (from scratch when there is none).
  auto spawn = [&](const Role& role, bool restart = false) {
    std::vector<std::string> argv = {
        options.executable,         "worker",    "--role",        role.kind, "--index",
        std::to_string(role.index), "--run-dir", run_dir.string()};
    if (role.kind == "learner" && (options.resume || restart)) argv.push_back("--resume");
    return std::make_unique<ChildProcess>(argv,
                                          (run_dir / "logs" / (role.name() + ".log")).string());
  };
  // SIGINT / SIGTERM stop the spawning too; what was started is then stopped below.
  std::vector<std::unique_ptr<ChildProcess>> children;
  for (const Role& role : roles) {
    if (interrupt.load()) break;
    children.push_back(spawn(role));
  }
  if (children.size() == roles.size()) {
    RLF_LOG(Info) << "started " << config.cluster.num_shards << " replay shard(s), 1 learner, "
                  << config.cluster.num_actors << " actor(s); logs in " << (run_dir / "logs");
  }

  const bool tty = ::isatty(STDOUT_FILENO);
  int exit_code = 0;
  // learner.deterministic: a restarted process would break the rounds' sequence; no restarts.
  const int32_t max_restarts = config.learner.deterministic ? 0 : config.cluster.max_restarts;
  RestartBook restarts(max_restarts, config.cluster.restart_window_seconds);
  Stopwatch clock;
  Stopwatch since_progress;
  std::string last_progress;
  bool learner_done = false;
  while (!interrupt.load() && !learner_done && exit_code == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (size_t i = 0; i < children.size(); ++i) {
      const std::optional<ExitStatus> status = children[i]->Poll();
      if (!status) continue;
      const Role& role = roles[i];
      const std::string log = (run_dir / "logs" / (role.name() + ".log")).string();
      if (role.kind == "learner" && status->ok()) {
        learner_done = true;
      } else if (restarts.Allow(role.name(), clock.Seconds())) {
        RLF_LOG(Warning) << role.name() << " died (" << status->ToString() << "); restarting it ("
                         << restarts.Restarts(role.name())
                         << (role.kind == "learner" ? " restarts, from its newest checkpoint"
                                                    : " restarts")
                         << "). Log tail:\n"
                         << TailOfFile(log, 5);
        WriteFileAtomic((run_dir / "restarts.json").string(), restarts.Json() + "\n");
        children[i] = spawn(role, /*restart=*/true);
      } else {
        RLF_LOG(Error) << role.name() << " died (" << status->ToString() << ") " << max_restarts + 1
                       << " times within " << config.cluster.restart_window_seconds << " s ("
                       << (config.learner.deterministic
                               ? "learner.deterministic restarts nothing"
                               : "cluster.max_restarts, cluster.restart_window_seconds")
                       << "); stopping the run. Last lines of " << log << ":\n"
                       << TailOfFile(log, 15);
        exit_code = 1;
        break;
      }
    }
    const double interval = tty ? 1.0 : 10.0;
    if (options.show_progress && since_progress.Seconds() >= interval) {
      since_progress.Reset();
      std::string line = ProgressLine(run_dir);
      if (!line.empty() && restarts.Total() > 0) {
        line += " | restarts " + std::to_string(restarts.Total());
      }
      if (!line.empty() && line != last_progress) {
        std::printf(tty ? "\r%s\033[K" : "%s\n", line.c_str());
        std::fflush(stdout);
        last_progress = line;
      }
    }
  }
  if (tty && !last_progress.empty()) std::printf("\n");
  if (interrupt.load()) RLF_LOG(Info) << "interrupted: stopping all processes";

  // Stop: the learner first (final checkpoint and summary), then actors and shards.
  const double grace = config.cluster.shutdown_grace_seconds;
  auto stop_kind = [&](const std::string& kind) {
    for (size_t i = 0; i < children.size(); ++i) {
      if (roles[i].kind == kind) children[i]->Signal(SIGTERM);
    }
    for (size_t i = 0; i < children.size(); ++i) {
      if (roles[i].kind != kind) continue;
      if (!children[i]->Wait(grace)) {
        RLF_LOG(Warning) << roles[i].name() << " did not stop within " << grace << " s: killing it";
        children[i]->Signal(SIGKILL);
        children[i]->Wait(grace);
      }
    }
  };
  stop_kind("learner");
  stop_kind("actor");
  stop_kind("shard");
  // The learner copies restarts.json into summary.json when it ends; a restart recorded after
  // that (a process that died during the last second) is added here.
  const fs::path summary = run_dir / "summary.json";
  if (restarts.Total() > 0 && fs::exists(summary)) {
    try {
      nlohmann::json json = nlohmann::json::parse(ReadFile(summary.string()));
      if (json.value("restarts", int64_t{0}) != restarts.Total()) {
        json["restarts"] = restarts.Total();
        WriteFileAtomic(summary.string(), json.dump(2) + "\n");
      }
    } catch (const std::exception& e) {
      RLF_LOG(Warning) << "cannot add the restarts to " << summary << ": " << e.what();
    }
  }
  if (options.show_progress) {
    const std::string line = ProgressLine(run_dir);
    if (!line.empty()) std::printf("%s\n", line.c_str());
  }
  return exit_code;
}

}  // namespace rlfleet
