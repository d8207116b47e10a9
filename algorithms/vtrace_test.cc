#include "algorithms/vtrace.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "core/random.h"

namespace rlfleet {
namespace {

using Grid = std::vector<std::vector<double>>;  // [T][B]

at::Tensor ToTensor(const Grid& grid) {
  const int64_t T = grid.size(), B = grid[0].size();
  std::vector<float> flat;
  for (const auto& row : grid) flat.insert(flat.end(), row.begin(), row.end());
  return at::from_blob(flat.data(), {T, B}, at::kFloat).clone();
}

Grid ToGrid(const at::Tensor& tensor) {
  const at::Tensor t = tensor.to(at::kDouble).contiguous();
  Grid grid(t.size(0), std::vector<double>(t.size(1)));
  for (int64_t i = 0; i < t.size(0); ++i) {
    for (int64_t j = 0; j < t.size(1); ++j) grid[i][j] = t[i][j].item<double>();
  }
  return grid;
}

// Random [T, B] problem with episode ends (terminations and truncations) and off-policy
// log importance ratios, stored in double and in the exact float values the tensors hold.
struct Problem {
  int T, B;
  Grid log_rhos, discounts, continues, rewards, values, next_values;

  VTraceInputs Inputs() const {
    return {ToTensor(log_rhos), ToTensor(discounts), ToTensor(continues),
            ToTensor(rewards),  ToTensor(values),    ToTensor(next_values)};
  }
};

double F(double v) { return static_cast<float>(v); }  // round like the tensors do

Problem RandomProblem(uint64_t seed, int T, int B, double gamma, double log_rho_scale) {
  Rng rng(seed);
  Problem p;
  p.T = T;
  p.B = B;
  Grid zero(T, std::vector<double>(B, 0.0));
  p.log_rhos = p.discounts = p.continues = p.rewards = p.values = p.next_values = zero;
  std::vector<double> v_next(B);
  for (int b = 0; b < B; ++b) v_next[b] = F(rng.Normal());  // V(x_T)
  for (int t = T - 1; t >= 0; --t) {
    for (int b = 0; b < B; ++b) {
      const double u = rng.Uniform01();
      const bool terminated = u < 0.15, truncated = !terminated && u < 0.3;
      p.log_rhos[t][b] = F(log_rho_scale * rng.Normal());
      p.discounts[t][b] = F(gamma * (terminated ? 0.0 : 1.0));
      p.continues[t][b] = (terminated || truncated) ? 0.0 : 1.0;
      p.rewards[t][b] = F(rng.Normal());
      p.values[t][b] = F(rng.Normal());
      // Consistent with an unroll: within an episode next_values_t = V(x_{t+1}); after an
      // episode end V(x_{t+1}) belongs to the next episode, and a truncation has its own
      // V(final observation).
      p.next_values[t][b] = (terminated || truncated) ? F(rng.Normal()) : v_next[b];
      v_next[b] = p.values[t][b];
    }
  }
  return p;
}

// vs by the explicit sum of the paper's eq. 1 in double:
//   vs_s = V_s + Σ_{t=s}^{T−1} (Π_{i=s}^{t−1} disc_i·cont_i·c_i)·δ_t
Grid ReferenceVs(const Problem& p, const VTraceOptions& o) {
  Grid vs(p.T, std::vector<double>(p.B));
  for (int b = 0; b < p.B; ++b) {
    for (int s = 0; s < p.T; ++s) {
      double sum = 0.0;
      for (int t = s; t < p.T; ++t) {
        double product = 1.0;
        for (int i = s; i < t; ++i) {
          const double c = o.lambda * std::min(o.c_bar, std::exp(p.log_rhos[i][b]));
          product *= p.discounts[i][b] * p.continues[i][b] * c;
        }
        const double rho = std::min(o.rho_bar, std::exp(p.log_rhos[t][b]));
        const double delta =
            rho * (p.rewards[t][b] + p.discounts[t][b] * p.next_values[t][b] - p.values[t][b]);
        sum += product * delta;
      }
      vs[s][b] = p.values[s][b] + sum;
    }
  }
  return vs;
}

Grid ReferencePgAdvantages(const Problem& p, const Grid& vs, const VTraceOptions& o) {
  Grid adv(p.T, std::vector<double>(p.B));
  for (int t = 0; t < p.T; ++t) {
    for (int b = 0; b < p.B; ++b) {
      const bool inside = t + 1 < p.T && p.continues[t][b] != 0.0;
      const double next_vs = inside ? vs[t + 1][b] : p.next_values[t][b];
      adv[t][b] = std::min(o.pg_rho_bar, std::exp(p.log_rhos[t][b])) *
                  (p.rewards[t][b] + p.discounts[t][b] * next_vs - p.values[t][b]);
    }
  }
  return adv;
}

void ExpectNear(const Grid& expected, const at::Tensor& actual, double tolerance) {
  ASSERT_EQ(actual.dim(), 2);
  ASSERT_EQ(actual.scalar_type(), at::kFloat);
  const Grid got = ToGrid(actual);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t t = 0; t < expected.size(); ++t) {
    ASSERT_EQ(got[t].size(), expected[t].size());
    for (size_t b = 0; b < expected[t].size(); ++b) {
      EXPECT_NEAR(got[t][b], expected[t][b], tolerance * (1.0 + std::fabs(expected[t][b])))
          << "at [" << t << ", " << b << "]";
    }
  }
}

TEST(VTraceTest, MatchesSumFormulaOffPolicyWithClipping) {
  struct Case {
    double rho_bar, c_bar, pg_rho_bar, lambda, log_rho_scale;
  };
  const Case cases[] = {{1.0, 1.0, 1.0, 1.0, 0.8},
                        {1.0, 0.9, 1.2, 0.95, 1.0},
                        {2.0, 0.5, 0.7, 1.0, 1.5},
                        {std::numeric_limits<double>::infinity(), 1.5, 3.0, 0.8, 0.5}};
  uint64_t seed = 11;
  for (const Case& c : cases) {
    const Problem p = RandomProblem(seed++, /*T=*/9, /*B=*/6, /*gamma=*/0.93, c.log_rho_scale);
    VTraceOptions options;
    options.rho_bar = c.rho_bar;
    options.c_bar = c.c_bar;
    options.pg_rho_bar = c.pg_rho_bar;
    options.lambda = c.lambda;
    const VTraceReturns out = ComputeVTrace(p.Inputs(), options);
    const Grid vs = ReferenceVs(p, options);
    SCOPED_TRACE("rho_bar " + std::to_string(c.rho_bar) + " c_bar " + std::to_string(c.c_bar));
    ExpectNear(vs, out.vs, 1e-5);
    ExpectNear(ReferencePgAdvantages(p, vs, options), out.pg_advantages, 1e-5);
  }
}

TEST(VTraceTest, ClippingChangesTheResult) {
  // Guards the test above: with large ratios the clipped and unclipped targets differ.
  const Problem p = RandomProblem(5, 6, 4, 0.9, 1.5);
  VTraceOptions clipped, loose;
  loose.rho_bar = loose.c_bar = loose.pg_rho_bar = 100.0;
  const VTraceReturns a = ComputeVTrace(p.Inputs(), clipped);
  const VTraceReturns b = ComputeVTrace(p.Inputs(), loose);
  EXPECT_GT((a.vs - b.vs).abs().max().item<double>(), 1e-2);
  EXPECT_GT((a.pg_advantages - b.pg_advantages).abs().max().item<double>(), 1e-2);
}

TEST(VTraceTest, OnPolicyEqualsNStepBootstrappedReturn) {
  const Problem p0 = RandomProblem(3, 12, 7, 0.97, 0.0);
  Problem p = p0;
  for (auto& row : p.log_rhos) std::fill(row.begin(), row.end(), 0.0);
  // Separate backward loop: G_t = r_t + disc_t·(G_{t+1} inside an episode, else next_values_t).
  Grid returns(p.T, std::vector<double>(p.B)), advantages = returns;
  for (int b = 0; b < p.B; ++b) {
    double g_next = 0.0;
    for (int t = p.T - 1; t >= 0; --t) {
      const bool inside = t + 1 < p.T && p.continues[t][b] == 1.0;
      const double bootstrap = inside ? g_next : p.next_values[t][b];
      returns[t][b] = p.rewards[t][b] + p.discounts[t][b] * bootstrap;
      advantages[t][b] = returns[t][b] - p.values[t][b];
      g_next = returns[t][b];
    }
  }
  const VTraceReturns out = ComputeVTrace(p.Inputs(), VTraceOptions());
  ExpectNear(returns, out.vs, 1e-5);
  ExpectNear(advantages, out.pg_advantages, 1e-5);
}

TEST(VTraceTest, TerminationZeroesBootstrapTruncationBootstrapsFromNextValues) {
  // Column 0 terminates at t = 1, column 1 is truncated at t = 1; on-policy, γ = 0.5.
  const double g = 0.5;
  const Grid rewards = {{1, 1}, {2, 2}, {3, 3}};
  const Grid values = {{0.1, 0.2}, {0.3, 0.4}, {0.5, 0.6}};
  const Grid next_values = {{0.3, 0.4}, {7.0, 8.0}, {10.0, 20.0}};
  const Grid discounts = {{g, g}, {0.0, g}, {g, g}};
  const Grid continues = {{1, 1}, {0, 0}, {1, 1}};
  const Grid zeros = {{0, 0}, {0, 0}, {0, 0}};
  const VTraceReturns out =
      ComputeVTrace({ToTensor(zeros), ToTensor(discounts), ToTensor(continues), ToTensor(rewards),
                     ToTensor(values), ToTensor(next_values)},
                    VTraceOptions());
  const Grid expected = {
      {1 + g * 2.0, 1 + g * (2 + g * 8.0)},
      {2.0, 2 + g * 8.0},  // terminated: no bootstrap; truncated: V(final obs) = 8
      {3 + g * 10.0, 3 + g * 20.0},
  };
  ExpectNear(expected, out.vs, 1e-6);
  const Grid expected_adv = {
      {expected[0][0] - 0.1, expected[0][1] - 0.2},
      {2.0 - 0.3, 2 + g * 8.0 - 0.4},
      {3 + g * 10.0 - 0.5, 3 + g * 20.0 - 0.6},
  };
  ExpectNear(expected_adv, out.pg_advantages, 1e-6);
}

TEST(VTraceTest, NoGradientAndInputsUntouched) {
  const Problem p = RandomProblem(9, 4, 3, 0.9, 0.5);
  VTraceInputs inputs = p.Inputs();
  inputs.values.requires_grad_(true);
  const at::Tensor values_before = inputs.values.detach().clone();
  const VTraceReturns out = ComputeVTrace(inputs, VTraceOptions());
  EXPECT_FALSE(out.vs.requires_grad());
  EXPECT_FALSE(out.pg_advantages.requires_grad());
  EXPECT_TRUE(at::equal(inputs.values.detach(), values_before));
}

TEST(VTraceTest, RejectsBadShapesAndOptions) {
  const Problem p = RandomProblem(1, 4, 3, 0.9, 0.5);
  VTraceInputs inputs = p.Inputs();
  inputs.rewards = inputs.rewards.slice(0, 0, 3);
  try {
    ComputeVTrace(inputs, VTraceOptions());
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("rewards"), std::string::npos) << e.what();
  }
  VTraceOptions options;
  options.lambda = 1.5;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options = VTraceOptions();
  options.c_bar = 0.0;
  try {
    ComputeVTrace(p.Inputs(), options);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("c_bar"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rlfleet
