#ifndef RLFLEET_ENVS_CLASSIC_CONTROL_ACROBOT_H_
#define RLFLEET_ENVS_CLASSIC_CONTROL_ACROBOT_H_

#include <array>
#include <cstdint>

#include "core/random.h"
#include "envs/env.h"

namespace rlfleet {

// Gymnasium Acrobot-v1: two links (1 m, 1 kg, inertia 1) hanging from a fixed joint, torque
// -1/0/+1 N·m on the middle joint (actions 0/1/2). The book dynamics (Sutton & Barto) are
// integrated with one RK4 step over dt = 0.2 s; angles wrapped to [-π, π], velocities clipped
// to ±4π and ±9π rad/s. Terminates when the tip is 1 m above the pivot:
// -cos(θ1) - cos(θ1 + θ2) > 1. Reward -1 per step, 0 on the terminating step. Time limit 500.
// Observation [cos θ1, sin θ1, cos θ2, sin θ2, θ̇1, θ̇2]. Not thread-safe.
class AcrobotEnv : public Env {
 public:
  // θ1 (rad, 0 = hanging down), θ2 (rad, relative to link 1), θ̇1, θ̇2 (rad/s).
  using State = std::array<double, 4>;

  AcrobotEnv();
  const EnvSpec& spec() const override { return spec_; }
  void Seed(uint64_t seed) override { rng_.Seed(seed); }
  // State ~ U(-0.1, 0.1)^4, rounded to float32 as Gymnasium stores it.
  void Reset(float* observation) override;
  StepResult Step(const float* action, float* observation) override;

  const State& state() const { return state_; }
  void SetState(const State& state) { state_ = state; }

 private:
  EnvSpec spec_;
  Rng rng_;
  State state_{};
};

}  // namespace rlfleet

#endif  // RLFLEET_ENVS_CLASSIC_CONTROL_ACROBOT_H_
