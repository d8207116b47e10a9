#include "algorithms/impala.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "algorithms/model_factory.h"
#include "algorithms/parameter_vector.h"
#include "core/random.h"
#include "core/unroll.h"

namespace rlfleet {
namespace {

class ImpalaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    at::set_num_threads(1);
    torch::manual_seed(0);
  }
  std::string TempPath(const std::string& name) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return ::testing::TempDir() + "rlfleet_" + info->name() + "_" + name;
  }
};

ActorCriticOptions DiscreteModel(int64_t d, int64_t k) {
  ActorCriticOptions o;
  o.observation_size = d;
  o.num_actions = k;
  o.hidden_sizes = {16};
  return o;
}

// Random unrolls with random episode ends; truncation rows hold distinctive observations.
std::vector<Unroll> RandomUnrolls(uint64_t seed, int B, int T, int D, int A, bool discrete,
                                  int num_actions) {
  Rng rng(seed);
  std::vector<Unroll> unrolls(B);
  for (int b = 0; b < B; ++b) {
    Unroll& u = unrolls[b];
    u.Resize(T, D, A, discrete);
    for (auto& v : u.observations) v = static_cast<float>(rng.Normal());
    for (int t = 0; t < T; ++t) {
      for (int j = 0; j < A; ++j) {
        u.actions[t * A + j] = discrete ? static_cast<float>(rng.UniformInt(num_actions))
                                        : static_cast<float>(rng.Normal());
      }
      u.rewards[t] = static_cast<float>(rng.Normal());
      u.behaviour_log_probs[t] = static_cast<float>(-1.0 + 0.3 * rng.Normal());
      const double e = rng.Uniform01();
      u.terminated[t] = e < 0.15;
      u.truncated[t] = e >= 0.15 && e < 0.35;
      if (u.truncated[t]) {
        for (int d = 0; d < D; ++d) {
          u.truncation_observations.push_back(static_cast<float>(3.0 + rng.Normal()));
        }
      }
    }
  }
  // Every batch in these tests must contain at least one truncation.
  if (unrolls[0].NumTruncations() == 0) {
    unrolls[0].truncated[0] = 1;
    unrolls[0].terminated[0] = 0;
    std::vector<float> row(D, 2.5f);
    unrolls[0].truncation_observations.insert(unrolls[0].truncation_observations.begin(),
                                              row.begin(), row.end());
  }
  return unrolls;
}

TEST_F(ImpalaTest, BatchFromUnrollsLayoutDiscrete) {
  const int B = 3, T = 4, D = 2;
  std::vector<Unroll> unrolls(B);
  for (int b = 0; b < B; ++b) {
    Unroll& u = unrolls[b];
    u.Resize(T, D, 1, true);
    for (int t = 0; t <= T; ++t) {
      for (int d = 0; d < D; ++d) u.observations[t * D + d] = 100 * b + 10 * t + d;
    }
    for (int t = 0; t < T; ++t) {
      u.actions[t] = (b + t) % 3;
      u.rewards[t] = 10 * b + t;
      u.behaviour_log_probs[t] = -(10 * b + t);
    }
  }
  unrolls[1].terminated[2] = 1;
  unrolls[0].truncated[1] = 1;
  unrolls[0].truncation_observations = {-1, -2};
  unrolls[2].truncated[0] = 1;
  unrolls[2].truncated[3] = 1;
  unrolls[2].truncation_observations = {-3, -4, -5, -6};

  const ImpalaBatch batch = BatchFromUnrolls(unrolls);
  ASSERT_EQ(batch.observations.sizes(), (std::vector<int64_t>{T + 1, B, D}));
  ASSERT_EQ(batch.actions.sizes(), (std::vector<int64_t>{T, B}));
  ASSERT_EQ(batch.actions.scalar_type(), torch::kLong);
  for (const torch::Tensor* t :
       {&batch.rewards, &batch.terminated, &batch.truncated, &batch.behaviour_log_probs}) {
    ASSERT_EQ(t->sizes(), (std::vector<int64_t>{T, B}));
    ASSERT_EQ(t->scalar_type(), torch::kFloat);
  }
  for (int b = 0; b < B; ++b) {
    for (int t = 0; t <= T; ++t) {
      for (int d = 0; d < D; ++d) {
        EXPECT_EQ(batch.observations[t][b][d].item<float>(), 100 * b + 10 * t + d);
      }
    }
    for (int t = 0; t < T; ++t) {
      EXPECT_EQ(batch.actions[t][b].item<int64_t>(), (b + t) % 3);
      EXPECT_EQ(batch.rewards[t][b].item<float>(), 10 * b + t);
      EXPECT_EQ(batch.behaviour_log_probs[t][b].item<float>(), -(10 * b + t));
      EXPECT_EQ(batch.terminated[t][b].item<float>(), (b == 1 && t == 2) ? 1.0f : 0.0f);
      const bool truncated = (b == 0 && t == 1) || (b == 2 && (t == 0 || t == 3));
      EXPECT_EQ(batch.truncated[t][b].item<float>(), truncated ? 1.0f : 0.0f);
    }
  }
  ASSERT_EQ(batch.truncation_observations.sizes(), (std::vector<int64_t>{3, D}));
  EXPECT_TRUE(torch::equal(batch.truncation_observations,
                           torch::tensor(std::vector<float>{-1, -2, -3, -4, -5, -6}).view({3, 2})));
  ASSERT_EQ(batch.truncation_index.scalar_type(), torch::kLong);
  // Flat index t·B + b, unroll order then step order.
  EXPECT_TRUE(torch::equal(batch.truncation_index,
                           torch::tensor(std::vector<int64_t>{1 * B + 0, 0 * B + 2, 3 * B + 2})));
}

TEST_F(ImpalaTest, BatchFromUnrollsLayoutContinuousWithoutTruncations) {
  const int B = 2, T = 3, D = 1, A = 2;
  std::vector<Unroll> unrolls(B);
  for (int b = 0; b < B; ++b) {
    unrolls[b].Resize(T, D, A, false);
    for (int t = 0; t < T; ++t) {
      for (int j = 0; j < A; ++j) unrolls[b].actions[t * A + j] = 100 * b + 10 * t + j;
    }
  }
  const ImpalaBatch batch = BatchFromUnrolls(unrolls);
  ASSERT_EQ(batch.actions.sizes(), (std::vector<int64_t>{T, B, A}));
  ASSERT_EQ(batch.actions.scalar_type(), torch::kFloat);
  for (int b = 0; b < B; ++b) {
    for (int t = 0; t < T; ++t) {
      for (int j = 0; j < A; ++j) {
        EXPECT_EQ(batch.actions[t][b][j].item<float>(), 100 * b + 10 * t + j);
      }
    }
  }
  EXPECT_EQ(batch.truncation_observations.sizes(), (std::vector<int64_t>{0, D}));
  EXPECT_EQ(batch.truncation_index.sizes(), (std::vector<int64_t>{0}));
}

TEST_F(ImpalaTest, BatchFromUnrollsRejectsMismatches) {
  EXPECT_THROW(BatchFromUnrolls({}), std::invalid_argument);
  std::vector<Unroll> unrolls(2);
  unrolls[0].Resize(4, 2, 1, true);
  unrolls[1].Resize(5, 2, 1, true);
  EXPECT_THROW(BatchFromUnrolls(unrolls), std::invalid_argument);
  unrolls[1].Resize(4, 3, 1, true);
  EXPECT_THROW(BatchFromUnrolls(unrolls), std::invalid_argument);
  unrolls[1].Resize(4, 2, 1, false);
  EXPECT_THROW(BatchFromUnrolls(unrolls), std::invalid_argument);
  unrolls[1].Resize(4, 2, 1, true);
  EXPECT_NO_THROW(BatchFromUnrolls(unrolls));
  unrolls[1].truncated[2] = 1;  // but no truncation observation
  EXPECT_THROW(BatchFromUnrolls(unrolls), std::invalid_argument);
}

// The losses Update reports against an independent computation: separate forward passes per
// time step, next values assembled step by step from the unrolls.
TEST_F(ImpalaTest, UpdateLossesMatchIndependentComputation) {
  const int B = 3, T = 6, D = 3, K = 4;
  ActorCritic model(DiscreteModel(D, K));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.add_(torch::randn(p.sizes()) * 0.3);
  }
  ImpalaOptions options;
  options.discount = 0.9;
  options.vtrace.rho_bar = 1.1;
  options.vtrace.c_bar = 0.9;
  options.entropy_cost = 0.05;
  options.baseline_cost = 0.7;
  Impala impala(model, options);
  const std::vector<Unroll> unrolls = RandomUnrolls(17, B, T, D, 1, true, K);
  const ImpalaBatch batch = BatchFromUnrolls(unrolls);
  ASSERT_GT(batch.truncation_index.size(0), 0);

  double policy_loss = 0, baseline_loss = 0, entropy = 0, mean_rho = 0;
  {
    torch::NoGradGuard no_grad;
    std::vector<std::vector<double>> v(T + 1, std::vector<double>(B));
    torch::Tensor log_pi = torch::zeros({T, B}), ent = torch::zeros({T, B});
    for (int t = 0; t <= T; ++t) {
      const PolicyOutput out = model->forward(batch.observations[t]);
      for (int b = 0; b < B; ++b) v[t][b] = out.value[b].item<double>();
      if (t < T) {
        log_pi[t] = model->LogProb(out, batch.actions[t]);
        ent[t] = model->Entropy(out);
      }
    }
    torch::Tensor next_values = torch::zeros({T, B}), values = torch::zeros({T, B});
    torch::Tensor discounts = torch::zeros({T, B}), continues = torch::zeros({T, B});
    for (int b = 0; b < B; ++b) {
      const Unroll& u = unrolls[b];
      int k = 0;
      for (int t = 0; t < T; ++t) {
        values[t][b] = v[t][b];
        if (u.truncated[t]) {
          const torch::Tensor final_obs =
              torch::tensor(std::vector<float>(u.truncation_observations.begin() + k * D,
                                               u.truncation_observations.begin() + (k + 1) * D))
                  .view({1, D});
          next_values[t][b] = model->forward(final_obs).value[0].item<double>();
          ++k;
        } else {
          next_values[t][b] = v[t + 1][b];
        }
        discounts[t][b] = u.terminated[t] ? 0.0 : options.discount;
        continues[t][b] = (u.terminated[t] || u.truncated[t]) ? 0.0 : 1.0;
      }
    }
    const torch::Tensor log_rhos = log_pi - batch.behaviour_log_probs;
    const VTraceReturns vt = ComputeVTrace(
        {log_rhos, discounts, continues, batch.rewards, values, next_values}, options.vtrace);
    policy_loss = -(log_pi * vt.pg_advantages).mean().item<double>();
    baseline_loss = 0.5 * (vt.vs - values).pow(2).mean().item<double>();
    entropy = ent.mean().item<double>();
    mean_rho = log_rhos.exp().mean().item<double>();
  }
  std::vector<float> before;
  FlattenParameters(*model, &before);
  const ImpalaStats stats = impala.Update(batch);
  EXPECT_NEAR(stats.policy_loss, policy_loss, 1e-5 * (1 + std::fabs(policy_loss)));
  EXPECT_NEAR(stats.baseline_loss, baseline_loss, 1e-5 * (1 + baseline_loss));
  EXPECT_NEAR(stats.entropy, entropy, 1e-5);
  EXPECT_NEAR(stats.mean_rho, mean_rho, 1e-5);
  const double total = policy_loss + 0.7 * baseline_loss - 0.05 * entropy;
  EXPECT_NEAR(stats.total_loss, total, 1e-5 * (1 + std::fabs(total)));
  EXPECT_GT(stats.grad_norm, 0.0);
  EXPECT_DOUBLE_EQ(stats.learning_rate, options.learning_rate);
  EXPECT_EQ(impala.num_updates(), 1);
  std::vector<float> after;
  FlattenParameters(*model, &after);  // the Impala shares the module
  EXPECT_NE(before, after);
}

void SetParameter(torch::nn::Module& module, const std::string& name, std::vector<float> values) {
  torch::NoGradGuard no_grad;
  auto parameters = module.named_parameters();
  ASSERT_NE(parameters.find(name), nullptr) << name;
  parameters[name].copy_(torch::tensor(values).view_as(parameters[name]));
}

// APPO on one unroll of T = 2 with a linear network (no hidden layer) of fixed weights, D = 1,
// two actions: logits (0.5x + 0.1, −0.3x + 0.2), V(x) = 0.8x + 0.05. The behaviour policy is
// set so that ρ = π/μ = (1.5, 0.9); γ = 0.9, ρ̄ = c̄ = 1, ε = 0.2. V-trace and the clipped
// surrogate are written out here for T = 2.
TEST_F(ImpalaTest, AppoLossMatchesTheEquationsComputedByHand) {
  ActorCriticOptions model_options;
  model_options.observation_size = 1;
  model_options.num_actions = 2;
  model_options.hidden_sizes = {};
  ActorCritic model(model_options);
  SetParameter(*model, "policy_head.weight", {0.5f, -0.3f});
  SetParameter(*model, "policy_head.bias", {0.1f, 0.2f});
  SetParameter(*model, "value_head.weight", {0.8f});
  SetParameter(*model, "value_head.bias", {0.05f});
  ImpalaOptions options;
  options.discount = 0.9;
  options.loss = PolicyLoss::kAppo;
  options.ppo_clip = 0.2;
  options.entropy_cost = 0.0;
  options.baseline_cost = 0.5;
  Impala impala(model, options);

  const double x[3] = {1.0, -1.0, 0.5}, r[2] = {1.0, -0.5}, rho[2] = {1.5, 0.9};
  const int a[2] = {0, 1};
  auto log_pi = [](double s, int action) {
    const double l0 = 0.5 * s + 0.1, l1 = -0.3 * s + 0.2;
    const double m = std::max(l0, l1);
    const double lse = m + std::log(std::exp(l0 - m) + std::exp(l1 - m));
    return (action == 0 ? l0 : l1) - lse;
  };
  auto V = [](double s) { return 0.8 * s + 0.05; };
  Unroll u;
  u.Resize(2, 1, 1, true);
  u.observations = {static_cast<float>(x[0]), static_cast<float>(x[1]), static_cast<float>(x[2])};
  u.actions = {0.0f, 1.0f};
  u.rewards = {1.0f, -0.5f};
  for (int t = 0; t < 2; ++t) {
    u.behaviour_log_probs[t] = static_cast<float>(log_pi(x[t], a[t]) - std::log(rho[t]));
  }
  const ImpalaBatch batch = BatchFromUnrolls({u});

  // V-trace for T = 2 (no episode end): ρ̄_t = c_t = min(1, ρ_t).
  const double g = 0.9, rb0 = 1.0, rb1 = 0.9;
  const double d0 = rb0 * (r[0] + g * V(x[1]) - V(x[0]));
  const double d1 = rb1 * (r[1] + g * V(x[2]) - V(x[1]));
  const double vs1 = V(x[1]) + d1;
  const double vs0 = V(x[0]) + d0 + g * rb0 * d1;
  const double adv0 = rb0 * (r[0] + g * vs1 - V(x[0]));
  const double adv1 = rb1 * (r[1] + g * V(x[2]) - V(x[1]));
  auto surrogate = [](double ratio, double adv) {
    return std::min(ratio * adv, std::clamp(ratio, 0.8, 1.2) * adv);
  };
  const double policy_loss = -(surrogate(rho[0], adv0) + surrogate(rho[1], adv1)) / 2;
  const double baseline_loss =
      0.5 * ((vs0 - V(x[0])) * (vs0 - V(x[0])) + (vs1 - V(x[1])) * (vs1 - V(x[1]))) / 2;

  const ImpalaStats stats = impala.Update(batch);
  EXPECT_NEAR(stats.mean_rho, 1.2, 1e-5);
  EXPECT_NEAR(stats.policy_loss, policy_loss, 1e-5);
  EXPECT_NEAR(stats.baseline_loss, baseline_loss, 1e-5);
  EXPECT_NEAR(stats.total_loss, policy_loss + 0.5 * baseline_loss, 1e-5);
  EXPECT_DOUBLE_EQ(stats.clip_fraction, 0.5);  // ρ_0 = 1.5 left [0.8, 1.2], ρ_1 did not
  // The V-trace policy loss on the same batch and weights: −mean(log π·Â).
  ActorCritic same(model_options);
  SetParameter(*same, "policy_head.weight", {0.5f, -0.3f});
  SetParameter(*same, "policy_head.bias", {0.1f, 0.2f});
  SetParameter(*same, "value_head.weight", {0.8f});
  SetParameter(*same, "value_head.bias", {0.05f});
  options.loss = PolicyLoss::kVTrace;
  Impala vtrace(same, options);
  const ImpalaStats vtrace_stats = vtrace.Update(batch);
  EXPECT_NEAR(vtrace_stats.policy_loss, -(log_pi(x[0], 0) * adv0 + log_pi(x[1], 1) * adv1) / 2,
              1e-5);
  EXPECT_NEAR(vtrace_stats.baseline_loss, baseline_loss, 1e-5);
}

// epochs × minibatches optimiser steps per update, each on its own minibatch of unrolls.
TEST_F(ImpalaTest, EpochsAndMinibatchesTakeOneAdamStepEach) {
  ImpalaOptions options;
  options.loss = PolicyLoss::kAppo;
  options.epochs = 2;
  options.minibatches = 3;
  options.normalize_advantages = true;
  options.value_clip = 0.5;
  Impala impala(ActorCritic(DiscreteModel(3, 4)), options);
  const ImpalaBatch batch = BatchFromUnrolls(RandomUnrolls(5, 7, 6, 3, 1, true, 4));
  const ImpalaStats stats = impala.Update(batch);
  EXPECT_EQ(impala.num_updates(), 1);
  EXPECT_TRUE(std::isfinite(stats.policy_loss));
  EXPECT_GE(stats.clip_fraction, 0.0);
  // Adam counts its steps per parameter.
  const auto& state = impala.optimizer().state();
  ASSERT_FALSE(state.empty());
  for (const auto& [key, value] : state) {
    EXPECT_EQ(static_cast<torch::optim::AdamParamState&>(*value).step(), 6);
  }
  // One more update: six more steps.
  impala.Update(batch);
  for (const auto& [key, value] : impala.optimizer().state()) {
    EXPECT_EQ(static_cast<torch::optim::AdamParamState&>(*value).step(), 12);
  }
}

TEST_F(ImpalaTest, LearningRateDecaysLinearlyAndGradNormIsClipped) {
  const int D = 2;
  ImpalaOptions options;
  options.total_updates = 4;
  options.learning_rate = 1e-3;
  options.max_grad_norm = 1e-3;
  Impala impala(ActorCritic(DiscreteModel(D, 3)), options);
  const ImpalaBatch batch = BatchFromUnrolls(RandomUnrolls(3, 2, 5, D, 1, true, 3));
  const double expected[] = {1e-3, 0.75e-3, 0.5e-3, 0.25e-3, 0.0};
  for (double lr : expected) {
    std::vector<float> before, after;
    FlattenParameters(*impala.model(), &before);
    const ImpalaStats stats = impala.Update(batch);
    FlattenParameters(*impala.model(), &after);
    EXPECT_NEAR(stats.learning_rate, lr, 1e-12);
    EXPECT_GT(stats.grad_norm, options.max_grad_norm);
    // After clipping the gradient norm is max_grad_norm.
    double norm_sq = 0.0;
    for (const auto& p : impala.model()->parameters()) {
      norm_sq += p.grad().pow(2).sum().item<double>();
    }
    EXPECT_NEAR(std::sqrt(norm_sq), options.max_grad_norm, 1e-5);
    if (lr == 0.0) {
      EXPECT_EQ(before, after);
    }
  }
  EXPECT_EQ(impala.num_updates(), 5);
}

// One-step bandit: every step ends the episode, action 1 pays 1, the others 0.
TEST_F(ImpalaTest, LearnsDiscreteBandit) {
  const int B = 8, T = 4;
  ImpalaOptions options;
  options.learning_rate = 3e-3;
  Impala impala(ActorCritic(DiscreteModel(1, 3)), options);
  auto probability_of_good_action = [&] {
    torch::NoGradGuard no_grad;
    return impala.model()->forward(torch::ones({1, 1})).logits.softmax(-1)[0][1].item<double>();
  };
  const double initial = probability_of_good_action();
  EXPECT_NEAR(initial, 1.0 / 3.0, 0.05);
  Rng rng(123);
  for (int update = 0; update < 300; ++update) {
    std::vector<Unroll> unrolls(B);
    for (Unroll& u : unrolls) {
      u.Resize(T, 1, 1, true);
      std::fill(u.observations.begin(), u.observations.end(), 1.0f);
      torch::NoGradGuard no_grad;
      const PolicyOutput out = impala.model()->forward(torch::ones({T, 1}));
      SampleActions(out, rng, u.actions.data(), u.behaviour_log_probs.data());
      for (int t = 0; t < T; ++t) {
        u.rewards[t] = u.actions[t] == 1.0f ? 1.0f : 0.0f;
        u.terminated[t] = 1;
      }
    }
    const ImpalaStats stats = impala.Update(BatchFromUnrolls(unrolls));
    ASSERT_NEAR(stats.mean_rho, 1.0, 1e-4);  // on-policy
    ASSERT_TRUE(std::isfinite(stats.total_loss));
  }
  EXPECT_GT(probability_of_good_action(), 0.9);
}

// Continuous bandit: reward −(a − 1)², the mean must move from 0 towards 1.
TEST_F(ImpalaTest, LearnsContinuousBandit) {
  const int B = 16, T = 4;
  ActorCriticOptions model_options;
  model_options.observation_size = 1;
  model_options.discrete_actions = false;
  model_options.action_size = 1;
  model_options.hidden_sizes = {16};
  ImpalaOptions options;
  options.learning_rate = 1e-2;
  options.entropy_cost = 0.0;
  Impala impala(ActorCritic(model_options), options);
  auto mean = [&] {
    torch::NoGradGuard no_grad;
    return impala.model()->forward(torch::ones({1, 1})).mean[0][0].item<double>();
  };
  EXPECT_NEAR(mean(), 0.0, 0.1);
  Rng rng(7);
  for (int update = 0; update < 300; ++update) {
    std::vector<Unroll> unrolls(B);
    for (Unroll& u : unrolls) {
      u.Resize(T, 1, 1, false);
      std::fill(u.observations.begin(), u.observations.end(), 1.0f);
      torch::NoGradGuard no_grad;
      const PolicyOutput out = impala.model()->forward(torch::ones({T, 1}));
      SampleActions(out, rng, u.actions.data(), u.behaviour_log_probs.data());
      for (int t = 0; t < T; ++t) {
        u.rewards[t] = -(u.actions[t] - 1.0f) * (u.actions[t] - 1.0f);
        u.terminated[t] = 1;
      }
    }
    impala.Update(BatchFromUnrolls(unrolls));
  }
  EXPECT_NEAR(mean(), 1.0, 0.3);
}

TEST_F(ImpalaTest, CheckpointRoundTripGivesSameNextUpdate) {
  const int D = 3;
  ImpalaOptions options;
  options.total_updates = 100;
  const ImpalaBatch batch = BatchFromUnrolls(RandomUnrolls(5, 4, 6, D, 1, true, 4));
  const ImpalaBatch next_batch = BatchFromUnrolls(RandomUnrolls(6, 4, 6, D, 1, true, 4));
  torch::manual_seed(1);
  Impala original(ActorCritic(DiscreteModel(D, 4)), options);
  for (int i = 0; i < 3; ++i) original.Update(batch);
  const std::string path = TempPath("checkpoint.pt");
  original.SaveCheckpoint(path);

  torch::manual_seed(2);
  Impala restored(ActorCritic(DiscreteModel(D, 4)), options);
  std::vector<float> a, b;
  FlattenParameters(*original.model(), &a);
  FlattenParameters(*restored.model(), &b);
  ASSERT_NE(a, b);
  restored.LoadCheckpoint(path);
  FlattenParameters(*restored.model(), &b);
  EXPECT_EQ(a, b);
  EXPECT_EQ(restored.num_updates(), 3);

  const ImpalaStats s1 = original.Update(next_batch);
  const ImpalaStats s2 = restored.Update(next_batch);
  EXPECT_EQ(s1.total_loss, s2.total_loss);
  EXPECT_EQ(s1.grad_norm, s2.grad_norm);
  EXPECT_EQ(s1.learning_rate, s2.learning_rate);
  FlattenParameters(*original.model(), &a);
  FlattenParameters(*restored.model(), &b);
  EXPECT_EQ(a, b);  // needs the Adam moments and step counts, not only the weights

  // Without the optimizer state the next step differs (guards the check above).
  torch::manual_seed(3);
  Impala weights_only(ActorCritic(DiscreteModel(D, 4)), options);
  std::vector<float> c;
  FlattenParameters(*original.model(), &c);
  LoadFlatParameters(*weights_only.model(), c.data(), c.size());
  original.Update(next_batch);
  weights_only.Update(next_batch);
  FlattenParameters(*original.model(), &a);
  FlattenParameters(*weights_only.model(), &c);
  EXPECT_NE(a, c);
  std::remove(path.c_str());
}

TEST_F(ImpalaTest, CheckpointErrorsNameThePathAndLeaveTheModelAlone) {
  Impala impala(ActorCritic(DiscreteModel(2, 3)), ImpalaOptions());
  const std::string missing = TempPath("does_not_exist.pt");
  try {
    impala.LoadCheckpoint(missing);
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  const std::string bad_dir = TempPath("no_such_dir") + "/x/checkpoint.pt";
  try {
    impala.SaveCheckpoint(bad_dir);
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(bad_dir), std::string::npos) << e.what();
  }
  // A checkpoint of another architecture is refused before anything changes.
  ActorCriticOptions wider = DiscreteModel(2, 3);
  wider.hidden_sizes = {32};
  Impala other(ActorCritic(wider), ImpalaOptions{});
  const std::string path = TempPath("wider.pt");
  other.SaveCheckpoint(path);
  std::vector<float> before, after;
  FlattenParameters(*impala.model(), &before);
  EXPECT_THROW(impala.LoadCheckpoint(path), std::runtime_error);
  FlattenParameters(*impala.model(), &after);
  EXPECT_EQ(before, after);
  EXPECT_EQ(impala.num_updates(), 0);
  std::remove(path.c_str());
}

TEST_F(ImpalaTest, OptionsValidateNamesTheField) {
  ImpalaOptions options;
  EXPECT_NO_THROW(options.Validate());
  options.discount = 1.5;
  try {
    Impala impala(ActorCritic(DiscreteModel(2, 3)), options);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("discount"), std::string::npos) << e.what();
  }
  options = ImpalaOptions();
  options.learning_rate = 0.0;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options = ImpalaOptions();
  options.vtrace.rho_bar = -1.0;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
}

// A continuous policy: the env receives the Gaussian sample clipped to its bounds; the unroll
// keeps the sample itself and its log-probability (what V-trace compares π against).
TEST_F(ImpalaTest, PolicyClipsActionsAtTheEnvOnly) {
  RunConfig config;
  config.env.num_envs = 4;
  config.actor.unroll_length = 1;
  config.model.initial_log_std = 1.0;  // σ = e: most samples leave [−0.5, 0.5]
  EnvSpec spec;
  spec.id = "Box";
  spec.observation_size = 2;
  spec.discrete_actions = false;
  spec.action_size = 1;
  spec.action_low = {-0.5f};
  spec.action_high = {0.5f};
  auto policy = ImpalaAlgorithmSpec().make_policy(config, spec, 0);
  std::vector<float> obs(8, 0.1f), actions(4), rewards(4, 0.0f);
  std::vector<uint8_t> done(4, 0);
  ActorOutput out;
  int clipped = 0;
  for (int t = 0; t < 25; ++t) {
    policy->Act(obs.data(), actions.data());
    EnvStepView view{4,           obs.data(),  actions.data(), rewards.data(),
                     done.data(), done.data(), obs.data(),     obs.data()};
    policy->Record(view, &out);
    ASSERT_EQ(out.unrolls.size(), 4u * (t + 1));
    for (int e = 0; e < 4; ++e) {
      const float sent = actions[e];
      const float sample = out.unrolls[4 * t + e].actions[0];
      ASSERT_GE(sent, -0.5f);
      ASSERT_LE(sent, 0.5f);
      EXPECT_EQ(sent, std::clamp(sample, -0.5f, 0.5f));
      clipped += sent != sample;
    }
  }
  EXPECT_GT(clipped, 50);  // P(|N(μ≈0, e²)| > 0.5) ≈ 0.85 of 100 samples
}

EnvSpec CartPoleSpec() {
  EnvSpec spec;
  spec.id = "CartPole-v1";
  spec.observation_size = 4;
  spec.discrete_actions = true;
  spec.num_actions = 2;
  spec.action_size = 1;
  return spec;
}

// The IMPALA actor policy cuts one unroll per env every unroll_length steps from what the actor
// hands it: x_t and a_t from Act, the step's outcome from Record, row T from the last step's
// next observation, the final observation of a truncation, and the version of the weights it
// had at the unroll's start.
TEST_F(ImpalaTest, PolicyCutsUnrollsFromTheStepsItIsGiven) {
  RunConfig config;
  config.env.num_envs = 2;
  config.actor.unroll_length = 3;
  const EnvSpec spec = CartPoleSpec();
  std::unique_ptr<ActorPolicy> policy = ImpalaAlgorithmSpec().make_policy(config, spec, 0);
  std::vector<float> obs(8), next(8), final_obs(8), actions(2), rewards(2);
  std::vector<uint8_t> terminated(2), truncated(2);
  ActorOutput out;
  std::vector<std::vector<float>> seen_actions;
  for (int t = 0; t < 3; ++t) {
    EXPECT_EQ(policy->WantsWeights(), t == 0);
    if (t == 0) policy->OnWeights(7);
    for (int i = 0; i < 8; ++i) obs[i] = 10.0f * t + i;
    policy->Act(obs.data(), actions.data());
    for (float a : actions) EXPECT_TRUE(a == 0.0f || a == 1.0f);
    seen_actions.push_back(actions);
    for (int i = 0; i < 8; ++i) next[i] = 10.0f * (t + 1) + i;
    rewards = {1.0f + t, -1.0f - t};
    terminated = {static_cast<uint8_t>(t == 1), 0};
    truncated = {0, static_cast<uint8_t>(t == 2)};
    for (int i = 0; i < 8; ++i) final_obs[i] = -100.0f - i;
    EnvStepView view{2,
                     obs.data(),
                     actions.data(),
                     rewards.data(),
                     terminated.data(),
                     truncated.data(),
                     next.data(),
                     final_obs.data()};
    policy->Record(view, &out);
    EXPECT_EQ(out.unrolls.size(), t == 2 ? 2u : 0u);
  }
  policy->OnWeights(9);  // arrives mid-stream: the next unroll carries it
  ASSERT_EQ(out.unrolls.size(), 2u);
  EXPECT_TRUE(out.priorities.empty());
  for (int e = 0; e < 2; ++e) {
    const Unroll& u = out.unrolls[e];
    EXPECT_NO_THROW(u.Validate());
    EXPECT_EQ(u.policy_version, 7);
    EXPECT_EQ(u.env_index, static_cast<uint32_t>(e));
    for (int t = 0; t <= 3; ++t) {
      for (int j = 0; j < 4; ++j) EXPECT_EQ(u.observations[t * 4 + j], 10.0f * t + 4 * e + j);
    }
    for (int t = 0; t < 3; ++t) {
      EXPECT_EQ(u.actions[t], seen_actions[t][e]);
      EXPECT_EQ(u.rewards[t], e == 0 ? 1.0f + t : -1.0f - t);
      EXPECT_LE(u.behaviour_log_probs[t], 0.0f);
      EXPECT_GT(u.behaviour_log_probs[t], std::log(1e-6f));
    }
  }
  EXPECT_EQ(out.unrolls[0].terminated, (std::vector<uint8_t>{0, 1, 0}));
  EXPECT_EQ(out.unrolls[1].truncated, (std::vector<uint8_t>{0, 0, 1}));
  EXPECT_EQ(out.unrolls[1].truncation_observations,
            (std::vector<float>{-104.0f, -105.0f, -106.0f, -107.0f}));
  EXPECT_TRUE(out.unrolls[0].truncation_observations.empty());
}

// An env whose episode was dropped mid-unroll (a fault in an env rlfleet did not write) gives
// no unroll for that stretch; the other envs' unrolls come out whole, and the next unroll of
// the faulty env is whole again.
TEST_F(ImpalaTest, PolicyDiscardsTheUnrollOfAnEnvWithADroppedStep) {
  RunConfig config;
  config.env.num_envs = 2;
  config.actor.unroll_length = 2;
  const EnvSpec spec = CartPoleSpec();
  std::unique_ptr<ActorPolicy> policy = ImpalaAlgorithmSpec().make_policy(config, spec, 0);
  std::vector<float> obs(8, 0.0f), actions(2), rewards(2, 1.0f);
  std::vector<uint8_t> flags(2, 0), dropped(2, 0);
  ActorOutput out;
  for (int t = 0; t < 4; ++t) {
    policy->Act(obs.data(), actions.data());
    dropped = {0, static_cast<uint8_t>(t == 0)};  // env 1 fails in its first unroll's first step
    EnvStepView view{
        2,          obs.data(), actions.data(), rewards.data(), flags.data(), flags.data(),
        obs.data(), obs.data(), dropped.data()};
    policy->Record(view, &out);
  }
  ASSERT_EQ(out.unrolls.size(), 3u);
  EXPECT_EQ(out.unrolls[0].env_index, 0u);  // first unroll: env 0 only
  EXPECT_EQ(out.unrolls[1].env_index, 0u);  // second: both
  EXPECT_EQ(out.unrolls[2].env_index, 1u);
  for (const Unroll& u : out.unrolls) EXPECT_NO_THROW(u.Validate());
}

// The policy's network and the learner's published one hold the same initial weights under the
// same names: an actor acts from the first step as the learner would.
TEST_F(ImpalaTest, PolicyAndLearnerShareInitialWeightsAndParameterNames) {
  for (bool normalize : {false, true}) {
    SCOPED_TRACE(normalize);
    RunConfig config;
    config.env.num_envs = 1;
    config.model.normalize_observations = normalize;
    const EnvSpec spec = CartPoleSpec();
    auto policy = ImpalaAlgorithmSpec().make_policy(config, spec, 3);
    auto learner = ImpalaAlgorithmSpec().make_learner(config, spec, "cpu");
    const std::vector<std::string> names = ParameterNames(learner->published_module());
    EXPECT_EQ(ParameterNames(policy->module()), names);
    EXPECT_EQ(std::count(names.begin(), names.end(), "obs_norm.mean"), normalize ? 1 : 0);
    std::vector<float> a, b;
    FlattenParameters(policy->module(), &a);
    FlattenParameters(learner->published_module(), &b);
    EXPECT_EQ(a, b);
    EXPECT_EQ(learner->metric_names().size(), 8u);
  }
}

}  // namespace
}  // namespace rlfleet
