#include "replay/run_tables.h"

#include <algorithm>

#include "replay/shard_server.h"

namespace rlfleet {

TableOptions ReplayMemoryTableOptions(const RunConfig& config) {
  TableOptions table;
  table.name = config.replay.table;
  table.sampler = config.replay.sampler;
  table.priority_exponent = config.replay.priority_exponent;
  table.importance_exponent = config.replay.importance_exponent;
  table.remover = "fifo";
  table.max_size = config.replay.max_size;
  table.max_times_sampled = 0;
  const double ratio = config.replay.samples_per_insert;
  if (ratio > 0) {
    const double buffer =
        std::max(100.0 * ratio, 2.0 * std::max(1.0, ratio) * config.learner.batch_size);
    table.rate_limiter =
        RateLimiterOptions::SampleToInsertRatio(ratio, config.replay.min_size_to_sample, buffer);
  } else {
    table.rate_limiter = RateLimiterOptions::MinSize(config.replay.min_size_to_sample);
  }
  return table;
}

std::vector<TableOptions> RunTables(const RunConfig& config, bool replay_memory) {
  if (replay_memory) return {ReplayMemoryTableOptions(config)};
  return {QueueTableOptions(config.replay.table, config.replay.max_size)};
}

}  // namespace rlfleet
