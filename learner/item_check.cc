#include "learner/item_check.h"

#include <cmath>
#include <vector>

namespace rlfleet {
namespace {

// The index of the first non-finite value, or -1.
long FirstNonFinite(const std::vector<float>& values) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) return static_cast<long>(i);
  }
  return -1;
}

std::string CheckFinite(const std::vector<float>& values, const char* field) {
  const long bad = FirstNonFinite(values);
  if (bad < 0) return "";
  return std::string(field) + "[" + std::to_string(bad) + "] is " +
         std::to_string(values[static_cast<size_t>(bad)]);
}

std::string CheckActions(const std::vector<float>& actions, const EnvSpec& spec) {
  if (std::string error = CheckFinite(actions, "action"); !error.empty()) return error;
  if (!spec.discrete_actions) return "";
  for (float a : actions) {
    if (a < 0.0f || a >= static_cast<float>(spec.num_actions) || a != std::floor(a)) {
      return "action " + std::to_string(a) + " is not an index in [0, " +
             std::to_string(spec.num_actions) + ")";
    }
  }
  return "";
}

std::string CheckSizes(int64_t observation_size, int64_t action_size, const EnvSpec& spec) {
  if (observation_size != spec.observation_size) {
    return "observation size " + std::to_string(observation_size) + ", " + spec.id + " has " +
           std::to_string(spec.observation_size);
  }
  if (action_size != spec.action_size) {
    return "action size " + std::to_string(action_size) + ", " + spec.id + " has " +
           std::to_string(spec.action_size);
  }
  return "";
}

}  // namespace

std::string CheckItem(const Unroll& u, const EnvSpec& spec) {
  if (std::string e = CheckSizes(u.observation_size, u.action_size, spec); !e.empty()) return e;
  if (u.discrete_actions != spec.discrete_actions) {
    return std::string(u.discrete_actions ? "discrete" : "continuous") + " actions, " + spec.id +
           " has " + (spec.discrete_actions ? "discrete" : "continuous") + " ones";
  }
  for (auto [values, field] :
       {std::pair{&u.observations, "observations"}, std::pair{&u.rewards, "rewards"},
        std::pair{&u.behaviour_log_probs, "behaviour_log_probs"},
        std::pair{&u.truncation_observations, "truncation_observations"}}) {
    if (std::string e = CheckFinite(*values, field); !e.empty()) return e;
  }
  return CheckActions(u.actions, spec);
}

std::string CheckItem(const Transition& t, const EnvSpec& spec) {
  if (std::string e = CheckSizes(static_cast<int64_t>(t.observation.size()),
                                 static_cast<int64_t>(t.action.size()), spec);
      !e.empty()) {
    return e;
  }
  for (auto [values, field] : {std::pair{&t.observation, "observation"},
                               std::pair{&t.next_observation, "next_observation"}}) {
    if (std::string e = CheckFinite(*values, field); !e.empty()) return e;
  }
  if (!std::isfinite(t.reward)) return "reward is " + std::to_string(t.reward);
  if (std::string e = CheckActions(t.action, spec); !e.empty()) return e;
  // Replayed continuous actions are the ones the env received: inside its bounds (up to float
  // rounding of the squashing).
  if (!spec.discrete_actions && spec.action_low.size() == t.action.size()) {
    for (size_t j = 0; j < t.action.size(); ++j) {
      const float slack = 1e-5f * (spec.action_high[j] - spec.action_low[j]);
      if (t.action[j] < spec.action_low[j] - slack || t.action[j] > spec.action_high[j] + slack) {
        return "action[" + std::to_string(j) + "] " + std::to_string(t.action[j]) +
               " is outside [" + std::to_string(spec.action_low[j]) + ", " +
               std::to_string(spec.action_high[j]) + "]";
      }
    }
  }
  return "";
}

}  // namespace rlfleet
