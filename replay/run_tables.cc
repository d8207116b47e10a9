#include "replay/run_tables.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "replay/shard_server.h"

namespace rlfleet {

int64_t ShardShare(int64_t run_count, int32_t num_shards) {
  if (run_count < 1 || num_shards < 1) {
    throw std::invalid_argument("ShardShare: the count (" + std::to_string(run_count) +
                                ") and the number of shards (" + std::to_string(num_shards) +
                                ") must be >= 1");
  }
  return (run_count + num_shards - 1) / num_shards;
}

TableOptions ReplayMemoryTableOptions(const RunConfig& config) {
  const int32_t shards = config.cluster.num_shards;
  TableOptions table;
  table.name = config.replay.table;
  table.sampler = config.replay.sampler;
  table.priority_exponent = config.replay.priority_exponent;
  table.importance_exponent = config.replay.importance_exponent;
  table.remover = "fifo";
  table.max_size = ShardShare(config.replay.max_size, shards);
  table.max_times_sampled = 0;
  const int64_t min_size = ShardShare(config.replay.min_size_to_sample, shards);
  const double ratio = config.replay.samples_per_insert;
  if (ratio > 0) {
    const double buffer =
        std::max(100.0 * ratio, 2.0 * std::max(1.0, ratio) * config.learner.batch_size);
    if (shards == 1) {
      table.rate_limiter = RateLimiterOptions::SampleToInsertRatio(ratio, min_size, buffer);
    } else {
      // The learner forwards the counts of every shard (SampleClientOptions::global_rate_limit),
      // so the ratio applies to the run's counts: the offset is the whole run's fill-up.
      const double offset = ratio * static_cast<double>(config.replay.min_size_to_sample);
      table.rate_limiter.min_size_to_sample = min_size;
      table.rate_limiter.samples_per_insert = ratio;
      table.rate_limiter.min_diff = offset - buffer;
      table.rate_limiter.max_diff = offset + buffer;
    }
  } else {
    table.rate_limiter = RateLimiterOptions::MinSize(min_size);
  }
  return table;
}

std::vector<TableOptions> RunTables(const RunConfig& config, bool replay_memory) {
  if (replay_memory) return {ReplayMemoryTableOptions(config)};
  return {QueueTableOptions(config.replay.table, config.replay.max_size)};
}

}  // namespace rlfleet
