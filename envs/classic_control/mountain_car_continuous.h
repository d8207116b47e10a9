#ifndef RLFLEET_ENVS_CLASSIC_CONTROL_MOUNTAIN_CAR_CONTINUOUS_H_
#define RLFLEET_ENVS_CLASSIC_CONTROL_MOUNTAIN_CAR_CONTINUOUS_H_

#include <array>
#include <cstdint>

#include "core/random.h"
#include "envs/env.h"

namespace rlfleet {

// Gymnasium MountainCarContinuous-v0: one action a in [-1, 1]. Per step with f = clip(a, -1, 1):
// v += 0.0015·f - 0.0025·cos(3p), v clipped to ±0.07, p += v, p clipped to [-1.2, 0.6], v = 0
// at the left wall when negative. Terminates when p >= 0.45 and v >= 0. Reward
// 100·[terminated] - 0.1·a² with the unclipped a. The computation is in double and the
// state is then stored rounded to float32, as Gymnasium does. Time limit 999. Not thread-safe.
class MountainCarContinuousEnv : public Env {
 public:
  using State = std::array<double, 2>;  // position (m), velocity (m/step)

  MountainCarContinuousEnv();
  const EnvSpec& spec() const override { return spec_; }
  void Seed(uint64_t seed) override { rng_.Seed(seed); }
  // Position ~ U(-0.6, -0.4) (kept in double until the first step), velocity 0.
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

#endif  // RLFLEET_ENVS_CLASSIC_CONTROL_MOUNTAIN_CAR_CONTINUOUS_H_
