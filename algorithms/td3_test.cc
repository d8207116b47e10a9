#include "algorithms/td3.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "algorithms/parameter_vector.h"
#include "core/epsilon_ladder.h"
#include "core/random.h"

namespace rlfleet {
namespace {

using Sizes = std::vector<int64_t>;
using Bounds = std::vector<float>;

class Td3Test : public ::testing::Test {
 protected:
  void SetUp() override {
    at::set_num_threads(1);
    torch::manual_seed(0);
  }
};

void Set(torch::nn::Module& module, const std::string& name, std::vector<float> values) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.named_parameters()) {
    if (p.key() == name) {
      p.value().copy_(torch::tensor(values).view_as(p.value()));
      return;
    }
  }
  FAIL() << "no parameter " << name;
}

TransitionBatch RandomBatch(int64_t b, int64_t d, int64_t a) {
  TransitionBatch batch;
  batch.observations = torch::randn({b, d});
  batch.actions = torch::rand({b, a}) * 2 - 1;
  batch.rewards = torch::randn({b});
  batch.discounts = torch::full({b}, 0.9f);
  batch.next_observations = torch::randn({b, d});
  batch.weights = torch::ones({b});
  return batch;
}

TEST_F(Td3Test, ActorStaysInsideTheBounds) {
  DeterministicActor actor(3, Sizes{8}, Bounds{-1.0f, 10.0f}, Bounds{1.0f, 30.0f});
  const torch::Tensor a = actor->forward(100 * torch::randn({64, 3}));
  EXPECT_TRUE((a.select(1, 0) >= -1).all().item<bool>());
  EXPECT_TRUE((a.select(1, 0) <= 1).all().item<bool>());
  EXPECT_TRUE((a.select(1, 1) >= 10).all().item<bool>());
  EXPECT_TRUE((a.select(1, 1) <= 30).all().item<bool>());
  EXPECT_THROW(DeterministicActor(3, Sizes{8}, Bounds{1.0f}, Bounds{1.0f}), std::invalid_argument);
  EXPECT_THROW(DeterministicActor(3, Sizes{8}, Bounds{0.0f}, Bounds{1.0f, 2.0f}),
               std::invalid_argument);
}

// Linear networks (no hidden layer) with fixed weights, D = A = 1, bounds [−2, 2]:
//   actor: μ(x) = 2 tanh(0.5·x + 0.1)   (the target actor starts equal)
//   Q1 = 0.4·x + 0.3·a + 0.2,  Q2 = −0.1·x + 0.6·a − 0.1  (targets equal at the start)
// policy_noise 0.2, noise_clip 0.5. Every loss is recomputed here from the TD3 equations.
TEST_F(Td3Test, LossesMatchTheEquationsComputedByHand) {
  DeterministicActor actor(1, Sizes{}, Bounds{-2.0f}, Bounds{2.0f});
  Set(*actor, "action_head.weight", {0.5f});
  Set(*actor, "action_head.bias", {0.1f});
  QFunction q1(1, 1, Sizes{}), q2(1, 1, Sizes{});
  Set(*q1, "q_head.weight", {0.4f, 0.3f});
  Set(*q1, "q_head.bias", {0.2f});
  Set(*q2, "q_head.weight", {-0.1f, 0.6f});
  Set(*q2, "q_head.bias", {-0.1f});
  Td3Options options;
  options.policy_noise = 0.2;
  options.noise_clip = 0.5;
  Td3 td3(actor, q1, q2, options);

  // Row 0 bootstraps (γ^k = 0.9: a step or a time-limit truncation) and its smoothing noise
  // 0.2·3 = 0.6 is clipped to 0.5, pushing the action past the upper bound (clipped to 2);
  // row 1 bootstraps with noise −0.2; row 2 terminated (discount 0).
  const std::vector<double> x = {1.0, -1.0, 0.5}, a = {0.5, -0.2, 1.5}, r = {1.0, 0.0, -1.0},
                            g = {0.9, 0.9, 0.0}, x1 = {5.0, 2.0, -3.0}, w = {1.0, 0.5, 2.0},
                            eps = {3.0, -1.0, 0.4};
  TransitionBatch batch;
  batch.observations = torch::tensor({1.0f, -1.0f, 0.5f}).view({3, 1});
  batch.actions = torch::tensor({0.5f, -0.2f, 1.5f}).view({3, 1});
  batch.rewards = torch::tensor({1.0f, 0.0f, -1.0f});
  batch.discounts = torch::tensor({0.9f, 0.9f, 0.0f});
  batch.next_observations = torch::tensor({5.0f, 2.0f, -3.0f}).view({3, 1});
  batch.weights = torch::tensor({1.0f, 0.5f, 2.0f});
  const torch::Tensor next_noise = torch::tensor({3.0f, -1.0f, 0.4f}).view({3, 1});
  const Td3Losses losses = td3.Losses(batch, next_noise);

  auto mu = [](double s) { return 2.0 * std::tanh(0.5 * s + 0.1); };
  auto Q1 = [](double s, double act) { return 0.4 * s + 0.3 * act + 0.2; };
  auto Q2 = [](double s, double act) { return -0.1 * s + 0.6 * act - 0.1; };
  double critic = 0.0, actor_loss = 0.0;
  for (int b = 0; b < 3; ++b) {
    const double smoothing = std::clamp(0.2 * eps[b], -0.5, 0.5);
    const double next_a = std::clamp(mu(x1[b]) + smoothing * 2.0, -2.0, 2.0);
    if (b == 0) {
      EXPECT_DOUBLE_EQ(next_a, 2.0);  // the bound, not μ + noise
    }
    const double y = r[b] + g[b] * std::min(Q1(x1[b], next_a), Q2(x1[b], next_a));
    const double d1 = Q1(x[b], a[b]) - y, d2 = Q2(x[b], a[b]) - y;
    critic += w[b] * (d1 * d1 + d2 * d2) / 3;
    EXPECT_NEAR(losses.td[b].item<double>(), 0.5 * (std::abs(d1) + std::abs(d2)), 1e-5) << b;
    actor_loss += -Q1(x[b], mu(x[b])) / 3;
  }
  EXPECT_NEAR(losses.critic.item<double>(), critic, 1e-5);
  EXPECT_NEAR(losses.actor.item<double>(), actor_loss, 1e-5);
  EXPECT_NEAR(losses.mean_q.item<double>(),
              (std::min(Q1(1.0, 0.5), Q2(1.0, 0.5)) + std::min(Q1(-1.0, -0.2), Q2(-1.0, -0.2)) +
               std::min(Q1(0.5, 1.5), Q2(0.5, 1.5))) /
                  3,
              1e-5);

  // The terminated row's target is its reward alone: moving its next observation changes
  // nothing, while a bootstrapping row's target moves.
  TransitionBatch moved = batch;
  moved.next_observations = torch::tensor({5.0f, 2.0f, 9.0f}).view({3, 1});
  EXPECT_FLOAT_EQ(td3.Losses(moved, next_noise).td[2].item<float>(), losses.td[2].item<float>());
  moved.next_observations = torch::tensor({5.0f, -4.0f, -3.0f}).view({3, 1});
  EXPECT_GT(
      std::abs(td3.Losses(moved, next_noise).td[1].item<float>() - losses.td[1].item<float>()),
      1e-3);
}

// With policy_delay 2 the first update steps the critics only; the second also steps the actor
// and moves every target exactly τ towards its online network.
TEST_F(Td3Test, ActorAndTargetsMoveOnlyOnDelayedUpdates) {
  Td3Options options;
  options.learning_rate = 1e-2;
  options.tau = 0.1;
  options.policy_delay = 2;
  Td3 td3(DeterministicActor(3, Sizes{16}, Bounds{-1.0f, -1.0f}, Bounds{1.0f, 1.0f}),
          QFunction(3, 2, Sizes{16}), QFunction(3, 2, Sizes{16}), options);
  const TransitionBatch batch = RandomBatch(32, 3, 2);
  auto flat = [](torch::nn::Module& m) {
    std::vector<float> v;
    FlattenParameters(m, &v);
    return v;
  };
  const std::vector<float> actor0 = flat(*td3.actor()), target_actor0 = flat(*td3.target_actor());
  const std::vector<float> q10 = flat(*td3.q1()), target_q10 = flat(*td3.target_q1());
  EXPECT_EQ(actor0, target_actor0);
  std::vector<float> priorities;
  const Td3Stats first = td3.Update(batch, &priorities);
  EXPECT_FALSE(first.actor_updated);
  EXPECT_TRUE(std::isnan(first.actor_loss));
  EXPECT_EQ(priorities.size(), 32u);
  EXPECT_EQ(flat(*td3.actor()), actor0);
  EXPECT_EQ(flat(*td3.target_actor()), target_actor0);
  EXPECT_EQ(flat(*td3.target_q1()), target_q10);
  EXPECT_NE(flat(*td3.q1()), q10);

  const Td3Stats second = td3.Update(batch, nullptr);
  EXPECT_TRUE(second.actor_updated);
  EXPECT_FALSE(std::isnan(second.actor_loss));
  const std::vector<float> actor2 = flat(*td3.actor()), q12 = flat(*td3.q1());
  EXPECT_NE(actor2, actor0);
  const std::vector<float> target_actor2 = flat(*td3.target_actor());
  const std::vector<float> target_q12 = flat(*td3.target_q1());
  for (size_t i = 0; i < actor2.size(); ++i) {
    EXPECT_NEAR(target_actor2[i], 0.9f * target_actor0[i] + 0.1f * actor2[i], 1e-6) << i;
  }
  for (size_t i = 0; i < q12.size(); ++i) {
    EXPECT_NEAR(target_q12[i], 0.9f * target_q10[i] + 0.1f * q12[i], 1e-6) << i;
  }
  EXPECT_EQ(td3.num_updates(), 2);
  // With the bootstrap switched off (every row terminal), training on a fixed batch is a
  // regression on the rewards: the critic loss falls.
  TransitionBatch terminal = batch;
  terminal.discounts = torch::zeros({32});
  const double start = td3.Update(terminal, nullptr).critic_loss;
  double last = start;
  for (int i = 0; i < 200; ++i) last = td3.Update(terminal, nullptr).critic_loss;
  EXPECT_LT(last, 0.5 * start);
}

TEST_F(Td3Test, CheckpointRoundTripRestoresEverything) {
  Td3Options options;
  auto make = [&](int64_t width) {
    return Td3(DeterministicActor(3, Sizes{width}, Bounds{-1.0f, -2.0f}, Bounds{1.0f, 2.0f}),
               QFunction(3, 2, Sizes{width}), QFunction(3, 2, Sizes{width}), options);
  };
  Td3 a = make(8);
  const TransitionBatch batch = RandomBatch(8, 3, 2);
  for (int i = 0; i < 3; ++i) a.Update(batch, nullptr);
  const std::string path = ::testing::TempDir() + "rlfleet_td3_checkpoint.pt";
  a.SaveCheckpoint(path);
  Td3 b = make(8);
  b.LoadCheckpoint(path);
  EXPECT_EQ(b.num_updates(), 3);
  for (auto [x, y] : {std::pair<torch::nn::Module*, torch::nn::Module*>{&*a.actor(), &*b.actor()},
                      {&*a.target_actor(), &*b.target_actor()},
                      {&*a.target_q2(), &*b.target_q2()}}) {
    std::vector<float> pa, pb;
    FlattenParameters(*x, &pa);
    FlattenParameters(*y, &pb);
    EXPECT_EQ(pa, pb);
  }
  // The next update (the 4th: an actor update) is the same on both.
  torch::manual_seed(5);
  const Td3Stats sa = a.Update(batch, nullptr);
  torch::manual_seed(5);
  const Td3Stats sb = b.Update(batch, nullptr);
  EXPECT_DOUBLE_EQ(sa.critic_loss, sb.critic_loss);
  EXPECT_TRUE(sb.actor_updated);
  EXPECT_DOUBLE_EQ(sa.actor_loss, sb.actor_loss);
  // Another architecture is refused and changes nothing.
  Td3 c = make(4);
  EXPECT_THROW(c.LoadCheckpoint(path), std::runtime_error);
  EXPECT_EQ(c.num_updates(), 0);
  std::remove(path.c_str());
}

// The actor side: after the warm-up, env i of all N explores around μ(x) with the standard
// deviation GeometricLadder(i, N, high, low) · (high − low)/2 of the bounds, and stays inside
// them.
TEST_F(Td3Test, PolicyExploresWithItsLadderScaleInsideTheBounds) {
  RunConfig config;
  config.env.num_envs = 2;
  config.cluster.num_actors = 2;
  config.actor.insert_batch = 1000000;
  config.model.hidden_sizes = {8};
  config.td3.exploration_noise_high = 0.2;
  config.td3.exploration_noise_low = 0.05;
  EnvSpec spec;
  spec.id = "Box";
  spec.observation_size = 3;
  spec.discrete_actions = false;
  spec.action_size = 1;
  spec.action_low = {-10.0f};
  spec.action_high = {10.0f};
  auto policy = Td3AlgorithmSpec().make_policy(config, spec, 1);
  auto& actor = dynamic_cast<DeterministicActorImpl&>(policy->module());
  std::vector<float> obs = {0.1f, 0.2f, 0.3f, -0.1f, 0.0f, 0.4f}, actions(2);
  double mu[2];
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor m = actor.forward(torch::from_blob(obs.data(), {2, 3}));
    mu[0] = m[0][0].item<double>();
    mu[1] = m[1][0].item<double>();
  }
  const int n = 4000;
  double sum[2] = {0, 0}, sum2[2] = {0, 0};
  for (int t = 0; t < n; ++t) {
    policy->Act(obs.data(), actions.data());
    for (int e = 0; e < 2; ++e) {
      ASSERT_GE(actions[e], -10.0f);
      ASSERT_LE(actions[e], 10.0f);
      sum[e] += actions[e] - mu[e];
      sum2[e] += (actions[e] - mu[e]) * (actions[e] - mu[e]);
    }
  }
  for (int e = 0; e < 2; ++e) {
    // Actor 1's envs are i = 2, 3 of N = 4.
    const double sigma = GeometricLadder(2 + e, 4, 0.2, 0.05) * 10.0;
    const double mean = sum[e] / n, sd = std::sqrt(sum2[e] / n - mean * mean);
    EXPECT_NEAR(mean, 0.0, 5 * sigma / std::sqrt(n)) << e;
    EXPECT_NEAR(sd, sigma, 0.05 * sigma) << e;  // standard error ≈ 1.1%
  }
  // Large noise is clipped to the bounds.
  config.td3.exploration_noise_high = config.td3.exploration_noise_low = 5.0;
  auto wild = Td3AlgorithmSpec().make_policy(config, spec, 0);
  int at_bound = 0;
  for (int t = 0; t < 200; ++t) {
    wild->Act(obs.data(), actions.data());
    for (float a : actions) {
      ASSERT_GE(a, -10.0f);
      ASSERT_LE(a, 10.0f);
      at_bound += (a == -10.0f || a == 10.0f);
    }
  }
  EXPECT_GT(at_bound, 200);  // P(|N(0, 50²)| > ~10) ≈ 0.84 of 400 draws
}

// With model.normalize_observations the learner's statistics of what it samples reach the
// actors with the weights: after one update the published actor normalises by the batch's
// mean, an actor that loaded the published weights acts exactly like the learner's greedy
// evaluation, and the statistics survive a checkpoint.
TEST_F(Td3Test, NormalisationStatisticsTravelWithTheWeightsAndTheCheckpoint) {
  RunConfig config;
  config.env.num_envs = 1;
  config.cluster.num_actors = 1;
  config.model.hidden_sizes = {8};
  config.model.normalize_observations = true;
  config.td3.exploration_noise_high = config.td3.exploration_noise_low = 0.0;
  EnvSpec spec;
  spec.id = "Box";
  spec.observation_size = 3;
  spec.discrete_actions = false;
  spec.action_size = 1;
  spec.action_low = {-2.0f};
  spec.action_high = {2.0f};
  auto learner = Td3AlgorithmSpec().make_learner(config, spec, "cpu");
  SampledItems items;
  Rng rng(7);
  double sum[3] = {0, 0, 0};
  for (int i = 0; i < 64; ++i) {
    Transition t;
    for (int j = 0; j < 3; ++j) {
      t.observation.push_back(static_cast<float>(5.0 * j + (j + 1) * rng.Normal()));
      t.next_observation.push_back(static_cast<float>(rng.Normal()));
      sum[j] += t.observation.back();
    }
    t.action = {static_cast<float>(rng.Uniform(-2, 2))};
    t.reward = 1.0f;
    t.discount = 0.99f;
    t.steps = 1;
    items.transitions.push_back(t);
  }
  auto prepared = learner->Prepare(items);
  learner->Update(*prepared);
  auto parameters = learner->published_module().named_parameters();
  ASSERT_NE(parameters.find("obs_norm.mean"), nullptr);
  for (int j = 0; j < 3; ++j) {
    EXPECT_NEAR(parameters["obs_norm.mean"][j].item<double>(), sum[j] / 64, 1e-4) << j;
  }
  auto policy = Td3AlgorithmSpec().make_policy(config, spec, 0);
  const std::vector<float> obs = {4.0f, 6.0f, 9.0f};
  float before = 0.0f, acted = 0.0f, evaluated = 0.0f;
  policy->Act(obs.data(), &before);
  std::vector<float> flat;
  FlattenParameters(learner->published_module(), &flat);
  LoadFlatParameters(policy->module(), flat.data(), flat.size());
  policy->Act(obs.data(), &acted);
  learner->EvalActions(obs.data(), 1, /*greedy=*/true, rng, &evaluated);
  EXPECT_FLOAT_EQ(acted, evaluated);
  EXPECT_NE(before, acted);

  const std::string dir = ::testing::TempDir() + "rlfleet_td3_normalised";
  std::filesystem::create_directories(dir);
  learner->SaveCheckpoint(dir);
  auto restored = Td3AlgorithmSpec().make_learner(config, spec, "cpu");
  restored->LoadCheckpoint(dir);
  float again = 0.0f;
  restored->EvalActions(obs.data(), 1, true, rng, &again);
  EXPECT_FLOAT_EQ(again, evaluated);
  // Both learners merge the next batch into the same statistics.
  auto next_a = learner->Prepare(items);
  auto next_b = restored->Prepare(items);
  learner->Update(*next_a);
  restored->Update(*next_b);
  EXPECT_TRUE(torch::equal(learner->published_module().named_parameters()["obs_norm.inv_std"],
                           restored->published_module().named_parameters()["obs_norm.inv_std"]));
  // Without the statistics file the checkpoint is refused and nothing changes.
  std::filesystem::remove(dir + "/" + LearnerObservationStatistics::kFileName);
  auto fresh = Td3AlgorithmSpec().make_learner(config, spec, "cpu");
  EXPECT_THROW(fresh->LoadCheckpoint(dir), std::runtime_error);
  EXPECT_EQ(fresh->num_updates(), 0);
  std::filesystem::remove_all(dir);
}

TEST_F(Td3Test, OptionsAreChecked) {
  Td3Options options;
  options.policy_delay = 0;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options = Td3Options();
  options.noise_clip = -1;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options = Td3Options();
  options.tau = 0;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  EXPECT_NO_THROW(Td3Options().Validate());
}

}  // namespace
}  // namespace rlfleet
