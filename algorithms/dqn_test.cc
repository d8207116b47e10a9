#include "algorithms/dqn.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "algorithms/model_factory.h"
#include "algorithms/parameter_vector.h"
#include "core/epsilon_ladder.h"
#include "core/transition_testing.h"

namespace rlfleet {
namespace {

class DqnTest : public ::testing::Test {
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

void SetParameter(torch::nn::Module& module, const std::string& name,
                  const std::vector<float>& values) {
  torch::NoGradGuard no_grad;
  torch::Tensor p = module.named_parameters()[name];
  ASSERT_EQ(p.numel(), static_cast<int64_t>(values.size())) << name;
  p.copy_(torch::tensor(values).view(p.sizes()));
}

// Q(x) = W x (no hidden layer, no dueling, zero bias): Q values are easy to compute by hand.
QNetwork LinearQ(const std::vector<float>& weight) {
  QNetworkOptions o;
  o.observation_size = 2;
  o.num_actions = 2;
  o.hidden_sizes = {};
  o.dueling = false;
  QNetwork net(o);
  SetParameter(*net, "q_head.weight", weight);
  SetParameter(*net, "q_head.bias", {0, 0});
  return net;
}

using testing::OneStepTransition;

// Two transitions whose targets differ between double and plain DQN.
//   online W = [[1, 2], [3, −1]], target W = [[5, 0.5], [2, 4]]
//   0: x = (1, 0), a = 0, r = 0.5, discount 0.5, x' = (1, 0)
//      Q_online(x, 0) = 1; Q_online(x') = (1, 3) → a* = 1; Q_target(x') = (5, 2)
//      double: y = 0.5 + 0.5·2 = 1.5 (td 0.5); plain: y = 0.5 + 0.5·5 = 3 (td 2)
//   1: x = (0, 1), a = 1, r = 2, discount 0 (terminated), x' = (0, 1)
//      Q_online(x, 1) = −1; y = 2 either way (td 3)
DqnBatch HandBatch(const std::vector<double>& weights) {
  return BatchFromTransitions({OneStepTransition({1, 0}, 0, 0.5f, 0.5f, {1, 0}),
                               OneStepTransition({0, 1}, 1, 2.0f, 0.0f, {0, 1})},
                              weights);
}
const std::vector<float> kOnlineW = {1, 2, 3, -1};
const std::vector<float> kTargetW = {5, 0.5f, 2, 4};

TEST_F(DqnTest, BatchFromTransitions) {
  DqnBatch b = HandBatch({});
  EXPECT_EQ(b.observations.sizes(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(b.next_observations.sizes(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(b.actions.sizes(), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(b.actions[1][0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(b.rewards[0].item<float>(), 0.5f);
  EXPECT_FLOAT_EQ(b.discounts[0].item<float>(), 0.5f);
  EXPECT_FLOAT_EQ(b.observations[1][1].item<float>(), 1.0f);
  EXPECT_TRUE(b.weights.equal(torch::ones({2})));
  b = HandBatch({0.25, 4.0});
  EXPECT_FLOAT_EQ(b.weights[1].item<float>(), 4.0f);
  EXPECT_THROW(HandBatch({1.0}), std::invalid_argument);
  EXPECT_THROW(BatchFromTransitions({}, {}), std::invalid_argument);
  EXPECT_THROW(
      BatchFromTransitions(
          {OneStepTransition({1, 0}, 0, 0, 0, {1, 0}), OneStepTransition({1}, 0, 0, 0, {1})}, {}),
      std::invalid_argument);
}

TEST_F(DqnTest, DoubleAndPlainTargetsByHand) {
  QNetwork online = LinearQ(kOnlineW);
  QNetwork target = LinearQ(kTargetW);
  const DqnBatch batch = HandBatch({});
  const torch::Tensor y_double = DqnTargets(online, target, batch, /*double_dqn=*/true);
  EXPECT_FLOAT_EQ(y_double[0].item<float>(), 1.5f);
  EXPECT_FLOAT_EQ(y_double[1].item<float>(), 2.0f);
  const torch::Tensor y_plain = DqnTargets(online, target, batch, /*double_dqn=*/false);
  EXPECT_FLOAT_EQ(y_plain[0].item<float>(), 3.0f);
  EXPECT_FLOAT_EQ(y_plain[1].item<float>(), 2.0f);
  EXPECT_FALSE(y_double.requires_grad());
}

TEST_F(DqnTest, HuberLossByHand) {
  const torch::Tensor h = HuberLoss(torch::tensor({0.5f, -0.5f, 3.0f, -2.0f}), 1.0);
  EXPECT_FLOAT_EQ(h[0].item<float>(), 0.125f);
  EXPECT_FLOAT_EQ(h[1].item<float>(), 0.125f);
  EXPECT_FLOAT_EQ(h[2].item<float>(), 2.5f);
  EXPECT_FLOAT_EQ(h[3].item<float>(), 1.5f);
  EXPECT_FLOAT_EQ(HuberLoss(torch::tensor({3.0f}), 2.0)[0].item<float>(), 4.0f);  // 2·(3 − 1)
}

// The loss is mean(w · Huber(td)) and the gradient flows through Q_online(x, a) only:
//   td = (0.5, 3), w = (0.4, 2): loss = (0.4·0.125 + 2·2.5) / 2 = 2.525
//   dL/dQ_b = −w_b·clip(td_b, ±1) / 2 = (−0.1, −1) → dL/dW = [[−0.1, 0], [0, −1]],
//   dL/db = (−0.1, −1): norm √2.02.
TEST_F(DqnTest, UpdateWeightsHuberByImportanceWeights) {
  for (bool double_dqn : {true, false}) {
    DqnOptions options;
    options.double_dqn = double_dqn;
    options.max_grad_norm = 0.0;  // no clipping
    Dqn dqn(LinearQ(kOnlineW), LinearQ({0, 0, 0, 0}), options);
    QNetwork target = dqn.target();
    SetParameter(*target, "q_head.weight", kTargetW);
    std::vector<float> priorities;
    const DqnStats stats = dqn.Update(HandBatch({0.4, 2.0}), &priorities);
    ASSERT_EQ(priorities.size(), 2u);
    EXPECT_FLOAT_EQ(stats.mean_q, 0.0f);
    if (double_dqn) {
      EXPECT_FLOAT_EQ(priorities[0], 0.5f);
      EXPECT_FLOAT_EQ(priorities[1], 3.0f);
      EXPECT_NEAR(stats.loss, 2.525, 1e-6);
      EXPECT_NEAR(stats.mean_abs_td, 1.75, 1e-6);
      EXPECT_NEAR(stats.grad_norm, std::sqrt(2.02), 1e-5);
    } else {
      // td = (2, 3): loss = (0.4·1.5 + 2·2.5) / 2 = 2.8; dL/dQ = (−0.2, −1) → norm √2.08.
      EXPECT_FLOAT_EQ(priorities[0], 2.0f);
      EXPECT_FLOAT_EQ(priorities[1], 3.0f);
      EXPECT_NEAR(stats.loss, 2.8, 1e-6);
      EXPECT_NEAR(stats.mean_abs_td, 2.5, 1e-6);
      EXPECT_NEAR(stats.grad_norm, std::sqrt(2.08), 1e-5);
    }
    EXPECT_EQ(dqn.num_updates(), 1);
  }
}

TEST_F(DqnTest, InitialPrioritiesUseTheActorsNetworkAsTarget) {
  QNetwork net = LinearQ(kOnlineW);
  // 0: y = 0.5 + 0.5·max(1, 3) = 2, Q = 1 → 1;  1: y = 2, Q = −1 → 3.
  for (bool double_dqn : {true, false}) {
    const std::vector<float> p = InitialPriorities(net, HandBatch({}), double_dqn);
    ASSERT_EQ(p.size(), 2u);
    EXPECT_FLOAT_EQ(p[0], 1.0f);
    EXPECT_FLOAT_EQ(p[1], 3.0f);
  }
}

bool SameParameters(torch::nn::Module& a, torch::nn::Module& b) {
  auto pa = a.parameters(), pb = b.parameters();
  if (pa.size() != pb.size()) return false;
  for (size_t i = 0; i < pa.size(); ++i) {
    if (!pa[i].equal(pb[i])) return false;
  }
  return true;
}

QNetworkOptions SmallNet() {
  QNetworkOptions o;
  o.observation_size = 2;
  o.num_actions = 2;
  o.hidden_sizes = {16};
  return o;
}

QNetwork MakeNet(const QNetworkOptions& options) { return QNetwork(options); }

TEST_F(DqnTest, TargetCopiedOnlyEveryPeriod) {
  DqnOptions options;
  options.learning_rate = 1e-2;
  options.target_update_period = 3;
  Dqn dqn(MakeNet(SmallNet()), MakeNet(SmallNet()), options);
  QNetwork online = dqn.online(), target = dqn.target();
  EXPECT_TRUE(SameParameters(*online, *target));  // copied at construction
  std::vector<torch::Tensor> initial;
  for (const auto& p : target->parameters()) initial.push_back(p.clone());
  const DqnBatch batch = HandBatch({});
  for (int update = 1; update <= 7; ++update) {
    dqn.Update(batch, nullptr);
    const bool copied = update % 3 == 0;
    EXPECT_EQ(SameParameters(*online, *target), copied) << update;
    if (update < 3) {
      auto now = target->parameters();
      for (size_t i = 0; i < now.size(); ++i) EXPECT_TRUE(now[i].equal(initial[i])) << update;
    }
  }
}

// Adam's first step is −lr · m̂ / (√v̂ + ε) with m̂ = g and v̂ = g², i.e. −lr · sign(g) for
// |g| ≫ ε, and 0 where g = 0. With the hand network only Q(x, a) of the sampled (x, a) pairs
// has a gradient: W[0][0] (x = (1, 0), a = 0), W[1][1] (x = (0, 1), a = 1) and both biases.
TEST_F(DqnTest, SetLearningRateSetsTheAdamStepSize) {
  DqnOptions options;
  options.learning_rate = 1e-3;
  options.adam_eps = 1e-10;
  options.max_grad_norm = 0;
  Dqn dqn(LinearQ(kOnlineW), LinearQ(kOnlineW), options);
  EXPECT_DOUBLE_EQ(dqn.learning_rate(), 1e-3);
  dqn.SetLearningRate(0.25);
  EXPECT_DOUBLE_EQ(dqn.learning_rate(), 0.25);
  const DqnStats stats = dqn.Update(HandBatch({}), nullptr);
  EXPECT_DOUBLE_EQ(stats.learning_rate, 0.25);
  auto params = dqn.online()->named_parameters();
  const torch::Tensor w = params["q_head.weight"];
  const torch::Tensor b = params["q_head.bias"];
  // Target = online: td0 = 0.5 + 0.5·3 − 1 > 0 and td1 = 2 − (−1) > 0; the loss falls as Q(x, a)
  // rises, so g < 0 and the step is +lr on every parameter with a gradient.
  EXPECT_NEAR(w[0][0].item<float>(), 1.0f + 0.25f, 1e-5);
  EXPECT_NEAR(w[0][1].item<float>(), 2.0f, 1e-6);
  EXPECT_NEAR(w[1][0].item<float>(), 3.0f, 1e-6);
  EXPECT_NEAR(w[1][1].item<float>(), -1.0f + 0.25f, 1e-5);
  EXPECT_NEAR(b[0].item<float>(), 0.25f, 1e-5);
  EXPECT_NEAR(b[1].item<float>(), 0.25f, 1e-5);

  dqn.SetLearningRate(0.0);  // a rate of 0 freezes the network
  std::vector<torch::Tensor> before;
  for (const auto& p : dqn.online()->parameters()) before.push_back(p.clone());
  dqn.Update(HandBatch({}), nullptr);
  auto after = dqn.online()->parameters();
  for (size_t i = 0; i < after.size(); ++i) EXPECT_TRUE(after[i].equal(before[i])) << i;

  EXPECT_THROW(dqn.SetLearningRate(-1e-3), std::invalid_argument);
  EXPECT_THROW(dqn.SetLearningRate(std::nan("")), std::invalid_argument);
  EXPECT_DOUBLE_EQ(dqn.learning_rate(), 0.0);
}

TEST_F(DqnTest, RejectsBadOptionsAndNetworks) {
  DqnOptions o;
  o.target_update_period = 0;
  EXPECT_THROW(o.Validate(), std::invalid_argument);
  o = DqnOptions();
  o.huber_delta = 0;
  EXPECT_THROW(o.Validate(), std::invalid_argument);
  o = DqnOptions();
  o.learning_rate = -1;
  EXPECT_THROW(o.Validate(), std::invalid_argument);
  QNetworkOptions other = SmallNet();
  other.hidden_sizes = {8};
  EXPECT_THROW(Dqn(MakeNet(SmallNet()), MakeNet(other), DqnOptions()), std::invalid_argument);
  Dqn dqn(MakeNet(SmallNet()), MakeNet(SmallNet()), DqnOptions());
  DqnBatch bad = HandBatch({});
  bad.rewards = torch::zeros({3});
  EXPECT_THROW(dqn.Update(bad, nullptr), std::invalid_argument);
}

// A two-state chain: from s0 every action gives 0 and leads to s1 (discount 0.9); in s1 action
// 0 gives 1 and action 1 gives 0.5, both terminal. True Q: s0 → (0.9, 0.9), s1 → (1, 0.5).
TEST_F(DqnTest, LearnsTwoStateChain) {
  DqnOptions options;
  options.learning_rate = 1e-2;
  options.adam_eps = 1e-8;
  options.target_update_period = 20;
  Dqn dqn(MakeNet(SmallNet()), MakeNet(SmallNet()), options);
  const std::vector<float> s0 = {1, 0}, s1 = {0, 1};
  const DqnBatch batch = BatchFromTransitions(
      {OneStepTransition(s0, 0, 0, 0.9f, s1), OneStepTransition(s0, 1, 0, 0.9f, s1),
       OneStepTransition(s1, 0, 1, 0, s0), OneStepTransition(s1, 1, 0.5f, 0, s0)},
      {});
  DqnStats stats;
  for (int i = 0; i < 800; ++i) stats = dqn.Update(batch, nullptr);
  torch::NoGradGuard no_grad;
  const torch::Tensor q =
      dqn.online()->forward(torch::tensor({1.0f, 0.0f, 0.0f, 1.0f}).view({2, 2}));
  EXPECT_NEAR(q[0][0].item<float>(), 0.9f, 0.05);
  EXPECT_NEAR(q[0][1].item<float>(), 0.9f, 0.05);
  EXPECT_NEAR(q[1][0].item<float>(), 1.0f, 0.05);
  EXPECT_NEAR(q[1][1].item<float>(), 0.5f, 0.05);
  EXPECT_LT(stats.mean_abs_td, 0.05);
}

TEST_F(DqnTest, CheckpointRoundTrip) {
  DqnOptions options;
  options.learning_rate = 1e-2;
  options.target_update_period = 2;
  const DqnBatch batch = HandBatch({0.5, 1.5});
  Dqn a(MakeNet(SmallNet()), MakeNet(SmallNet()), options);
  for (int i = 0; i < 3; ++i) a.Update(batch, nullptr);  // target copied at 2, online moved on
  const std::string path = TempPath("dqn.pt");
  a.SaveCheckpoint(path);

  torch::manual_seed(123);
  Dqn b(MakeNet(SmallNet()), MakeNet(SmallNet()), options);
  EXPECT_FALSE(SameParameters(*a.online(), *b.online()));
  b.LoadCheckpoint(path);
  EXPECT_EQ(b.num_updates(), 3);
  EXPECT_TRUE(SameParameters(*a.online(), *b.online()));
  EXPECT_TRUE(SameParameters(*a.target(), *b.target()));
  EXPECT_FALSE(SameParameters(*b.online(), *b.target()));
  // Same optimiser state: the next update is identical.
  std::vector<float> pa, pb;
  const DqnStats sa = a.Update(batch, &pa);
  const DqnStats sb = b.Update(batch, &pb);
  EXPECT_EQ(sa.loss, sb.loss);
  EXPECT_EQ(pa, pb);
  EXPECT_TRUE(SameParameters(*a.online(), *b.online()));
  EXPECT_TRUE(SameParameters(*a.target(), *b.target()));  // both copied at update 4

  // A checkpoint of another architecture is rejected and changes nothing.
  QNetworkOptions wide = SmallNet();
  wide.hidden_sizes = {32};
  Dqn c(MakeNet(wide), MakeNet(wide), options);
  const std::string other = TempPath("wide.pt");
  c.SaveCheckpoint(other);
  std::vector<torch::Tensor> before;
  for (const auto& p : b.online()->parameters()) before.push_back(p.clone());
  EXPECT_THROW(b.LoadCheckpoint(other), std::runtime_error);
  EXPECT_THROW(b.LoadCheckpoint(TempPath("missing.pt")), std::runtime_error);
  auto after = b.online()->parameters();
  for (size_t i = 0; i < after.size(); ++i) EXPECT_TRUE(after[i].equal(before[i]));
  EXPECT_EQ(b.num_updates(), 4);
  std::remove(path.c_str());
  std::remove(other.c_str());
}

// The Ape-X actor policy: 1-step transitions of every env, emitted actor.insert_batch at a
// time with the |TD| of a network built like its own (MakeQNetwork from the run seed) as
// priorities; a termination's next observation is the final one; the version that acted rides
// along; weights are wanted every actor.weights_interval_frames frames.
TEST_F(DqnTest, ApexPolicyEmitsTransitionsWithTheirInitialPriorities) {
  RunConfig config;
  config.env.num_envs = 2;
  config.cluster.num_actors = 1;
  config.actor.n_step = 1;
  config.actor.insert_batch = 4;
  config.actor.weights_interval_frames = 2;
  config.model.activation = "relu";
  EnvSpec spec;
  spec.id = "CartPole-v1";
  spec.observation_size = 4;
  spec.num_actions = 2;
  auto policy = ApexDqnAlgorithmSpec().make_policy(config, spec, 0);
  std::vector<float> obs(8), next(8), final_obs(8, -1.0f), actions(2), rewards = {1.0f, 1.0f};
  std::vector<uint8_t> terminated(2), truncated(2);
  ActorOutput out;
  std::vector<Transition> expected;
  for (int t = 0; t < 2; ++t) {
    EXPECT_EQ(policy->WantsWeights(), t == 1) << t;  // 2 frames per step
    policy->OnWeights(10 + t);
    for (int i = 0; i < 8; ++i) obs[i] = 0.1f * (t + i);
    for (int i = 0; i < 8; ++i) next[i] = 0.1f * (t + 1 + i);
    policy->Act(obs.data(), actions.data());
    terminated = {static_cast<uint8_t>(t == 1), 0};
    EnvStepView view{2,
                     obs.data(),
                     actions.data(),
                     rewards.data(),
                     terminated.data(),
                     truncated.data(),
                     next.data(),
                     final_obs.data()};
    for (int e = 0; e < 2; ++e) {
      const bool term = terminated[e] != 0;
      const float* x1 = (term ? final_obs.data() : next.data()) + 4 * e;
      expected.push_back(OneStepTransition({obs.begin() + 4 * e, obs.begin() + 4 * e + 4},
                                           actions[e], 1.0f, term ? 0.0f : 0.99f, {x1, x1 + 4}));
      expected.back().policy_version = 10 + t;
    }
    policy->Record(view, &out);
    EXPECT_EQ(out.transitions.size(), t == 1 ? 4u : 0u);
  }
  QNetwork reference = MakeQNetwork(config.model, config.apex.dueling, SpacesOf(spec), config.seed);
  const std::vector<float> td =
      InitialPriorities(reference, BatchFromTransitions(expected, {}), true);
  ASSERT_EQ(out.priorities.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const Transition& got = out.transitions[i];
    EXPECT_EQ(got.observation, expected[i].observation) << i;
    EXPECT_EQ(got.next_observation, expected[i].next_observation) << i;
    EXPECT_EQ(got.action, expected[i].action) << i;
    EXPECT_FLOAT_EQ(got.discount, expected[i].discount) << i;
    EXPECT_EQ(got.terminated, expected[i].terminated) << i;
    EXPECT_EQ(got.policy_version, expected[i].policy_version) << i;
    EXPECT_NEAR(out.priorities[i], std::max(1e-6, static_cast<double>(td[i])), 1e-6) << i;
  }
  // Flush hands out what waits for a full insert batch.
  ActorOutput rest;
  policy->Flush(&rest);
  EXPECT_TRUE(rest.empty());
}

TEST_F(DqnTest, ApexPolicyAndLearnerShareInitialWeightsAndParameterNames) {
  RunConfig config;
  config.model.activation = "relu";
  EnvSpec spec;
  spec.observation_size = 6;
  spec.num_actions = 3;
  auto policy = ApexDqnAlgorithmSpec().make_policy(config, spec, 0);
  auto learner = ApexDqnAlgorithmSpec().make_learner(config, spec, "cpu");
  EXPECT_EQ(ParameterNames(policy->module()), ParameterNames(learner->published_module()));
  std::vector<float> a, b;
  FlattenParameters(policy->module(), &a);
  FlattenParameters(learner->published_module(), &b);
  EXPECT_EQ(a, b);
}

// The learner side anneals Adam's rate over the budget and returns |TD| as priorities.
TEST_F(DqnTest, ApexLearnerAnnealsAndReturnsPriorities) {
  RunConfig config;
  config.model.activation = "relu";
  config.learner.learning_rate = 1e-3;
  config.learner.anneal_learning_rate = true;
  EnvSpec spec;
  spec.observation_size = 2;
  spec.num_actions = 2;
  auto learner = ApexDqnAlgorithmSpec().make_learner(config, spec, "cpu");
  SampledItems items;
  items.transitions = {OneStepTransition({1, 0}, 0, 0.5f, 0.5f, {1, 0}),
                       OneStepTransition({0, 1}, 1, 2.0f, 0.0f, {0, 1})};
  items.importance_weights = {1.0, 0.5};
  auto batch = learner->Prepare(items);
  learner->SetProgress(0.75);
  const UpdateResult result = learner->Update(*batch);
  const auto& names = learner->metric_names();
  const size_t rate = std::find(names.begin(), names.end(), "learning_rate") - names.begin();
  ASSERT_LT(rate, result.metrics.size());
  EXPECT_NEAR(result.metrics[rate], 0.25e-3, 1e-12);
  ASSERT_EQ(result.priorities.size(), 2u);
  for (double p : result.priorities) EXPECT_GT(p, 0.0);
  EXPECT_EQ(learner->num_updates(), 1);
}

}  // namespace
}  // namespace rlfleet
