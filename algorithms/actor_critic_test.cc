#include "algorithms/actor_critic.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/random.h"

namespace rlfleet {
namespace {

constexpr double kPi = 3.14159265358979323846;

ActorCriticOptions Discrete(int64_t d, int64_t k) {
  ActorCriticOptions o;
  o.observation_size = d;
  o.num_actions = k;
  return o;
}

ActorCriticOptions Continuous(int64_t d, int64_t a) {
  ActorCriticOptions o;
  o.observation_size = d;
  o.discrete_actions = false;
  o.action_size = a;
  return o;
}

std::vector<std::string> Names(ActorCritic& model) {
  std::vector<std::string> names;
  for (const auto& item : model->named_parameters()) names.push_back(item.key());
  return names;
}

// Randomises every parameter (the init leaves biases at zero, which hides bugs).
void Randomise(ActorCritic& model, uint64_t seed) {
  torch::manual_seed(seed);
  torch::NoGradGuard no_grad;
  for (auto& p : model->parameters()) p.copy_(torch::randn(p.sizes()) * 0.5);
}

class ActorCriticTest : public ::testing::Test {
 protected:
  void SetUp() override {
    at::set_num_threads(1);
    torch::manual_seed(0);
  }
};

TEST_F(ActorCriticTest, DiscreteShapesAndNames) {
  ActorCriticOptions o = Discrete(5, 3);
  o.hidden_sizes = {16, 8};
  ActorCritic model(o);
  const PolicyOutput out = model->forward(torch::randn({4, 5}));
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(out.value.sizes(), (std::vector<int64_t>{4}));
  EXPECT_FALSE(out.mean.defined());
  EXPECT_FALSE(out.log_std.defined());
  EXPECT_EQ(Names(model),
            (std::vector<std::string>{"policy_fc0.weight", "policy_fc0.bias", "policy_fc1.weight",
                                      "policy_fc1.bias", "value_fc0.weight", "value_fc0.bias",
                                      "value_fc1.weight", "value_fc1.bias", "policy_head.weight",
                                      "policy_head.bias", "value_head.weight", "value_head.bias"}));
  EXPECT_THROW(model->forward(torch::randn({4, 6})), std::invalid_argument);
  EXPECT_THROW(model->forward(torch::randn({5})), std::invalid_argument);
}

TEST_F(ActorCriticTest, ContinuousSharedShapesAndNames) {
  ActorCriticOptions o = Continuous(3, 2);
  o.hidden_sizes = {8};
  o.shared_torso = true;
  o.initial_log_std = -0.5;
  ActorCritic model(o);
  const PolicyOutput out = model->forward(torch::randn({6, 3}));
  EXPECT_FALSE(out.logits.defined());
  EXPECT_EQ(out.mean.sizes(), (std::vector<int64_t>{6, 2}));
  EXPECT_EQ(out.log_std.sizes(), (std::vector<int64_t>{2}));
  EXPECT_EQ(out.value.sizes(), (std::vector<int64_t>{6}));
  EXPECT_TRUE(torch::allclose(out.log_std, torch::full({2}, -0.5)));
  EXPECT_EQ(Names(model),
            (std::vector<std::string>{"log_std", "shared_fc0.weight", "shared_fc0.bias",
                                      "policy_head.weight", "policy_head.bias", "value_head.weight",
                                      "value_head.bias"}));
}

TEST_F(ActorCriticTest, OrthogonalInitialisationLikeCleanRL) {
  ActorCriticOptions o = Discrete(5, 3);
  o.hidden_sizes = {16, 4};
  ActorCritic model(o);
  auto check = [&](const std::string& name, double gain) {
    const torch::Tensor w = model->named_parameters()[name + ".weight"].detach().to(torch::kDouble);
    const torch::Tensor b = model->named_parameters()[name + ".bias"];
    // Orthonormal rows (out <= in) or columns (out > in), scaled by the gain.
    const torch::Tensor gram = w.size(0) <= w.size(1) ? w.mm(w.t()) : w.t().mm(w);
    const torch::Tensor expected =
        torch::eye(gram.size(0), torch::TensorOptions().dtype(torch::kDouble)) * gain * gain;
    EXPECT_TRUE(torch::allclose(gram, expected, 1e-4, 1e-6 * gain * gain)) << name;
    EXPECT_EQ(b.abs().max().item<float>(), 0.0f) << name;
  };
  for (const char* name : {"policy_fc0", "policy_fc1", "value_fc0", "value_fc1"}) {
    check(name, std::sqrt(2.0));
  }
  check("policy_head", 0.01);
  check("value_head", 1.0);
}

TEST_F(ActorCriticTest, ForwardMatchesHandComputationReluSharedTorso) {
  ActorCriticOptions o = Discrete(3, 2);
  o.hidden_sizes = {4};
  o.activation = "relu";
  o.shared_torso = true;
  ActorCritic model(o);
  Randomise(model, 7);
  auto p = model->named_parameters();
  const torch::Tensor x = torch::randn({5, 3});
  const torch::Tensor h = (x.mm(p["shared_fc0.weight"].t()) + p["shared_fc0.bias"]).clamp_min(0);
  const torch::Tensor logits = h.mm(p["policy_head.weight"].t()) + p["policy_head.bias"];
  const torch::Tensor value = (h.mm(p["value_head.weight"].t()) + p["value_head.bias"]).view(-1);
  const PolicyOutput out = model->forward(x);
  EXPECT_TRUE(torch::allclose(out.logits, logits, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(out.value, value, 1e-5, 1e-6));
}

TEST_F(ActorCriticTest, ForwardMatchesHandComputationTanhSeparateTorsos) {
  ActorCriticOptions o = Continuous(3, 2);
  o.hidden_sizes = {4};
  ActorCritic model(o);
  Randomise(model, 8);
  auto p = model->named_parameters();
  const torch::Tensor x = torch::randn({5, 3});
  const torch::Tensor hp = (x.mm(p["policy_fc0.weight"].t()) + p["policy_fc0.bias"]).tanh();
  const torch::Tensor hv = (x.mm(p["value_fc0.weight"].t()) + p["value_fc0.bias"]).tanh();
  const PolicyOutput out = model->forward(x);
  EXPECT_TRUE(torch::allclose(out.mean, hp.mm(p["policy_head.weight"].t()) + p["policy_head.bias"],
                              1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(
      out.value, (hv.mm(p["value_head.weight"].t()) + p["value_head.bias"]).view(-1), 1e-5, 1e-6));
}

TEST_F(ActorCriticTest, DiscreteLogProbAndEntropyMatchFormulas) {
  ActorCritic model(Discrete(4, 5));
  Randomise(model, 3);
  const int64_t n = 6;
  const PolicyOutput out = model->forward(torch::randn({n, 4}));
  const torch::Tensor actions = torch::tensor(std::vector<int64_t>{0, 4, 2, 1, 3, 4});
  const torch::Tensor log_prob_long = model->LogProb(out, actions);
  const torch::Tensor log_prob_float = model->LogProb(out, actions.to(torch::kFloat));
  const torch::Tensor entropy = model->Entropy(out);
  ASSERT_EQ(log_prob_long.sizes(), (std::vector<int64_t>{n}));
  ASSERT_EQ(entropy.sizes(), (std::vector<int64_t>{n}));
  const torch::Tensor logits = out.logits.detach().to(torch::kDouble);
  for (int64_t i = 0; i < n; ++i) {
    double max = -1e300, total = 0.0;
    for (int64_t j = 0; j < 5; ++j) max = std::max(max, logits[i][j].item<double>());
    for (int64_t j = 0; j < 5; ++j) total += std::exp(logits[i][j].item<double>() - max);
    double h = 0.0;
    for (int64_t j = 0; j < 5; ++j) {
      const double log_p = logits[i][j].item<double>() - max - std::log(total);
      h -= std::exp(log_p) * log_p;
    }
    const int64_t a = actions[i].item<int64_t>();
    const double expected = logits[i][a].item<double>() - max - std::log(total);
    EXPECT_NEAR(log_prob_long[i].item<double>(), expected, 1e-5);
    EXPECT_NEAR(log_prob_float[i].item<double>(), expected, 1e-5);
    EXPECT_NEAR(entropy[i].item<double>(), h, 1e-5);
  }
  // Gradients reach the policy head.
  log_prob_long.sum().backward();
  EXPECT_GT(model->named_parameters()["policy_head.weight"].grad().abs().sum().item<double>(), 0.0);
}

TEST_F(ActorCriticTest, GaussianLogProbAndEntropyMatchDensity) {
  ActorCritic model(Continuous(3, 2));
  Randomise(model, 4);
  const int64_t n = 5;
  const PolicyOutput out = model->forward(torch::randn({n, 3}));
  const torch::Tensor actions = torch::randn({n, 2}) * 2.0;
  const torch::Tensor log_prob = model->LogProb(out, actions);
  const torch::Tensor entropy = model->Entropy(out);
  ASSERT_EQ(log_prob.sizes(), (std::vector<int64_t>{n}));
  ASSERT_EQ(entropy.sizes(), (std::vector<int64_t>{n}));
  for (int64_t i = 0; i < n; ++i) {
    double density = 1.0, h = 0.0;
    for (int64_t j = 0; j < 2; ++j) {
      const double sigma = std::exp(out.log_std[j].item<double>());
      const double diff = actions[i][j].item<double>() - out.mean[i][j].item<double>();
      density *= std::exp(-diff * diff / (2 * sigma * sigma)) / (sigma * std::sqrt(2 * kPi));
      h += 0.5 * std::log(2 * kPi * std::exp(1.0) * sigma * sigma);
    }
    EXPECT_NEAR(log_prob[i].item<double>(), std::log(density), 1e-4);
    EXPECT_NEAR(entropy[i].item<double>(), h, 1e-5);
  }
}

// A state-dependent log std: one row per observation from its own head (clamped), the density
// and entropy of each row from that row's σ, and SampleActions' log-probability equal to
// LogProb of the sample.
TEST_F(ActorCriticTest, StateDependentLogStdHasOneRowPerObservation) {
  ActorCriticOptions options = Continuous(3, 2);
  options.state_dependent_log_std = true;
  options.initial_log_std = -0.5;
  ActorCritic model(options);
  auto names = Names(model);
  EXPECT_EQ(std::count(names.begin(), names.end(), "log_std"), 0);
  EXPECT_EQ(names.back(), "log_std_head.bias");
  // At initialisation the head's bias dominates: log σ ≈ initial_log_std.
  const torch::Tensor x = torch::randn({5, 3});
  const PolicyOutput initial = model->forward(x);
  ASSERT_EQ(initial.log_std.sizes(), (std::vector<int64_t>{5, 2}));
  EXPECT_NEAR(initial.log_std.mean().item<double>(), -0.5, 0.05);
  Randomise(model, 9);
  const PolicyOutput out = model->forward(x * 3);
  EXPECT_GT((out.log_std[0] - out.log_std[1]).abs().sum().item<double>(), 1e-3);
  EXPECT_LE(out.log_std.max().item<double>(), ActorCriticImpl::kMaxLogStd);
  Rng rng(3);
  std::vector<float> actions(10), log_probs(5);
  SampleActions(out, rng, actions.data(), log_probs.data());
  const torch::Tensor sampled = torch::tensor(actions).view({5, 2});
  const torch::Tensor log_prob = model->LogProb(out, sampled);
  const torch::Tensor entropy = model->Entropy(out);
  for (int64_t i = 0; i < 5; ++i) {
    double density = 1.0, h = 0.0;
    for (int64_t j = 0; j < 2; ++j) {
      const double sigma = std::exp(out.log_std[i][j].item<double>());
      const double diff = actions[i * 2 + j] - out.mean[i][j].item<double>();
      density *= std::exp(-diff * diff / (2 * sigma * sigma)) / (sigma * std::sqrt(2 * kPi));
      h += 0.5 * std::log(2 * kPi * std::exp(1.0) * sigma * sigma);
    }
    EXPECT_NEAR(log_prob[i].item<double>(), std::log(density), 1e-4) << i;
    EXPECT_NEAR(log_probs[i], std::log(density), 1e-4) << i;
    EXPECT_NEAR(entropy[i].item<double>(), h, 1e-5) << i;
  }
}

TEST_F(ActorCriticTest, SampleActionsFrequenciesMatchSoftmax) {
  const std::vector<double> probs = {0.1, 0.2, 0.3, 0.4, 0.0};
  const int64_t n = 200000, k = 5;
  torch::Tensor row = torch::empty({k});
  for (int64_t j = 0; j < k; ++j) {
    row[j] = probs[j] > 0 ? std::log(probs[j]) + 3.0 : -std::numeric_limits<float>::infinity();
  }
  PolicyOutput out;
  out.logits = row.unsqueeze(0).expand({n, k});
  Rng rng(42);
  std::vector<float> actions(n), log_probs(n);
  SampleActions(out, rng, actions.data(), log_probs.data());
  std::vector<double> counts(k, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    const int a = static_cast<int>(actions[i]);
    ASSERT_EQ(static_cast<float>(a), actions[i]);
    ASSERT_GE(a, 0);
    ASSERT_LT(a, k);
    counts[a] += 1;
    ASSERT_NEAR(log_probs[i], std::log(probs[a]), 1e-5);
  }
  EXPECT_EQ(counts[4], 0.0);  // probability 0 is never drawn
  double chi2 = 0.0;
  for (int j = 0; j < 4; ++j) {
    const double expected = n * probs[j];
    chi2 += (counts[j] - expected) * (counts[j] - expected) / expected;
  }
  EXPECT_LT(chi2, 25.0);  // 3 degrees of freedom: p ≈ 1.6e-5
}

TEST_F(ActorCriticTest, SampleActionsGaussian) {
  const int64_t n = 100000;
  PolicyOutput out;
  out.mean = torch::tensor(std::vector<float>{1.0f, -2.0f}).unsqueeze(0).expand({n, 2});
  out.log_std = torch::tensor(std::vector<float>{-1.0f, 0.5f}).requires_grad_(true);
  Rng rng(5);
  std::vector<float> actions(n * 2), log_probs(n);
  SampleActions(out, rng, actions.data(), log_probs.data());
  const double mean[2] = {1.0, -2.0}, log_std[2] = {-1.0, 0.5};
  double sum[2] = {0, 0}, sum_sq[2] = {0, 0};
  for (int64_t i = 0; i < n; ++i) {
    double expected_log_prob = 0.0;
    for (int j = 0; j < 2; ++j) {
      const double z = (actions[i * 2 + j] - mean[j]) / std::exp(log_std[j]);
      sum[j] += z;
      sum_sq[j] += z * z;
      expected_log_prob += -0.5 * z * z - log_std[j] - 0.5 * std::log(2 * kPi);
    }
    ASSERT_NEAR(log_probs[i], expected_log_prob, 1e-4);
  }
  for (int j = 0; j < 2; ++j) {
    EXPECT_NEAR(sum[j] / n, 0.0, 0.015);     // 4.7 standard errors
    EXPECT_NEAR(sum_sq[j] / n, 1.0, 0.025);  // 5.6 standard errors
  }
}

TEST_F(ActorCriticTest, SampleActionsSameSeedSameActions) {
  ActorCritic model(Discrete(4, 6));
  Randomise(model, 1);
  const PolicyOutput out = model->forward(torch::randn({64, 4}));
  std::vector<float> a(64), b(64), c(64), la(64), lb(64);
  Rng r1(9), r2(9), r3(10);
  SampleActions(out, r1, a.data(), la.data());
  SampleActions(out, r2, b.data(), lb.data());
  SampleActions(out, r3, c.data(), nullptr);
  EXPECT_EQ(a, b);
  EXPECT_EQ(la, lb);
  EXPECT_NE(a, c);
  // The log probabilities agree with LogProb.
  const torch::Tensor lp = model->LogProb(out, torch::tensor(a));
  for (int i = 0; i < 64; ++i) EXPECT_NEAR(lp[i].item<float>(), la[i], 1e-5);
}

TEST_F(ActorCriticTest, GreedyActions) {
  PolicyOutput discrete;
  discrete.logits = torch::tensor(std::vector<float>{0, 3, 1, 5, 2, 5}).view({2, 3});
  std::vector<float> actions(2);
  GreedyActions(discrete, actions.data());
  EXPECT_EQ(actions, (std::vector<float>{1.0f, 0.0f}));  // row 1: first of the tied maxima

  PolicyOutput continuous;
  continuous.mean = torch::tensor(std::vector<float>{0.5f, -1.5f, 2.0f, 3.0f}).view({2, 2});
  continuous.log_std = torch::zeros({2});
  std::vector<float> means(4);
  GreedyActions(continuous, means.data());
  EXPECT_EQ(means, (std::vector<float>{0.5f, -1.5f, 2.0f, 3.0f}));
}

TEST_F(ActorCriticTest, ValidateNamesTheField) {
  auto message = [](const ActorCriticOptions& o) -> std::string {
    try {
      o.Validate();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(message(Discrete(4, 2)), "");
  EXPECT_NE(message(Discrete(0, 2)).find("observation_size"), std::string::npos);
  EXPECT_NE(message(Discrete(4, 0)).find("num_actions"), std::string::npos);
  ActorCriticOptions o = Continuous(4, 0);
  EXPECT_NE(message(o).find("action_size"), std::string::npos);
  o = Discrete(4, 2);
  o.activation = "sigmoid";
  EXPECT_NE(message(o).find("activation"), std::string::npos);
  o = Discrete(4, 2);
  o.hidden_sizes = {8, 0};
  EXPECT_NE(message(o).find("hidden_sizes"), std::string::npos);
  EXPECT_THROW(ActorCritic{o}, std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
