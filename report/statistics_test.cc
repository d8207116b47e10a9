#include "report/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "core/random.h"

namespace rlfleet {
namespace {

TEST(StatisticsTest, InterquartileMeanTrimsAQuarterFromEachEnd) {
  // n = 5: floor(5/4) = 1 value off each end (1 and 100) → mean of 2, 4, 5, in any order.
  EXPECT_DOUBLE_EQ(InterquartileMean({5, 1, 4, 100, 2}), (2 + 4 + 5) / 3.0);
  // n = 8: 2 off each end → mean of the middle 4.
  EXPECT_DOUBLE_EQ(InterquartileMean({8, 7, 6, 5, 4, 3, 2, 1}), (3 + 4 + 5 + 6) / 4.0);
  // n = 3: nothing trimmed.
  EXPECT_DOUBLE_EQ(InterquartileMean({1, 2, 9}), 4.0);
  // The HalfCheetah SAC greedy returns of docs/baselines.md: middle three of five.
  EXPECT_NEAR(InterquartileMean({7016.9, 7830.7, 7378.3, 6159.6, 8819.5}),
              (7016.9 + 7378.3 + 7830.7) / 3, 1e-9);
  EXPECT_THROW(InterquartileMean({}), std::invalid_argument);
}

TEST(StatisticsTest, QuantilesInterpolateLinearlyLikeNumpy) {
  // numpy.percentile([1, 2, 3, 4], [0, 25, 50, 90, 100]) = 1, 1.75, 2.5, 3.7, 4.
  const std::vector<double> v = {4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(Quantile(v, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(Quantile(v, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(Median(v), 2.5);
  EXPECT_NEAR(Quantile(v, 0.9), 3.7, 1e-12);
  EXPECT_DOUBLE_EQ(Quantile(v, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(Median({7}), 7.0);
  EXPECT_THROW(Quantile(v, 1.5), std::invalid_argument);
}

TEST(StatisticsTest, BootstrapIntervalOfTheMeanMatchesTheNormalTheoryInterval) {
  // 400 draws of N(10, 2²): the percentile bootstrap interval of the mean is close to
  // mean ± 1.96·s/√n (s the sample standard deviation with 1/n, as the bootstrap resamples it).
  Rng rng(7);
  std::vector<double> values(400);
  for (double& v : values) v = 10 + 2 * rng.Normal();
  const double mean = Mean(values);
  double squares = 0;
  for (double v : values) squares += (v - mean) * (v - mean);
  const double half_width = 1.959964 * std::sqrt(squares / values.size()) / std::sqrt(400.0);
  const Interval interval = BootstrapInterval(values, Mean, 20000, 0.95, 1);
  EXPECT_NEAR(interval.low, mean - half_width, 0.03 * half_width * 2);
  EXPECT_NEAR(interval.high, mean + half_width, 0.03 * half_width * 2);
  // Same seed, same interval; constant data, a point.
  const Interval again = BootstrapInterval(values, Mean, 20000, 0.95, 1);
  EXPECT_EQ(interval.low, again.low);
  EXPECT_EQ(interval.high, again.high);
  const Interval point = BootstrapInterval({3, 3, 3}, InterquartileMean, 100, 0.95, 1);
  EXPECT_EQ(point.low, 3);
  EXPECT_EQ(point.high, 3);
}

TEST(StatisticsTest, BootstrapIntervalOfTwoValuesCoversTheirResampledMeans) {
  // Resamples of {0, 1} of size 2 have means 0, 0.5, 1 with probability 1/4, 1/2, 1/4: the 2.5%
  // quantile is 0 and the 97.5% quantile 1.
  const Interval interval = BootstrapInterval({0, 1}, Mean, 10000, 0.95, 3);
  EXPECT_EQ(interval.low, 0);
  EXPECT_EQ(interval.high, 1);
  // An 40% interval lies inside: its bounds are at the 30% and 70% quantiles, both 0.5.
  const Interval narrow = BootstrapInterval({0, 1}, Mean, 10000, 0.4, 3);
  EXPECT_EQ(narrow.low, 0.5);
  EXPECT_EQ(narrow.high, 0.5);
  EXPECT_THROW(BootstrapInterval({1}, Mean, 0, 0.95, 1), std::invalid_argument);
  EXPECT_THROW(BootstrapInterval({1}, Mean, 10, 1.0, 1), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
