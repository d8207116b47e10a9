#ifndef RLFLEET_CORE_TRANSITION_H_
#define RLFLEET_CORE_TRANSITION_H_

#include <cstdint>
#include <string>
#include <vector>

namespace rlfleet {

// One n-step transition, the replay item of the off-policy algorithms (Ape-X DQN, SAC, TD3):
//   x_t, a_t, R = Σ_{j<k} γ^j r_{t+j}, discount, x_{t+k}
// The learner's target is R + discount · V(x_{t+k}): discount is γ^k when the transition
// bootstraps and 0 when the episode terminated within its k steps. A time-limit truncation
// bootstraps (truncated set, discount γ^k) from the episode's final observation.
struct Transition {
  std::vector<float> observation;  // x_t, D floats
  // a_t, A floats: the env's action vector (a discrete action is its index as one float).
  std::vector<float> action;
  float reward = 0.0f;      // n-step discounted sum of rewards
  float discount = 0.0f;    // γ^k for the bootstrap, 0 when the episode terminated
  bool terminated = false;  // the episode reached a terminal state within the k steps
  bool truncated = false;   // a time limit cut the episode at step t + k
  // x_{t+k}; for an episode cut by a time limit, its final observation (not the reset one).
  // Still D floats (the value is irrelevant) when the episode terminated.
  std::vector<float> next_observation;
  int32_t steps = 0;           // k, 1 ≤ k ≤ n
  int64_t policy_version = 0;  // version of the weights that chose a_t

  // Throws std::invalid_argument naming the first inconsistency: empty or different
  // observation sizes, an empty action, steps < 1, a discount outside [0, 1] (NaN included),
  // terminated with a non-zero discount, or terminated and truncated both set.
  void Validate() const;
};

}  // namespace rlfleet

#endif  // RLFLEET_CORE_TRANSITION_H_
