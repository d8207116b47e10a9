#ifndef RLFLEET_ACTORS_ACTOR_H_
#define RLFLEET_ACTORS_ACTOR_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "algorithms/algorithm.h"
#include "core/run_config.h"

namespace rlfleet {

// One actor process's work, for every algorithm: steps config.env.num_envs environments in one
// VectorEnv (auto-reset), lets the algorithm's ActorPolicy act on the whole batch of
// observations and record each step, encodes the items it hands back (unrolls or transitions,
// Cap'n Proto) and inserts them with their priorities into its replay shard (actor_index mod
// num_shards). When the policy asks for them (WantsWeights) it takes the newest weights the
// learner published, without blocking; every actor.stats_interval_seconds it pushes finished
// episodes' returns and lengths and its step count to the learner.
//
// Threads: none of its own; Run blocks the calling thread. Not thread-safe. Back-pressure: at
// most actor.max_inflight_inserts inserts wait for an ack; beyond that Run blocks until the
// shard acks (a full queue table holds its ack back).
class Actor {
 public:
  // The algorithm of config.learner.algo (algorithms/registry.h). Throws
  // std::invalid_argument for a bad config, an unknown env id or algorithm, or an env the
  // algorithm cannot act in.
  Actor(const RunConfig& config, int32_t actor_index);
  // The same with a given algorithm (e.g. one that is not registered).
  Actor(const RunConfig& config, int32_t actor_index, const AlgorithmSpec& algorithm);
  ~Actor();

  // The first call first waits up to actor.wait_for_weights_seconds for the learner's weights.
  // Runs until `stop` becomes true (returns within about 100 ms) or at least `max_env_steps`
  // env steps (all envs together; 0 = no limit) were taken by this call. A later call continues
  // the same episodes. Returns the number of env steps taken. At a normal end (not `stop`) the
  // policy's held-back items are sent and every insert is acked first. Throws on a transport
  // failure (e.g. the shard stopped acknowledging inserts).
  int64_t Run(const std::atomic<bool>& stop, int64_t max_env_steps = 0);

  // Env steps taken by every Run so far, and the version of the weights acting (-1 before the
  // first). Thread-safe: for a heartbeat thread while Run goes on.
  int64_t env_steps() const;
  int64_t weights_version() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rlfleet

#endif  // RLFLEET_ACTORS_ACTOR_H_
