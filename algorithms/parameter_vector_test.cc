#include "algorithms/parameter_vector.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "algorithms/actor_critic.h"

namespace rlfleet {
namespace {

ActorCriticOptions SmallOptions() {
  ActorCriticOptions o;
  o.observation_size = 4;
  o.num_actions = 3;
  o.hidden_sizes = {8};
  return o;
}

TEST(ParameterVectorTest, NamesShapesAndCount) {
  torch::manual_seed(0);
  ActorCritic model(SmallOptions());
  EXPECT_EQ(ParameterNames(*model),
            (std::vector<std::string>{"policy_fc0.weight", "policy_fc0.bias", "value_fc0.weight",
                                      "value_fc0.bias", "policy_head.weight", "policy_head.bias",
                                      "value_head.weight", "value_head.bias"}));
  EXPECT_EQ(ParameterShapes(*model), (std::vector<std::vector<int64_t>>{
                                         {8, 4}, {8}, {8, 4}, {8}, {3, 8}, {3}, {1, 8}, {1}}));
  // (4·8 + 8) per torso, 8·3 + 3 policy head, 8 + 1 value head.
  EXPECT_EQ(NumParameterValues(*model), 40 + 40 + 27 + 9);
}

TEST(ParameterVectorTest, FlattenFollowsNamedParameterOrder) {
  torch::manual_seed(1);
  ActorCritic model(SmallOptions());
  std::vector<float> flat;
  FlattenParameters(*model, &flat);
  ASSERT_EQ(static_cast<int64_t>(flat.size()), NumParameterValues(*model));
  size_t offset = 0;
  for (const auto& item : model->named_parameters()) {
    const torch::Tensor p = item.value().detach().contiguous().view(-1);
    for (int64_t i = 0; i < p.numel(); ++i) {
      ASSERT_EQ(flat[offset + i], p[i].item<float>()) << item.key() << " " << i;
    }
    offset += p.numel();
  }
}

TEST(ParameterVectorTest, RoundTripIntoDifferentlyInitialisedModel) {
  at::set_num_threads(1);
  ActorCriticOptions o = SmallOptions();
  o.discrete_actions = false;
  o.action_size = 2;
  o.hidden_sizes = {16, 16};
  torch::manual_seed(1);
  ActorCritic source(o);
  {
    torch::NoGradGuard no_grad;  // non-zero biases and log_std too
    for (auto& p : source->parameters()) p.add_(torch::randn(p.sizes()) * 0.1);
  }
  torch::manual_seed(2);
  ActorCritic target(o);
  const torch::Tensor x = torch::randn({10, 4});
  const PolicyOutput before = target->forward(x);
  const PolicyOutput expected = source->forward(x);
  ASSERT_FALSE(torch::equal(before.mean, expected.mean));

  std::vector<float> flat;
  FlattenParameters(*source, &flat);
  LoadFlatParameters(*target, flat.data(), flat.size());
  const PolicyOutput after = target->forward(x);
  EXPECT_TRUE(torch::equal(after.mean, expected.mean));
  EXPECT_TRUE(torch::equal(after.log_std, expected.log_std));
  EXPECT_TRUE(torch::equal(after.value, expected.value));
  std::vector<float> again;
  FlattenParameters(*target, &again);
  EXPECT_EQ(again, flat);
  // Loading happens in place: the parameters are still leaves that require gradients.
  for (const auto& p : target->parameters()) {
    EXPECT_TRUE(p.requires_grad());
    EXPECT_TRUE(p.is_leaf());
  }
}

TEST(ParameterVectorTest, SizeMismatchThrowsNamingBothSizes) {
  torch::manual_seed(0);
  ActorCritic model(SmallOptions());
  std::vector<float> flat;
  FlattenParameters(*model, &flat);
  std::vector<float> before = flat;
  flat.push_back(1.0f);
  try {
    LoadFlatParameters(*model, flat.data(), flat.size());
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("117"), std::string::npos) << what;
    EXPECT_NE(what.find("116"), std::string::npos) << what;
  }
  std::vector<float> after;
  FlattenParameters(*model, &after);
  EXPECT_EQ(after, before);  // untouched
  EXPECT_THROW(LoadFlatParameters(*model, flat.data(), 10), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
