#include "core/uniform_actions.h"

#include <gtest/gtest.h>

#include <vector>

namespace rlfleet {
namespace {

// The draws follow the documented order, checked against an Rng driven by hand.
TEST(UniformActionsTest, DrawsInRowOrderFromTheRng) {
  EnvSpec discrete;
  discrete.num_actions = 3;
  Rng rng(7), reference(7);
  std::vector<float> out(50);
  UniformActions(discrete, 50, rng, out.data());
  for (float a : out) EXPECT_EQ(a, static_cast<float>(reference.UniformInt(3)));

  EnvSpec box;
  box.discrete_actions = false;
  box.action_size = 2;
  box.action_low = {-1.0f, 10.0f};
  box.action_high = {1.0f, 20.0f};
  std::vector<float> pairs(2 * 40);
  UniformActions(box, 40, rng, pairs.data());
  for (size_t i = 0; i < pairs.size(); ++i) {
    const size_t j = i % 2;
    EXPECT_EQ(pairs[i],
              static_cast<float>(reference.Uniform(box.action_low[j], box.action_high[j])));
    EXPECT_GE(pairs[i], box.action_low[j]);
    EXPECT_LE(pairs[i], box.action_high[j]);
  }
}

}  // namespace
}  // namespace rlfleet
