#ifndef RLFLEET_LAUNCHER_LOCAL_CLUSTER_H_
#define RLFLEET_LAUNCHER_LOCAL_CLUSTER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "core/run_config.h"

namespace rlfleet {

// Which processes died when, for the restart policy: a role may be restarted unless it already
// died max_restarts times within the last window_seconds. Not thread-safe.
class RestartBook {
 public:
  RestartBook(int32_t max_restarts, double window_seconds)
      : max_restarts_(max_restarts), window_seconds_(window_seconds) {}
  // Records that `role` (e.g. "actor-3") died at `now_seconds` (non-decreasing) and returns
  // whether it may be restarted; a restart that is allowed is counted.
  bool Allow(const std::string& role, double now_seconds);
  int64_t Restarts(const std::string& role) const;
  int64_t Total() const { return total_; }
  // {"total": N, "roles": {"<role>": n, ...}}: the run directory's restarts.json.
  std::string Json() const;

 private:
  int32_t max_restarts_;
  double window_seconds_;
  std::map<std::string, std::deque<double>> deaths_;  // restarts within the window
  std::map<std::string, int64_t> restarts_;
  int64_t total_ = 0;
};

// Resident memory of one process, measured on CartPole and MuJoCo runs (LibTorch, the env,
// sockets): an actor about 165 MB; a shard or the learner is counted at 400 MB (their tables
// and batches come on top).
constexpr int64_t kActorProcessBytes = 165'000'000;
constexpr int64_t kServerProcessBytes = 400'000'000;

// MemAvailable of /proc/meminfo in bytes, or -1 when it cannot be read.
int64_t AvailableMemoryBytes();

// Empty when the run's processes fit in `available_bytes` (-1: unknown, always fits);
// otherwise a message that says what they need, what is available and what to change.
std::string CheckClusterFits(const RunConfig& config, int64_t available_bytes);

struct LocalClusterOptions {
  std::string executable;  // the rlfleet binary, re-run as `rlfleet worker ...` per role
  std::string run_dir;     // holds config.yaml (as given) and gets cluster.yaml (endpoints)
  bool resume = false;
  bool show_progress = true;  // print a progress line from status.json
  void Validate() const;
};

// Starts one run on this machine: the replay shard(s), the learner and the actors as child
// processes over ipc or loopback tcp, and supervises them until the learner finishes.
//
// Supervision: a process that dies is restarted with the same role and index unless that role
// already died cluster.max_restarts times within cluster.restart_window_seconds; then the run
// ends with an error naming it and the tail of its log (logs/<role>.log). A restarted learner
// resumes from its newest checkpoint (actors keep acting on the weights they hold meanwhile); a
// restarted replay shard restores its replay memory from its newest table checkpoint
// (replay.checkpoint_interval_seconds) or, for the IMPALA queue, starts empty; clients reconnect
// by themselves. Restarts are written to <run dir>/restarts.json (the learner copies them into
// status.json and summary.json; at the end the launcher brings summary.json up to date) and
// shown on the progress line. `interrupt` (set by
// SIGINT/SIGTERM) stops the run: children get SIGTERM (the learner then writes a final
// checkpoint and summary.json), then SIGKILL after cluster.shutdown_grace_seconds; while the
// processes are being started it ends the starting at once. No child
// outlives the launcher (PR_SET_PDEATHSIG).
// Returns the process exit code: 0 when the learner completed or the run was interrupted
// cleanly, 1 when a process failed.
int RunLocalCluster(const RunConfig& config, const LocalClusterOptions& options,
                    const std::atomic<bool>& interrupt);

}  // namespace rlfleet

#endif  // RLFLEET_LAUNCHER_LOCAL_CLUSTER_H_
