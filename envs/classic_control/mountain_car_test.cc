#include "envs/classic_control/mountain_car.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

#include "envs/registry.h"

namespace rlfleet {
namespace {

using State = MountainCarEnv::State;

// Reference: v' = clip(v + (a - 1)·0.001 - 0.0025·cos(3p), ±0.07), p' = clip(p + v', -1.2, 0.6),
// v' = 0 if p' hit -1.2 while v' < 0.
State ReferenceStep(const State& s, int action) {
  double v = s[1] + 0.001 * (action - 1) - 0.0025 * std::cos(3 * s[0]);
  v = std::fmin(0.07, std::fmax(-0.07, v));
  const double p = std::fmin(0.6, std::fmax(-1.2, s[0] + v));
  if (p == -1.2 && v < 0) v = 0;
  return {p, v};
}

StepResult StepWith(MountainCarEnv& env, int action, std::vector<float>* obs) {
  obs->resize(2);
  const float a = static_cast<float>(action);
  return env.Step(&a, obs->data());
}

TEST(MountainCarTest, SpecMatchesGymnasium) {
  MountainCarEnv env;
  const EnvSpec& spec = env.spec();
  EXPECT_EQ(spec.id, "MountainCar-v0");
  EXPECT_EQ(spec.observation_low, (std::vector<float>{-1.2f, -0.07f}));
  EXPECT_EQ(spec.observation_high, (std::vector<float>{0.6f, 0.07f}));
  EXPECT_EQ(spec.num_actions, 3);
  EXPECT_EQ(spec.max_episode_steps, 200);
}

TEST(MountainCarTest, FirstStepByHand) {
  // p = -0.5, v = 0, push right: v' = 0.001 - 0.0025·cos(-1.5) = 0.001 - 0.0025·0.0707372017,
  // p' = -0.5 + v'.
  MountainCarEnv env;
  env.SetState({-0.5, 0.0});
  std::vector<float> obs;
  const StepResult r = StepWith(env, 2, &obs);
  EXPECT_NEAR(env.state()[1], 0.000823156995830743, 1e-15);
  EXPECT_NEAR(env.state()[0], -0.499176843004169257, 1e-15);
  EXPECT_EQ(r.reward, -1.0);
  EXPECT_FALSE(r.terminated);
  EXPECT_EQ(obs[0], static_cast<float>(env.state()[0]));
  EXPECT_EQ(obs[1], static_cast<float>(env.state()[1]));
}

TEST(MountainCarTest, MatchesReferenceOverSeveralSteps) {
  MountainCarEnv env;
  State ref = {-0.52, 0.003};
  env.SetState(ref);
  std::vector<float> obs;
  for (int t = 0; t < 40; ++t) {
    const int a = (t / 5) % 3;
    ref = ReferenceStep(ref, a);
    StepWith(env, a, &obs);
    EXPECT_NEAR(env.state()[0], ref[0], 1e-15);
    EXPECT_NEAR(env.state()[1], ref[1], 1e-15);
  }
}

TEST(MountainCarTest, ClipsSpeedAndStopsAtLeftWall) {
  MountainCarEnv env;
  std::vector<float> obs;
  // cos(3·(-π/3)) = -1: v' = 0.0695 + 0.001 + 0.0025 = 0.073 → 0.07.
  env.SetState({-M_PI / 3, 0.0695});
  StepWith(env, 2, &obs);
  EXPECT_EQ(env.state()[1], 0.07);
  EXPECT_DOUBLE_EQ(env.state()[0], -M_PI / 3 + 0.07);

  // Moving left into the wall: position clipped to -1.2, velocity zeroed.
  env.SetState({-1.19, -0.05});
  StepWith(env, 0, &obs);
  EXPECT_EQ(env.state()[0], -1.2);
  EXPECT_EQ(env.state()[1], 0.0);
  EXPECT_EQ(obs[0], -1.2f);

  // At the wall pushing right: the velocity is positive and kept.
  env.SetState({-1.2, 0.0});
  StepWith(env, 2, &obs);
  EXPECT_GT(env.state()[1], 0.0);
  EXPECT_GT(env.state()[0], -1.2);
}

TEST(MountainCarTest, TerminatesAtGoalWithNonNegativeVelocity) {
  std::vector<float> obs;
  struct Case {
    State state;
    int action;
  };
  const Case cases[] = {{{0.49, 0.0101}, 1},
                        {{0.49, 0.0105}, 1},
                        {{0.55, -0.001}, 0},
                        {{0.499, 0.0}, 1},
                        {{0.6, 0.0}, 2}};
  int terminated = 0, not_terminated = 0;
  for (const Case& c : cases) {
    MountainCarEnv env;
    env.SetState(c.state);
    const State ref = ReferenceStep(c.state, c.action);
    const bool expected = ref[0] >= 0.5 && ref[1] >= 0;
    const StepResult r = StepWith(env, c.action, &obs);
    EXPECT_EQ(r.terminated, expected) << "p=" << c.state[0] << " v=" << c.state[1];
    EXPECT_EQ(r.reward, -1.0);
    (expected ? terminated : not_terminated)++;
  }
  EXPECT_EQ(terminated, 2);  // 0.49 + 0.0105 - … ≥ 0.5 and the clipped 0.6
  EXPECT_EQ(not_terminated, 3);
}

TEST(MountainCarTest, ResetPositionUniformVelocityZero) {
  MountainCarEnv env;
  env.Seed(4);
  std::vector<float> obs(2);
  double low = 0, high = -1;
  for (int n = 0; n < 1000; ++n) {
    env.Reset(obs.data());
    ASSERT_GE(env.state()[0], -0.6);
    ASSERT_LT(env.state()[0], -0.4);
    ASSERT_EQ(env.state()[1], 0.0);
    ASSERT_EQ(obs[0], static_cast<float>(env.state()[0]));
    low = std::min(low, env.state()[0]);
    high = std::max(high, env.state()[0]);
  }
  EXPECT_LT(low, -0.59);
  EXPECT_GT(high, -0.41);
}

TEST(MountainCarTest, TruncatesAt200) {
  std::unique_ptr<Env> env = MakeEnv("MountainCar-v0");
  std::vector<float> obs(2);
  env->Seed(0);
  env->Reset(obs.data());
  const float idle = 1.0f;  // never reaches the goal
  for (int step = 1; step <= 200; ++step) {
    const StepResult r = env->Step(&idle, obs.data());
    ASSERT_FALSE(r.terminated);
    ASSERT_EQ(r.truncated, step == 200) << "step " << step;
  }
}

std::vector<float> Rollout(uint64_t seed) {
  std::unique_ptr<Env> env = MakeEnv("MountainCar-v0");
  std::vector<float> obs(2), trace;
  env->Seed(seed);
  env->Reset(obs.data());
  for (int t = 0; t < 50; ++t) {
    const float action = static_cast<float>(t % 3);
    env->Step(&action, obs.data());
    trace.insert(trace.end(), obs.begin(), obs.end());
  }
  return trace;
}

TEST(MountainCarTest, SameSeedSameRolloutDifferentSeedDifferent) {
  EXPECT_EQ(Rollout(9), Rollout(9));
  EXPECT_NE(Rollout(9), Rollout(10));
}

TEST(MountainCarTest, RejectsInvalidDiscreteActions) {
  MountainCarEnv env;
  std::vector<float> obs;
  try {
    StepWith(env, 3, &obs);
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("MountainCar-v0"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("got 3"), std::string::npos);
  }
}

}  // namespace
}  // namespace rlfleet
