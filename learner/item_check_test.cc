#include "learner/item_check.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "core/transition_testing.h"
#include "envs/registry.h"

namespace rlfleet {
namespace {

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

void ExpectProblem(const std::string& problem, const std::string& needle) {
  EXPECT_NE(problem.find(needle), std::string::npos) << "'" << problem << "' lacks " << needle;
}

Unroll CartPoleUnroll() {
  Unroll u;
  u.Resize(3, 4, 1, true);
  u.actions = {0, 1, 1};
  return u;
}

TEST(ItemCheckTest, UnrollAgainstTheEnvSpec) {
  const EnvSpec cartpole = MakeEnv("CartPole-v1")->spec();
  EXPECT_EQ(CheckItem(CartPoleUnroll(), cartpole), "");

  Unroll u;
  u.Resize(3, 5, 1, true);
  ExpectProblem(CheckItem(u, cartpole), "observation size 5, CartPole-v1 has 4");
  u = CartPoleUnroll();
  u.actions[1] = 2;
  ExpectProblem(CheckItem(u, cartpole), "not an index in [0, 2)");
  u.actions[1] = 0.5f;
  ExpectProblem(CheckItem(u, cartpole), "not an index");
  u.actions[1] = -1;
  ExpectProblem(CheckItem(u, cartpole), "not an index");
  u = CartPoleUnroll();
  u.observations[7] = kNan;
  ExpectProblem(CheckItem(u, cartpole), "observations[7]");
  u = CartPoleUnroll();
  u.rewards[2] = kInf;
  ExpectProblem(CheckItem(u, cartpole), "rewards[2]");
  u = CartPoleUnroll();
  u.behaviour_log_probs[0] = -kInf;
  ExpectProblem(CheckItem(u, cartpole), "behaviour_log_probs[0]");

  const EnvSpec pendulum = MakeEnv("Pendulum-v1")->spec();
  Unroll continuous;
  continuous.Resize(2, 3, 1, false);
  continuous.actions = {5.0f, -7.0f};  // outside [-2, 2]: the env clips, still valid
  EXPECT_EQ(CheckItem(continuous, pendulum), "");
  ExpectProblem(CheckItem(continuous, cartpole), "observation size 3");
  Unroll discrete_on_pendulum;
  discrete_on_pendulum.Resize(2, 3, 1, true);
  ExpectProblem(CheckItem(discrete_on_pendulum, pendulum), "discrete actions");
  continuous.actions[1] = kNan;
  ExpectProblem(CheckItem(continuous, pendulum), "action[1]");
}

TEST(ItemCheckTest, TransitionAgainstTheEnvSpec) {
  const EnvSpec cartpole = MakeEnv("CartPole-v1")->spec();
  const Transition good = testing::OneStepTransition({1, 2, 3, 4}, 1, 1.0f, 0.99f, {2, 3, 4, 5});
  EXPECT_EQ(CheckItem(good, cartpole), "");
  Transition t = good;
  t.action = {1, 0};
  ExpectProblem(CheckItem(t, cartpole), "action size 2, CartPole-v1 has 1");
  t = good;
  t.action = {3};
  ExpectProblem(CheckItem(t, cartpole), "not an index");
  t = good;
  t.next_observation[2] = kNan;
  ExpectProblem(CheckItem(t, cartpole), "next_observation[2]");
  t = good;
  t.reward = kInf;
  ExpectProblem(CheckItem(t, cartpole), "reward");
  t = good;
  t.observation.pop_back();
  t.next_observation.pop_back();
  ExpectProblem(CheckItem(t, cartpole), "observation size 3");

  // Continuous: the action must be inside Pendulum's [−2, 2].
  const EnvSpec pendulum = MakeEnv("Pendulum-v1")->spec();
  Transition p = testing::OneStepTransition({1, 0, 0}, 2.0f, -1.0f, 0.99f, {1, 0, 0});
  EXPECT_EQ(CheckItem(p, pendulum), "");
  p.action = {-2.0f};
  EXPECT_EQ(CheckItem(p, pendulum), "");
  p.action = {2.5f};
  ExpectProblem(CheckItem(p, pendulum), "action[0] 2.500000 is outside [-2.000000, 2.000000]");
  p.action = {kNan};
  ExpectProblem(CheckItem(p, pendulum), "action[0]");
}

}  // namespace
}  // namespace rlfleet
