#include "replay/selectors/prioritized.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "replay/stats_testing.h"

namespace rlfleet {
namespace {

TEST(PrioritizedSelectorTest, FrequenciesFitPriorityPowerAlpha) {
  // 20 items, 200k draws, chi-square goodness of fit at p = 0.001 (19 degrees of freedom).
  const double alpha = 0.6;
  PrioritizedSelector selector(alpha);
  std::vector<double> priorities;
  for (int i = 0; i < 20; ++i) priorities.push_back(0.1 + 0.37 * i);
  // Keys are not slot numbers: insert, delete and re-insert to exercise slot moves.
  for (int i = 0; i < 20; ++i) selector.Insert(1000 + i, 5.0);
  selector.Insert(5000, 1.0);
  for (int i = 0; i < 20; ++i) selector.Update(1000 + i, priorities[i]);
  selector.Delete(5000);
  selector.Delete(1003);
  selector.Insert(1003, priorities[3]);

  double total = 0;
  for (double p : priorities) total += std::pow(p, alpha);
  std::vector<double> expected;
  for (double p : priorities) expected.push_back(std::pow(p, alpha) / total);

  Rng rng(42);
  const long draws = 200000;
  std::vector<long> observed(20, 0);
  for (long d = 0; d < draws; ++d) {
    const Selection s = selector.Sample(rng);
    ASSERT_GE(s.key, 1000u);
    ASSERT_LT(s.key, 1020u);
    ++observed[s.key - 1000];
    ASSERT_NEAR(s.probability, expected[s.key - 1000], 1e-12);
  }
  const double chi2 = testing::ChiSquareStatistic(observed, expected, draws);
  EXPECT_LT(chi2, testing::ChiSquareCritical001(19)) << "chi2 = " << chi2;
}

TEST(PrioritizedSelectorTest, ZeroPriorityIsNeverSampledUnlessAllAreZero) {
  PrioritizedSelector selector(0.0);  // α = 0: every positive priority weighs 1, zero weighs 0
  selector.Insert(1, 0.0);
  selector.Insert(2, 3.0);
  selector.Insert(3, 0.0);
  Rng rng(5);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(selector.Sample(rng).key, 2u);
  selector.Update(2, 0.0);
  std::vector<long> observed(4, 0);
  for (int i = 0; i < 30000; ++i) {
    const Selection s = selector.Sample(rng);
    EXPECT_DOUBLE_EQ(s.probability, 1.0 / 3);
    ++observed[s.key];
  }
  for (int key = 1; key <= 3; ++key) EXPECT_NEAR(observed[key], 10000, 500);
  selector.Delete(1);
  selector.Delete(2);
  selector.Delete(3);
  EXPECT_EQ(selector.size(), 0u);
  EXPECT_THROW(selector.Sample(rng), std::logic_error);
}

TEST(PrioritizedSelectorTest, RejectsBadInput) {
  EXPECT_THROW(PrioritizedSelector(-1.0), std::invalid_argument);
  PrioritizedSelector selector(1.0);
  selector.Insert(1, 1.0);
  EXPECT_THROW(selector.Insert(1, 1.0), std::invalid_argument);
  EXPECT_THROW(selector.Insert(2, -1.0), std::invalid_argument);
  EXPECT_THROW(selector.Update(7, 1.0), std::invalid_argument);
  EXPECT_THROW(selector.Update(1, std::nan("")), std::invalid_argument);
  EXPECT_THROW(selector.Delete(7), std::invalid_argument);
  EXPECT_EQ(selector.size(), 1u);
}

}  // namespace
}  // namespace rlfleet
