#ifndef RLFLEET_CORE_ENV_SPEC_H_
#define RLFLEET_CORE_ENV_SPEC_H_

#include <cstdint>
#include <string>
#include <vector>

namespace rlfleet {

// What an environment observes and accepts. Specs are data: the learner and actors size
// their networks and buffers from them.
// (Plain data in core/ so that algorithms/ sizes its networks without depending on envs/.)
struct EnvSpec {
  std::string id;                       // Gymnasium name, e.g. "CartPole-v1"
  int32_t observation_size = 0;         // D: float32 values per observation
  std::vector<float> observation_low;   // D values (may be ±inf)
  std::vector<float> observation_high;  // D values
  bool discrete_actions = true;
  int32_t num_actions = 0;        // discrete: number of actions; continuous: 0
  int32_t action_size = 1;        // A: discrete 1 (the index as a float); continuous dims
  std::vector<float> action_low;  // continuous: A values; discrete: empty
  std::vector<float> action_high;
  int32_t max_episode_steps = 0;  // time limit applied by MakeEnv; 0 = none
};

}  // namespace rlfleet

#endif  // RLFLEET_CORE_ENV_SPEC_H_
