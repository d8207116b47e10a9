#include "algorithms/q_network.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/random.h"

namespace rlfleet {
namespace {

class QNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    at::set_num_threads(1);
    torch::manual_seed(0);
  }
};

void SetParameter(torch::nn::Module& module, const std::string& name,
                  const std::vector<float>& values) {
  torch::NoGradGuard no_grad;
  torch::Tensor p = module.named_parameters()[name];
  ASSERT_EQ(p.numel(), static_cast<int64_t>(values.size())) << name;
  p.copy_(torch::tensor(values).view(p.sizes()));
}

QNetworkOptions Linear(int64_t d, int64_t a, bool dueling) {
  QNetworkOptions o;
  o.observation_size = d;
  o.num_actions = a;
  o.hidden_sizes = {};
  o.dueling = dueling;
  return o;
}

TEST_F(QNetworkTest, DuelingAggregationByHand) {
  QNetwork net(Linear(2, 3, /*dueling=*/true));
  SetParameter(*net, "value_head.weight", {1, 2});
  SetParameter(*net, "value_head.bias", {0.5});
  SetParameter(*net, "advantage_head.weight", {1, 0, 0, 1, 1, 1});
  SetParameter(*net, "advantage_head.bias", {0, 0, -3});
  // x = (1, 2): V = 1 + 4 + 0.5 = 5.5; A = (1, 2, 0), mean 1; Q = V + A − 1.
  // x = (0, 0): V = 0.5; A = (0, 0, −3), mean −1; Q = (1.5, 1.5, −1.5).
  const torch::Tensor q = net->forward(torch::tensor({1.0f, 2.0f, 0.0f, 0.0f}).view({2, 2}));
  ASSERT_EQ(q.sizes(), (std::vector<int64_t>{2, 3}));
  const std::vector<float> expected = {5.5f, 6.5f, 4.5f, 1.5f, 1.5f, -1.5f};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(q.view({-1})[i].item<float>(), expected[i]);
}

TEST_F(QNetworkTest, PlainHeadIsLinear) {
  QNetwork net(Linear(2, 2, /*dueling=*/false));
  SetParameter(*net, "q_head.weight", {1, 2, 3, 4});
  SetParameter(*net, "q_head.bias", {0.5, -0.5});
  const torch::Tensor q = net->forward(torch::tensor({1.0f, 1.0f}).view({1, 2}));
  EXPECT_FLOAT_EQ(q[0][0].item<float>(), 3.5f);
  EXPECT_FLOAT_EQ(q[0][1].item<float>(), 6.5f);
}

TEST_F(QNetworkTest, ParameterNamesAndShapes) {
  QNetworkOptions o;
  o.observation_size = 4;
  o.num_actions = 2;
  o.hidden_sizes = {8, 6};
  QNetwork net(o);
  std::vector<std::string> names;
  for (const auto& p : net->named_parameters()) names.push_back(p.key());
  EXPECT_EQ(names, (std::vector<std::string>{"fc0.weight", "fc0.bias", "fc1.weight", "fc1.bias",
                                             "value_head.weight", "value_head.bias",
                                             "advantage_head.weight", "advantage_head.bias"}));
  EXPECT_EQ(net->forward(torch::randn({5, 4})).sizes(), (std::vector<int64_t>{5, 2}));
  o.dueling = false;
  o.activation = "tanh";
  QNetwork plain(o);
  EXPECT_EQ(plain->named_parameters().size(), 6u);
  EXPECT_EQ(plain->forward(torch::randn({3, 4})).sizes(), (std::vector<int64_t>{3, 2}));
}

TEST_F(QNetworkTest, RejectsBadOptionsAndShapes) {
  QNetworkOptions o = Linear(2, 2, true);
  o.num_actions = 0;
  EXPECT_THROW(o.Validate(), std::invalid_argument);
  o = Linear(0, 2, true);
  EXPECT_THROW(QNetwork{o}, std::invalid_argument);
  o = Linear(2, 2, true);
  o.activation = "gelu";
  EXPECT_THROW(o.Validate(), std::invalid_argument);
  o = Linear(2, 2, true);
  o.hidden_sizes = {4, 0};
  EXPECT_THROW(o.Validate(), std::invalid_argument);
  QNetwork net(Linear(2, 2, true));
  EXPECT_THROW(net->forward(torch::zeros({3, 5})), std::invalid_argument);
  EXPECT_THROW(net->forward(torch::zeros({2})), std::invalid_argument);
}

TEST_F(QNetworkTest, EpsilonGreedyActions) {
  const torch::Tensor q = torch::tensor({0.0f, 2.0f, 1.0f, 5.0f, 5.0f, 1.0f}).view({2, 3});
  Rng rng(1);
  float actions[2];
  const double greedy[2] = {0.0, 0.0};
  EpsilonGreedyActions(q, greedy, rng, actions);
  EXPECT_EQ(actions[0], 1.0f);
  EXPECT_EQ(actions[1], 0.0f);  // the first of tied maxima

  // ε = 1: uniform over the actions; ε = 0.5: half greedy plus a third of the random half.
  const int n = 30000;
  const torch::Tensor many = torch::tensor({0.0f, 2.0f, 1.0f}).view({1, 3}).expand({n, 3});
  std::vector<double> eps(n);
  std::vector<float> out(n);
  for (double e : {1.0, 0.5}) {
    std::fill(eps.begin(), eps.end(), e);
    EpsilonGreedyActions(many, eps.data(), rng, out.data());
    std::vector<int> counts(3, 0);
    for (float a : out) counts[static_cast<int>(a)]++;
    const double random_share = e / 3.0;
    EXPECT_NEAR(counts[0] / static_cast<double>(n), random_share, 0.015) << e;
    EXPECT_NEAR(counts[1] / static_cast<double>(n), 1.0 - e + random_share, 0.015) << e;
    EXPECT_NEAR(counts[2] / static_cast<double>(n), random_share, 0.015) << e;
  }
  // Deterministic for a given seed.
  Rng a(9), b(9);
  std::vector<float> out_a(n), out_b(n);
  EpsilonGreedyActions(many, eps.data(), a, out_a.data());
  EpsilonGreedyActions(many, eps.data(), b, out_b.data());
  EXPECT_EQ(out_a, out_b);
}

}  // namespace
}  // namespace rlfleet
