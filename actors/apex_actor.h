#ifndef RLFLEET_ACTORS_APEX_ACTOR_H_
#define RLFLEET_ACTORS_APEX_ACTOR_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "core/run_config.h"

namespace rlfleet {

// One Ape-X DQN actor process (learner.algo apex_dqn; Horgan et al. 2018): steps
// config.env.num_envs environments in a VectorEnv and acts ε-greedily with a local QNetwork
// (LibTorch, one intra-op thread, batched over the envs). Env e of actor j explores with
// ε = ApexEpsilon(j · num_envs + e, num_actors · num_envs, apex.epsilon_base,
// apex.epsilon_alpha). One NStepBuilder per env turns its steps into apex.n_step transitions
// (discount learner.discount); every apex.insert_batch transitions the actor computes their
// initial priorities |TD| with its own network (InitialPriorities) and inserts them into its
// replay shard (actor_index mod num_shards) as one request, one item per transition
// (EncodeTransitions of one transition). Every apex.weights_interval_frames frames (all envs
// together) it takes the newest weights the learner published, and every
// actor.stats_interval_seconds it pushes finished episodes' returns and lengths and its step
// count to the learner.
//
// Initial weights equal the learner's (MakeQNetwork seeds from the run seed). Back-pressure:
// at most actor.max_inflight_inserts inserts wait for an ack.
class ApexActor {
 public:
  // Throws std::invalid_argument for a bad config, an unknown env id or an env without
  // discrete actions.
  ApexActor(const RunConfig& config, int32_t actor_index);
  ~ApexActor();

  // Runs until `stop` becomes true (returns within about 100 ms) or `max_env_steps` env steps
  // (all envs together; 0 = no limit) were taken. Returns the number of env steps taken.
  // Throws on a transport failure (e.g. the shard stopped acknowledging inserts).
  int64_t Run(const std::atomic<bool>& stop, int64_t max_env_steps = 0);

  // ε of this actor's env e (for tests and logs).
  double epsilon(int32_t env) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rlfleet

#endif  // RLFLEET_ACTORS_APEX_ACTOR_H_
