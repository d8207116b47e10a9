#ifndef RLFLEET_REPLAY_SAMPLE_CLIENT_H_
#define RLFLEET_REPLAY_SAMPLE_CLIENT_H_

// The learner's client of the replay shards (replay/shard_server.h): samples (pipelined, or
// following the global prioritized distribution), priority updates, info and checkpoints.
// Each client owns one ZeroMQ DEALER socket per shard and, like any ZeroMQ socket, is NOT
// thread-safe: use one client per thread (it may be created in one thread and then handed to
// another). Every blocking call takes a timeout, waits in slices of at most 100 ms, and checks
// the optional stop flag between them. A client that loses its connection to a shard (the
// shard died or restarted) counts the requests waiting for an answer as lost and reconnects.
//
// Error replies never end the client. A sample request the shard refuses for now
// (`overloaded`) is asked again after an exponential backoff with jitter (per shard: 10 ms
// doubling up to 1 s, times U[0.5, 1.5), reset by the shard's next sample reply); a shard-side
// `timeout` of a sample request is asked again at once. Any other error reply to a sample
// request or a priority update (bad_request, unknown_table, too_large, malformed, ...) is
// counted (error_replies()) and logged, and that request is dropped: a sample request's shard
// is asked again only after the same backoff, a priority update's items keep their old
// priorities. A reply that does not decode is counted (malformed_replies()) and ignored; the
// request it answered then ends like an unanswered one (a sample request is presumed lost, a
// direct call times out). What stays fatal: a table that a shard does not host, found by
// SamplePrioritized's first info request (a configuration error: no request can succeed), and
// a failed Checkpoint (its caller decides). Errors thrown: replay/errors.h.

#include <zmq.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "replay/errors.h"
#include "replay/rate_limiter.h"
#include "replay/shard_stats.h"
#include "transport/socket.h"

namespace rlfleet {

namespace replay_internal {
struct ReceivedMessage;
}  // namespace replay_internal

// Keys handed out by a SampleClient name their shard in the top bits, so that priority updates
// route back: global key = shard << kShardKeyShift | key in the shard's table.
inline constexpr int kShardKeyShift = 48;
inline constexpr uint64_t kLocalKeyMask = (uint64_t{1} << kShardKeyShift) - 1;
inline uint64_t GlobalKey(size_t shard, uint64_t local_key) {
  return (static_cast<uint64_t>(shard) << kShardKeyShift) | (local_key & kLocalKeyMask);
}
inline size_t ShardOfKey(uint64_t global_key) {
  return static_cast<size_t>(global_key >> kShardKeyShift);
}
inline uint64_t LocalKey(uint64_t global_key) { return global_key & kLocalKeyMask; }

struct SampleClientOptions {
  std::vector<std::string> endpoints;  // one per shard
  std::string table = "queue";
  int32_t prefetch = 2;                  // sample requests kept in flight per shard
  int64_t request_timeout_ms = 1000;     // how long a shard holds one request for items
  int64_t max_message_bytes = 64 << 20;  // largest reply accepted: must exceed a whole batch
  // Cross-shard rate limiting (replay/README.md, "Holding the ratio across shards"): keep every
  // shard's latest rate-limiter counts and send their sums with each sample request, so that
  // every shard's limiter holds the samples / inserts ratio for the whole table.
  bool global_rate_limit = false;
  uint64_t seed = 0;  // random stream of SamplePrioritized's split of a batch across shards
  // > 0: Sample asks a shard for at most this many items per request, and gathers a batch from
  // several requests (several shards, or several requests to one). A queue shard never serves
  // more than its max_size in one reply, so a batch above one shard's max_size needs this.
  // 0: one request per batch.
  int64_t max_request_items = 0;

  // Throws std::invalid_argument naming the first bad field.
  void Validate() const;
};

// Items of one sampled batch, as views into the received messages that this object owns.
// Views stay valid while the batch lives (moving the batch keeps them valid). A batch may be
// read from any thread once the client has returned it.
class SampledBatch {
 public:
  struct Item {
    const uint8_t* data = nullptr;
    size_t size = 0;
  };
  // What the shard said about a sampled item.
  struct ItemInfo {
    uint64_t key = 0;                // GlobalKey(shard, key in the shard): for UpdatePriorities
    double probability = 0.0;        // P(i) of the draw (over all shards for SamplePrioritized)
    double importance_weight = 1.0;  // (N·P(i))^-β normalised by the batch maximum
    int32_t times_sampled = 0;       // this draw included
    int64_t table_size = 0;          // N (over all shards for SamplePrioritized)
    uint32_t shard = 0;
  };

  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  // Throws std::out_of_range when i >= size().
  Item item(size_t i) const { return items_.at(i); }
  // Throws std::out_of_range when i >= size().
  const ItemInfo& info(size_t i) const { return infos_.at(i); }
  uint64_t key(size_t i) const { return info(i).key; }
  double importance_weight(size_t i) const { return info(i).importance_weight; }
  // A copy of item i's bytes (for tests and slow paths).
  std::string ItemString(size_t i) const;
  // Releases the items and the messages they point into.
  void Clear();

 private:
  friend class SampleClient;
  std::vector<Item> items_;
  std::vector<ItemInfo> infos_;
  std::vector<std::shared_ptr<const void>> owners_;
};

// Samples batches from one or more shards, keeping requests in flight between calls so that
// the next batch is usually already here. Each request asks one shard (round-robin) for a
// whole batch (at most max_request_items). New requests are sent while fewer than prefetch × shards
// × batch_size items are requested or buffered; items that arrive and are not yet returned stay
// buffered here (and are lost if the client is destroyed, as are the replies to requests still in
// flight). Keep batch_size constant: since a shard only answers a request with a whole batch, items
// buffered for one batch size plus a shard holding fewer than a new, larger batch size can
// leave a call waiting until more items are inserted. Not thread-safe.
class SampleClient {
 public:
  // Connects to every endpoint (lazily). `stop`, if given, must outlive the client.
  explicit SampleClient(const SampleClientOptions& options,
                        const std::atomic<bool>* stop = nullptr);
  SampleClient(const SampleClient&) = delete;
  SampleClient& operator=(const SampleClient&) = delete;
  ~SampleClient();

  // Returns true with exactly batch_size items in *out (oldest first per shard) when they
  // arrive within timeout_ms; returns false (and an empty *out) on timeout, keeping the
  // pipelined requests in flight. Error replies (e.g. unknown table, a request above the
  // table's max_size) are counted and dropped as the class comment says, so a request that can
  // never succeed makes every call return false. Throws StoppedError when *stop becomes true and
  // std::invalid_argument for batch_size <= 0.
  bool Sample(int32_t batch_size, int64_t timeout_ms, SampledBatch* out);

  // Samples batch_size items following the table's distribution over ALL shards (e.g.
  // p^α / Σ_all p^α for prioritized tables): splits the batch by a multinomial draw in
  // proportion to each shard's priority mass (Σ p^α, or the size for other samplers; learned by
  // an info request the first time and then from every sample reply), asks each shard for its
  // share, and merges the replies (grouped by shard). Probabilities, table sizes and importance
  // weights in the batch are the global ones: P(i) = m_s / Σm · P_s(i), N = Σ sizes,
  // w_i = (N·P(i))^-β / max over the batch. Synchronous (no prefetch; does not touch the items
  // buffered for Sample). Returns false on timeout, and when a shard answers its share with an
  // error reply (counted; items other shards already sent for this call are then dropped). A
  // shard that refused (`overloaded` or another error) is asked again only after its backoff:
  // a call waits for it, up to timeout_ms. Throws StoppedError, std::invalid_argument for
  // batch_size <= 0, and ReplayError "unknown_table" when a shard does not host the table.
  // Meant for tables sampled with replacement (max_times_sampled 0); a shard asked for more
  // than it can serve answers with a timeout.
  bool SamplePrioritized(int32_t batch_size, int64_t timeout_ms, SampledBatch* out);

  // Sets the priorities of sampled items by their (global) keys: one request per shard
  // involved, waiting for every ack (also those of earlier SendPriorityUpdates calls). Returns
  // the number of keys that were no longer in their table (ignored by the shard, and counted
  // there), over every ack it took. A request answered with an error reply (e.g. a priority
  // that is not finite and >= 0) is counted in error_replies() and dropped: its items keep
  // their priorities. Throws std::invalid_argument on a length mismatch or a key naming no
  // shard, TimeoutError, StoppedError.
  int64_t UpdatePriorities(const std::vector<uint64_t>& keys, const std::vector<double>& priorities,
                           int64_t timeout_ms);

  // The same without waiting for the acks: sends one request per shard involved (waiting up to
  // timeout_ms only while a socket cannot take it) and returns. A shard handles one client's
  // requests in order, so every sample requested after this call sees the new priorities.
  // The acks are taken by CollectPriorityAcks (and by every later call of this client that
  // receives). Same errors as UpdatePriorities for the send.
  void SendPriorityUpdates(const std::vector<uint64_t>& keys, const std::vector<double>& priorities,
                           int64_t timeout_ms);
  // Takes the acks of SendPriorityUpdates that have arrived, waiting up to timeout_ms (0: none)
  // until at most `max_pending` remain unacked. Returns the unknown keys the taken acks count.
  // Error replies count as taken (and in error_replies()). Throws TimeoutError when more than
  // max_pending remain after timeout_ms, StoppedError.
  int64_t CollectPriorityAcks(size_t max_pending, int64_t timeout_ms);
  size_t pending_priority_acks() const { return pending_priority_acks_.size(); }

  // Asks shard `shard` to write a checkpoint and waits until it is written; returns the
  // checkpoint directory. A shard runs one checkpoint at a time and refuses another meanwhile
  // (`overloaded`): the request is sent again after a backoff until timeout_ms. Any other error
  // reply is counted and thrown as ReplayError (e.g. the shard has no checkpoint_dir, or
  // writing failed): the learner never calls this (shards checkpoint on their own timer), so
  // the caller is a tool or a test that wants to know. Throws TimeoutError (naming the last
  // refusal, if any), StoppedError, std::out_of_range.
  std::string Checkpoint(size_t shard, int64_t timeout_ms);

  // The counters of shard `shard` (index into options.endpoints). Sample replies that arrive
  // meanwhile are buffered, not lost. An error reply (which the shard sends only when it
  // cannot read the request, or fails building the reply) is counted, logged and asked again
  // after a backoff, so that a caller in a run's loop (the learner's deterministic rounds) does
  // not end on one; a shard that refuses every time ends in TimeoutError naming its last
  // error. Throws TimeoutError, StoppedError, and std::out_of_range for a bad index.
  ShardStats Info(size_t shard, int64_t timeout_ms);

  size_t num_shards() const { return shards_.size(); }
  // Sample requests and priority updates presumed lost because a shard's connection dropped
  // while they were unanswered (the shard died or restarted; the client reconnects by itself).
  int64_t lost_requests() const { return lost_requests_; }
  // Direct requests given up on (a timed-out SamplePrioritized, Info, ...) whose replies have
  // not arrived yet.
  size_t abandoned_requests() const { return abandoned_requests_.size(); }
  // Requests a shard refused with `overloaded` (each is asked again after a backoff).
  int64_t overloaded_replies() const { return overloaded_replies_; }
  // Error replies other than `overloaded` and `timeout` (their requests dropped, or for
  // Checkpoint thrown), and replies that could not be decoded or were of the wrong kind
  // (ignored).
  int64_t error_replies() const { return error_replies_; }
  int64_t malformed_replies() const { return malformed_replies_; }
  // Sample requests sent and not yet answered, over all shards.
  int64_t inflight_requests() const;
  // Items received and not yet returned by Sample.
  int64_t buffered_items() const { return static_cast<int64_t>(buffer_.size()); }

 private:
  struct Request {
    int64_t batch_size = 0;           // 0 for an info request
    SteadyClock::time_point expires;  // when it is presumed lost
  };
  // What the client knows of one shard's table, from its latest replies.
  struct ShardTableState {
    bool known = false;  // a reply carrying mass and size has arrived
    double priority_mass = 0.0;
    int64_t size = 0;
    bool limiter_known = false;
    RateLimiterState limiter;
  };
  struct Shard {
    std::string endpoint;
    uint32_t index = 0;
    zmq::socket_t socket;
    std::unique_ptr<DisconnectMonitor> monitor;  // of socket
    std::map<uint64_t, Request> requests;        // sample requests in flight
    int inflight_samples = 0;
    ShardTableState state;
    bool send_blocked = false;  // last send found no connection / a full queue
    // After an `overloaded` or other error reply to a sample request, no sample request goes to
    // this shard before retry_after; the backoff doubles with each refusal in a row (up to
    // 1 s) and resets on a sample.
    SteadyClock::time_point retry_after;
    int64_t backoff_ms = 0;
  };
  struct BufferedItem {
    SampledBatch::Item view;
    SampledBatch::ItemInfo info;
    std::shared_ptr<const void> owner;
  };

  // A sample request for batch_size items (with the global counts when global_rate_limit).
  zmq::message_t SampleRequestMessage(size_t shard, uint64_t id, int64_t batch_size,
                                      int64_t timeout_ms);
  // Sends `message` (request `id`) to a shard, waiting for the connection up to the deadline;
  // its reply is kept in direct_replies_.
  void SendDirect(size_t shard, uint64_t id, zmq::message_t* message, const Stopwatch& watch,
                  int64_t timeout_ms, const char* what);
  // Waits until every id has a reply in direct_replies_; false on timeout.
  bool AwaitDirect(const std::vector<uint64_t>& ids, const Stopwatch& watch, int64_t timeout_ms,
                   const char* what);
  void ForgetDirect(const std::vector<uint64_t>& ids);
  // Receives replies until `until`; false (nothing more done) when timeout_ms since `watch`
  // passes first. Throws StoppedError.
  bool WaitReceivingUntil(SteadyClock::time_point until, const Stopwatch& watch, int64_t timeout_ms,
                          const char* what);
  // Learns the priority mass of shards not heard from yet (info requests).
  void RefreshUnknownShards(const Stopwatch& watch, int64_t timeout_ms);
  void NoteShardState(Shard* shard, double priority_mass, int64_t size,
                      const RateLimiterState& limiter);

  // Sends sample requests round-robin until the prefetch budget for batch_size is used.
  void TopUp(int32_t batch_size);
  // Sends a request built by the caller; false when the shard cannot take it now.
  bool TrySend(Shard* shard, zmq::message_t* message);
  // Waits up to timeout_ms for replies on any shard and handles all that are there.
  void WaitAndReceive(int64_t timeout_ms);
  // Handles the replies already received. A shard whose connection dropped first loses its
  // requests in flight and pending priority acks (counted in lost_requests) and is reconnected.
  void ReceiveAvailable();
  void Reconnect(Shard* shard);
  void HandleReply(Shard* shard, zmq::message_t&& message);
  void ExpireLostRequests();
  void CheckStop(const char* what) const;

  SampleClientOptions options_;
  const std::atomic<bool>* stop_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::deque<BufferedItem> buffer_;
  int64_t inflight_items_ = 0;
  size_t next_shard_ = 0;
  uint64_t next_request_id_ = 1;
  std::map<uint64_t, ShardStats> info_replies_;
  std::map<uint64_t, std::string> info_errors_;  // error replies to info requests, as text
  std::unordered_set<uint64_t> info_requests_;
  // Sent, reply awaited by a direct call: request id → shard index.
  std::unordered_map<uint64_t, size_t> direct_requests_;
  // SendPriorityUpdates requests not yet acked: (request id, shard index), oldest first.
  std::deque<std::pair<uint64_t, size_t>> pending_priority_acks_;
  int64_t lost_requests_ = 0;
  int64_t overloaded_replies_ = 0;
  int64_t error_replies_ = 0;
  int64_t malformed_replies_ = 0;
  // Direct requests whose call gave up on them (their late reply is dropped): request id →
  // shard index; forgotten when that shard's connection drops (no reply will come).
  std::unordered_map<uint64_t, size_t> abandoned_requests_;
  std::map<uint64_t, std::shared_ptr<replay_internal::ReceivedMessage>> direct_replies_;
  Rng rng_;
  Rng jitter_;  // of the backoffs after refusals (apart from rng_'s split stream)

  // The next backoff after `previous_ms` (10 ms doubling up to 1 s) and when it ends, jittered.
  static int64_t NextBackoffMs(int64_t previous_ms);
  SteadyClock::time_point JitteredDeadline(int64_t backoff_ms);
  // An `overloaded` reply to a sample request from `shard`: counts it and starts or doubles
  // the shard's backoff.
  void BackOff(Shard* shard);
  // An error reply (not overloaded / timeout) to `what`, as ErrorText gives it (shard, code,
  // message): counts and logs it; `outcome` says what became of the request.
  void CountErrorReply(const std::string& error_text, const char* what, const char* outcome);
  // A reply that does not decode or is of the wrong kind: counts and logs it.
  void CountMalformedReply(const std::string& endpoint, const std::string& why);
};

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_SAMPLE_CLIENT_H_
