#include "core/uniform_actions.h"

namespace rlfleet {

void UniformActions(const EnvSpec& spec, int64_t count, Rng& rng, float* out) {
  const int32_t a = spec.action_size;
  for (int64_t i = 0; i < count; ++i) {
    float* row = out + i * a;
    if (spec.discrete_actions) {
      row[0] = static_cast<float>(rng.UniformInt(static_cast<uint64_t>(spec.num_actions)));
      continue;
    }
    for (int32_t j = 0; j < a; ++j) {
      row[j] = static_cast<float>(rng.Uniform(spec.action_low[j], spec.action_high[j]));
    }
  }
}

}  // namespace rlfleet
