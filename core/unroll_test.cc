#include "core/unroll.h"

#include <gtest/gtest.h>

namespace rlfleet {
namespace {

TEST(UnrollTest, ResizeGivesConsistentSizes) {
  Unroll u;
  u.Resize(5, 4, 1, true);
  EXPECT_EQ(u.observations.size(), 24u);
  EXPECT_EQ(u.actions.size(), 5u);
  EXPECT_NO_THROW(u.Validate());
  EXPECT_EQ(u.NumTruncations(), 0);
}

TEST(UnrollTest, ValidateNamesTheBadField) {
  Unroll u;
  u.Resize(3, 2, 2, false);
  u.rewards.pop_back();
  try {
    u.Validate();
    FAIL() << "expected a throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("rewards"), std::string::npos);
  }
}

TEST(UnrollTest, TruncationObservationsMustMatchTruncatedSteps) {
  Unroll u;
  u.Resize(4, 3, 1, true);
  u.truncated[1] = 1;
  u.truncated[3] = 1;
  EXPECT_EQ(u.NumTruncations(), 2);
  EXPECT_THROW(u.Validate(), std::invalid_argument);
  u.truncation_observations.assign(6, 0.5f);
  EXPECT_NO_THROW(u.Validate());
}

TEST(UnrollTest, DiscreteActionsNeedActionSizeOne) {
  Unroll u;
  u.Resize(2, 1, 2, true);
  EXPECT_THROW(u.Validate(), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
