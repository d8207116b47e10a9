#include "core/random.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

namespace rlfleet {
namespace {

TEST(DeriveSeedTest, SameTripleSameSeedAndDistinctOtherwise) {
  EXPECT_EQ(DeriveSeed(7, "actor", 3), DeriveSeed(7, "actor", 3));
  std::set<uint64_t> seeds;
  for (uint64_t run : {0, 1, 2}) {
    for (const char* role : {"actor", "env", "learner"}) {
      for (uint64_t index = 0; index < 50; ++index) seeds.insert(DeriveSeed(run, role, index));
    }
  }
  EXPECT_EQ(seeds.size(), 3u * 3u * 50u);
}

TEST(RngTest, SameSeedSameStream) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.NextU64();
    EXPECT_EQ(x, b.NextU64());
    differs |= (x != c.NextU64());
  }
  EXPECT_TRUE(differs);
}

// Moments of U(0,1) and N(0,1) over many draws, with bounds of about 6 standard errors.
TEST(RngTest, UniformAndNormalMoments) {
  Rng rng(1);
  const int n = 200000;
  double sum_u = 0, sum_u2 = 0, sum_n = 0, sum_n2 = 0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.Uniform01();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum_u += u;
    sum_u2 += u * u;
    const double z = rng.Normal();
    sum_n += z;
    sum_n2 += z * z;
  }
  EXPECT_NEAR(sum_u / n, 0.5, 6 * std::sqrt(1.0 / 12 / n));
  EXPECT_NEAR(sum_u2 / n, 1.0 / 3.0, 0.005);
  EXPECT_NEAR(sum_n / n, 0.0, 6 / std::sqrt(n));
  EXPECT_NEAR(sum_n2 / n, 1.0, 0.02);
}

TEST(RngTest, UniformRangeAndIntCounts) {
  Rng rng(5);
  for (int i = 0; i < 1000; ++i) {
    const double x = rng.Uniform(-0.05, 0.05);
    ASSERT_GE(x, -0.05);
    ASSERT_LT(x, 0.05);
  }
  std::vector<int> counts(3, 0);
  const int n = 30000;
  for (int i = 0; i < n; ++i) counts[rng.UniformInt(3)]++;
  // Chi-square with 2 degrees of freedom; 13.8 is the 0.999 quantile.
  double chi2 = 0;
  for (int c : counts) chi2 += (c - n / 3.0) * (c - n / 3.0) / (n / 3.0);
  EXPECT_LT(chi2, 13.8);
}

}  // namespace
}  // namespace rlfleet
