#ifndef RLFLEET_ENVS_CLASSIC_CONTROL_MOUNTAIN_CAR_H_
#define RLFLEET_ENVS_CLASSIC_CONTROL_MOUNTAIN_CAR_H_

#include <array>
#include <cstdint>

#include "core/random.h"
#include "envs/env.h"

namespace rlfleet {

// Gymnasium MountainCar-v0: a car in a valley, 3 actions (0: push left, 1: none, 2: push
// right). Per step: v += (a - 1)·0.001 - cos(3p)·0.0025, v clipped to ±0.07, p += v, p clipped
// to [-1.2, 0.6], v = 0 at the left wall when negative. Terminates when p >= 0.5 and v >= 0.
// Reward -1 per step. Time limit 200. Not thread-safe.
class MountainCarEnv : public Env {
 public:
  using State = std::array<double, 2>;  // position (m), velocity (m/step)

  MountainCarEnv();
  const EnvSpec& spec() const override { return spec_; }
  void Seed(uint64_t seed) override { rng_.Seed(seed); }
  // Position ~ U(-0.6, -0.4), velocity 0.
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

#endif  // RLFLEET_ENVS_CLASSIC_CONTROL_MOUNTAIN_CAR_H_
