#include "replay/selectors/uniform.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "replay/stats_testing.h"

namespace rlfleet {
namespace {

TEST(UniformSelectorTest, FrequenciesFitUniform) {
  UniformSelector selector;
  for (Key key = 0; key < 25; ++key) selector.Insert(key * 10, 1.0 + key);
  for (Key key = 20; key < 25; ++key) selector.Delete(key * 10);  // 20 remain
  ASSERT_EQ(selector.size(), 20u);
  Rng rng(9);
  const long draws = 200000;
  std::vector<long> observed(20, 0);
  for (long d = 0; d < draws; ++d) {
    const Selection s = selector.Sample(rng);
    ASSERT_EQ(s.key % 10, 0u);
    ASSERT_LT(s.key, 200u);
    ASSERT_DOUBLE_EQ(s.probability, 1.0 / 20);
    ++observed[s.key / 10];
  }
  const std::vector<double> expected(20, 1.0 / 20);
  const double chi2 = testing::ChiSquareStatistic(observed, expected, draws);
  EXPECT_LT(chi2, testing::ChiSquareCritical001(19)) << "chi2 = " << chi2;
}

TEST(UniformSelectorTest, ContractErrors) {
  UniformSelector selector;
  Rng rng(1);
  EXPECT_THROW(selector.Sample(rng), std::logic_error);
  selector.Insert(3, 0.0);
  EXPECT_THROW(selector.Insert(3, 1.0), std::invalid_argument);
  EXPECT_THROW(selector.Insert(4, -2.0), std::invalid_argument);
  EXPECT_THROW(selector.Update(4, 1.0), std::invalid_argument);
  EXPECT_THROW(selector.Delete(4), std::invalid_argument);
  selector.Update(3, 2.0);
  EXPECT_EQ(selector.Sample(rng).key, 3u);
  selector.Clear();
  EXPECT_EQ(selector.size(), 0u);
}

}  // namespace
}  // namespace rlfleet
