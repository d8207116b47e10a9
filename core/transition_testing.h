#ifndef RLFLEET_CORE_TRANSITION_TESTING_H_
#define RLFLEET_CORE_TRANSITION_TESTING_H_

// Test helper: a one-step transition of a discrete-action agent.

#include <utility>
#include <vector>

#include "core/transition.h"

namespace rlfleet {
namespace testing {

// x → x' under action index `action` with reward r; discount 0 marks a termination.
inline Transition OneStepTransition(std::vector<float> x, float action, float reward,
                                    float discount, std::vector<float> next) {
  Transition t;
  t.observation = std::move(x);
  t.action = {action};
  t.reward = reward;
  t.discount = discount;
  t.terminated = discount == 0.0f;
  t.next_observation = std::move(next);
  t.steps = 1;
  return t;
}

}  // namespace testing
}  // namespace rlfleet

#endif  // RLFLEET_CORE_TRANSITION_TESTING_H_
