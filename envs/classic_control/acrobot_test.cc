#include "envs/classic_control/acrobot.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

#include "envs/registry.h"

namespace rlfleet {
namespace {

using State = AcrobotEnv::State;

// Reference book dynamics (Sutton & Barto), written as the 2×2 linear system
//   [d1 d2; d2 d22] [θ̈1; θ̈2] = [-φ1; τ - m2 l1 lc2 θ̇1² sin θ2 - φ2]
// solved by Cramer's rule, with m = 1 kg, l1 = 1 m, lc = 0.5 m, I = 1 kg·m², g = 9.8 m/s².
State Derivative(const State& s, double torque) {
  const double m1 = 1, m2 = 1, l1 = 1, lc1 = 0.5, lc2 = 0.5, i1 = 1, i2 = 1, g = 9.8;
  const double t1 = s[0], t2 = s[1], w1 = s[2], w2 = s[3];
  const double d1 =
      m1 * lc1 * lc1 + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * std::cos(t2)) + i1 + i2;
  const double d2 = m2 * (lc2 * lc2 + l1 * lc2 * std::cos(t2)) + i2;
  const double d22 = m2 * lc2 * lc2 + i2;
  const double phi2 = m2 * lc2 * g * std::sin(t1 + t2);  // cos(x - π/2) = sin(x)
  const double phi1 = -m2 * l1 * lc2 * std::sin(t2) * (w2 * w2 + 2 * w1 * w2) +
                      (m1 * lc1 + m2 * l1) * g * std::sin(t1) + phi2;
  const double b1 = -phi1;
  const double b2 = torque - m2 * l1 * lc2 * w1 * w1 * std::sin(t2) - phi2;
  const double det = d1 * d22 - d2 * d2;
  return {w1, w2, (b1 * d22 - d2 * b2) / det, (d1 * b2 - d2 * b1) / det};
}

// One RK4 step of 0.2 s, then angles wrapped to [-π, π] and velocities clipped.
State ReferenceStep(const State& s, double torque, State* unclipped = nullptr) {
  const double h = 0.2;
  auto add = [](const State& a, double c, const State& b) {
    return State{a[0] + c * b[0], a[1] + c * b[1], a[2] + c * b[2], a[3] + c * b[3]};
  };
  const State k1 = Derivative(s, torque);
  const State k2 = Derivative(add(s, h / 2, k1), torque);
  const State k3 = Derivative(add(s, h / 2, k2), torque);
  const State k4 = Derivative(add(s, h, k3), torque);
  State n;
  for (int i = 0; i < 4; ++i) n[i] = s[i] + h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  if (unclipped != nullptr) *unclipped = n;
  n[0] = std::atan2(std::sin(n[0]), std::cos(n[0]));
  n[1] = std::atan2(std::sin(n[1]), std::cos(n[1]));
  n[2] = std::fmax(-4 * M_PI, std::fmin(4 * M_PI, n[2]));
  n[3] = std::fmax(-9 * M_PI, std::fmin(9 * M_PI, n[3]));
  return n;
}

double TipHeight(const State& s) { return -std::cos(s[0]) - std::cos(s[0] + s[1]); }

StepResult StepWith(AcrobotEnv& env, int action, std::vector<float>* obs) {
  obs->resize(6);
  const float a = static_cast<float>(action);
  return env.Step(&a, obs->data());
}

TEST(AcrobotTest, SpecMatchesGymnasium) {
  AcrobotEnv env;
  const EnvSpec& spec = env.spec();
  EXPECT_EQ(spec.id, "Acrobot-v1");
  EXPECT_EQ(spec.observation_high, (std::vector<float>{1, 1, 1, 1, static_cast<float>(4 * M_PI),
                                                       static_cast<float>(9 * M_PI)}));
  EXPECT_EQ(spec.observation_low[5], -static_cast<float>(9 * M_PI));
  EXPECT_TRUE(spec.discrete_actions);
  EXPECT_EQ(spec.num_actions, 3);
  EXPECT_EQ(spec.max_episode_steps, 500);
}

TEST(AcrobotTest, HangingAtRestWithoutTorqueStaysPut) {
  AcrobotEnv env;
  env.SetState({0, 0, 0, 0});
  std::vector<float> obs;
  const StepResult r = StepWith(env, 1, &obs);  // action 1 = zero torque
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(env.state()[i], 0.0, 1e-12);
  const std::vector<float> expected = {1, 0, 1, 0, 0, 0};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(obs[i], expected[i], 1e-7);
  EXPECT_EQ(r.reward, -1.0);
  EXPECT_FALSE(r.terminated);
}

TEST(AcrobotTest, MatchesReferenceOverSeveralSteps) {
  AcrobotEnv env;
  State ref = {0.05, -0.03, 0.02, -0.01};
  env.SetState(ref);
  std::vector<float> obs;
  const int actions[] = {2, 2, 2, 0, 0, 1, 2, 2, 0, 0, 0, 2};
  for (int a : actions) {
    ref = ReferenceStep(ref, a - 1.0);
    const StepResult r = StepWith(env, a, &obs);
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(env.state()[i], ref[i], 1e-9) << "component " << i;
    const double expected_obs[6] = {std::cos(ref[0]), std::sin(ref[0]), std::cos(ref[1]),
                                    std::sin(ref[1]), ref[2],           ref[3]};
    for (int i = 0; i < 6; ++i) EXPECT_NEAR(obs[i], expected_obs[i], 1e-6) << "obs " << i;
    EXPECT_EQ(r.terminated, TipHeight(ref) > 1.0);
  }
}

TEST(AcrobotTest, WrapsAnglesAndClipsVelocities) {
  // θ1 = 3.1 turning at 10 rad/s passes π and must wrap to near -π.
  State s = {3.1, 0.5, 10.0, -3.0};
  AcrobotEnv env;
  env.SetState(s);
  std::vector<float> obs;
  StepWith(env, 2, &obs);
  State ref = ReferenceStep(s, 1.0);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(env.state()[i], ref[i], 1e-9) << "component " << i;
  EXPECT_LT(env.state()[0], 0.0);
  EXPECT_GE(env.state()[0], -M_PI);

  // Link 1 horizontal at θ1 = -π/2 moving at the 4π limit: gravity speeds it up past 4π.
  s = {-M_PI / 2, 0, 4 * M_PI, 0};
  State unclipped;
  ReferenceStep(s, 0.0, &unclipped);
  ASSERT_GT(unclipped[2], 4 * M_PI);
  env.SetState(s);
  StepWith(env, 1, &obs);
  EXPECT_EQ(env.state()[2], 4 * M_PI);
  EXPECT_EQ(obs[4], static_cast<float>(4 * M_PI));

  s = {-M_PI / 2, 0, 0, -9 * M_PI};  // link 2 whips past -9π rad/s
  ReferenceStep(s, -1.0, &unclipped);
  ASSERT_LT(unclipped[3], -9 * M_PI);
  env.SetState(s);
  StepWith(env, 0, &obs);
  EXPECT_EQ(env.state()[3], -9 * M_PI);
}

TEST(AcrobotTest, TerminatesExactlyWhenTipHeightExceedsOne) {
  AcrobotEnv env;
  std::vector<float> obs;
  env.SetState({M_PI, 0, 0, 0});  // balanced upright: height 2
  StepResult r = StepWith(env, 1, &obs);
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, 0.0);

  // Straight links released from θ1: find by bisection the θ1 whose tip lands at height 1
  // after one step, then start 1e-9 rad on each side of it.
  auto height_after = [](double theta1) { return TipHeight(ReferenceStep({theta1, 0, 0, 0}, 0)); };
  double lo = 2.0, hi = 3.0;
  ASSERT_LT(height_after(lo), 1.0);
  ASSERT_GT(height_after(hi), 1.0);
  while (hi - lo > 1e-10) {
    const double mid = (lo + hi) / 2;
    (height_after(mid) > 1.0 ? hi : lo) = mid;
  }
  env.SetState({lo - 1e-9, 0, 0, 0});
  r = StepWith(env, 1, &obs);
  EXPECT_FALSE(r.terminated);
  EXPECT_EQ(r.reward, -1.0);
  EXPECT_LT(TipHeight(env.state()), 1.0);
  env.SetState({hi + 1e-9, 0, 0, 0});
  r = StepWith(env, 1, &obs);
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, 0.0);
  EXPECT_LT(TipHeight(env.state()), 1.0 + 1e-7);
}

TEST(AcrobotTest, ResetIsFloat32UniformOnPlusMinus01) {
  AcrobotEnv env;
  env.Seed(11);
  std::vector<float> obs(6);
  double low = 1, high = -1;
  for (int n = 0; n < 1000; ++n) {
    env.Reset(obs.data());
    for (int i = 0; i < 4; ++i) {
      const double v = env.state()[i];
      ASSERT_EQ(static_cast<double>(static_cast<float>(v)), v);  // stored as float32
      ASSERT_GE(v, -0.1);
      ASSERT_LE(v, 0.1);
      low = std::min(low, v);
      high = std::max(high, v);
    }
    ASSERT_EQ(obs[4], static_cast<float>(env.state()[2]));
    ASSERT_EQ(obs[0], static_cast<float>(std::cos(env.state()[0])));
  }
  EXPECT_LT(low, -0.099);
  EXPECT_GT(high, 0.099);
}

std::vector<float> Rollout(uint64_t seed) {
  std::unique_ptr<Env> env = MakeEnv("Acrobot-v1");
  std::vector<float> obs(6), trace;
  env->Seed(seed);
  env->Reset(obs.data());
  for (int t = 0; t < 100; ++t) {
    const float action = static_cast<float>(t % 3);
    env->Step(&action, obs.data());
    trace.insert(trace.end(), obs.begin(), obs.end());
  }
  return trace;
}

TEST(AcrobotTest, SameSeedSameRolloutDifferentSeedDifferent) {
  EXPECT_EQ(Rollout(1), Rollout(1));
  EXPECT_NE(Rollout(1), Rollout(2));
}

TEST(AcrobotTest, RejectsInvalidDiscreteActions) {
  AcrobotEnv env;
  std::vector<float> obs;
  EXPECT_THROW(StepWith(env, 3, &obs), std::invalid_argument);
  EXPECT_THROW(StepWith(env, -1, &obs), std::invalid_argument);
  const float half = 1.5f;
  obs.resize(6);
  EXPECT_THROW(env.Step(&half, obs.data()), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
