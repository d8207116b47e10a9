#ifndef RLFLEET_LAUNCHER_SLURM_H_
#define RLFLEET_LAUNCHER_SLURM_H_

#include <cstdint>
#include <string>
#include <vector>

namespace rlfleet {

// One run as one heterogeneous Slurm job (`rlfleet slurm`):
//   component 0: one node for the learner and the replay shards (and a GPU when asked);
//   component 1: actor_nodes nodes, actors_per_node actor processes on each.
// Every role is a job step of its own, `srun ... rlfleet worker --supervise --role ...`, so
// Slurm starts, signals and accounts for it and the supervisor restarts it when it dies.
struct SlurmJobOptions {
  std::string executable;  // the rlfleet binary, at this absolute path on every node
  std::string run_dir;     // absolute, on a filesystem every node shares
  std::string job_name;    // Slurm's --job-name
  int32_t num_shards = 1;
  int32_t actor_nodes = 1;
  int32_t actors_per_node = 1;
  bool gpu = false;        // component 0 asks for one GPU (--gres=gpu:1)
  std::string partition;   // "": the cluster's default partition
  std::string time_limit;  // "": the partition's default; else Slurm's format ("90", "4:00:00")
  // More `#SBATCH` options (e.g. "--account=rl"), given to both components.
  std::vector<std::string> sbatch_options;
  // Throws std::invalid_argument naming the field: empty or relative paths, counts < 1, and
  // values that would break the script's lines (a newline, or a quote in the job name).
  void Validate() const;
};

// The sbatch script (bash) for `options`. It runs the learner and each shard as a step of
// component 0 and all actors as one step of component 1 (actor index = SLURM_PROCID); gives the
// learner --resume when <run_dir>/checkpoints holds a checkpoint, so a requeued or resubmitted
// job continues the run; names the launch RLFLEET_RENDEZVOUS_ID=slurm-<job>-<restart count>;
// and when the learner's step ends (or any other step gives up) stops the other steps with
// `scancel --signal=TERM <job>` (a signal to srun itself would make srun kill its tasks outright)
// and exits with the learner's status (1 when another role gave up first). On scancel
// or the time limit every role gets SIGTERM from Slurm: the learner writes its final checkpoint
// and summary.json. The job's output goes to <run_dir>/slurm/job-<job id>.out.
std::string SlurmBatchScript(const SlurmJobOptions& options);

// The job id in `sbatch --parsable` output ("1234" or "1234;cluster", then a newline); throws
// std::runtime_error quoting the output when there is none.
int64_t ParseSbatchJobId(const std::string& output);

}  // namespace rlfleet

#endif  // RLFLEET_LAUNCHER_SLURM_H_
