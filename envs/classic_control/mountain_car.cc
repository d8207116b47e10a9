#include "envs/classic_control/mountain_car.h"

#include <algorithm>
#include <cmath>

#include "envs/discrete_action.h"

namespace rlfleet {
namespace {

constexpr double kMinPosition = -1.2;
constexpr double kMaxPosition = 0.6;
constexpr double kMaxSpeed = 0.07;
constexpr double kGoalPosition = 0.5;
constexpr double kGoalVelocity = 0.0;
constexpr double kForce = 0.001;
constexpr double kGravity = 0.0025;

void Observe(const MountainCarEnv::State& s, float* observation) {
  observation[0] = static_cast<float>(s[0]);
  observation[1] = static_cast<float>(s[1]);
}

}  // namespace

MountainCarEnv::MountainCarEnv() {
  spec_.id = "MountainCar-v0";
  spec_.observation_size = 2;
  spec_.observation_low = {static_cast<float>(kMinPosition), static_cast<float>(-kMaxSpeed)};
  spec_.observation_high = {static_cast<float>(kMaxPosition), static_cast<float>(kMaxSpeed)};
  spec_.discrete_actions = true;
  spec_.num_actions = 3;
  spec_.action_size = 1;
  spec_.max_episode_steps = 200;
}

void MountainCarEnv::Reset(float* observation) {
  state_ = {rng_.Uniform(-0.6, -0.4), 0.0};
  Observe(state_, observation);
}

StepResult MountainCarEnv::Step(const float* action, float* observation) {
  const int32_t a = DiscreteActionIndex(spec_, action[0]);
  auto [position, velocity] = state_;
  velocity += (a - 1) * kForce + std::cos(3 * position) * (-kGravity);
  velocity = std::clamp(velocity, -kMaxSpeed, kMaxSpeed);
  position += velocity;
  position = std::clamp(position, kMinPosition, kMaxPosition);
  if (position == kMinPosition && velocity < 0) velocity = 0;
  state_ = {position, velocity};
  Observe(state_, observation);

  StepResult result;
  result.terminated = position >= kGoalPosition && velocity >= kGoalVelocity;
  result.reward = -1.0;
  return result;
}

}  // namespace rlfleet
