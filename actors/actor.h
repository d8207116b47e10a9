#ifndef RLFLEET_ACTORS_ACTOR_H_
#define RLFLEET_ACTORS_ACTOR_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "core/run_config.h"

namespace rlfleet {

// One actor process's work: steps config.env.num_envs environments in a VectorEnv, picks
// actions with a local copy of the policy (LibTorch, one intra-op thread, batched over the
// envs), cuts unrolls of config.actor.unroll_length steps with the behaviour log-probs and
// the policy version, and inserts each batch of unrolls into its replay shard
// (actor_index mod num_shards). Between unrolls it switches to the newest weights the
// learner published, and every few hundred ms it pushes finished episodes' returns and
// lengths to the learner.
//
// Its initial weights equal the learner's (both seed the model from the run seed), so it
// acts before the first publish arrives. Back-pressure: at most
// config.actor.max_inflight_inserts inserts wait for an ack; beyond that the actor blocks.
class Actor {
 public:
  // Throws std::invalid_argument for a bad config or an unknown env id.
  Actor(const RunConfig& config, int32_t actor_index);
  ~Actor();

  // Runs until `stop` becomes true (returns within about 100 ms) or `max_env_steps` env steps
  // (all envs together; 0 = no limit) were taken. Returns the number of env steps taken.
  // Throws on a transport failure (e.g. the shard stopped acknowledging inserts).
  int64_t Run(const std::atomic<bool>& stop, int64_t max_env_steps = 0);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rlfleet

#endif  // RLFLEET_ACTORS_ACTOR_H_
