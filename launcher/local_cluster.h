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

// What each process of a run adds to the machine's memory: its private pages, plus the pages
// it shares with the others (the libraries' code and data: LibTorch, MuJoCo, ...) counted once
// for the run, which is what the processes' PSS adds up to. An actor's RSS (about 165 MiB)
// counts the shared pages again for every process.
//
// Measured from /proc/<pid>/smaps_rollup (private = Private_Clean + Private_Dirty, shared =
// Rss − private), read once a second from every child of
//   rlfleet train configs/cartpole_impala.yaml --set cluster.num_actors=4
//       --set learner.total_env_steps=3000000
// and of configs/cartpole_apex_dqn.yaml with cluster.num_actors=4 and of
// configs/cartpole_impala.yaml with --set env.python=cartpole:make --set
// "env.python_path=[$PWD/tests/python_envs]" --set env.python_workers=2, beside a
// configs/halfcheetah_sac.yaml run (2 actors) on the same machine (MiB as smaps counts them):
//  - an actor: private 58.3–59.7 MiB (CartPole IMPALA and Ape-X), 62.8 MiB for HalfCheetah
//    SAC, 45 MiB of it heap that every rlfleet process holds once its libraries are loaded
//    (the launcher: 44.5 MiB of heap, 57–60 MiB private); PSS 68–73 MiB with 11 processes
//    sharing the libraries; RSS 165 MiB;
//  - the shard and the learner: private 58–63 MiB before their tables grow (a shard holding
//    100,000 CartPole transitions: 96.8 MiB), counted at 400 MB;
//  - shared pages: 106–109 MiB per actor, 111.9 MiB for the learner;
//  - a Python env worker (env.python=cartpole:make of tests/python_envs, numpy): private
//    19.5–22.5 MiB, shared 20.5 MiB (the interpreter and numpy).
// Counted with a margin above the largest of each:
constexpr int64_t kActorPrivateBytes = 75'000'000;  // measured at most 65.8 MB (62.8 MiB)
// A shard or the learner; a replay memory's items and the learner's batches come on top.
constexpr int64_t kServerPrivateBytes = 400'000'000;
constexpr int64_t kSharedLibraryBytes = 125'000'000;  // measured at most 117.3 MB (111.9 MiB)
// Each of an actor's env.python_workers, and the Python libraries they share, once.
constexpr int64_t kPythonWorkerPrivateBytes = 30'000'000;  // measured at most 23.6 MB
constexpr int64_t kPythonSharedBytes = 25'000'000;         // measured 21.5 MB

// MemAvailable of /proc/meminfo in bytes, or -1 when it cannot be read.
int64_t AvailableMemoryBytes();

// What the run's processes add to the machine's memory, counted as above: cluster.num_actors
// actors (each with its env.python_workers when env.python is set), cluster.num_shards shards
// and the learner, and the shared pages once.
int64_t ClusterMemoryBytes(const RunConfig& config);

// The most actors (config's other settings unchanged) whose ClusterMemoryBytes fits in
// `available_bytes`; 0 when not even one does.
int32_t ActorsThatFit(const RunConfig& config, int64_t available_bytes);

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
