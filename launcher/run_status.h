#ifndef RLFLEET_LAUNCHER_RUN_STATUS_H_
#define RLFLEET_LAUNCHER_RUN_STATUS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace rlfleet {

// What `rlfleet status RUN_DIR` shows: one row per role that has written a heartbeat
// (<run>/roles/*.json, launcher/heartbeat.h), with the learner's latest status.json and the
// restart counts of restarts.json and restarts/<role>.json (launcher/supervise.h).
struct RoleStatus {
  std::string name;  // "learner", "shard-0", "actor-3"
  std::string host;
  int64_t pid = 0;
  double seconds_since_beat = 0;     // now − the heartbeat's time
  bool stopped = false;              // its last heartbeat was written on the way out
  bool silent = false;               // no heartbeat for kSilentSeconds and not stopped
  double env_steps_per_second = -1;  // actors: over their last heartbeat interval; else −1
  int64_t policy_lag = -1;           // actors: learner updates − the updates of their weights
  int64_t restarts = 0;    // restarts.json (local launcher) + restarts/<role>.json (supervisor)
  std::string slurm_step;  // "<job id>.<step id>" under Slurm, else ""
};

struct RunStatus {
  std::vector<RoleStatus> roles;  // learner, shards, actors, each by index
  // From status.json (absent fields stay 0 / false).
  bool has_learner_status = false;
  int64_t env_steps = 0;
  int64_t updates = 0;
  double fps = 0;
  double updates_per_second = 0;
  double mean_return = 0;
  double policy_lag = 0;
  int64_t restarts = 0;
};

// A role whose last heartbeat is older than this (and was not its last) is shown as silent.
inline constexpr double kSilentSeconds = 10.0;
// How often roles write their heartbeats.
inline constexpr double kHeartbeatSeconds = 2.0;

// Reads the run's files as of `now_unix` (seconds). A heartbeat that does not parse is shown
// as a row named after its file with host "?" rather than hiding the role. Throws
// std::runtime_error when run_dir does not exist.
RunStatus ReadRunStatus(const std::string& run_dir, double now_unix);

// A table, one line per role, after a line with the learner's figures.
std::string FormatRunStatus(const RunStatus& status);

}  // namespace rlfleet

#endif  // RLFLEET_LAUNCHER_RUN_STATUS_H_
