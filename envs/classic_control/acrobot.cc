#include "envs/classic_control/acrobot.h"

#include <algorithm>
#include <cmath>

#include "envs/discrete_action.h"

namespace rlfleet {
namespace {

constexpr double kDt = 0.2;                       // s per step
constexpr double kLinkLength1 = 1.0;              // m
constexpr double kLinkMass1 = 1.0;                // kg
constexpr double kLinkMass2 = 1.0;                // kg
constexpr double kLinkCom1 = 0.5;                 // m, centre of mass of link 1
constexpr double kLinkCom2 = 0.5;                 // m
constexpr double kLinkMoi = 1.0;                  // kg·m², both links
constexpr double kGravity = 9.8;                  // m/s²
constexpr double kMaxVel1 = 4 * M_PI;             // rad/s
constexpr double kMaxVel2 = 9 * M_PI;             // rad/s
constexpr double kTorques[3] = {-1.0, 0.0, 1.0};  // N·m

using Augmented = std::array<double, 5>;  // θ1, θ2, θ̇1, θ̇2, torque

double Sq(double x) { return x * x; }

// Time derivative of the augmented state (book equations; the torque is constant).
Augmented Derivatives(const Augmented& s) {
  const double m1 = kLinkMass1, m2 = kLinkMass2, l1 = kLinkLength1;
  const double lc1 = kLinkCom1, lc2 = kLinkCom2, i1 = kLinkMoi, i2 = kLinkMoi, g = kGravity;
  const double theta1 = s[0], theta2 = s[1], dtheta1 = s[2], dtheta2 = s[3], a = s[4];
  const double d1 =
      m1 * Sq(lc1) + m2 * (Sq(l1) + Sq(lc2) + 2 * l1 * lc2 * std::cos(theta2)) + i1 + i2;
  const double d2 = m2 * (Sq(lc2) + l1 * lc2 * std::cos(theta2)) + i2;
  const double phi2 = m2 * lc2 * g * std::cos(theta1 + theta2 - M_PI / 2.0);
  const double phi1 = -m2 * l1 * lc2 * Sq(dtheta2) * std::sin(theta2) -
                      2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * std::sin(theta2) +
                      (m1 * lc1 + m2 * l1) * g * std::cos(theta1 - M_PI / 2) + phi2;
  const double ddtheta2 =
      (a + d2 / d1 * phi1 - m2 * l1 * lc2 * Sq(dtheta1) * std::sin(theta2) - phi2) /
      (m2 * Sq(lc2) + i2 - Sq(d2) / d1);
  const double ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  return {dtheta1, dtheta2, ddtheta1, ddtheta2, 0.0};
}

// y + h * k, elementwise.
Augmented Axpy(const Augmented& y, double h, const Augmented& k) {
  Augmented out;
  for (int i = 0; i < 5; ++i) out[i] = y[i] + h * k[i];
  return out;
}

// Like Gymnasium's wrap(): shifts x by whole periods until low <= x <= high.
double Wrap(double x, double low, double high) {
  const double diff = high - low;
  while (x > high) x -= diff;
  while (x < low) x += diff;
  return x;
}

void Observe(const AcrobotEnv::State& s, float* observation) {
  const double values[6] = {std::cos(s[0]), std::sin(s[0]), std::cos(s[1]),
                            std::sin(s[1]), s[2],           s[3]};
  for (int i = 0; i < 6; ++i) observation[i] = static_cast<float>(values[i]);
}

}  // namespace

AcrobotEnv::AcrobotEnv() {
  const float high[6] = {1, 1, 1, 1, static_cast<float>(kMaxVel1), static_cast<float>(kMaxVel2)};
  spec_.id = "Acrobot-v1";
  spec_.observation_size = 6;
  spec_.observation_high.assign(high, high + 6);
  for (float h : high) spec_.observation_low.push_back(-h);
  spec_.discrete_actions = true;
  spec_.num_actions = 3;
  spec_.action_size = 1;
  spec_.max_episode_steps = 500;
}

void AcrobotEnv::Reset(float* observation) {
  for (double& v : state_) v = static_cast<float>(rng_.Uniform(-0.1, 0.1));
  Observe(state_, observation);
}

StepResult AcrobotEnv::Step(const float* action, float* observation) {
  const double torque = kTorques[DiscreteActionIndex(spec_, action[0])];
  const Augmented y0 = {state_[0], state_[1], state_[2], state_[3], torque};
  // One classic RK4 step over [0, dt].
  const double dt2 = kDt / 2.0;
  const Augmented k1 = Derivatives(y0);
  const Augmented k2 = Derivatives(Axpy(y0, dt2, k1));
  const Augmented k3 = Derivatives(Axpy(y0, dt2, k2));
  const Augmented k4 = Derivatives(Axpy(y0, kDt, k3));
  State next;
  for (int i = 0; i < 4; ++i) {
    next[i] = y0[i] + kDt / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  }
  next[0] = Wrap(next[0], -M_PI, M_PI);
  next[1] = Wrap(next[1], -M_PI, M_PI);
  next[2] = std::min(std::max(next[2], -kMaxVel1), kMaxVel1);
  next[3] = std::min(std::max(next[3], -kMaxVel2), kMaxVel2);
  state_ = next;
  Observe(state_, observation);

  StepResult result;
  result.terminated = -std::cos(state_[0]) - std::cos(state_[1] + state_[0]) > 1.0;
  result.reward = result.terminated ? 0.0 : -1.0;
  return result;
}

}  // namespace rlfleet
