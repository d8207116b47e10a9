#include "envs/discrete_action.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace rlfleet {

int32_t DiscreteActionIndex(const EnvSpec& spec, float action) {
  // NaN fails both comparisons and the integer check.
  if (!(action >= 0.0f && action < static_cast<float>(spec.num_actions)) ||
      std::floor(action) != action) {
    char value[32];
    std::snprintf(value, sizeof(value), "%.9g", static_cast<double>(action));
    throw std::invalid_argument(spec.id + ": discrete action must be an integer in [0, " +
                                std::to_string(spec.num_actions) + "), got " + value);
  }
  return static_cast<int32_t>(action);
}

}  // namespace rlfleet
