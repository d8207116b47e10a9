#ifndef RLFLEET_ENVS_ROLLOUT_H_
#define RLFLEET_ENVS_ROLLOUT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "envs/env.h"

namespace rlfleet {

struct RolloutOptions {
  std::string env_id;  // a built-in, unless make_env is set
  // Makes the env (a plugin's, a Python one: pyenv/env_factory.h); empty: MakeEnv(env_id).
  std::function<std::unique_ptr<Env>()> make_env;
  uint64_t seed = 0;
  int64_t steps = 0;         // rows to write, > 0
  std::string actions_path;  // empty: random actions; else one action per line
  std::string out_path;
  // Throws std::invalid_argument naming the bad field (unknown env_id included).
  void Validate() const;
};

// Runs MakeEnv(env_id) (or make_env()) seeded with `seed` and writes a CSV to out_path:
//   step,obs_0,...,obs_{D-1},action_0,...,action_{A-1},reward,terminated,truncated
// one row per step: the observation before the action, the action, the reward and the 0/1
// flags. When an episode ends the env is reset and the rollout goes on. Floats are printed with
// %.9g (observations, actions) and %.17g (rewards), enough to round-trip.
// Actions: random from Rng(DeriveSeed(seed, "rollout_actions", 0)) (discrete: uniform index;
// continuous: uniform in [low, high) per dimension), or read from actions_path: one line per
// step, comma-separated values for a continuous action; the rollout stops early at the end of
// the file. Throws std::invalid_argument naming file and line for a malformed line (wrong
// count, not a number, discrete value not a valid index) and std::runtime_error naming the
// path when a file cannot be read or written.
void WriteRollout(const RolloutOptions& options);

}  // namespace rlfleet

#endif  // RLFLEET_ENVS_ROLLOUT_H_
