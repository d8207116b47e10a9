#ifndef RLFLEET_LEARNER_LEARNER_H_
#define RLFLEET_LEARNER_LEARNER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/run_config.h"

namespace rlfleet {

// What the learner leaves in <run dir>/summary.json at the end.
struct LearnerSummary {
  int64_t env_steps = 0;        // frames consumed by updates
  int64_t actor_env_steps = 0;  // frames the actors reported having stepped
  int64_t updates = 0;
  int64_t episodes = 0;
  double wall_seconds = 0.0;    // learner time, summed over resumed segments
  double final_mean_return = 0.0;  // mean over the last 100 episodes (NaN if none)
  bool completed = false;       // reached learner.total_env_steps (false: stopped early)
};

// The learner process's work. Threads: a prefetch thread samples batches of unrolls from
// every replay shard, decodes them and builds ready tensors (learner.prefetch batches
// ahead); the calling thread trains on them (IMPALA / V-trace), publishes weights (version =
// update count, one flat float32 buffer) every learner.publish_interval updates, drains
// actor statistics, and writes the run directory:
//   metrics.csv     one row per metrics interval (steps, rates, losses, policy lag, return)
//   episodes.csv    one row per finished actor episode
//   status.json     the latest metrics row, replaced atomically (read by the launcher)
//   checkpoints/    ckpt-<updates>/ {model.pt, state.json}, written to a temporary
//                   directory then renamed; the newest learner.keep_checkpoints are kept
//   summary.json    written at the end (also when stopped early)
class Learner {
 public:
  // `resume`: continue from the newest checkpoint in run_dir (model, optimizer, counters).
  // Binds the weights PUB and stats PULL endpoints; throws naming an endpoint that fails.
  Learner(const RunConfig& config, const std::string& run_dir, bool resume);
  ~Learner();

  // Trains until learner.total_env_steps frames were consumed or `stop` becomes true, then
  // writes a final checkpoint and summary.json. Returns the summary.
  LearnerSummary Run(const std::atomic<bool>& stop);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Path of the newest complete checkpoint directory in run_dir ("" when there is none).
std::string LatestCheckpoint(const std::string& run_dir);

}  // namespace rlfleet

#endif  // RLFLEET_LEARNER_LEARNER_H_
