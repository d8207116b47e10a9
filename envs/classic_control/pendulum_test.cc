#include "envs/classic_control/pendulum.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "envs/registry.h"

namespace rlfleet {
namespace {

using State = PendulumEnv::State;

// Reference (g = 10, m = l = 1, dt = 0.05): u = clip(a, ±2);
// reward = -(wrap(θ)² + 0.1 θ̇² + 0.001 u²) with wrap to [-π, π);
// θ̇' = clip(θ̇ + (15 sin θ + 3u)·0.05, ±8); θ' = θ + 0.05 θ̇'.
State ReferenceStep(const State& s, double a, double* reward) {
  const double u = std::fmin(2.0, std::fmax(-2.0, a));
  const double wrapped = s[0] - 2 * M_PI * std::floor((s[0] + M_PI) / (2 * M_PI));
  *reward = -(wrapped * wrapped + 0.1 * s[1] * s[1] + 0.001 * u * u);
  const double w = std::fmin(8.0, std::fmax(-8.0, s[1] + (15.0 * std::sin(s[0]) + 3.0 * u) * 0.05));
  return {s[0] + 0.05 * w, w};
}

StepResult StepWith(PendulumEnv& env, float action, std::vector<float>* obs) {
  obs->resize(3);
  return env.Step(&action, obs->data());
}

TEST(PendulumTest, SpecMatchesGymnasium) {
  PendulumEnv env;
  const EnvSpec& spec = env.spec();
  EXPECT_EQ(spec.id, "Pendulum-v1");
  EXPECT_EQ(spec.observation_low, (std::vector<float>{-1, -1, -8}));
  EXPECT_EQ(spec.observation_high, (std::vector<float>{1, 1, 8}));
  EXPECT_FALSE(spec.discrete_actions);
  EXPECT_EQ(spec.action_low, std::vector<float>{-2});
  EXPECT_EQ(spec.action_high, std::vector<float>{2});
  EXPECT_EQ(spec.max_episode_steps, 200);
}

TEST(PendulumTest, FirstStepByHand) {
  // Upright at rest, u = 1: cost 0.001, θ̇' = 3·1·0.05 = 0.15, θ' = 0.15·0.05 = 0.0075.
  PendulumEnv env;
  env.SetState({0.0, 0.0});
  std::vector<float> obs;
  const StepResult r = StepWith(env, 1.0f, &obs);
  EXPECT_DOUBLE_EQ(r.reward, -0.001);
  EXPECT_DOUBLE_EQ(env.state()[1], 0.15);
  EXPECT_DOUBLE_EQ(env.state()[0], 0.0075);
  EXPECT_EQ(obs[0], static_cast<float>(std::cos(0.0075)));
  EXPECT_EQ(obs[1], static_cast<float>(std::sin(0.0075)));
  EXPECT_EQ(obs[2], static_cast<float>(0.15));
  EXPECT_FALSE(r.terminated);
}

TEST(PendulumTest, MatchesReferenceOverSeveralSteps) {
  PendulumEnv env;
  State ref = {2.0, -0.5};
  env.SetState(ref);
  std::vector<float> obs;
  const float actions[] = {1.5f, -3.0f, 0.2f, 2.0f, 5.0f, -0.7f, 0.0f, -2.0f, 1.0f, 1.0f};
  for (float a : actions) {
    double reward = 0;
    ref = ReferenceStep(ref, a, &reward);
    const StepResult r = StepWith(env, a, &obs);
    EXPECT_NEAR(r.reward, reward, 1e-12);
    EXPECT_NEAR(env.state()[0], ref[0], 1e-12);
    EXPECT_NEAR(env.state()[1], ref[1], 1e-12);
    EXPECT_NEAR(obs[2], ref[1], 1e-6);
  }
}

TEST(PendulumTest, ClipsSpeedThenIntegratesAngle) {
  PendulumEnv env;
  env.SetState({M_PI / 2, 7.9});  // θ̇ + (15 + 6)·0.05 = 8.95 → 8
  std::vector<float> obs;
  StepWith(env, 2.0f, &obs);
  EXPECT_EQ(env.state()[1], 8.0);
  EXPECT_DOUBLE_EQ(env.state()[0], M_PI / 2 + 0.4);
}

TEST(PendulumTest, CostUsesNormalizedAngle) {
  PendulumEnv env;
  std::vector<float> obs;
  env.SetState({2 * M_PI + 0.5, 0.0});
  EXPECT_NEAR(StepWith(env, 0.0f, &obs).reward, -0.25, 1e-12);
  env.SetState({-4 * M_PI - 0.5, 0.0});
  EXPECT_NEAR(StepWith(env, 0.0f, &obs).reward, -0.25, 1e-12);
  env.SetState({3 * M_PI, 0.0});
  EXPECT_NEAR(StepWith(env, 0.0f, &obs).reward, -M_PI * M_PI, 1e-9);
  EXPECT_EQ(PendulumEnv::AngleNormalize(M_PI), -M_PI);  // [-π, π): π maps to -π
  EXPECT_DOUBLE_EQ(PendulumEnv::AngleNormalize(-0.25), -0.25);
  EXPECT_NEAR(PendulumEnv::AngleNormalize(7.0), 7.0 - 2 * M_PI, 1e-15);
}

TEST(PendulumTest, TruncatesAt200AndNeverTerminates) {
  std::unique_ptr<Env> env = MakeEnv("Pendulum-v1");
  std::vector<float> obs(3);
  env->Seed(2);
  env->Reset(obs.data());
  for (int step = 1; step <= 200; ++step) {
    const float torque = step % 7 == 0 ? -2.0f : 1.0f;
    const StepResult r = env->Step(&torque, obs.data());
    ASSERT_FALSE(r.terminated);
    ASSERT_EQ(r.truncated, step == 200) << "step " << step;
  }
}

TEST(PendulumTest, ResetIsUniform) {
  PendulumEnv env;
  env.Seed(5);
  std::vector<float> obs(3);
  double min_th = 0, max_th = 0, min_w = 0, max_w = 0;
  for (int n = 0; n < 1000; ++n) {
    env.Reset(obs.data());
    const double th = env.state()[0], w = env.state()[1];
    ASSERT_GE(th, -M_PI);
    ASSERT_LT(th, M_PI);
    ASSERT_GE(w, -1.0);
    ASSERT_LT(w, 1.0);
    ASSERT_EQ(obs[2], static_cast<float>(w));
    min_th = std::min(min_th, th), max_th = std::max(max_th, th);
    min_w = std::min(min_w, w), max_w = std::max(max_w, w);
  }
  EXPECT_LT(min_th, -3.0);
  EXPECT_GT(max_th, 3.0);
  EXPECT_LT(min_w, -0.95);
  EXPECT_GT(max_w, 0.95);
}

std::vector<float> Rollout(uint64_t seed) {
  std::unique_ptr<Env> env = MakeEnv("Pendulum-v1");
  std::vector<float> obs(3), trace;
  env->Seed(seed);
  env->Reset(obs.data());
  for (int t = 0; t < 50; ++t) {
    const float torque = 0.5f;
    env->Step(&torque, obs.data());
    trace.insert(trace.end(), obs.begin(), obs.end());
  }
  return trace;
}

TEST(PendulumTest, SameSeedSameRolloutDifferentSeedDifferent) {
  EXPECT_EQ(Rollout(3), Rollout(3));
  EXPECT_NE(Rollout(3), Rollout(4));
}

}  // namespace
}  // namespace rlfleet
