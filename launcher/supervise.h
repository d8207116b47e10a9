#ifndef RLFLEET_LAUNCHER_SUPERVISE_H_
#define RLFLEET_LAUNCHER_SUPERVISE_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace rlfleet {

// One role kept alive by a process of its own, for roles that another launcher starts
// (`rlfleet worker --supervise`, e.g. one Slurm job step per role): the supervisor runs the role
// as its child and restarts it when it dies, with the local launcher's policy (RestartBook).
struct SuperviseOptions {
  std::vector<std::string> argv;  // the role's command; argv[0] is a path
  std::string role_name;          // "learner", "shard-0", "actor-3"
  std::string run_dir;            // gets logs/<role_name>.log and restarts/<role_name>.json
  bool learner = false;           // a restarted learner gets --resume (its newest checkpoint)
  int32_t max_restarts = 3;
  double restart_window_seconds = 600.0;
  double shutdown_grace_seconds = 10.0;  // SIGTERM → SIGKILL when stopping the child
  void Validate() const;                 // throws std::invalid_argument naming the field
};

// Runs options.argv with its output appended to <run_dir>/logs/<role_name>.log and blocks
// until the role is over:
// - the child exits 0 (the run is over, or it was stopped): returns 0;
// - the child dies otherwise: it is restarted (argv plus "--resume" for the learner) unless it
//   already died max_restarts times within restart_window_seconds; each restart is written to
//   <run_dir>/restarts/<role_name>.json ({"restarts": n}, atomically) and logged with the tail
//   of the role's log; past the limit returns 1, naming the exit status and the log's tail;
// - `interrupt` is set (SIGTERM/SIGINT): the child gets SIGTERM, then SIGKILL after
//   shutdown_grace_seconds; returns 0 when it then exited 0, else 1.
// The child dies with the supervisor (PR_SET_PDEATHSIG). Polls every 100 ms.
int SuperviseRole(const SuperviseOptions& options, const std::atomic<bool>& interrupt);

// Restarts recorded under <run_dir>/restarts/ by supervisors, by role name ({} when none).
// A file that does not parse is skipped with a warning.
std::vector<std::pair<std::string, int64_t>> SupervisedRestarts(const std::string& run_dir);

}  // namespace rlfleet

#endif  // RLFLEET_LAUNCHER_SUPERVISE_H_
