#include "core/bounded_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace rlfleet {
namespace {

using std::chrono::milliseconds;

TEST(BoundedQueueTest, FifoAndCapacity) {
  BoundedQueue<int> queue(2);
  EXPECT_TRUE(queue.Push(1, milliseconds(0)));
  EXPECT_TRUE(queue.Push(2, milliseconds(0)));
  EXPECT_FALSE(queue.Push(3, milliseconds(1)));  // full
  EXPECT_EQ(queue.Pop(milliseconds(0)).value(), 1);
  EXPECT_TRUE(queue.Push(3, milliseconds(0)));
  EXPECT_EQ(queue.Pop(milliseconds(0)).value(), 2);
  EXPECT_EQ(queue.Pop(milliseconds(0)).value(), 3);
  EXPECT_FALSE(queue.Pop(milliseconds(1)).has_value());
}

TEST(BoundedQueueTest, CloseWakesABlockedConsumerAndDrains) {
  BoundedQueue<int> queue(4);
  ASSERT_TRUE(queue.Push(7, milliseconds(0)));
  queue.Close();
  EXPECT_FALSE(queue.Push(8, milliseconds(0)));
  EXPECT_EQ(queue.Pop(milliseconds(0)).value(), 7);
  EXPECT_FALSE(queue.Pop(milliseconds(0)).has_value());

  BoundedQueue<int> empty(1);
  std::thread closer([&] { empty.Close(); });
  // Without Close this would wait a minute; with it, it returns empty.
  EXPECT_FALSE(empty.Pop(milliseconds(60000)).has_value());
  closer.join();
}

TEST(BoundedQueueTest, ProducerConsumerKeepsOrder) {
  BoundedQueue<int> queue(3);
  std::thread producer([&] {
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(queue.Push(int{i}, milliseconds(10000)));
  });
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(queue.Pop(milliseconds(10000)).value(), i);
  producer.join();
}

}  // namespace
}  // namespace rlfleet
