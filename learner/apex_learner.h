#ifndef RLFLEET_LEARNER_APEX_LEARNER_H_
#define RLFLEET_LEARNER_APEX_LEARNER_H_

#include <atomic>
#include <memory>
#include <string>

#include "core/run_config.h"
#include "learner/learner.h"

namespace rlfleet {

// The Ape-X DQN learner process (learner.algo apex_dqn; Horgan et al. 2018). Threads: a
// prefetch thread draws prioritized batches of learner.batch_size transitions from all replay
// shards (SampleClient::SamplePrioritized: the global p^α distribution), decodes them and
// builds DqnBatches with the importance weights (learner.prefetch batches ahead); the calling
// thread runs double-DQN updates (Dqn; with learner.anneal_learning_rate Adam's rate decays
// linearly to 0 over the actors' env steps) and hands the new priorities |TD| of every batch to
// the prefetch thread, which sends them to the shards before it samples its next batch (keys
// evicted meanwhile are ignored and counted by the shard; the priorities of the last
// ≤ learner.prefetch + 2 batches are dropped when the run ends). The calling thread also
// publishes weights every learner.publish_interval updates (and at least once a second while it
// waits for data), drains actor statistics, runs apex.eval_episodes greedy evaluation episodes on a local env
// every apex.eval_interval_updates updates, and writes the run directory like Learner:
//   metrics.csv     one row per metrics interval (steps, rates, loss, mean Q, |TD|, returns,
//                   eval_mean_return: the latest greedy evaluation, empty before the first)
//   episodes.csv    one row per finished actor episode
//   status.json     the latest metrics row, replaced atomically
//   checkpoints/    ckpt-<updates>/ {dqn.pt, state.json}
//   summary.json    at the end, with final_eval_mean_return (a last evaluation when
//                   apex.eval_interval_updates > 0)
// The run ends when the actors have reported learner.total_env_steps env steps (the learner
// replays each transition many times, so its own consumption is not the budget).
class ApexLearner {
 public:
  // `resume`: continue from the newest checkpoint in run_dir. Binds the weights PUB and stats
  // PULL endpoints; throws naming an endpoint that fails.
  ApexLearner(const RunConfig& config, const std::string& run_dir, bool resume);
  ~ApexLearner();

  // Trains until the actors reported learner.total_env_steps env steps or `stop` becomes true,
  // then writes a final checkpoint and summary.json. Returns the summary (env_steps: the
  // transitions consumed by updates).
  LearnerSummary Run(const std::atomic<bool>& stop);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rlfleet

#endif  // RLFLEET_LEARNER_APEX_LEARNER_H_
