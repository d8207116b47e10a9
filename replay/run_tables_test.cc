#include "replay/run_tables.h"

#include <gtest/gtest.h>

#include <limits>

namespace rlfleet {
namespace {

RunConfig ApexConfig() {
  RunConfig config;
  config.learner.algo = "apex_dqn";
  config.learner.batch_size = 128;
  config.replay.table = "priority";
  config.replay.sampler = "prioritized";
  config.replay.max_size = 5000;
  config.replay.priority_exponent = 0.7;
  config.replay.importance_exponent = 0.5;
  config.replay.min_size_to_sample = 300;
  return config;
}

TEST(ReplayMemoryTableOptionsTest, CopiesTheReplayKeysWithFifoEviction) {
  const TableOptions table = ReplayMemoryTableOptions(ApexConfig());
  EXPECT_EQ(table.name, "priority");
  EXPECT_EQ(table.sampler, "prioritized");
  EXPECT_DOUBLE_EQ(table.priority_exponent, 0.7);
  EXPECT_DOUBLE_EQ(table.importance_exponent, 0.5);
  EXPECT_EQ(table.remover, "fifo");
  EXPECT_EQ(table.max_size, 5000);
  EXPECT_EQ(table.max_times_sampled, 0);
  EXPECT_NO_THROW(table.Validate());
}

TEST(ReplayMemoryTableOptionsTest, NoRatioMeansOnlyAMinimumSize) {
  const TableOptions table = ReplayMemoryTableOptions(ApexConfig());
  EXPECT_EQ(table.rate_limiter.min_size_to_sample, 300);
  EXPECT_EQ(table.rate_limiter.min_diff, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(table.rate_limiter.max_diff, std::numeric_limits<double>::infinity());
}

// Reverb's SampleToInsertRatio(r, m, e): diff bounds r·m ± e. Buffer e = max(100·r,
// 2·max(1, r)·batch): batch 128 and r = 8 give max(800, 2048) = 2048; r = 0.5 gives
// max(50, 256) = 256.
TEST(ReplayMemoryTableOptionsTest, RatioLimiterBufferByHand) {
  RunConfig config = ApexConfig();
  config.replay.samples_per_insert = 8;
  TableOptions table = ReplayMemoryTableOptions(config);
  EXPECT_DOUBLE_EQ(table.rate_limiter.samples_per_insert, 8);
  EXPECT_DOUBLE_EQ(table.rate_limiter.min_diff, 8 * 300 - 2048);
  EXPECT_DOUBLE_EQ(table.rate_limiter.max_diff, 8 * 300 + 2048);

  config.replay.samples_per_insert = 0.5;
  table = ReplayMemoryTableOptions(config);
  EXPECT_DOUBLE_EQ(table.rate_limiter.min_diff, 0.5 * 300 - 256);
  EXPECT_DOUBLE_EQ(table.rate_limiter.max_diff, 0.5 * 300 + 256);

  config.learner.batch_size = 1;  // the 100·r term wins
  config.replay.samples_per_insert = 4;
  table = ReplayMemoryTableOptions(config);
  EXPECT_DOUBLE_EQ(table.rate_limiter.max_diff, 4 * 300 + 400);
}

TEST(RunTablesTest, QueueOrReplayMemory) {
  RunConfig config = ApexConfig();
  const std::vector<TableOptions> memory = RunTables(config, true);
  ASSERT_EQ(memory.size(), 1u);
  EXPECT_EQ(memory[0].sampler, "prioritized");
  config.replay.table = "queue";
  config.replay.max_size = 16;
  const std::vector<TableOptions> queue = RunTables(config, false);
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0].name, "queue");
  EXPECT_EQ(queue[0].sampler, "fifo");
  EXPECT_EQ(queue[0].max_size, 16);
  EXPECT_EQ(queue[0].max_times_sampled, 1);
}

}  // namespace
}  // namespace rlfleet
