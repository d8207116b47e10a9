#include "algorithms/transition_policy.h"

#include <gtest/gtest.h>
#include <torch/nn/module.h>

#include <set>
#include <vector>

namespace rlfleet {
namespace {

// A policy whose own actions are a marker value, so the test sees which steps were warm-up.
class MarkerPolicy : public TransitionPolicy {
 public:
  using TransitionPolicy::TransitionPolicy;
  torch::nn::Module& module() override { return module_; }
  int policy_calls = 0;

 protected:
  void PolicyActions(const float* /*observations*/, float* actions) override {
    ++policy_calls;
    for (int32_t i = 0; i < num_envs() * spec().action_size; ++i) actions[i] = kMarker;
  }

 public:
  static constexpr float kMarker = 2.0f;

 private:
  torch::nn::Module module_;
};

EnvSpec DiscreteSpec() {
  EnvSpec spec;
  spec.id = "Discrete";
  spec.observation_size = 2;
  spec.discrete_actions = true;
  spec.num_actions = 3;
  spec.action_size = 1;
  return spec;
}

// 2 actors share a warm-up of 39 env steps: 20 frames each (rounded up), 10 steps of this
// actor's 2 envs.
TEST(TransitionPolicyTest, DiscreteWarmupDrawsUniformIndicesThenThePolicyActs) {
  RunConfig config;
  config.env.num_envs = 2;
  config.cluster.num_actors = 2;
  config.actor.warmup_env_steps = 39;  // ⌈39 / 2⌉ = 20 frames for this actor
  config.actor.insert_batch = 1000;
  MarkerPolicy policy(config, DiscreteSpec(), 0);
  EXPECT_EQ(policy.warmup_frames(), 20);
  std::vector<float> obs(4, 0.0f), actions(2), rewards(2, 1.0f);
  std::vector<uint8_t> done(2, 0);
  std::vector<int> counts(3, 0);
  ActorOutput out;
  for (int t = 0; t < 12; ++t) {
    policy.Act(obs.data(), actions.data());
    if (t < 10) {
      EXPECT_EQ(policy.policy_calls, 0) << t;
      for (float a : actions) {
        ASSERT_TRUE(a == 0.0f || a == 1.0f || a == 2.0f) << a;
        ++counts[static_cast<int>(a)];
      }
    } else {
      EXPECT_EQ(policy.policy_calls, t - 9) << t;
      EXPECT_EQ(actions[0], MarkerPolicy::kMarker);
    }
    EnvStepView view{2,           obs.data(),  actions.data(), rewards.data(),
                     done.data(), done.data(), obs.data(),     obs.data()};
    policy.Record(view, &out);
  }
  // 20 draws over 3 actions: each appears (P(one missing) < 3 · (2/3)^20 ≈ 0.001).
  for (int a = 0; a < 3; ++a) EXPECT_GT(counts[a], 0) << a;
  // Uniformity over many draws: 3000 warm-up frames of one env.
  config.env.num_envs = 1;
  config.cluster.num_actors = 1;
  config.actor.warmup_env_steps = 3000;
  MarkerPolicy many(config, DiscreteSpec(), 0);
  std::vector<int> draws(3, 0);
  float action = 0.0f;
  std::vector<float> one_obs(2, 0.0f);
  for (int t = 0; t < 3000; ++t) {
    many.Act(one_obs.data(), &action);
    ++draws[static_cast<int>(action)];
    EnvStepView view{1,           one_obs.data(), &action,        rewards.data(),
                     done.data(), done.data(),    one_obs.data(), one_obs.data()};
    ActorOutput ignored;
    many.Record(view, &ignored);
  }
  // Each count is 1000 ± 26 (binomial standard deviation); 5 deviations either way.
  for (int a = 0; a < 3; ++a) EXPECT_NEAR(draws[a], 1000, 130) << a;
  EXPECT_EQ(many.policy_calls, 0);
  many.Act(one_obs.data(), &action);
  EXPECT_EQ(many.policy_calls, 1);
}

// Continuous warm-up draws inside each dimension's bounds.
TEST(TransitionPolicyTest, ContinuousWarmupDrawsInsideTheBounds) {
  RunConfig config;
  config.env.num_envs = 1;
  config.cluster.num_actors = 1;
  config.actor.warmup_env_steps = 2000;
  EnvSpec spec;
  spec.id = "Box";
  spec.observation_size = 1;
  spec.discrete_actions = false;
  spec.action_size = 2;
  spec.action_low = {-1.0f, 10.0f};
  spec.action_high = {1.0f, 30.0f};
  MarkerPolicy policy(config, spec, 0);
  std::vector<float> obs(1, 0.0f), actions(2);
  double sum[2] = {0, 0};
  for (int t = 0; t < 2000; ++t) {
    policy.Act(obs.data(), actions.data());
    ASSERT_GE(actions[0], -1.0f);
    ASSERT_LT(actions[0], 1.0f);
    ASSERT_GE(actions[1], 10.0f);
    ASSERT_LT(actions[1], 30.0f);
    sum[0] += actions[0];
    sum[1] += actions[1];
    float reward = 0.0f;
    uint8_t done = 0;
    EnvStepView view{1, obs.data(), actions.data(), &reward, &done, &done, obs.data(), obs.data()};
    ActorOutput ignored;
    policy.Record(view, &ignored);
  }
  // Means 0 and 20; standard errors 0.013 and 0.13.
  EXPECT_NEAR(sum[0] / 2000, 0.0, 0.07);
  EXPECT_NEAR(sum[1] / 2000, 20.0, 0.7);
  EXPECT_EQ(policy.policy_calls, 0);
}

// Transitions leave actor.insert_batch at a time with priority 1, Flush sends the rest; weights
// are wanted every actor.weights_interval_frames frames and each transition carries the
// version of the weights that chose its action.
TEST(TransitionPolicyTest, BatchesTransitionsAndAsksForWeightsOnSchedule) {
  RunConfig config;
  config.env.num_envs = 2;
  config.cluster.num_actors = 1;
  config.actor.n_step = 1;
  config.actor.insert_batch = 4;
  config.actor.weights_interval_frames = 6;
  config.learner.discount = 0.5;
  MarkerPolicy policy(config, DiscreteSpec(), 0);
  std::vector<float> obs = {1, 2, 3, 4}, next = {5, 6, 7, 8}, actions(2), rewards = {1, 2};
  std::vector<uint8_t> terminated = {0, 1}, truncated = {0, 0};
  ActorOutput out;
  std::vector<bool> wanted;
  for (int t = 0; t < 5; ++t) {
    wanted.push_back(policy.WantsWeights());
    if (wanted.back()) policy.OnWeights(7);
    policy.Act(obs.data(), actions.data());
    EnvStepView view{2,
                     obs.data(),
                     actions.data(),
                     rewards.data(),
                     terminated.data(),
                     truncated.data(),
                     next.data(),
                     next.data()};
    policy.Record(view, &out);
  }
  // Frames after each step: 2, 4, 6 → wanted before the 4th step; then 2, 4 again.
  EXPECT_EQ(wanted, (std::vector<bool>{false, false, false, true, false}));
  ASSERT_EQ(out.transitions.size(), 8u);  // 10 ready, two batches of 4
  EXPECT_EQ(out.priorities, std::vector<double>(8, 1.0));
  ActorOutput rest;
  policy.Flush(&rest);
  ASSERT_EQ(rest.transitions.size(), 2u);
  EXPECT_EQ(rest.priorities, std::vector<double>(2, 1.0));
  // Env 0 bootstraps with γ, env 1 terminated; steps 4 and 5 were chosen by version 7.
  for (size_t i = 0; i < out.transitions.size(); ++i) {
    const Transition& t = out.transitions[i];
    const bool env1 = t.observation[0] == 3.0f;
    EXPECT_FLOAT_EQ(t.discount, env1 ? 0.0f : 0.5f) << i;
    EXPECT_FLOAT_EQ(t.reward, env1 ? 2.0f : 1.0f) << i;
    EXPECT_EQ(t.policy_version, i < 6 ? 0 : 7) << i;
  }
  EXPECT_EQ(rest.transitions[0].policy_version, 7);
}

}  // namespace
}  // namespace rlfleet
