#ifndef RLFLEET_REPLAY_SHARD_STATS_H_
#define RLFLEET_REPLAY_SHARD_STATS_H_

#include <cstdint>
#include <string>

namespace rlfleet {

// Counters of one replay shard since it started (what an info request returns).
struct ShardStats {
  std::string table;
  int64_t max_size = 0;
  int64_t size = 0;     // items in the table now
  int64_t inserts = 0;  // items inserted
  int64_t samples = 0;  // items handed out in delivered sample replies
  int64_t insert_requests = 0;
  int64_t sample_requests = 0;
  int64_t malformed = 0;              // requests that did not decode (garbage bytes, bad frames)
  int64_t wrong_version = 0;          // requests with another protocol version
  int64_t too_large = 0;              // requests larger than max_message_bytes
  int64_t errors = 0;                 // error replies of any kind, timeouts included
  int64_t timeouts = 0;               // sample requests that timed out waiting for items
  int64_t dropped_replies = 0;        // replies that could not be delivered (peer gone or full)
  int64_t pending_inserts = 0;        // insert requests waiting for room (not yet acked)
  int64_t pending_samples = 0;        // sample requests waiting for items
  double insert_blocked_seconds = 0;  // time during which at least one insert waited
  double sample_blocked_seconds = 0;  // time during which at least one sample waited
};

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_SHARD_STATS_H_
