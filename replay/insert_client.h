#ifndef RLFLEET_REPLAY_INSERT_CLIENT_H_
#define RLFLEET_REPLAY_INSERT_CLIENT_H_

// The actors' client of a replay shard (replay/shard_server.h): inserts with a bounded number
// of unacked requests.
// Each client owns one ZeroMQ DEALER socket per shard and, like any ZeroMQ socket, is NOT
// thread-safe: use one client per thread (it may be created in one thread and then handed to
// another). Every blocking call takes a timeout, waits in slices of at most 100 ms, and checks
// the optional stop flag between them. A client that loses its connection to a shard (the
// shard died or restarted) counts the requests waiting for an answer as lost and reconnects.
// Errors: replay/errors.h.

#include <zmq.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "replay/errors.h"
#include "replay/rate_limiter.h"
#include "transport/socket.h"

namespace rlfleet {

struct InsertClientOptions {
  std::string endpoint;  // one shard
  std::string table = "queue";
  int32_t max_inflight = 2;              // insert requests sent but not yet acked
  int64_t timeout_ms = 30000;            // longest wait without any ack before TimeoutError
  int64_t max_message_bytes = 64 << 20;  // largest request sent (and reply accepted)
  // > 0: the shard answers an insert its rate limiter holds back longer than this with a
  // timeout error (a ReplayError here); 0: the shard holds it until it fits.
  int64_t shard_timeout_ms = 0;

  // Throws std::invalid_argument naming the first bad field.
  void Validate() const;
};

// Inserts items into one shard with a bounded number of unacked requests: the credit that
// lets a full table push back on the producer. Not thread-safe.
class InsertClient {
 public:
  // Connects (lazily: the shard need not be up yet). `stop`, if given, must outlive the
  // client; when it becomes true, blocked calls throw StoppedError.
  explicit InsertClient(const InsertClientOptions& options,
                        const std::atomic<bool>* stop = nullptr);
  InsertClient(const InsertClient&) = delete;
  InsertClient& operator=(const InsertClient&) = delete;
  ~InsertClient();

  // Sends one insert request carrying `items` (opaque bytes, e.g. EncodeUnroll output).
  // Blocks only while max_inflight requests are unacked (or the shard is unreachable).
  // Throws TimeoutError after timeout_ms without progress, StoppedError when *stop becomes
  // true, and ReplayError for an error reply (to this or an earlier request) or a request
  // larger than max_message_bytes. After TimeoutError the request was not sent; the client
  // stays usable.
  void Insert(const std::vector<std::string>& items);
  // The same with one priority per item (finite, >= 0; a mismatch is std::invalid_argument).
  // Insert(items) gives every item priority 1.
  void Insert(const std::vector<std::string>& items, const std::vector<double>& priorities);

  // Waits until every request sent so far is acked. Same errors as Insert.
  void Flush();

  // Handles the acks that arrive within timeout_ms (0: only those already here), without
  // waiting for any particular one. Throws ReplayError for an error reply.
  void Poll(int64_t timeout_ms);

  // Insert requests sent and not yet acked (as of the last Insert / Flush / Poll).
  int64_t inflight() const { return static_cast<int64_t>(inflight_.size()); }
  // Requests presumed lost because the connection to the shard dropped while they were unacked
  // (the shard died or restarted; the client reconnects by itself).
  int64_t lost_requests() const { return lost_requests_; }
  // Items acked since construction.
  int64_t acked_items() const { return acked_items_; }
  // The shard's rate-limiter counts for this table as of the last ack.
  const RateLimiterState& last_rate_limiter_state() const { return last_limiter_; }
  const InsertClientOptions& options() const { return options_; }

 private:
  // Blocks until fewer than `limit` requests are unacked.
  void WaitForInflightBelow(int64_t limit);
  // Handles every reply already received; returns how many there were. When the connection
  // to the shard was lost, first presumes every unacked request lost and reconnects.
  int ReceiveAvailable();
  void Connect();

  InsertClientOptions options_;
  const std::atomic<bool>* stop_;
  zmq::socket_t socket_;
  std::unique_ptr<DisconnectMonitor> monitor_;  // of socket_
  int64_t lost_requests_ = 0;
  uint64_t next_request_id_ = 1;
  std::unordered_set<uint64_t> inflight_;
  int64_t acked_items_ = 0;
  RateLimiterState last_limiter_;
};

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_INSERT_CLIENT_H_
