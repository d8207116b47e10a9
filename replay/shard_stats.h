#ifndef RLFLEET_REPLAY_SHARD_STATS_H_
#define RLFLEET_REPLAY_SHARD_STATS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "replay/rate_limiter.h"

namespace rlfleet {

// The state of one table of a shard (InfoReply.tables).
struct TableStats {
  std::string name;
  std::string sampler;
  std::string remover;
  int64_t max_size = 0;
  int32_t max_times_sampled = 0;
  int64_t size = 0;
  int64_t inserts = 0;              // items inserted (restored counts included)
  int64_t samples = 0;              // items handed out
  int64_t evictions = 0;            // items the remover took out of a full table
  int64_t exhausted = 0;            // items removed after max_times_sampled samples
  int64_t unknown_key_updates = 0;  // priority updates of keys no longer present
  double priority_mass = 0.0;       // Σ p^α (prioritized sampler) or size (others)
  RateLimiterState rate_limiter;    // counts, and the time requests were held back
  bool can_insert = false;          // the limiter lets one insert / one sample through now
  bool can_sample = false;
  bool global_rate_limit = false;  // the limiter applies its ratio to cross-shard counts
  int64_t pending_inserts = 0;
  int64_t pending_samples = 0;
  int64_t timeouts = 0;  // insert and sample requests of this table that timed out
};

// Counters of one replay shard since it started (what an info request returns). The table
// fields (table .. samples) describe one table: the one the info request named, else the
// first; `tables` describes all of them.
struct ShardStats {
  std::string table;
  int64_t max_size = 0;
  int64_t size = 0;     // items in the table now
  int64_t inserts = 0;  // items inserted
  int64_t samples = 0;  // items handed out in sample replies
  int64_t insert_requests = 0;
  int64_t sample_requests = 0;
  int64_t malformed = 0;              // requests that did not decode (garbage bytes, bad frames)
  int64_t wrong_version = 0;          // requests with another protocol version
  int64_t too_large = 0;              // requests larger than max_message_bytes
  int64_t errors = 0;                 // error replies of any kind, timeouts included
  int64_t timeouts = 0;               // insert / sample requests that timed out waiting
  int64_t dropped_replies = 0;        // replies that could not be delivered (peer gone or full)
  int64_t pending_inserts = 0;        // insert requests waiting for room (not yet acked)
  int64_t pending_samples = 0;        // sample requests waiting for items
  double insert_blocked_seconds = 0;  // time during which at least one insert waited
  double sample_blocked_seconds = 0;  // time during which at least one sample waited
  int64_t update_requests = 0;        // priority update requests
  int64_t unknown_key_updates = 0;    // priority updates of absent keys, all tables
  int64_t checkpoints = 0;            // checkpoints written (on request and periodic)
  int64_t checkpoint_failures = 0;
  std::string last_checkpoint_path;  // directory of the last checkpoint written
  int64_t restored_items = 0;        // items restored from a checkpoint at start
  int64_t overloaded = 0;            // requests refused: max_pending_requests / _bytes reached
  int64_t oversized_replies = 0;     // sample replies above max_message_bytes, not sent
  int64_t internal_errors = 0;       // exceptions caught while moving pending work forward
  int64_t refused_peers = 0;         // tcp connections CURVE refused (ProcessCurveRefused)
  std::vector<TableStats> tables;
};

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_SHARD_STATS_H_
