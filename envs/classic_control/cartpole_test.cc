#include "envs/classic_control/cartpole.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

#include "envs/registry.h"
#include "envs/time_limit.h"

namespace rlfleet {
namespace {

using State = CartPoleEnv::State;

// Reference dynamics written out independently (Florian 2005, Barto et al. constants):
//   θ̈ = (g sinθ - cosθ (F + m_p l θ̇² sinθ) / M) / (l (4/3 - m_p cos²θ / M))
//   ẍ = (F + m_p l (θ̇² sinθ - θ̈ cosθ)) / M,   M = m_c + m_p
// then explicit Euler with τ = 0.02 s.
State ReferenceStep(const State& s, int action) {
  const double g = 9.8, mc = 1.0, mp = 0.1, l = 0.5, tau = 0.02;
  const double f = action == 1 ? 10.0 : -10.0;
  const double m = mc + mp;
  const double th = s[2], thd = s[3];
  const double thdd =
      (g * std::sin(th) - std::cos(th) * (f + mp * l * thd * thd * std::sin(th)) / m) /
      (l * (4.0 / 3.0 - mp * std::cos(th) * std::cos(th) / m));
  const double xdd = (f + mp * l * (thd * thd * std::sin(th) - thdd * std::cos(th))) / m;
  return {s[0] + tau * s[1], s[1] + tau * xdd, s[2] + tau * s[3], s[3] + tau * thdd};
}

StepResult StepWith(CartPoleEnv& env, float action, std::vector<float>* obs) {
  obs->resize(4);
  return env.Step(&action, obs->data());
}

TEST(CartPoleTest, SpecMatchesGymnasium) {
  CartPoleEnv env;
  const EnvSpec& spec = env.spec();
  EXPECT_EQ(spec.id, "CartPole-v1");
  EXPECT_EQ(spec.observation_size, 4);
  EXPECT_EQ(spec.observation_high, (std::vector<float>{4.8f, FLT_MAX, 0.41887903f, FLT_MAX}));
  EXPECT_EQ(spec.observation_low, (std::vector<float>{-4.8f, -FLT_MAX, -0.41887903f, -FLT_MAX}));
  EXPECT_TRUE(spec.discrete_actions);
  EXPECT_EQ(spec.num_actions, 2);
  EXPECT_EQ(spec.action_size, 1);
  EXPECT_EQ(spec.max_episode_steps, 500);
}

TEST(CartPoleTest, FirstStepFromRestByHand) {
  // From rest, F = +10: temp = 100/11, θ̈ = -(100/11) / (0.5 (4/3 - 1/11)) = -600/41,
  // ẍ = 100/11 + 0.05 (600/41) / 1.1 = 400/41; Euler: ẋ = 8/41, θ̇ = -12/41, x = θ = 0.
  CartPoleEnv env;
  env.SetState({0, 0, 0, 0});
  std::vector<float> obs;
  const StepResult r = StepWith(env, 1.0f, &obs);
  EXPECT_NEAR(env.state()[0], 0.0, 1e-15);
  EXPECT_NEAR(env.state()[1], 8.0 / 41.0, 1e-15);
  EXPECT_NEAR(env.state()[2], 0.0, 1e-15);
  EXPECT_NEAR(env.state()[3], -12.0 / 41.0, 1e-15);
  EXPECT_EQ(r.reward, 1.0);
  EXPECT_FALSE(r.terminated);
  EXPECT_FALSE(r.truncated);
  EXPECT_EQ(obs[1], static_cast<float>(8.0 / 41.0));
}

TEST(CartPoleTest, MatchesReferenceOverSeveralSteps) {
  CartPoleEnv env;
  State ref = {0.01, -0.02, 0.03, 0.04};
  env.SetState(ref);
  std::vector<float> obs;
  const int actions[] = {1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 1, 0};
  for (int a : actions) {
    ref = ReferenceStep(ref, a);
    const StepResult r = StepWith(env, static_cast<float>(a), &obs);
    for (int i = 0; i < 4; ++i) {
      EXPECT_NEAR(env.state()[i], ref[i], 1e-12) << "component " << i;
      EXPECT_NEAR(obs[i], ref[i], 1e-7) << "component " << i;
    }
    EXPECT_EQ(r.reward, 1.0);
    EXPECT_FALSE(r.terminated);
  }
}

TEST(CartPoleTest, TerminatesExactlyPastThresholds) {
  // With zero velocities the Euler step leaves x and θ unchanged, so the check sees them.
  const double theta_limit = 12 * 2 * M_PI / 360;
  struct Case {
    State state;
    bool terminated;
  };
  const Case cases[] = {
      {{2.4, 0, 0, 0}, false},          {{std::nextafter(2.4, 3.0), 0, 0, 0}, true},
      {{-2.4, 0, 0, 0}, false},         {{std::nextafter(-2.4, -3.0), 0, 0, 0}, true},
      {{0, 0, theta_limit, 0}, false},  {{0, 0, std::nextafter(theta_limit, 1.0), 0}, true},
      {{0, 0, -theta_limit, 0}, false}, {{0, 0, std::nextafter(-theta_limit, -1.0), 0}, true},
  };
  std::vector<float> obs;
  for (const Case& c : cases) {
    CartPoleEnv env;
    env.SetState(c.state);
    const StepResult r = StepWith(env, 1.0f, &obs);
    EXPECT_EQ(r.terminated, c.terminated) << "x=" << c.state[0] << " theta=" << c.state[2];
    EXPECT_EQ(r.reward, 1.0);
  }
  // Reached by motion: x = 2.39 moving at 0.6 m/s crosses 2.4 within one step.
  CartPoleEnv env;
  env.SetState({2.39, 0.6, 0, 0});
  EXPECT_TRUE(StepWith(env, 1.0f, &obs).terminated);
  env.SetState({2.39, 0.4, 0, 0});
  EXPECT_FALSE(StepWith(env, 1.0f, &obs).terminated);
}

TEST(CartPoleTest, TruncatesAtStep500WhenKeptAlive) {
  std::unique_ptr<Env> env = MakeEnv("CartPole-v1");
  auto* limited = dynamic_cast<TimeLimit*>(env.get());
  ASSERT_NE(limited, nullptr);
  auto* cartpole = dynamic_cast<CartPoleEnv*>(&limited->inner());
  ASSERT_NE(cartpole, nullptr);
  std::vector<float> obs(4);
  env->Seed(1);
  env->Reset(obs.data());
  for (int step = 1; step <= 500; ++step) {
    cartpole->SetState({0, 0, 0, 0});  // keeps the pole up; the step count is unaffected
    const float action = static_cast<float>(step % 2);
    const StepResult r = env->Step(&action, obs.data());
    ASSERT_FALSE(r.terminated) << "step " << step;
    ASSERT_EQ(r.truncated, step == 500) << "step " << step;
  }
}

TEST(CartPoleTest, BalancingPolicySurvivesUntilTruncation) {
  // A linear state-feedback controller keeps the pole up; the episode ends by the time limit.
  std::unique_ptr<Env> env = MakeEnv("CartPole-v1");
  std::vector<float> obs(4);
  for (uint64_t seed : {0, 1, 2}) {
    env->Seed(seed);
    env->Reset(obs.data());
    int steps = 0;
    StepResult r;
    do {
      const float push = 0.1f * obs[0] + 0.5f * obs[1] + 10.0f * obs[2] + 2.0f * obs[3];
      const float action = push > 0 ? 1.0f : 0.0f;
      r = env->Step(&action, obs.data());
      ++steps;
    } while (!r.terminated && !r.truncated);
    EXPECT_EQ(steps, 500) << "seed " << seed;
    EXPECT_TRUE(r.truncated);
    EXPECT_FALSE(r.terminated);
  }
}

std::vector<float> Rollout(uint64_t seed, int steps) {
  std::unique_ptr<Env> env = MakeEnv("CartPole-v1");
  std::vector<float> obs(4), trace;
  env->Seed(seed);
  env->Reset(obs.data());
  for (int t = 0; t < steps; ++t) {
    const float action = static_cast<float>((t / 3) % 2);
    const StepResult r = env->Step(&action, obs.data());
    if (r.terminated || r.truncated) env->Reset(obs.data());
    trace.insert(trace.end(), obs.begin(), obs.end());
  }
  return trace;
}

TEST(CartPoleTest, SameSeedSameRolloutDifferentSeedDifferent) {
  EXPECT_EQ(Rollout(5, 300), Rollout(5, 300));
  EXPECT_NE(Rollout(5, 300), Rollout(6, 300));
}

TEST(CartPoleTest, ResetIsUniformOnPlusMinus005) {
  CartPoleEnv env;
  env.Seed(3);
  std::vector<float> obs(4);
  double low[4] = {1, 1, 1, 1}, high[4] = {-1, -1, -1, -1};
  for (int n = 0; n < 2000; ++n) {
    env.Reset(obs.data());
    for (int i = 0; i < 4; ++i) {
      ASSERT_GE(env.state()[i], -0.05);
      ASSERT_LT(env.state()[i], 0.05);
      low[i] = std::min(low[i], env.state()[i]);
      high[i] = std::max(high[i], env.state()[i]);
    }
  }
  for (int i = 0; i < 4; ++i) {
    EXPECT_LT(low[i], -0.045);
    EXPECT_GT(high[i], 0.045);
  }
}

TEST(CartPoleTest, ObservationIsStateRoundedToFloat32) {
  CartPoleEnv env;
  env.SetState({0.1, 0.2, 0.03, 0.4});
  std::vector<float> obs;
  StepWith(env, 0.0f, &obs);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(obs[i], static_cast<float>(env.state()[i]));
  // The internal state keeps double precision: 0.1 + 0.02·0.2 is not a float.
  EXPECT_NE(static_cast<double>(obs[0]), env.state()[0]);
  EXPECT_DOUBLE_EQ(env.state()[0], 0.1 + 0.02 * 0.2);
}

TEST(CartPoleTest, RejectsInvalidDiscreteActions) {
  std::vector<float> obs;
  for (float bad : {2.0f, -1.0f, 0.5f, NAN}) {
    CartPoleEnv env;
    env.SetState({0, 0, 0, 0});
    try {
      StepWith(env, bad, &obs);
      ADD_FAILURE() << "no exception for " << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("CartPole-v1"), std::string::npos) << e.what();
    }
  }
  CartPoleEnv env;
  try {
    StepWith(env, 2.0f, &obs);
    ADD_FAILURE() << "no exception for action 2";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("got 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rlfleet
