#include "envs/classic_control/mountain_car_continuous.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "envs/registry.h"

namespace rlfleet {
namespace {

using State = MountainCarContinuousEnv::State;

// Reference: f = clip(a, -1, 1); v' = clip(v + 0.0015·f - 0.0025·cos(3p), ±0.07);
// p' = clip(p + v', -1.2, 0.6); v' = 0 if p' = -1.2 and v' < 0; done when p' ≥ 0.45, v' ≥ 0;
// reward 100·done - 0.1·a²; the new state is stored as float32.
State ReferenceStep(const State& s, double a, double* reward, bool* done) {
  const double f = std::fmin(1.0, std::fmax(-1.0, a));
  double v = std::fmin(0.07, std::fmax(-0.07, s[1] + 0.0015 * f - 0.0025 * std::cos(3 * s[0])));
  const double p = std::fmin(0.6, std::fmax(-1.2, s[0] + v));
  if (p == -1.2 && v < 0) v = 0;
  *done = p >= 0.45 && v >= 0;
  *reward = (*done ? 100.0 : 0.0) - 0.1 * a * a;
  return {static_cast<float>(p), static_cast<float>(v)};
}

StepResult StepWith(MountainCarContinuousEnv& env, float action, std::vector<float>* obs) {
  obs->resize(2);
  return env.Step(&action, obs->data());
}

TEST(MountainCarContinuousTest, SpecMatchesGymnasium) {
  MountainCarContinuousEnv env;
  const EnvSpec& spec = env.spec();
  EXPECT_EQ(spec.id, "MountainCarContinuous-v0");
  EXPECT_EQ(spec.observation_low, (std::vector<float>{-1.2f, -0.07f}));
  EXPECT_EQ(spec.observation_high, (std::vector<float>{0.6f, 0.07f}));
  EXPECT_FALSE(spec.discrete_actions);
  EXPECT_EQ(spec.action_size, 1);
  EXPECT_EQ(spec.action_low, std::vector<float>{-1.0f});
  EXPECT_EQ(spec.action_high, std::vector<float>{1.0f});
  EXPECT_EQ(spec.max_episode_steps, 999);
}

TEST(MountainCarContinuousTest, MatchesReferenceWithFloat32State) {
  MountainCarContinuousEnv env;
  State ref = {-0.5, 0.0};
  env.SetState(ref);
  std::vector<float> obs;
  const float actions[] = {0.5f, -0.3f, 2.0f, -5.0f, 1.0f, 0.25f, -1.0f, 0.75f};
  for (float a : actions) {
    double reward = 0;
    bool done = false;
    ref = ReferenceStep(ref, a, &reward, &done);
    const StepResult r = StepWith(env, a, &obs);
    EXPECT_EQ(env.state()[0], ref[0]);
    EXPECT_EQ(env.state()[1], ref[1]);
    EXPECT_DOUBLE_EQ(r.reward, reward);
    EXPECT_FALSE(r.terminated);
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(static_cast<double>(static_cast<float>(env.state()[i])), env.state()[i]);
      EXPECT_EQ(obs[i], static_cast<float>(env.state()[i]));
    }
  }
}

TEST(MountainCarContinuousTest, ForceIsClippedButRewardUsesRawAction) {
  MountainCarContinuousEnv clipped, unit;
  clipped.SetState({-0.5, 0.0});
  unit.SetState({-0.5, 0.0});
  std::vector<float> obs;
  const StepResult r2 = StepWith(clipped, 2.0f, &obs);
  const StepResult r1 = StepWith(unit, 1.0f, &obs);
  EXPECT_EQ(clipped.state(), unit.state());
  EXPECT_DOUBLE_EQ(r2.reward, -0.4);  // -0.1 · 2²
  EXPECT_DOUBLE_EQ(r1.reward, -0.1);
}

TEST(MountainCarContinuousTest, GoalGivesHundredMinusActionCost) {
  MountainCarContinuousEnv env;
  std::vector<float> obs;
  env.SetState({0.44, 0.02});  // p' ≈ 0.46 ≥ 0.45
  StepResult r = StepWith(env, 0.5f, &obs);
  EXPECT_TRUE(r.terminated);
  EXPECT_DOUBLE_EQ(r.reward, 100.0 - 0.1 * 0.25);
  env.SetState({0.40, 0.02});  // p' ≈ 0.42 < 0.45
  r = StepWith(env, 0.5f, &obs);
  EXPECT_FALSE(r.terminated);
  env.SetState({0.50, -0.01});  // above the goal but moving back
  r = StepWith(env, 0.0f, &obs);
  EXPECT_GE(env.state()[0], 0.45);
  EXPECT_FALSE(r.terminated);
}

TEST(MountainCarContinuousTest, ResetKeepsDoublePrecisionPosition) {
  MountainCarContinuousEnv env;
  env.Seed(8);
  std::vector<float> obs(2);
  int not_float = 0;
  for (int n = 0; n < 100; ++n) {
    env.Reset(obs.data());
    ASSERT_GE(env.state()[0], -0.6);
    ASSERT_LT(env.state()[0], -0.4);
    ASSERT_EQ(env.state()[1], 0.0);
    not_float += static_cast<double>(static_cast<float>(env.state()[0])) != env.state()[0];
  }
  EXPECT_GT(not_float, 90);
}

TEST(MountainCarContinuousTest, TruncatesAt999) {
  std::unique_ptr<Env> env = MakeEnv("MountainCarContinuous-v0");
  std::vector<float> obs(2);
  env->Seed(0);
  env->Reset(obs.data());
  const float idle = 0.0f;
  for (int step = 1; step <= 999; ++step) {
    const StepResult r = env->Step(&idle, obs.data());
    ASSERT_FALSE(r.terminated);
    ASSERT_EQ(r.truncated, step == 999) << "step " << step;
  }
}

}  // namespace
}  // namespace rlfleet
