#include "replay/table.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <map>
#include <stdexcept>
#include <thread>
#include <vector>

namespace rlfleet {
namespace {

TableOptions Options(const std::string& sampler, int64_t max_size) {
  TableOptions options;
  options.name = "t";
  options.sampler = sampler;
  options.max_size = max_size;
  return options;
}

TEST(TableTest, ValidatesOptions) {
  TableOptions options = Options("uniform", 10);
  options.Validate();
  options.sampler = "random";
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options = Options("uniform", 0);
  EXPECT_THROW(Table{options}, std::invalid_argument);
  options = Options("prioritized", 10);
  options.remover = "oldest";
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options = Options("prioritized", 10);
  options.priority_exponent = -1;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options = Options("prioritized", 10);
  options.max_times_sampled = -1;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options = Options("prioritized", 10);
  options.rate_limiter.min_size_to_sample = 0;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options.name = "";
  EXPECT_THROW(options.Validate(), std::invalid_argument);
}

TEST(TableTest, EvictsOldestFirstWhenFull) {
  Table table(Options("uniform", 3));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(table.Insert(std::to_string(i), 1.0), Key(i));
  EXPECT_EQ(table.size(), 3);
  EXPECT_EQ(table.counters().evictions, 2);
  EXPECT_EQ(table.Find(0), nullptr);
  EXPECT_EQ(table.Find(1), nullptr);
  ASSERT_NE(table.Find(2), nullptr);
  EXPECT_EQ(*table.Find(2)->bytes, "2");
  table.Insert("5", 1.0);
  EXPECT_EQ(table.Find(2), nullptr);  // next oldest
  EXPECT_NE(table.Find(3), nullptr);
  EXPECT_EQ(table.rate_limiter().deletes(), 3);
  EXPECT_EQ(table.rate_limiter().inserts(), 6);
  EXPECT_THROW(table.Insert("x", -1.0), std::invalid_argument);
  EXPECT_EQ(table.size(), 3);
}

TEST(TableTest, FifoAndLifoSamplersGiveInsertionOrder) {
  TableOptions fifo = Options("fifo", 10);
  fifo.max_times_sampled = 1;
  Table queue(fifo);
  TableOptions lifo = Options("lifo", 10);
  lifo.max_times_sampled = 1;
  Table stack(lifo);
  for (int i = 0; i < 4; ++i) {
    queue.Insert(std::to_string(i), 1.0);
    stack.Insert(std::to_string(i), 1.0);
  }
  Rng rng(1);
  std::vector<SampledItem> out;
  EXPECT_EQ(queue.Sample(10, rng, &out), 4);  // stops when empty
  ASSERT_EQ(out.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(*out[i].bytes, std::to_string(i));
  out.clear();
  EXPECT_EQ(stack.Sample(4, rng, &out), 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(*out[i].bytes, std::to_string(3 - i));
  EXPECT_EQ(queue.size(), 0);
  EXPECT_EQ(queue.counters().exhausted, 4);
}

TEST(TableTest, RemovesItemsThatReachMaxTimesSampled) {
  TableOptions options = Options("uniform", 10);
  options.max_times_sampled = 3;
  Table table(options);
  table.Insert("a", 1.0);
  table.Insert("b", 1.0);
  Rng rng(3);
  std::vector<SampledItem> out;
  EXPECT_EQ(table.Sample(6, rng, &out), 6);
  EXPECT_EQ(table.size(), 0);
  std::map<Key, int> seen;
  for (const SampledItem& s : out) {
    ++seen[s.key];
    EXPECT_EQ(s.times_sampled, seen[s.key]);
  }
  EXPECT_EQ(seen[0], 3);
  EXPECT_EQ(seen[1], 3);
  EXPECT_EQ(table.counters().samples, 6);
  EXPECT_EQ(table.counters().exhausted, 2);
  EXPECT_EQ(table.rate_limiter().deletes(), 2);
  EXPECT_EQ(table.Sample(1, rng, &out), 0);
}

TEST(TableTest, ImportanceWeightsMatchTheFormula) {
  TableOptions options = Options("prioritized", 10);
  options.priority_exponent = 1.0;
  options.importance_exponent = 0.5;
  Table table(options);
  const std::vector<double> priorities = {1.0, 2.0, 3.0, 4.0};  // Σ = 10
  for (double p : priorities) table.Insert("x", p);
  Rng rng(11);
  std::vector<SampledItem> out;
  table.Sample(64, rng, &out);
  ASSERT_EQ(out.size(), 64u);
  // By hand: P(i) = p_i / 10, N = 4, w_i = (4 · P(i))^-0.5, max over the batch = the smallest
  // sampled priority's weight.
  double min_p = 1e9;
  for (const SampledItem& s : out) min_p = std::min(min_p, s.priority);
  const double max_weight = std::pow(4 * min_p / 10, -0.5);
  for (const SampledItem& s : out) {
    EXPECT_DOUBLE_EQ(s.probability, s.priority / 10);
    EXPECT_EQ(s.table_size, 4);
    EXPECT_NEAR(s.importance_weight, std::pow(4 * s.priority / 10, -0.5) / max_weight, 1e-12);
    EXPECT_LE(s.importance_weight, 1.0);
  }
  // A batch of one item always weighs 1.
  out.clear();
  table.Sample(1, rng, &out);
  EXPECT_DOUBLE_EQ(out[0].importance_weight, 1.0);
  // Uniform sampling: all weights 1.
  Table uniform(Options("uniform", 10));
  uniform.Insert("a", 1.0);
  uniform.Insert("b", 5.0);
  out.clear();
  uniform.Sample(10, rng, &out);
  for (const SampledItem& s : out) EXPECT_DOUBLE_EQ(s.importance_weight, 1.0);
}

TEST(TableTest, PriorityUpdatesChangeSamplingAndCountEvictedKeys) {
  TableOptions options = Options("prioritized", 3);
  options.priority_exponent = 1.0;
  Table table(options);
  for (int i = 0; i < 3; ++i) table.Insert(std::to_string(i), 1.0);
  EXPECT_EQ(table.UpdatePriorities({0, 1, 2}, {0.0, 0.0, 5.0}), 0);
  Rng rng(2);
  std::vector<SampledItem> out;
  table.Sample(100, rng, &out);
  for (const SampledItem& s : out) EXPECT_EQ(s.key, 2u);
  table.Insert("3", 1.0);  // evicts key 0 (fifo remover)
  EXPECT_EQ(table.UpdatePriorities({0, 1, 99}, {1.0, 2.0, 3.0}), 2);
  EXPECT_EQ(table.counters().unknown_key_updates, 2);
  EXPECT_EQ(table.Find(1)->priority, 2.0);
  EXPECT_THROW(table.UpdatePriorities({1}, {-1.0}), std::invalid_argument);
  EXPECT_THROW(table.UpdatePriorities({1, 2}, {1.0}), std::invalid_argument);
  EXPECT_EQ(table.Find(1)->priority, 2.0);
  EXPECT_TRUE(table.Delete(1));
  EXPECT_FALSE(table.Delete(1));
  EXPECT_EQ(table.counters().deletes, 1);
}

TEST(TableTest, BlockingWrapperServesTwoThreads) {
  TableOptions options = Options("fifo", 100);
  options.max_times_sampled = 1;
  options.rate_limiter = RateLimiterOptions::Queue(4);
  Table table(options);
  BlockingRateLimiter gate(&table.rate_limiter());
  std::vector<std::string> received;
  std::thread consumer([&] {
    Rng rng(1);
    std::vector<SampledItem> out;
    while (received.size() < 50) {
      ASSERT_TRUE(
          gate.AwaitCanSample(std::chrono::seconds(30), 1, [&] { table.Sample(1, rng, &out); }));
      received.push_back(*out.back().bytes);
    }
  });
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(gate.AwaitCanInsert(std::chrono::seconds(30), 1,
                                    [&] { table.Insert(std::to_string(i), 1.0); }));
  }
  consumer.join();
  for (int i = 0; i < 50; ++i) EXPECT_EQ(received[i], std::to_string(i));
  gate.Run([&] { EXPECT_EQ(table.size(), 0); });
}

}  // namespace
}  // namespace rlfleet
