#ifndef RLFLEET_LAUNCHER_LOCAL_CLUSTER_H_
#define RLFLEET_LAUNCHER_LOCAL_CLUSTER_H_

#include <atomic>
#include <string>

#include "core/run_config.h"

namespace rlfleet {

struct LocalClusterOptions {
  std::string executable;  // the rlfleet binary, re-run as `rlfleet _worker ...` per role
  std::string run_dir;     // holds config.yaml (as given) and gets cluster.yaml (endpoints)
  bool resume = false;
  bool show_progress = true;  // print a progress line from status.json
  void Validate() const;
};

// Starts one run on this machine: the replay shard(s), the learner and the actors as child
// processes over ipc or loopback tcp, and supervises them until the learner finishes.
//
// Supervision: an actor that dies is restarted (cluster.max_actor_restarts in all); a shard or
// the learner that dies ends the run with an error naming it and the tail of its log
// (logs/<role>.log). `interrupt` (set by SIGINT/SIGTERM) stops the run: children get SIGTERM
// (the learner then writes a final checkpoint and summary.json), then SIGKILL after
// cluster.shutdown_grace_seconds. No child outlives the launcher (PR_SET_PDEATHSIG).
// Returns the process exit code: 0 when the learner completed or the run was interrupted
// cleanly, 1 when a process failed.
int RunLocalCluster(const RunConfig& config, const LocalClusterOptions& options,
                    const std::atomic<bool>& interrupt);

}  // namespace rlfleet

#endif  // RLFLEET_LAUNCHER_LOCAL_CLUSTER_H_
