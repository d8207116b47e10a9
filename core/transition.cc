#include "core/transition.h"

#include <stdexcept>

namespace rlfleet {

void Transition::Validate() const {
  auto fail = [](const std::string& what) { throw std::invalid_argument("transition " + what); };
  if (observation.empty()) fail("has an empty observation");
  if (next_observation.size() != observation.size()) {
    fail("has observation sizes " + std::to_string(observation.size()) + " and " +
         std::to_string(next_observation.size()));
  }
  if (action.empty()) fail("has an empty action");
  if (steps < 1) fail("has steps " + std::to_string(steps) + " (must be >= 1)");
  if (!(discount >= 0.0f && discount <= 1.0f)) {
    fail("has discount " + std::to_string(discount) + " outside [0, 1]");
  }
  if (terminated && discount != 0.0f) fail("is terminated with a non-zero discount");
  if (terminated && truncated) fail("is both terminated and truncated");
}

}  // namespace rlfleet
