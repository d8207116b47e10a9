#ifndef RLFLEET_CORE_UNROLL_H_
#define RLFLEET_CORE_UNROLL_H_

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace rlfleet {

// T consecutive steps of one environment, as an actor produced them under one behaviour
// policy: the unit an actor inserts and the IMPALA learner samples.
//
// Episode ends inside the unroll are marked per step. After a step that ended an episode the
// next row of `observations` is the first observation of the new episode (auto-reset). For a
// *truncated* step the last observation of the old episode is still needed to bootstrap, so
// it is kept in `truncation_observations`, one row per truncated step in step order.
struct Unroll {
  int32_t length = 0;            // T
  int32_t observation_size = 0;  // D, floats per observation
  int32_t action_size = 0;       // A: 1 for a discrete action (the index as a float), else dims
  bool discrete_actions = true;
  int64_t policy_version = 0;    // version of the weights that chose the actions
  uint32_t actor_index = 0;
  uint32_t env_index = 0;        // index of the env inside its actor

  std::vector<float> observations;          // (T + 1) × D; row T bootstraps the last step
  std::vector<float> actions;               // T × A
  std::vector<float> rewards;               // T
  std::vector<uint8_t> terminated;          // T, 1 where the step ended the episode (MDP end)
  std::vector<uint8_t> truncated;           // T, 1 where a time limit cut the episode
  std::vector<float> behaviour_log_probs;   // T, log μ(a_t | x_t)
  std::vector<float> truncation_observations;  // K × D, K = number of truncated steps

  // Sizes the step arrays for (length, observation_size, action_size); contents zeroed.
  void Resize(int32_t t, int32_t d, int32_t a, bool discrete);
  int32_t NumTruncations() const;
  // Throws std::invalid_argument naming the first field whose size does not match the
  // header (used on everything decoded from the network).
  void Validate() const;
};

}  // namespace rlfleet

#endif  // RLFLEET_CORE_UNROLL_H_
