#include "replay/selectors/fifo.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace rlfleet {
namespace {

TEST(FifoSelectorTest, SamplesInOrderAndSkipsDeletedKeys) {
  FifoSelector selector;
  Rng rng(1);
  EXPECT_THROW(selector.Sample(rng), std::logic_error);
  for (Key key = 1; key <= 5; ++key) selector.Insert(key, 10.0 - key);
  selector.Delete(3);  // from the middle
  EXPECT_EQ(selector.Sample(rng).key, 1u);
  EXPECT_EQ(selector.Sample(rng).key, 1u);  // sampling does not remove
  EXPECT_EQ(selector.Sample(rng).probability, 1.0);
  std::vector<Key> order;
  while (selector.size() > 0) {
    const Key key = selector.Sample(rng).key;
    order.push_back(key);
    selector.Delete(key);
  }
  EXPECT_EQ(order, (std::vector<Key>{1, 2, 4, 5}));
}

TEST(FifoSelectorTest, ReusesFreedNodesAndKeepsOrder) {
  FifoSelector selector;
  Rng rng(1);
  for (Key key = 0; key < 1000; ++key) {
    selector.Insert(key, 1.0);
    if (key >= 3) selector.Delete(key - 3);  // a sliding window of 3 keys
  }
  ASSERT_EQ(selector.size(), 3u);
  EXPECT_EQ(selector.Sample(rng).key, 997u);
  EXPECT_THROW(selector.Insert(998, 1.0), std::invalid_argument);
  EXPECT_THROW(selector.Update(5, 1.0), std::invalid_argument);
  EXPECT_THROW(selector.Delete(5), std::invalid_argument);
  selector.Update(998, 2.0);
  EXPECT_EQ(selector.size(), 3u);
}

}  // namespace
}  // namespace rlfleet
