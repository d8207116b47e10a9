#include "core/epsilon_ladder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

namespace rlfleet {
namespace {

TEST(ApexEpsilonTest, PublishedLadderForEightEnvs) {
  EXPECT_DOUBLE_EQ(ApexEpsilon(0, 8), 0.4);
  EXPECT_DOUBLE_EQ(ApexEpsilon(7, 8), std::pow(0.4, 8));
  EXPECT_NEAR(ApexEpsilon(7, 8), 6.5536e-4, 1e-12);
  // i = 1: exponent 1 + 7/7 = 2.
  EXPECT_NEAR(ApexEpsilon(1, 8), 0.16, 1e-15);
  EXPECT_NEAR(ApexEpsilon(3, 8), 0.0256, 1e-15);  // 0.4^4
  for (int i = 1; i < 8; ++i) EXPECT_LT(ApexEpsilon(i, 8), ApexEpsilon(i - 1, 8));
}

TEST(ApexEpsilonTest, GeneralFormulaAndOptions) {
  EXPECT_NEAR(ApexEpsilon(5, 11), std::pow(0.4, 1.0 + 7.0 * 5.0 / 10.0), 1e-15);
  EXPECT_NEAR(ApexEpsilon(1, 3, 0.5, 2.0), std::pow(0.5, 2.0), 1e-15);
  EXPECT_NEAR(ApexEpsilon(255, 256), std::pow(0.4, 8), 1e-15);
}

TEST(ApexEpsilonTest, SingleEnvGetsBase) {
  EXPECT_DOUBLE_EQ(ApexEpsilon(0, 1), 0.4);
  EXPECT_DOUBLE_EQ(ApexEpsilon(0, 1, 0.1), 0.1);
}

TEST(ApexEpsilonTest, RejectsBadIndices) {
  EXPECT_THROW(ApexEpsilon(0, 0), std::invalid_argument);
  EXPECT_THROW(ApexEpsilon(-1, 4), std::invalid_argument);
  EXPECT_THROW(ApexEpsilon(4, 4), std::invalid_argument);
}

// TD3's noise ladder 0.2 → 0.05 over 3 envs: 0.2, 0.2·(1/4)^(1/2) = 0.1, 0.05; Ape-X's ε ladder
// is the same ladder from base to base^(1 + alpha).
TEST(GeometricLadderTest, InterpolatesGeometricallyBetweenTheEnds) {
  EXPECT_DOUBLE_EQ(GeometricLadder(0, 3, 0.2, 0.05), 0.2);
  EXPECT_NEAR(GeometricLadder(1, 3, 0.2, 0.05), 0.1, 1e-15);
  EXPECT_NEAR(GeometricLadder(2, 3, 0.2, 0.05), 0.05, 1e-15);
  for (int i = 0; i < 8; ++i) {
    EXPECT_NEAR(GeometricLadder(i, 8, 0.4, std::pow(0.4, 8)), ApexEpsilon(i, 8), 1e-15) << i;
  }
  EXPECT_DOUBLE_EQ(GeometricLadder(0, 1, 0.3, 0.1), 0.3);
  EXPECT_DOUBLE_EQ(GeometricLadder(2, 4, 0.1, 0.1), 0.1);
  EXPECT_DOUBLE_EQ(GeometricLadder(3, 4, 0.0, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(GeometricLadder(1, 4, 0.2, 0.0), 0.0);
  EXPECT_THROW(GeometricLadder(4, 4, 0.2, 0.1), std::invalid_argument);
  EXPECT_THROW(GeometricLadder(0, 2, -0.1, 0.1), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
