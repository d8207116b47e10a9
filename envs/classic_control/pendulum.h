#ifndef RLFLEET_ENVS_CLASSIC_CONTROL_PENDULUM_H_
#define RLFLEET_ENVS_CLASSIC_CONTROL_PENDULUM_H_

#include <array>
#include <cstdint>

#include "core/random.h"
#include "envs/env.h"

namespace rlfleet {

// Gymnasium Pendulum-v1: swing-up of a pendulum (g = 10 m/s², m = 1 kg, l = 1 m) with one
// torque action u in [-2, 2] N·m (clipped). Per step (dt = 0.05 s):
//   cost = angle_normalize(θ)² + 0.1·θ̇² + 0.001·u², reward = -cost (from the old state),
//   θ̇' = clip(θ̇ + (3g/(2l)·sin θ + 3/(m l²)·u)·dt, -8, 8),  θ' = θ + θ̇'·dt.
// θ = 0 is upright; θ is not wrapped. Never terminates; time limit 200.
// Observation [cos θ, sin θ, θ̇]. Not thread-safe.
class PendulumEnv : public Env {
 public:
  using State = std::array<double, 2>;  // θ (rad), θ̇ (rad/s)

  PendulumEnv();
  const EnvSpec& spec() const override { return spec_; }
  void Seed(uint64_t seed) override { rng_.Seed(seed); }
  // θ ~ U(-π, π), θ̇ ~ U(-1, 1).
  void Reset(float* observation) override;
  StepResult Step(const float* action, float* observation) override;

  const State& state() const { return state_; }
  void SetState(const State& state) { state_ = state; }

  // ((x + π) mod 2π) - π with a floored modulo (Python's %): result in [-π, π).
  static double AngleNormalize(double x);

 private:
  EnvSpec spec_;
  Rng rng_;
  State state_{};
};

}  // namespace rlfleet

#endif  // RLFLEET_ENVS_CLASSIC_CONTROL_PENDULUM_H_
