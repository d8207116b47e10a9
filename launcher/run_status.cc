#include "launcher/run_status.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/file_util.h"
#include "launcher/supervise.h"

namespace rlfleet {
namespace {

namespace fs = std::filesystem;

nlohmann::json ParseOrNull(const fs::path& path) {
  try {
    return nlohmann::json::parse(ReadFile(path.string()), nullptr, /*allow_exceptions=*/false);
  } catch (const std::exception&) {
    return nlohmann::json();
  }
}

// learner first, then shards, then actors, each by index.
int Rank(const std::string& name) {
  if (name == "learner") return 0;
  return name.rfind("shard-", 0) == 0 ? 1 : 2;
}

int64_t IndexOf(const std::string& name) {
  const size_t dash = name.rfind('-');
  if (dash == std::string::npos) return 0;
  try {
    return std::stoll(name.substr(dash + 1));
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

RunStatus ReadRunStatus(const std::string& run_dir, double now_unix) {
  if (!fs::is_directory(run_dir)) throw std::runtime_error("no run directory " + run_dir);
  RunStatus status;
  const nlohmann::json learner = ParseOrNull(fs::path(run_dir) / "status.json");
  if (learner.is_object()) {
    status.has_learner_status = true;
    status.env_steps = learner.value("env_steps", int64_t{0});
    status.updates = learner.value("updates", int64_t{0});
    status.fps = learner.value("fps", 0.0);
    status.updates_per_second = learner.value("updates_per_second", 0.0);
    status.mean_return = learner.value("mean_return", 0.0);
    status.policy_lag = learner.value("policy_lag", 0.0);
  }
  const nlohmann::json restarts = ParseOrNull(fs::path(run_dir) / "restarts.json");
  if (restarts.is_object()) status.restarts = restarts.value("total", int64_t{0});
  // Roles under `rlfleet worker --supervise` (Slurm) record their own restarts.
  const std::vector<std::pair<std::string, int64_t>> supervised = SupervisedRestarts(run_dir);
  for (const auto& [role, count] : supervised) status.restarts += count;

  std::error_code error;
  for (const auto& entry : fs::directory_iterator(fs::path(run_dir) / "roles", error)) {
    if (entry.path().extension() != ".json") continue;
    RoleStatus row;
    row.name = entry.path().stem().string();
    const nlohmann::json beat = ParseOrNull(entry.path());
    if (!beat.is_object()) {
      row.host = "?";
      row.silent = true;
      status.roles.push_back(row);
      continue;
    }
    row.host = beat.value("host", std::string("?"));
    row.pid = beat.value("pid", int64_t{0});
    row.seconds_since_beat = now_unix - beat.value("time", 0.0);
    row.stopped = beat.value("stopped", false);
    row.silent = !row.stopped && row.seconds_since_beat > kSilentSeconds;
    row.env_steps_per_second = beat.value("env_steps_per_second", -1.0);
    if (beat.contains("weights_version") && status.has_learner_status) {
      const int64_t version = static_cast<int64_t>(beat.value("weights_version", -1.0));
      if (version >= 0) row.policy_lag = std::max<int64_t>(0, status.updates - version);
    }
    if (restarts.is_object() && restarts.contains("roles") && restarts["roles"].is_object()) {
      row.restarts = restarts["roles"].value(row.name, int64_t{0});
    }
    for (const auto& [role, count] : supervised) {
      if (role == row.name) row.restarts += count;
    }
    if (beat.contains("slurm_job_id") && beat["slurm_job_id"].is_string()) {
      row.slurm_step = beat["slurm_job_id"].get<std::string>() + "." +
                       beat.value("slurm_step_id", std::string("?"));
    }
    status.roles.push_back(row);
  }
  std::sort(status.roles.begin(), status.roles.end(), [](const RoleStatus& a, const RoleStatus& b) {
    if (Rank(a.name) != Rank(b.name)) return Rank(a.name) < Rank(b.name);
    return IndexOf(a.name) < IndexOf(b.name);
  });
  return status;
}

std::string FormatRunStatus(const RunStatus& status) {
  std::string text;
  char line[512];
  if (status.has_learner_status) {
    std::snprintf(line, sizeof(line),
                  "learner: %lld env steps, %.0f frames/s, %lld updates (%.1f/s), mean return "
                  "%.1f, policy lag %.1f, %lld restarts\n",
                  static_cast<long long>(status.env_steps), status.fps,
                  static_cast<long long>(status.updates), status.updates_per_second,
                  status.mean_return, status.policy_lag, static_cast<long long>(status.restarts));
  } else {
    std::snprintf(line, sizeof(line), "learner: no status.json yet\n");
  }
  text += line;
  const bool slurm = std::any_of(status.roles.begin(), status.roles.end(),
                                 [](const RoleStatus& r) { return !r.slurm_step.empty(); });
  std::snprintf(line, sizeof(line), "%-10s %-20s %8s %-16s %12s %10s %8s%s\n", "role", "host",
                "pid", "last heartbeat", "env steps/s", "lag", "restarts",
                slurm ? "  slurm step" : "");
  text += line;
  for (const RoleStatus& r : status.roles) {
    char beat[32];
    if (r.host == "?" && r.pid == 0) {
      std::snprintf(beat, sizeof(beat), "unreadable");
    } else {
      std::snprintf(beat, sizeof(beat), "%.1f s ago%s", r.seconds_since_beat,
                    r.stopped  ? " (exit)"
                    : r.silent ? " SILENT"
                               : "");
    }
    char fps[32] = "-";
    if (r.env_steps_per_second >= 0)
      std::snprintf(fps, sizeof(fps), "%.0f", r.env_steps_per_second);
    char lag[32] = "-";
    if (r.policy_lag >= 0)
      std::snprintf(lag, sizeof(lag), "%lld", static_cast<long long>(r.policy_lag));
    std::snprintf(line, sizeof(line), "%-10s %-20s %8lld %-16s %12s %10s %8lld%s%s\n",
                  r.name.c_str(), r.host.c_str(), static_cast<long long>(r.pid), beat, fps, lag,
                  static_cast<long long>(r.restarts), slurm ? "  " : "",
                  slurm ? r.slurm_step.c_str() : "");
    text += line;
  }
  return text;
}

}  // namespace rlfleet
