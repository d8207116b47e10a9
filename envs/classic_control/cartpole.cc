#include "envs/classic_control/cartpole.h"

#include <cmath>
#include <limits>

#include "envs/discrete_action.h"

namespace rlfleet {
namespace {

constexpr double kGravity = 9.8;   // m/s²
constexpr double kMassCart = 1.0;  // kg
constexpr double kMassPole = 0.1;  // kg
constexpr double kTotalMass = kMassPole + kMassCart;
constexpr double kLength = 0.5;  // m, half the pole's length
constexpr double kPoleMassLength = kMassPole * kLength;
constexpr double kForceMag = 10.0;                       // N
constexpr double kTau = 0.02;                            // s per step
constexpr double kThetaThreshold = 12 * 2 * M_PI / 360;  // rad
constexpr double kXThreshold = 2.4;                      // m

void Observe(const CartPoleEnv::State& s, float* observation) {
  for (int i = 0; i < 4; ++i) observation[i] = static_cast<float>(s[i]);
}

}  // namespace

CartPoleEnv::CartPoleEnv() {
  constexpr float kFloatMax = std::numeric_limits<float>::max();
  const float high[4] = {static_cast<float>(kXThreshold * 2), kFloatMax,
                         static_cast<float>(kThetaThreshold * 2), kFloatMax};
  spec_.id = "CartPole-v1";
  spec_.observation_size = 4;
  spec_.observation_high.assign(high, high + 4);
  for (float h : high) spec_.observation_low.push_back(-h);
  spec_.discrete_actions = true;
  spec_.num_actions = 2;
  spec_.action_size = 1;
  spec_.max_episode_steps = 500;
}

void CartPoleEnv::Reset(float* observation) {
  for (double& v : state_) v = rng_.Uniform(-0.05, 0.05);
  Observe(state_, observation);
}

StepResult CartPoleEnv::Step(const float* action, float* observation) {
  const int32_t a = DiscreteActionIndex(spec_, action[0]);
  auto [x, x_dot, theta, theta_dot] = state_;
  const double force = a == 1 ? kForceMag : -kForceMag;
  const double cos_theta = std::cos(theta);
  const double sin_theta = std::sin(theta);
  // Equations of Florian (2005), "Correct equations for the dynamics of the cart-pole system".
  const double temp = (force + kPoleMassLength * (theta_dot * theta_dot) * sin_theta) / kTotalMass;
  const double theta_acc =
      (kGravity * sin_theta - cos_theta * temp) /
      (kLength * (4.0 / 3.0 - kMassPole * (cos_theta * cos_theta) / kTotalMass));
  const double x_acc = temp - kPoleMassLength * theta_acc * cos_theta / kTotalMass;
  // Explicit Euler: positions advance with the old velocities.
  x = x + kTau * x_dot;
  x_dot = x_dot + kTau * x_acc;
  theta = theta + kTau * theta_dot;
  theta_dot = theta_dot + kTau * theta_acc;
  state_ = {x, x_dot, theta, theta_dot};
  Observe(state_, observation);

  StepResult result;
  result.terminated =
      x < -kXThreshold || x > kXThreshold || theta < -kThetaThreshold || theta > kThetaThreshold;
  result.reward = 1.0;
  return result;
}

}  // namespace rlfleet
