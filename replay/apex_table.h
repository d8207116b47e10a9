#ifndef RLFLEET_REPLAY_APEX_TABLE_H_
#define RLFLEET_REPLAY_APEX_TABLE_H_

#include "core/run_config.h"
#include "replay/table.h"

namespace rlfleet {

// The replay table of an Ape-X run (learner.algo apex_dqn) on every shard: named
// replay.table, sampler replay.sampler (prioritized or uniform) with α = priority_exponent and
// β = importance_exponent, FIFO eviction at replay.max_size, items sampled with replacement
// (max_times_sampled 0). Samples wait for replay.min_size_to_sample items; with
// replay.samples_per_insert > 0, Reverb's ratio limiter also keeps samples ≈
// samples_per_insert · inserts within an error buffer of
//   max(100 · samples_per_insert, 2 · max(1, samples_per_insert) · learner.batch_size)
// samples, wide enough that neither side stalls for long while the ratio holds on average.
TableOptions ApexTableOptions(const RunConfig& config);

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_APEX_TABLE_H_
