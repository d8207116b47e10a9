#ifndef RLFLEET_ENVS_DISCRETE_ACTION_H_
#define RLFLEET_ENVS_DISCRETE_ACTION_H_

#include <cstdint>

#include "envs/env.h"

namespace rlfleet {

// Returns the index of a discrete action stored as a float. Throws std::invalid_argument
// naming spec.id and the value when it is not an integer in [0, spec.num_actions).
int32_t DiscreteActionIndex(const EnvSpec& spec, float action);

}  // namespace rlfleet

#endif  // RLFLEET_ENVS_DISCRETE_ACTION_H_
