#ifndef RLFLEET_ALGORITHMS_MODEL_FACTORY_H_
#define RLFLEET_ALGORITHMS_MODEL_FACTORY_H_

#include <cstdint>
#include <mutex>

#include "algorithms/actor_critic.h"
#include "algorithms/dqn.h"
#include "algorithms/q_network.h"
#include "core/env_spec.h"
#include "core/run_config.h"

namespace rlfleet {

// Sizes of the spaces a model acts in (from an EnvSpec; algorithms/ does not depend on envs/).
struct ModelSpaces {
  int64_t observation_size = 0;
  bool discrete_actions = true;
  int64_t num_actions = 0;  // discrete
  int64_t action_size = 1;  // continuous dims
};

ModelSpaces SpacesOf(const EnvSpec& spec);

// Seeds LibTorch's global generator with DeriveSeed(run_seed, "model", 0) and holds a lock until
// the returned guard goes: networks built meanwhile get the run's initial weights, the same in
// every process. Thread-safe.
std::unique_lock<std::mutex> SeedModelInitialisation(uint64_t run_seed);

// Builds the actor-critic of a run with initial weights drawn from DeriveSeed(run_seed,
// "model", 0), so that every process of a run starts from the same weights without waiting
// for a broadcast. Thread-safe: it holds a lock while it seeds LibTorch's global generator.
ActorCritic MakeActorCritic(const ModelConfig& config, const ModelSpaces& spaces,
                            uint64_t run_seed);

// Builds the Q network of an Ape-X DQN run (learner.algo apex_dqn: hidden sizes and activation
// from `config`, dueling from apex.dueling), seeded like MakeActorCritic so that the learner and
// every actor start from the same weights. Thread-safe.
QNetwork MakeQNetwork(const ModelConfig& config, bool dueling, const ModelSpaces& spaces,
                      uint64_t run_seed);

// The Dqn options of an Ape-X run: learner.{learning_rate, adam_eps, max_grad_norm} and
// apex.{target_update_period, double_dqn}; the Huber threshold keeps its default.
DqnOptions DqnOptionsFromConfig(const RunConfig& config);

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_MODEL_FACTORY_H_
