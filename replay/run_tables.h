#ifndef RLFLEET_REPLAY_RUN_TABLES_H_
#define RLFLEET_REPLAY_RUN_TABLES_H_

#include <cstdint>
#include <vector>

#include "core/run_config.h"
#include "replay/table.h"

namespace rlfleet {

// The tables every shard of a run hosts, from the run config (the algorithm decides which kind:
// algorithms/algorithm.h, ReplayKind).

// One shard's share of a count that describes the whole run: ceil(run_count / num_shards),
// so that the shards together hold at least run_count. Throws std::invalid_argument when
// run_count < 1 or num_shards < 1.
int64_t ShardShare(int64_t run_count, int32_t num_shards);

// A replay memory (Ape-X DQN and the other replayed algorithms): named
// replay.table, sampler replay.sampler (prioritized or uniform) with α = priority_exponent and
// β = importance_exponent, FIFO eviction, items sampled with replacement (max_times_sampled 0).
// replay.max_size and replay.min_size_to_sample count items of the whole run: with
// S = cluster.num_shards, each shard evicts at ShardShare(max_size, S) items and serves samples
// once it holds ShardShare(min_size_to_sample, S) (a shard can only sample what it holds), so
// the shards together hold about max_size items and sampling starts after about
// min_size_to_sample. Actor i inserts into shard i mod S only, so when actors run at different
// speeds a shard may fill and evict before the others. With replay.samples_per_insert > 0,
// Reverb's ratio limiter also keeps samples ≈ samples_per_insert · inserts within an error
// buffer of
//   max(100 · samples_per_insert, 2 · max(1, samples_per_insert) · learner.batch_size)
// samples, wide enough that neither side stalls for long while the ratio holds on average. On
// one shard that is the shard's own counts (offset samples_per_insert · min_size_to_sample).
// On S > 1 shards it is the run's: the learner's sample client forwards the sums of every
// shard's counts with its requests (global_rate_limit, replay/README.md), and each shard's range
// is samples_per_insert · min_size_to_sample (the whole run's) ± the buffer, so a shard whose
// actors insert faster than the others' is held back by the run's ratio, not its own.
// The ratio and the buffer are not split: a ratio is the same for the run and for each shard,
// and the learner may ask one shard for a whole batch (all of it when that shard holds all the
// priority mass), which the buffer must let through.
TableOptions ReplayMemoryTableOptions(const RunConfig& config);

// The shard's tables: {ReplayMemoryTableOptions(config)} for a replay memory, else the queue
// QueueTableOptions(replay.table, replay.max_size) (each item sampled once; a full queue holds
// inserts back). The queue's max_size is each shard's own bound, not split: it holds back that
// shard's actors, and the learner asks a queue shard for at most replay.max_size items.
std::vector<TableOptions> RunTables(const RunConfig& config, bool replay_memory);

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_RUN_TABLES_H_
