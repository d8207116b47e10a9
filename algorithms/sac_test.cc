#include "algorithms/sac.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "algorithms/parameter_vector.h"
#include "core/transition.h"

namespace rlfleet {
namespace {

using Sizes = std::vector<int64_t>;

class SacTest : public ::testing::Test {
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

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// The density of a = tanh(u)·scale + bias with u ~ N(μ, σ²), integrated numerically over
// [low, a0], equals P(u ≤ atanh((a0 − bias)/scale)) = Φ(...); over the whole interval, 1.
TEST_F(SacTest, SquashCorrectionIntegratesToTheGaussianCdf) {
  const double mu = 0.3, sigma = 0.8, scale = 2.0, bias = 0.5;
  const int n = 200001;
  const double low = bias - scale, high = bias + scale;
  std::vector<float> grid(n), noise(n);
  for (int i = 0; i < n; ++i) {
    // Open interval: skip the end points where atanh diverges.
    const double a = low + (high - low) * (i + 0.5) / n;
    grid[i] = static_cast<float>(a);
    noise[i] = static_cast<float>((std::atanh((a - bias) / scale) - mu) / sigma);
  }
  const torch::Tensor noise_t = torch::tensor(noise).view({n, 1}).to(torch::kDouble);
  const SquashedSample s = SquashedGaussianSample(
      torch::full({n, 1}, mu, torch::kDouble), torch::full({n, 1}, std::log(sigma), torch::kDouble),
      noise_t, torch::full({1}, scale, torch::kDouble), torch::full({1}, bias, torch::kDouble));
  const auto log_prob = s.log_prob.accessor<double, 1>();
  const auto action = s.action.accessor<double, 2>();
  double integral = 0.0;
  const double da = (high - low) / n;
  for (int i = 0; i < n; ++i) {
    EXPECT_NEAR(action[i][0], grid[i], 1e-5);
    integral += std::exp(log_prob[i]) * da;  // midpoint rule
    if (i == n / 4 || i == n / 2 || i == 3 * n / 4) {
      const double a0 = low + (high - low) * (i + 1.0) / n;
      const double cdf = NormalCdf((std::atanh((a0 - bias) / scale) - mu) / sigma);
      EXPECT_NEAR(integral, cdf, 2e-4) << "a0 = " << a0;
    }
  }
  EXPECT_NEAR(integral, 1.0, 2e-4);
}

// Linear networks (no hidden layer) with fixed weights, D = A = 1, bounds [−2, 2]:
//   actor: mean = 0.5·x + 0.1, log_std = −0.2·x − 0.5
//   Q1 = 0.4·x + 0.3·a + 0.2,  Q2 = −0.1·x + 0.6·a − 0.1  (targets equal at the start)
// Every loss is recomputed here in double precision from the SAC equations.
TEST_F(SacTest, LossesMatchTheEquationsComputedByHand) {
  SquashedGaussianActor actor(1, 1, Sizes{});
  Set(*actor, "mean_head.weight", {0.5f});
  Set(*actor, "mean_head.bias", {0.1f});
  Set(*actor, "log_std_head.weight", {-0.2f});
  Set(*actor, "log_std_head.bias", {-0.5f});
  QFunction q1(1, 1, Sizes{}), q2(1, 1, Sizes{});
  Set(*q1, "q_head.weight", {0.4f, 0.3f});
  Set(*q1, "q_head.bias", {0.2f});
  Set(*q2, "q_head.weight", {-0.1f, 0.6f});
  Set(*q2, "q_head.bias", {-0.1f});
  SacOptions options;
  options.initial_alpha = 0.5;
  options.target_entropy = -1.0;
  Sac sac(actor, q1, q2, {-2.0f}, {2.0f}, options);

  // Row 0 bootstraps (γ^k = 0.9: a step or a truncation), row 1 terminated (discount 0).
  const std::vector<double> x = {1.0, -1.0}, a = {0.5, -0.2}, r = {1.0, 0.0}, g = {0.9, 0.0},
                            x1 = {0.5, 2.0}, w = {1.0, 0.5};
  const std::vector<double> next_noise = {0.3, -1.0}, noise = {-0.5, 0.2};
  TransitionBatch batch;
  batch.observations = torch::tensor({1.0f, -1.0f}).view({2, 1});
  batch.actions = torch::tensor({0.5f, -0.2f}).view({2, 1});
  batch.rewards = torch::tensor({1.0f, 0.0f});
  batch.discounts = torch::tensor({0.9f, 0.0f});
  batch.next_observations = torch::tensor({0.5f, 2.0f}).view({2, 1});
  batch.weights = torch::tensor({1.0f, 0.5f});
  const SacLosses losses = sac.Losses(batch, torch::tensor({0.3f, -1.0f}).view({2, 1}),
                                      torch::tensor({-0.5f, 0.2f}).view({2, 1}));

  const double alpha = 0.5, scale = 2.0;
  auto Q1 = [](double s, double act) { return 0.4 * s + 0.3 * act + 0.2; };
  auto Q2 = [](double s, double act) { return -0.1 * s + 0.6 * act - 0.1; };
  // Sample and log density by the change of variables, written out directly.
  auto sample = [&](double s, double eps, double* log_prob) {
    const double mean = 0.5 * s + 0.1, log_std = -0.2 * s - 0.5;
    const double u = mean + std::exp(log_std) * eps;
    const double gaussian = -0.5 * eps * eps - log_std - 0.5 * std::log(2 * M_PI);
    *log_prob = gaussian - std::log(scale * (1.0 - std::tanh(u) * std::tanh(u)));
    return scale * std::tanh(u);
  };
  double critic = 0.0, actor_loss = 0.0, alpha_loss = 0.0;
  for (int b = 0; b < 2; ++b) {
    double next_log_prob = 0.0;
    const double next_a = sample(x1[b], next_noise[b], &next_log_prob);
    const double y =
        r[b] + g[b] * (std::min(Q1(x1[b], next_a), Q2(x1[b], next_a)) - alpha * next_log_prob);
    const double d1 = Q1(x[b], a[b]) - y, d2 = Q2(x[b], a[b]) - y;
    critic += 0.5 * w[b] * (d1 * d1 + d2 * d2) / 2;
    EXPECT_NEAR(losses.td[b].item<double>(), 0.5 * (std::abs(d1) + std::abs(d2)), 1e-5) << b;
    double log_prob = 0.0;
    const double new_a = sample(x[b], noise[b], &log_prob);
    actor_loss += (alpha * log_prob - std::min(Q1(x[b], new_a), Q2(x[b], new_a))) / 2;
    alpha_loss += -std::log(alpha) * (log_prob - 1.0) / 2;
    EXPECT_NEAR(losses.log_prob[b].item<double>(), log_prob, 1e-5) << b;
  }
  EXPECT_NEAR(losses.critic.item<double>(), critic, 1e-5);
  EXPECT_NEAR(losses.actor.item<double>(), actor_loss, 1e-5);
  EXPECT_NEAR(losses.alpha.item<double>(), alpha_loss, 1e-5);

  // The terminated row's target is its reward alone: moving its next observation changes
  // nothing, while the bootstrapping row's target moves.
  TransitionBatch moved = batch;
  moved.next_observations = torch::tensor({0.5f, -7.0f}).view({2, 1});
  const SacLosses same = sac.Losses(moved, torch::tensor({0.3f, -1.0f}).view({2, 1}),
                                    torch::tensor({-0.5f, 0.2f}).view({2, 1}));
  EXPECT_FLOAT_EQ(same.td[1].item<float>(), losses.td[1].item<float>());
  moved.next_observations = torch::tensor({-3.0f, 2.0f}).view({2, 1});
  const SacLosses other = sac.Losses(moved, torch::tensor({0.3f, -1.0f}).view({2, 1}),
                                     torch::tensor({-0.5f, 0.2f}).view({2, 1}));
  EXPECT_GT(std::abs(other.td[0].item<float>() - losses.td[0].item<float>()), 1e-3);
}

// After one update the targets moved by exactly τ towards the updated critics, α moved
// against the entropy gap, and the critic loss on a fixed batch falls over updates.
TEST_F(SacTest, UpdateStepsEveryNetworkAndPolyakAveragesTheTargets) {
  SquashedGaussianActor actor(3, 2, Sizes{16});
  QFunction q1(3, 2, Sizes{16}), q2(3, 2, Sizes{16});
  SacOptions options;
  options.learning_rate = 1e-2;
  options.tau = 0.1;
  options.target_entropy = -2.0;
  Sac sac(actor, q1, q2, {-1.0f, -1.0f}, {1.0f, 1.0f}, options);
  TransitionBatch batch;
  batch.observations = torch::randn({32, 3});
  batch.actions = torch::rand({32, 2}) * 2 - 1;
  batch.rewards = torch::randn({32});
  batch.discounts = torch::full({32}, 0.9f);
  batch.next_observations = torch::randn({32, 3});
  batch.weights = torch::ones({32});
  std::vector<float> target_before, online_after, target_after;
  FlattenParameters(*sac.target_q1(), &target_before);
  std::vector<float> priorities;
  const SacStats first = sac.Update(batch, &priorities);
  FlattenParameters(*sac.q1(), &online_after);
  FlattenParameters(*sac.target_q1(), &target_after);
  ASSERT_EQ(target_after.size(), target_before.size());
  for (size_t i = 0; i < target_after.size(); ++i) {
    EXPECT_NEAR(target_after[i], 0.9f * target_before[i] + 0.1f * online_after[i], 1e-6) << i;
  }
  ASSERT_EQ(priorities.size(), 32u);
  EXPECT_EQ(sac.num_updates(), 1);
  EXPECT_DOUBLE_EQ(first.alpha, 1.0);
  EXPECT_NE(sac.alpha(), 1.0);
  double last = first.critic_loss;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) last = sac.Update(batch, nullptr).critic_loss;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(last, 0.5 * first.critic_loss);
  // The phase timers cover the updates: every phase took time, together no more than the loop.
  double timed = 0.0;
  const auto phases = sac.phase_seconds();
  ASSERT_EQ(phases.size(), 6u);
  for (const auto& [name, seconds] : phases) {
    EXPECT_GT(seconds, 0.0) << name;
    timed += seconds;
  }
  EXPECT_LE(timed, elapsed + 0.05);  // + the first update
}

TEST_F(SacTest, CheckpointRoundTripRestoresEverything) {
  SacOptions options;
  Sac a(SquashedGaussianActor(3, 2, Sizes{8}), QFunction(3, 2, Sizes{8}), QFunction(3, 2, Sizes{8}),
        {-1.0f, -2.0f}, {1.0f, 2.0f}, options);
  TransitionBatch batch;
  batch.observations = torch::randn({8, 3});
  batch.actions = torch::rand({8, 2});
  batch.rewards = torch::randn({8});
  batch.discounts = torch::full({8}, 0.99f);
  batch.next_observations = torch::randn({8, 3});
  batch.weights = torch::ones({8});
  for (int i = 0; i < 3; ++i) a.Update(batch, nullptr);
  const std::string path = ::testing::TempDir() + "rlfleet_sac_checkpoint.pt";
  a.SaveCheckpoint(path);
  Sac b(SquashedGaussianActor(3, 2, Sizes{8}), QFunction(3, 2, Sizes{8}), QFunction(3, 2, Sizes{8}),
        {-1.0f, -2.0f}, {1.0f, 2.0f}, options);
  b.LoadCheckpoint(path);
  EXPECT_EQ(b.num_updates(), 3);
  EXPECT_DOUBLE_EQ(b.alpha(), a.alpha());
  for (auto [x, y] : {std::pair{&*a.actor(), &*b.actor()}}) {
    std::vector<float> pa, pb;
    FlattenParameters(*x, &pa);
    FlattenParameters(*y, &pb);
    EXPECT_EQ(pa, pb);
  }
  std::vector<float> ta, tb;
  FlattenParameters(*a.target_q2(), &ta);
  FlattenParameters(*b.target_q2(), &tb);
  EXPECT_EQ(ta, tb);
  // The next update is the same on both (same noise).
  torch::manual_seed(5);
  const double la = a.Update(batch, nullptr).critic_loss;
  torch::manual_seed(5);
  const double lb = b.Update(batch, nullptr).critic_loss;
  EXPECT_DOUBLE_EQ(la, lb);
  // Another architecture is refused and changes nothing.
  Sac c(SquashedGaussianActor(3, 2, Sizes{4}), QFunction(3, 2, Sizes{4}), QFunction(3, 2, Sizes{4}),
        {-1.0f, -2.0f}, {1.0f, 2.0f}, options);
  EXPECT_THROW(c.LoadCheckpoint(path), std::runtime_error);
  EXPECT_EQ(c.num_updates(), 0);
  std::remove(path.c_str());
}

// The actor side: uniform actions in the bounds during its share of the warm-up, squashed
// samples inside the bounds after it; transitions carry the whole action vector.
TEST_F(SacTest, PolicyWarmsUpUniformlyThenSamplesInsideTheBounds) {
  RunConfig config;
  config.env.num_envs = 2;
  config.cluster.num_actors = 2;
  config.actor.warmup_env_steps = 40;  // 20 frames for each of the 2 actors: 10 steps of 2 envs
  config.actor.insert_batch = 4;
  config.model.hidden_sizes = {8};
  EnvSpec spec;
  spec.id = "Box";
  spec.observation_size = 3;
  spec.discrete_actions = false;
  spec.action_size = 2;
  spec.action_low = {-1.0f, 10.0f};
  spec.action_high = {1.0f, 30.0f};
  auto policy = SacAlgorithmSpec().make_policy(config, spec, 1);
  std::vector<float> obs(6, 0.5f), next(6, 0.25f), actions(4), rewards(2, 1.0f);
  std::vector<uint8_t> terminated(2), truncated(2);
  ActorOutput out;
  double second_dim_sum = 0.0;
  for (int t = 0; t < 30; ++t) {
    policy->Act(obs.data(), actions.data());
    for (int e = 0; e < 2; ++e) {
      EXPECT_GE(actions[2 * e], -1.0f);
      EXPECT_LE(actions[2 * e], 1.0f);
      EXPECT_GE(actions[2 * e + 1], 10.0f);
      EXPECT_LE(actions[2 * e + 1], 30.0f);
      if (t < 10) second_dim_sum += actions[2 * e + 1];
    }
    EnvStepView view{2,
                     obs.data(),
                     actions.data(),
                     rewards.data(),
                     terminated.data(),
                     truncated.data(),
                     next.data(),
                     next.data()};
    policy->Record(view, &out);
  }
  // 20 uniform draws on [10, 30]: the mean is 20 ± 1.3 (one standard error 5.8/√20).
  EXPECT_NEAR(second_dim_sum / 20, 20.0, 4.0);
  ASSERT_EQ(out.transitions.size(), 60u);  // 1-step transitions, 30 steps × 2 envs
  for (const Transition& t : out.transitions) {
    EXPECT_EQ(t.action.size(), 2u);
    EXPECT_FLOAT_EQ(t.discount, static_cast<float>(config.learner.discount));
  }
  EXPECT_EQ(out.priorities, std::vector<double>(60, 1.0));
}

}  // namespace
}  // namespace rlfleet
