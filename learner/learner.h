#ifndef RLFLEET_LEARNER_LEARNER_H_
#define RLFLEET_LEARNER_LEARNER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "algorithms/algorithm.h"
#include "core/run_config.h"

namespace rlfleet {

// What the learner leaves in <run dir>/summary.json at the end.
struct LearnerSummary {
  int64_t env_steps = 0;        // the budget's counter (AlgorithmSpec::budget)
  int64_t consumed_frames = 0;  // env steps inside the batches trained on
  int64_t actor_env_steps = 0;  // frames the actors reported having stepped
  int64_t updates = 0;
  int64_t episodes = 0;
  double wall_seconds = 0.0;       // learner time, summed over resumed segments
  double final_mean_return = 0.0;  // mean over the last 100 episodes (NaN if none)
  int64_t malformed_items = 0;     // sampled items dropped (undecodable or not fitting the env)
  bool completed = false;  // reached learner.total_env_steps or stop_eval_return (false: stopped)
};

// The learner process's work, for every algorithm (a LearnerAlgorithm does the maths).
//
// Threads: a prefetch thread sends the new priorities of trained batches (a prioritized replay
// memory),
// samples learner.batch_size items from the replay shards (a queue: each shard's FIFO; a replay
// memory: the global p^α distribution, SampleClient::SamplePrioritized), decodes them, checks
// each against the env spec (a bad item is dropped, counted and, in a prioritized replay
// memory, given priority 0 so it is not drawn again) and has the algorithm stack them into a batch
// on its device, keeping learner.prefetch batches ready. The calling thread (Run) trains on them
// and never waits on the network while a batch is ready: it runs one Update per batch, hands the
// new priorities to the prefetch thread, publishes weights (version = update count) every
// learner.publish_interval updates and at least once a second while it waits for data, drains
// actor statistics, hands its greedy policy to the evaluator's thread (learner/evaluator.h)
// every learner.eval_interval_updates updates (learner.eval_episodes greedy episodes on a local
// env while training goes on) and every learner.video_interval_updates (a video), and writes
// the run directory:
//   metrics.csv     one row per metrics interval: steps, rates, policy lag, returns, the latest
//                   evaluation, dropped items, then the algorithm's metric_names()
//   evaluations.csv one row per finished evaluation (the updates and env steps it evaluated)
//   episodes.csv    one row per finished actor episode
//   status.json     the latest metrics row, replaced atomically (read by the launcher)
//   checkpoints/    ckpt-<updates>/ {the algorithm's files, state.json}, written to a
//                   temporary directory then renamed; the newest learner.keep_checkpoints kept
//   summary.json    written at the end (also when stopped early)
// Policy lag = the update count when a batch is trained on − the mean weights version that
// acted in its items.
class Learner {
 public:
  // The algorithm of config.learner.algo. `resume`: continue from the newest checkpoint in
  // run_dir (algorithm state, counters). Binds the weights PUB and stats PULL endpoints;
  // throws naming an endpoint that fails, or std::invalid_argument for a config the algorithm
  // cannot run.
  Learner(const RunConfig& config, const std::string& run_dir, bool resume);
  // The same with a given algorithm (e.g. one that is not registered).
  Learner(const RunConfig& config, const std::string& run_dir, bool resume,
          const AlgorithmSpec& algorithm);
  ~Learner();

  // Trains until learner.total_env_steps (see AlgorithmSpec::budget) or `stop` becomes true,
  // then writes a final evaluation (when enabled), checkpoint and summary.json. Returns the
  // summary. Throws when the prefetch thread failed (e.g. a shard replied with an error).
  LearnerSummary Run(const std::atomic<bool>& stop);

  // The endpoints actually bound (a "tcp://host:*" endpoint resolved to its port).
  std::string weights_endpoint() const;
  std::string stats_endpoint() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Path of the newest complete checkpoint directory in run_dir ("" when there is none).
std::string LatestCheckpoint(const std::string& run_dir);

}  // namespace rlfleet

#endif  // RLFLEET_LEARNER_LEARNER_H_
