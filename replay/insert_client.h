#ifndef RLFLEET_REPLAY_INSERT_CLIENT_H_
#define RLFLEET_REPLAY_INSERT_CLIENT_H_

// The actors' client of a replay shard (replay/shard_server.h): inserts with a bounded number
// of unacked requests.
// Each client owns one ZeroMQ DEALER socket per shard and, like any ZeroMQ socket, is NOT
// thread-safe: use one client per thread (it may be created in one thread and then handed to
// another). Every blocking call takes a timeout, waits in slices of at most 100 ms, and checks
// the optional stop flag between them. A client that loses its connection to a shard (the
// shard died or restarted) counts the requests waiting for an answer as lost and reconnects.
//
// Error replies never end the client. A request the shard refuses for now (`overloaded`, or a
// shard-side `timeout` of its rate limiter) is sent again, without the items the shard says it
// already took, after an exponential backoff with jitter; it keeps its credit meanwhile, so the
// producer is held back. Any other error reply (a request the shard can never take: unknown
// table, too large, malformed) is counted and logged, and that request's items are dropped.
// Errors thrown: replay/errors.h.

#include <zmq.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
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
  // The k-th retry of a refused request (k = 0, 1, ...) waits
  //   min(retry_initial_ms · 2^k, retry_max_ms) · u,  u uniform on [0.5, 1.5),
  // u drawn from a stream seeded with `seed` (so that many actors do not retry in step).
  int64_t retry_initial_ms = 10;
  int64_t retry_max_ms = 2000;
  uint64_t seed = 0;

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
  // The client keeps the items until the shard has taken them (for a retry). Throws
  // TimeoutError after timeout_ms without any reply, StoppedError when *stop becomes true,
  // and ReplayError for a request larger than max_message_bytes (not sent). After TimeoutError
  // the request was not sent; the client stays usable.
  void Insert(const std::vector<std::string>& items);
  // The same with one priority per item (finite, >= 0; a mismatch is std::invalid_argument).
  // Insert(items) gives every item priority 1.
  void Insert(const std::vector<std::string>& items, const std::vector<double>& priorities);
  // The same, taking the vectors over (no copy of the items).
  void Insert(std::vector<std::string>&& items, std::vector<double>&& priorities);

  // Waits until every request sent so far is acked. Same errors as Insert.
  void Flush();

  // Handles the replies that arrive within timeout_ms (0: only those already here), and sends
  // the retries that are due, without waiting for any particular reply.
  void Poll(int64_t timeout_ms);

  // Insert requests not yet acked, sent or waiting to be sent again (as of the last Insert /
  // Flush / Poll).
  int64_t inflight() const { return static_cast<int64_t>(inflight_.size() + retries_.size()); }
  // Requests sent again after an `overloaded` or `timeout` reply (each resend counts once).
  int64_t retried_requests() const { return retried_requests_; }
  // Requests answered with any other error, and their items, dropped; replies that could not
  // be decoded (ignored).
  int64_t failed_requests() const { return failed_requests_; }
  int64_t dropped_items() const { return dropped_items_; }
  int64_t malformed_replies() const { return malformed_replies_; }
  // Requests presumed lost because the connection to the shard dropped while they were unacked
  // (the shard died or restarted; the client reconnects by itself).
  int64_t lost_requests() const { return lost_requests_; }
  // Items acked since construction.
  int64_t acked_items() const { return acked_items_; }
  // The shard's rate-limiter counts for this table as of the last ack.
  const RateLimiterState& last_rate_limiter_state() const { return last_limiter_; }
  const InsertClientOptions& options() const { return options_; }

 private:
  // The items of a request until the shard has taken them all.
  struct Request {
    std::vector<std::string> items;
    std::vector<double> priorities;  // empty, or one per item
    int32_t retries = 0;             // times sent again so far
    SteadyClock::time_point due;     // a waiting retry: when to send it
  };

  // Builds request `id` carrying `request`'s items.
  zmq::message_t Encode(uint64_t id, const Request& request) const;
  // Sends `message`, waiting only while the socket cannot take it; TimeoutError after
  // timeout_ms, StoppedError.
  void Send(zmq::message_t* message);
  // Sends every retry that is due, while the socket takes them without waiting; returns how
  // many were sent.
  int SendDueRetries();
  // An `overloaded` or `timeout` reply to `request`, whose first `accepted` items the shard
  // took: the rest waits for its backoff.
  void ScheduleRetry(Request&& request, uint32_t accepted);
  // Blocks until fewer than `limit` requests are unacked.
  void WaitForInflightBelow(int64_t limit);
  // Handles every reply already received; returns how many there were. When the connection
  // to the shard was lost, first presumes every unacked request lost and reconnects.
  int ReceiveAvailable();
  // How long to wait (ms, at most `limit`) before the next retry is due.
  int64_t MillisecondsToNextRetry(int64_t limit) const;
  void Connect();

  InsertClientOptions options_;
  const std::atomic<bool>* stop_;
  zmq::socket_t socket_;
  std::unique_ptr<DisconnectMonitor> monitor_;  // of socket_
  int64_t lost_requests_ = 0;
  uint64_t next_request_id_ = 1;
  std::unordered_map<uint64_t, Request> inflight_;  // sent, by request id
  std::vector<Request> retries_;                    // refused, waiting for their backoff
  Rng jitter_;
  int64_t acked_items_ = 0;
  int64_t refusals_ = 0;  // overloaded / timeout replies
  int64_t retried_requests_ = 0;
  int64_t failed_requests_ = 0;
  int64_t dropped_items_ = 0;
  int64_t malformed_replies_ = 0;
  RateLimiterState last_limiter_;
};

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_INSERT_CLIENT_H_
