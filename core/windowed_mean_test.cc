#include "core/windowed_mean.h"

#include <gtest/gtest.h>

namespace rlfleet {
namespace {

TEST(WindowedMeanTest, KeepsOnlyTheLastWindowValues) {
  WindowedMean mean(3);
  EXPECT_TRUE(std::isnan(mean.Mean()));
  mean.Add(1);
  mean.Add(2);
  EXPECT_DOUBLE_EQ(mean.Mean(), 1.5);
  mean.Add(3);
  mean.Add(10);  // drops the 1
  EXPECT_EQ(mean.count(), 3u);
  EXPECT_DOUBLE_EQ(mean.Mean(), 5.0);
  // Population std of {2, 3, 10}: mean 5, squared deviations 9 + 4 + 25 = 38.
  EXPECT_NEAR(mean.StdDev(), std::sqrt(38.0 / 3.0), 1e-12);
}

}  // namespace
}  // namespace rlfleet
