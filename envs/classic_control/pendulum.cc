#include "envs/classic_control/pendulum.h"

#include <algorithm>
#include <cmath>

namespace rlfleet {
namespace {

constexpr double kMaxSpeed = 8.0;   // rad/s
constexpr double kMaxTorque = 2.0;  // N·m
constexpr double kDt = 0.05;        // s per step
constexpr double kG = 10.0;         // m/s²
constexpr double kM = 1.0;          // kg
constexpr double kL = 1.0;          // m

void Observe(const PendulumEnv::State& s, float* observation) {
  observation[0] = static_cast<float>(std::cos(s[0]));
  observation[1] = static_cast<float>(std::sin(s[0]));
  observation[2] = static_cast<float>(s[1]);
}

}  // namespace

double PendulumEnv::AngleNormalize(double x) {
  // NumPy's float remainder: fmod, then shifted to take the divisor's (positive) sign.
  const double period = 2 * M_PI;
  double r = std::fmod(x + M_PI, period);
  if (r < 0) r += period;
  return r - M_PI;
}

PendulumEnv::PendulumEnv() {
  spec_.id = "Pendulum-v1";
  spec_.observation_size = 3;
  spec_.observation_low = {-1.0f, -1.0f, static_cast<float>(-kMaxSpeed)};
  spec_.observation_high = {1.0f, 1.0f, static_cast<float>(kMaxSpeed)};
  spec_.discrete_actions = false;
  spec_.num_actions = 0;
  spec_.action_size = 1;
  spec_.action_low = {static_cast<float>(-kMaxTorque)};
  spec_.action_high = {static_cast<float>(kMaxTorque)};
  spec_.max_episode_steps = 200;
}

void PendulumEnv::Reset(float* observation) {
  const double theta = rng_.Uniform(-M_PI, M_PI);
  const double theta_dot = rng_.Uniform(-1.0, 1.0);
  state_ = {theta, theta_dot};
  Observe(state_, observation);
}

StepResult PendulumEnv::Step(const float* action, float* observation) {
  const double u = std::clamp(static_cast<double>(action[0]), -kMaxTorque, kMaxTorque);
  const auto [th, thdot] = state_;
  const double normalized = AngleNormalize(th);
  const double cost = normalized * normalized + 0.1 * (thdot * thdot) + 0.001 * (u * u);
  double new_thdot = thdot + (3 * kG / (2 * kL) * std::sin(th) + 3.0 / (kM * kL * kL) * u) * kDt;
  new_thdot = std::clamp(new_thdot, -kMaxSpeed, kMaxSpeed);
  const double new_th = th + new_thdot * kDt;
  state_ = {new_th, new_thdot};
  Observe(state_, observation);

  StepResult result;
  result.reward = -cost;
  return result;
}

}  // namespace rlfleet
