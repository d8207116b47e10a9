#include "replay/queue_table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rlfleet {
namespace {

QueueTable MakeTable(int64_t max_size) {
  QueueTableOptions options;
  options.max_size = max_size;
  return QueueTable(options);
}

TEST(QueueTableTest, PopsInFifoOrder) {
  QueueTable table = MakeTable(10);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(table.TryInsert(std::to_string(i)));
  std::vector<std::string> out;
  ASSERT_TRUE(table.TryPop(3, &out));
  EXPECT_EQ(out, (std::vector<std::string>{"0", "1", "2"}));
  ASSERT_TRUE(table.TryPop(2, &out));  // appends
  EXPECT_EQ(out, (std::vector<std::string>{"0", "1", "2", "3", "4"}));
  EXPECT_EQ(table.size(), 0);
  EXPECT_EQ(table.inserted(), 5);
  EXPECT_EQ(table.popped(), 5);
}

TEST(QueueTableTest, RefusesInsertsWhenFull) {
  QueueTable table = MakeTable(2);
  EXPECT_TRUE(table.TryInsert("a"));
  EXPECT_TRUE(table.TryInsert("b"));
  EXPECT_TRUE(table.full());
  std::string c = "c";
  EXPECT_FALSE(table.TryInsert(std::move(c)));
  EXPECT_EQ(c, "c");  // untouched on refusal
  std::vector<std::string> out;
  ASSERT_TRUE(table.TryPop(1, &out));
  EXPECT_EQ(table.free_space(), 1);
  EXPECT_TRUE(table.TryInsert(std::move(c)));
  EXPECT_EQ(table.size(), 2);
}

TEST(QueueTableTest, PopsOnlyWhenEnoughItems) {
  QueueTable table = MakeTable(4);
  table.TryInsert("a");
  std::vector<std::string> out;
  EXPECT_FALSE(table.TryPop(2, &out));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(table.size(), 1);
  EXPECT_TRUE(table.TryPop(0, &out));
  EXPECT_THROW(table.TryPop(-1, &out), std::invalid_argument);
}

TEST(QueueTableTest, EachItemIsSampledOnce) {
  QueueTable table = MakeTable(8);
  std::vector<std::string> seen;
  int next = 0;
  for (int round = 0; round < 50; ++round) {
    while (table.TryInsert(std::to_string(next))) ++next;
    table.TryPop(1 + round % 3, &seen);
  }
  ASSERT_TRUE(table.TryPop(table.size(), &seen));
  ASSERT_EQ(static_cast<int>(seen.size()), next);
  for (int i = 0; i < next; ++i) EXPECT_EQ(seen[i], std::to_string(i));
}

TEST(QueueTableTest, ReturnToFrontRestoresOrder) {
  QueueTable table = MakeTable(4);
  for (const char* s : {"a", "b", "c"}) table.TryInsert(s);
  std::vector<std::string> out;
  table.TryPop(2, &out);
  table.ReturnToFront(std::move(out));
  EXPECT_EQ(table.popped(), 0);
  std::vector<std::string> all;
  ASSERT_TRUE(table.TryPop(3, &all));
  EXPECT_EQ(all, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(QueueTableTest, OptionsAreValidated) {
  QueueTableOptions options;
  options.max_size = 0;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  EXPECT_THROW(QueueTable{options}, std::invalid_argument);
  options.max_size = 1;
  options.name = "";
  EXPECT_THROW(options.Validate(), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
