#ifndef RLFLEET_REPLAY_RUN_TABLES_H_
#define RLFLEET_REPLAY_RUN_TABLES_H_

#include "core/run_config.h"
#include "replay/table.h"

#include <vector>

namespace rlfleet {

// The tables every shard of a run hosts, from the run config (the algorithm decides which kind:
// algorithms/algorithm.h, ReplayKind).

// A replay memory (Ape-X DQN and the other replayed algorithms): named
// replay.table, sampler replay.sampler (prioritized or uniform) with α = priority_exponent and
// β = importance_exponent, FIFO eviction at replay.max_size, items sampled with replacement
// (max_times_sampled 0). Samples wait for replay.min_size_to_sample items; with
// replay.samples_per_insert > 0, Reverb's ratio limiter also keeps samples ≈
// samples_per_insert · inserts within an error buffer of
//   max(100 · samples_per_insert, 2 · max(1, samples_per_insert) · learner.batch_size)
// samples, wide enough that neither side stalls for long while the ratio holds on average.
TableOptions ReplayMemoryTableOptions(const RunConfig& config);

// The shard's tables: {ReplayMemoryTableOptions(config)} for a replay memory, else the queue
// QueueTableOptions(replay.table, replay.max_size) (each item sampled once; a full queue holds
// inserts back).
std::vector<TableOptions> RunTables(const RunConfig& config, bool replay_memory);

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_RUN_TABLES_H_
