#ifndef RLFLEET_ENVS_ENV_H_
#define RLFLEET_ENVS_ENV_H_

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/env_spec.h"

namespace rlfleet {

// Outcome of one step. `terminated`: the MDP reached a terminal state (no bootstrap).
// `truncated`: the episode was cut (time limit); the next state still has value.
struct StepResult {
  double reward = 0.0;
  bool terminated = false;
  bool truncated = false;
};

// A failure inside an environment that rlfleet did not write (a plugin's error code, a
// Python env that raised): the episode cannot go on, but the env can be reset. Vector envs
// catch it, drop the episode, count it and reset the env; any other exception (an invalid
// action, a bug) still propagates.
class EnvFault : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One environment instance. Not thread-safe: one thread at a time per instance.
// Allocation-free after construction: Reset and Step write into caller-owned buffers.
class Env {
 public:
  virtual ~Env() = default;
  virtual const EnvSpec& spec() const = 0;
  // Seeds the reset distribution's random stream, like Gymnasium's reset(seed=...): later
  // resets continue that stream.
  virtual void Seed(uint64_t seed) = 0;
  // Starts a new episode and writes spec().observation_size floats to `observation`.
  virtual void Reset(float* observation) = 0;
  // `action`: spec().action_size floats; a discrete action is its index stored as a float.
  // Writes the next observation. Throws std::invalid_argument for a discrete action out of
  // range. Stepping after an episode ended without Reset is undefined.
  virtual StepResult Step(const float* action, float* observation) = 0;
};

}  // namespace rlfleet

#endif  // RLFLEET_ENVS_ENV_H_
