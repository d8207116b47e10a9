#include "replay/run_tables.h"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

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

// Each shard's share of a whole-run count is the smallest that lets the shards together hold
// it: share · S >= count > (share − 1) · S.
TEST(ShardShareTest, SmallestShareThatHoldsTheWholeRunsCount) {
  EXPECT_EQ(ShardShare(2000, 1), 2000);
  EXPECT_EQ(ShardShare(2000, 4), 500);
  EXPECT_EQ(ShardShare(1000, 3), 334);
  EXPECT_EQ(ShardShare(1, 4), 1);
  for (int32_t shards = 1; shards <= 9; ++shards) {
    for (int64_t count = 1; count <= 200; ++count) {
      const int64_t share = ShardShare(count, shards);
      EXPECT_GE(share * shards, count) << count << " over " << shards;
      EXPECT_LT((share - 1) * shards, count) << count << " over " << shards;
    }
  }
  EXPECT_THROW(ShardShare(0, 4), std::invalid_argument);
  EXPECT_THROW(ShardShare(10, 0), std::invalid_argument);
}

// With cluster.num_shards = S, each shard's replay memory gets ceil(max_size / S) and
// ceil(min_size_to_sample / S); the ratio and the error buffer stay as they are.
TEST(ReplayMemoryTableOptionsTest, EachShardGetsItsShareOfTheWholeRunsSizes) {
  RunConfig config = ApexConfig();  // max_size 5000, min_size_to_sample 300, batch 128
  config.cluster.num_shards = 4;
  TableOptions table = ReplayMemoryTableOptions(config);
  EXPECT_EQ(table.max_size, 1250);
  EXPECT_EQ(table.rate_limiter.min_size_to_sample, 75);
  EXPECT_NO_THROW(table.Validate());

  config.cluster.num_shards = 7;  // 5000 / 7 = 714.3, 300 / 7 = 42.9
  config.replay.samples_per_insert = 8;
  table = ReplayMemoryTableOptions(config);
  EXPECT_EQ(table.max_size, 715);
  EXPECT_EQ(table.rate_limiter.min_size_to_sample, 43);
  EXPECT_DOUBLE_EQ(table.rate_limiter.samples_per_insert, 8);
  // The learner forwards the run's counts to every shard: the offset is r·m of the whole run's
  // m = 300, the buffer max(800, 2·8·128) = 2048 as with one shard.
  EXPECT_DOUBLE_EQ(table.rate_limiter.min_diff, 8 * 300 - 2048);
  EXPECT_DOUBLE_EQ(table.rate_limiter.max_diff, 8 * 300 + 2048);
  EXPECT_NO_THROW(table.Validate());

  // More shards than items: each still holds and waits for at least one.
  config.replay.max_size = 3;
  config.replay.min_size_to_sample = 2;
  table = ReplayMemoryTableOptions(config);
  EXPECT_EQ(table.max_size, 1);
  EXPECT_EQ(table.rate_limiter.min_size_to_sample, 1);
}

// The queue's max_size bounds each shard's own queue: it is not split.
TEST(RunTablesTest, QueueLengthIsPerShard) {
  RunConfig config;
  config.replay.table = "queue";
  config.replay.max_size = 6;
  config.cluster.num_shards = 4;
  const std::vector<TableOptions> queue = RunTables(config, false);
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0].max_size, 6);
  EXPECT_DOUBLE_EQ(queue[0].rate_limiter.max_diff, 6);
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
