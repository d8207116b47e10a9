#ifndef RLFLEET_CORE_UNIFORM_ACTIONS_H_
#define RLFLEET_CORE_UNIFORM_ACTIONS_H_

#include <cstdint>

#include "core/env_spec.h"
#include "core/random.h"

namespace rlfleet {

// Writes `count` uniformly random actions of `spec` to out[count × spec.action_size], row
// after row: a discrete action is rng.UniformInt(num_actions) stored as a float; a continuous
// one draws rng.Uniform(action_low[j], action_high[j]) for j = 0..A-1 in order. The draws are
// fixed by the Rng's state (warm-up actions, rollouts, tests and benches all draw this way).
void UniformActions(const EnvSpec& spec, int64_t count, Rng& rng, float* out);

}  // namespace rlfleet

#endif  // RLFLEET_CORE_UNIFORM_ACTIONS_H_
