#include "core/unroll.h"

#include <algorithm>

namespace rlfleet {

void Unroll::Resize(int32_t t, int32_t d, int32_t a, bool discrete) {
  length = t;
  observation_size = d;
  action_size = a;
  discrete_actions = discrete;
  observations.assign(static_cast<size_t>(t + 1) * d, 0.0f);
  actions.assign(static_cast<size_t>(t) * a, 0.0f);
  rewards.assign(t, 0.0f);
  terminated.assign(t, 0);
  truncated.assign(t, 0);
  behaviour_log_probs.assign(t, 0.0f);
  truncation_observations.clear();
}

int32_t Unroll::NumTruncations() const {
  return static_cast<int32_t>(std::count_if(truncated.begin(), truncated.end(),
                                            [](uint8_t v) { return v != 0; }));
}

void Unroll::Validate() const {
  auto expect = [](const char* field, size_t actual, size_t expected) {
    if (actual != expected) {
      throw std::invalid_argument(std::string("unroll field '") + field + "' has " +
                                  std::to_string(actual) + " values, expected " +
                                  std::to_string(expected));
    }
  };
  if (length <= 0 || observation_size <= 0 || action_size <= 0) {
    throw std::invalid_argument("unroll has a non-positive length, observation or action size");
  }
  if (discrete_actions && action_size != 1) {
    throw std::invalid_argument("unroll with discrete actions must have action_size 1");
  }
  const size_t t = length, d = observation_size, a = action_size;
  expect("observations", observations.size(), (t + 1) * d);
  expect("actions", actions.size(), t * a);
  expect("rewards", rewards.size(), t);
  expect("terminated", terminated.size(), t);
  expect("truncated", truncated.size(), t);
  expect("behaviour_log_probs", behaviour_log_probs.size(), t);
  expect("truncation_observations", truncation_observations.size(),
         static_cast<size_t>(NumTruncations()) * d);
}

}  // namespace rlfleet
