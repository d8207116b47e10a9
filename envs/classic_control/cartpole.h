#ifndef RLFLEET_ENVS_CLASSIC_CONTROL_CARTPOLE_H_
#define RLFLEET_ENVS_CLASSIC_CONTROL_CARTPOLE_H_

#include <array>
#include <cstdint>

#include "core/random.h"
#include "envs/env.h"

namespace rlfleet {

// Gymnasium CartPole-v1: a pole on a cart, 2 actions (0: push left, 1: push right with
// force 10 N), explicit Euler integration with tau = 0.02 s. Reward 1 every step, including the
// terminating one; terminates when |x| > 2.4 m or |theta| > 12°. Time limit 500 (via MakeEnv).
// Not thread-safe.
class CartPoleEnv : public Env {
 public:
  // x (m), x_dot (m/s), theta (rad, 0 = upright), theta_dot (rad/s); double precision.
  using State = std::array<double, 4>;

  CartPoleEnv();
  const EnvSpec& spec() const override { return spec_; }
  void Seed(uint64_t seed) override { rng_.Seed(seed); }
  // State ~ U(-0.05, 0.05)^4.
  void Reset(float* observation) override;
  StepResult Step(const float* action, float* observation) override;

  // Direct state access for tests and tools (not part of Env).
  const State& state() const { return state_; }
  void SetState(const State& state) { state_ = state; }

 private:
  EnvSpec spec_;
  Rng rng_;
  State state_{};
};

}  // namespace rlfleet

#endif  // RLFLEET_ENVS_CLASSIC_CONTROL_CARTPOLE_H_
