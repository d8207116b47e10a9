// RowsView against the buffer it views. GuardedStep against Adam's first step worked out by hand:
// with m̂ = g and v̂ = g², the step is lr · g / (|g| + ε) ≈ lr · sign(g) per value, whatever the
// clipping. FrozenParameters against the derivative of a product worked out by hand.
#include "algorithms/torch_helpers.h"

#include <gtest/gtest.h>
#include <torch/optim/adam.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace rlfleet {
namespace {

constexpr double kLr = 0.1;

struct OneWeight {
  torch::Tensor w = torch::tensor({1.0f, -2.0f}).requires_grad_(true);
  torch::optim::Adam adam{std::vector<torch::Tensor>{w}, torch::optim::AdamOptions(kLr)};
  // ∂/∂w of (w · x) is x = (3, 4): norm 5.
  torch::Tensor Loss(float scale = 1.0f) { return (w * torch::tensor({3.0f, 4.0f})).sum() * scale; }
};

std::vector<float> Values(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// The view reads the buffer in place, row-major: element (r, c) is data[r · cols + c], and a
// later change to the buffer shows through it.
TEST(RowsViewTest, IsARowMajorViewOfTheBufferWithoutACopy) {
  std::vector<float> data = {1, 2, 3, 4, 5, 6};
  const torch::Tensor view = RowsView(data.data(), 2, 3);
  ASSERT_EQ(view.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(view.scalar_type(), torch::kFloat32);
  EXPECT_EQ(view.data_ptr<float>(), data.data());
  EXPECT_FLOAT_EQ(view[1][0].item<float>(), 4.0f);
  EXPECT_FLOAT_EQ(view[0][2].item<float>(), 3.0f);
  data[5] = -7.0f;
  EXPECT_FLOAT_EQ(view[1][2].item<float>(), -7.0f);
}

TEST(GuardedStepTest, StepsOnFiniteLossesAndReturnsTheNormBeforeClipping) {
  for (double max_norm : {0.0, 1.0}) {
    OneWeight s;
    EXPECT_DOUBLE_EQ(GuardedStep(s.adam, s.Loss(), {s.w}, max_norm), 5.0);
    const std::vector<float> w = Values(s.w);
    EXPECT_NEAR(w[0], 1.0 - kLr, 1e-6) << "max_norm " << max_norm;
    EXPECT_NEAR(w[1], -2.0 - kLr, 1e-6) << "max_norm " << max_norm;
  }
}

TEST(GuardedStepTest, NonFiniteLossOrGradientsChangeNeitherParametersNorOptimizerState) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  OneWeight s;
  // Infinite gradients; NaN gradients; finite gradients under an infinite loss.
  EXPECT_FALSE(std::isfinite(GuardedStep(s.adam, s.Loss(inf), {s.w}, 1.0)));
  EXPECT_FALSE(std::isfinite(GuardedStep(s.adam, s.Loss(nan), {s.w}, 0.0)));
  EXPECT_FALSE(std::isfinite(GuardedStep(s.adam, s.Loss() + torch::tensor(inf), {s.w}, 0.0)));
  EXPECT_EQ(Values(s.w), (std::vector<float>{1.0f, -2.0f}));
  // The next finite step is Adam's first: the skipped ones left no moments or step count.
  EXPECT_DOUBLE_EQ(GuardedStep(s.adam, s.Loss(), {s.w}, 0.0), 5.0);
  const std::vector<float> w = Values(s.w);
  EXPECT_NEAR(w[0], 1.0 - kLr, 1e-6);
  EXPECT_NEAR(w[1], -2.0 - kLr, 1e-6);
}

// y = (a · w) · c with a the "actor's" output and w, c the "critic's" weights:
// ∂y/∂a = w c, ∂y/∂w = a c, ∂y/∂c = a w.
TEST(FrozenParametersTest, ABackwardPassMeanwhileLeavesTheFrozenWeightsWithoutGradients) {
  const torch::Tensor a = torch::tensor({2.0f}).requires_grad_(true);
  torch::Tensor w = torch::tensor({3.0f}).requires_grad_(true);
  torch::Tensor c = torch::tensor({5.0f}).requires_grad_(true);
  {
    FrozenParameters frozen({w, c});
    EXPECT_FALSE(w.requires_grad());
    EXPECT_FALSE(c.requires_grad());
    ((a * w) * c).sum().backward();
  }
  EXPECT_EQ(Values(a.grad()), (std::vector<float>{15.0f}));
  EXPECT_FALSE(w.grad().defined());
  EXPECT_FALSE(c.grad().defined());
  // Afterwards they take part again.
  EXPECT_TRUE(w.requires_grad());
  EXPECT_TRUE(c.requires_grad());
  ((a * w) * c).sum().backward();
  EXPECT_EQ(Values(w.grad()), (std::vector<float>{10.0f}));
  EXPECT_EQ(Values(c.grad()), (std::vector<float>{6.0f}));
}

TEST(FrozenParametersTest, RefusesATensorThatDoesNotRequireGradientsAndChangesNothing) {
  torch::Tensor w = torch::tensor({3.0f}).requires_grad_(true);
  const torch::Tensor constant = torch::tensor({1.0f});
  EXPECT_THROW(FrozenParameters({w, constant}), std::invalid_argument);
  EXPECT_TRUE(w.requires_grad());
}

}  // namespace
}  // namespace rlfleet
