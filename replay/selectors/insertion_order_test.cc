#include "replay/selectors/insertion_order.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace rlfleet {
namespace {

using End = InsertionOrderSelector::End;

// Keys 1..5 with key 3 deleted from the middle; sampling does not remove. Returns the keys in
// the order the selector gives them when each sampled key is deleted.
std::vector<Key> DrainAfterMiddleDelete(InsertionOrderSelector& selector, Key expected_first) {
  Rng rng(1);
  EXPECT_THROW(selector.Sample(rng), std::logic_error);
  for (Key key = 1; key <= 5; ++key) selector.Insert(key, 10.0 - key);
  selector.Delete(3);
  EXPECT_EQ(selector.Sample(rng).key, expected_first);
  EXPECT_EQ(selector.Sample(rng).key, expected_first);  // sampling does not remove
  EXPECT_EQ(selector.Sample(rng).probability, 1.0);
  std::vector<Key> order;
  while (selector.size() > 0) {
    const Key key = selector.Sample(rng).key;
    order.push_back(key);
    selector.Delete(key);
  }
  return order;
}

TEST(InsertionOrderSelectorTest, FifoSamplesOldestFirstAndSkipsDeletedKeys) {
  InsertionOrderSelector selector(End::kOldest);
  EXPECT_EQ(DrainAfterMiddleDelete(selector, 1), (std::vector<Key>{1, 2, 4, 5}));
}

TEST(InsertionOrderSelectorTest, LifoSamplesNewestFirstAndSkipsDeletedKeys) {
  InsertionOrderSelector selector(End::kNewest);
  EXPECT_EQ(DrainAfterMiddleDelete(selector, 5), (std::vector<Key>{5, 4, 2, 1}));
}

// A sliding window of 3 keys over 1000 inserts reuses freed nodes and keeps the order; the
// oldest end is then 997, the newest 999. Unknown and duplicate keys are errors.
TEST(InsertionOrderSelectorTest, ReusesFreedNodesAndKeepsOrder) {
  for (const auto& [end, expected] :
       {std::pair{End::kOldest, Key{997}}, std::pair{End::kNewest, Key{999}}}) {
    InsertionOrderSelector selector(end);
    Rng rng(1);
    for (Key key = 0; key < 1000; ++key) {
      selector.Insert(key, 1.0);
      if (key >= 3) selector.Delete(key - 3);
    }
    ASSERT_EQ(selector.size(), 3u);
    EXPECT_EQ(selector.Sample(rng).key, expected);
    EXPECT_THROW(selector.Insert(998, 1.0), std::invalid_argument);
    EXPECT_THROW(selector.Update(5, 1.0), std::invalid_argument);
    EXPECT_THROW(selector.Delete(5), std::invalid_argument);
    selector.Update(998, 2.0);
    EXPECT_EQ(selector.size(), 3u);
  }
}

}  // namespace
}  // namespace rlfleet
