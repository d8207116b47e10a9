#ifndef RLFLEET_REPLAY_SHARD_SERVER_H_
#define RLFLEET_REPLAY_SHARD_SERVER_H_

#include <zmq.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "replay/queue_table.h"
#include "replay/shard_stats.h"

namespace rlfleet {

struct ShardServerOptions {
  std::string endpoint;                  // e.g. "ipc:///tmp/run/replay-0", "tcp://127.0.0.1:*"
  std::string table = "queue";           // the one table this shard serves
  int64_t max_size = 1024;               // items the table holds
  int64_t max_message_bytes = 64 << 20;  // larger requests get a too_large error reply

  // Throws std::invalid_argument naming the first bad field.
  void Validate() const;
};

// One replay shard: a ROUTER socket serving insert / sample / info requests
// (transport/schema/rlfleet.capnp) for one QueueTable, from a single thread.
//
// The loop never blocks on a client:
//  - an insert whose items do not all fit waits in a FIFO pending list; its items go in as room
//    appears (in order, behind earlier pending inserts) and it is acked only once all of them
//    are in. Actors bound their unacked inserts, so a full table pushes back on them;
//  - a sample request waits in a FIFO pending list until batchSize items exist (then gets them,
//    oldest first) or its timeoutMs passes (then an error reply with code `timeout`). A
//    batchSize of 0 or above max_size is answered with `bad_request` at once;
//  - a request that does not decode, has another protocol version, names another table or
//    exceeds max_message_bytes gets an error reply (when its ROUTER envelope is readable) and
//    is counted; the shard keeps serving. Frames beyond 2 * max_message_bytes + 64 KiB are
//    refused by ZeroMQ itself (the peer is disconnected; no reply, no counter);
//  - a sample reply that cannot be delivered (peer gone, or its queue full) puts its items
//    back at the front of the table and counts a dropped reply.
// Items handed out in a delivered reply are gone from the shard, even if the client then
// drops them (e.g. a SampleClient destroyed with requests in flight).
//
// Thread-safety: construct anywhere, then call Run() from exactly one thread (once); stats()
// and endpoint() may be called from any thread at any time.
class ShardServer {
 public:
  // Validates the options and binds the ROUTER socket. Throws std::invalid_argument on bad
  // options and TransportError naming the endpoint when it cannot bind.
  explicit ShardServer(const ShardServerOptions& options);
  ShardServer(const ShardServer&) = delete;
  ShardServer& operator=(const ShardServer&) = delete;
  // Closes the socket and removes an ipc:// socket file.
  ~ShardServer();

  // The endpoint actually bound (a "tcp://host:*" endpoint resolved to its port).
  std::string endpoint() const { return endpoint_; }

  // Serves requests until `stop` becomes true; returns within about 100 ms of that. Requests
  // still pending then are dropped without a reply.
  void Run(const std::atomic<bool>& stop);

  // A consistent snapshot of the counters, updated before every reply is sent.
  ShardStats stats() const;

 private:
  using Envelope = std::vector<zmq::message_t>;
  struct PendingInsert {
    Envelope envelope;
    uint64_t request_id = 0;
    uint32_t count = 0;             // items in the request
    std::deque<std::string> items;  // items not yet in the table
  };
  struct PendingSample {
    Envelope envelope;
    uint64_t request_id = 0;
    int64_t batch_size = 0;
    SteadyClock::time_point deadline;
  };

  void HandleMessage(std::vector<zmq::message_t>* frames, bool truncated);
  void HandleRequest(Envelope* envelope, const zmq::message_t& payload);
  // Moves items of pending inserts into the table and serves pending samples until neither
  // makes progress.
  void Progress();
  bool ProgressInserts();
  bool ProgressSamples();
  void ExpireSamples(SteadyClock::time_point now);
  // Pops batch_size items and sends them; on a failed send puts them back. False if the
  // table does not hold batch_size items.
  bool ServeSample(const Envelope& envelope, uint64_t request_id, int64_t batch_size);
  void SendAck(const Envelope& envelope, uint64_t request_id, uint32_t count);
  void SendError(const Envelope& envelope, uint64_t request_id, int code,
                 const std::string& message);
  // Sends envelope + reply without blocking; false when the peer cannot take it.
  bool SendReply(const Envelope& envelope, zmq::message_t&& reply);
  // Adds the time since the last call to the blocked-seconds counters.
  void AccountTime(SteadyClock::time_point now);
  void Publish();

  ShardServerOptions options_;
  zmq::socket_t socket_;
  std::string endpoint_;
  QueueTable table_;
  std::deque<PendingInsert> pending_inserts_;
  std::deque<PendingSample> pending_samples_;
  SteadyClock::time_point last_tick_;
  ShardStats live_;  // used by the Run thread only

  mutable std::mutex mutex_;
  ShardStats published_;  // guarded by mutex_
};

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_SHARD_SERVER_H_
