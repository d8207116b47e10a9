#include "envs/classic_control/mountain_car_continuous.h"

#include <algorithm>
#include <cmath>

namespace rlfleet {
namespace {

constexpr double kMinAction = -1.0;
constexpr double kMaxAction = 1.0;
constexpr double kMinPosition = -1.2;
constexpr double kMaxPosition = 0.6;
constexpr double kMaxSpeed = 0.07;
constexpr double kGoalPosition = 0.45;
constexpr double kGoalVelocity = 0.0;
constexpr double kPower = 0.0015;

void Observe(const MountainCarContinuousEnv::State& s, float* observation) {
  observation[0] = static_cast<float>(s[0]);
  observation[1] = static_cast<float>(s[1]);
}

}  // namespace

MountainCarContinuousEnv::MountainCarContinuousEnv() {
  spec_.id = "MountainCarContinuous-v0";
  spec_.observation_size = 2;
  spec_.observation_low = {static_cast<float>(kMinPosition), static_cast<float>(-kMaxSpeed)};
  spec_.observation_high = {static_cast<float>(kMaxPosition), static_cast<float>(kMaxSpeed)};
  spec_.discrete_actions = false;
  spec_.num_actions = 0;
  spec_.action_size = 1;
  spec_.action_low = {static_cast<float>(kMinAction)};
  spec_.action_high = {static_cast<float>(kMaxAction)};
  spec_.max_episode_steps = 999;
}

void MountainCarContinuousEnv::Reset(float* observation) {
  state_ = {rng_.Uniform(-0.6, -0.4), 0.0};
  Observe(state_, observation);
}

StepResult MountainCarContinuousEnv::Step(const float* action, float* observation) {
  const double a = action[0];
  const double force = std::min(std::max(a, kMinAction), kMaxAction);
  auto [position, velocity] = state_;
  velocity += force * kPower - 0.0025 * std::cos(3 * position);
  velocity = std::clamp(velocity, -kMaxSpeed, kMaxSpeed);
  position += velocity;
  position = std::clamp(position, kMinPosition, kMaxPosition);
  if (position == kMinPosition && velocity < 0) velocity = 0;

  StepResult result;
  result.terminated = position >= kGoalPosition && velocity >= kGoalVelocity;
  result.reward = (result.terminated ? 100.0 : 0.0) - a * a * 0.1;
  state_ = {static_cast<float>(position), static_cast<float>(velocity)};
  Observe(state_, observation);
  return result;
}

}  // namespace rlfleet
