#ifndef RLFLEET_LEARNER_ITEM_CHECK_H_
#define RLFLEET_LEARNER_ITEM_CHECK_H_

#include <string>

#include "core/env_spec.h"
#include "core/transition.h"
#include "core/unroll.h"

namespace rlfleet {

// Checks a sampled item (already decoded, so internally consistent) against the run's env:
// observation and action sizes, the action kind, every float finite, a discrete action a whole
// index in [0, num_actions). A continuous action of a transition must lie in the env's bounds
// (replayed actions are the ones the env received); in an unroll it may be any finite value (an
// on-policy Gaussian samples outside the bounds and the env clips). Returns "" when the item
// fits, else what is wrong.
// Thread-safe (pure). O(size of the item).
std::string CheckItem(const Unroll& unroll, const EnvSpec& spec);
std::string CheckItem(const Transition& transition, const EnvSpec& spec);

}  // namespace rlfleet

#endif  // RLFLEET_LEARNER_ITEM_CHECK_H_
