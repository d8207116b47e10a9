#ifndef RLFLEET_REPLAY_SHARD_SERVER_H_
#define RLFLEET_REPLAY_SHARD_SERVER_H_

#include <zmq.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "replay/shard_stats.h"
#include "replay/table.h"

namespace rlfleet {
namespace replay_internal {
struct DecodedRequest;
}  // namespace replay_internal

// The options of the IMPALA queue table: fifo sampler and remover, each item sampled once
// (max_times_sampled 1), rate limiter Queue(max_size): inserts wait while max_size unsampled
// items are in, samples wait for their whole batch.
TableOptions QueueTableOptions(const std::string& name, int64_t max_size);

struct ShardServerOptions {
  std::string endpoint;                  // e.g. "ipc:///tmp/run/replay-0", "tcp://127.0.0.1:*"
  std::string table = "queue";           // legacy: the one (queue) table when `tables` is empty
  int64_t max_size = 1024;               // legacy: its size in items
  int64_t max_message_bytes = 64 << 20;  // larger requests get a too_large error reply
  // The tables this shard hosts (distinct names). Empty: one queue table,
  // QueueTableOptions(table, max_size).
  std::vector<TableOptions> tables;
  // Where checkpoints go: one file "<name>.rlftable" per table (table_snapshot.h), each written
  // atomically by a background thread. A shard started on a directory holding such files
  // restores those tables from them. Empty: no checkpoints (checkpoint requests are refused).
  //
  // Keys: each start on a checkpoint_dir is an incarnation, counted in the file "incarnation"
  // there (written before the shard serves). Incarnation i hands out keys from
  // i · 2^kIncarnationKeyBits on, so a restarted shard never hands out a key that an earlier
  // incarnation handed out, even one inserted after its last checkpoint: a priority computed
  // before a crash can only name an item that is gone (counted as an unknown key), never
  // another item. 2^12 incarnations of 2^36 inserts each fit the 48 bits of a local key.
  std::string checkpoint_dir;
  double checkpoint_interval_seconds = 0;  // > 0: also checkpoint this often; 0: on request only
  // Item records a checkpoint's snapshot copies per loop iteration (Table::ContinueSnapshot);
  // requests are served between the pieces. 16384 records take 1-2 ms here.
  int64_t snapshot_chunk_items = 16384;
  // Bounds on the requests that wait (inserts held back by the rate limiter or a full queue,
  // samples waiting for items, checkpoint requests waiting for their files), over all tables:
  // a request beyond either gets the error `overloaded` at once. Actors bound their unacked
  // inserts, so only many actors or a misbehaving client reach them.
  int64_t max_pending_requests = 10000;
  int64_t max_pending_bytes = int64_t{1} << 30;  // item bytes of the waiting inserts
  uint64_t seed = 0;                             // random stream of the samplers

  // Throws std::invalid_argument naming the first bad field.
  void Validate() const;
  // `tables`, or the legacy queue table when it is empty.
  std::vector<TableOptions> ResolvedTables() const;
};

// One replay shard: a ROUTER socket serving insert / sample / update-priorities / info /
// checkpoint requests (transport/schema/rlfleet.capnp) for its Tables (replay/table.h), from a
// single thread.
//
// The loop never blocks on a client:
//  - an insert whose items the table's rate limiter does not all let in waits in the table's
//    FIFO pending list; its items go in as the limiter allows (in order, behind earlier pending
//    inserts) and it is acked once all of them are in. Actors bound their unacked inserts, so a
//    full queue (or a sampler that falls behind) pushes back on them. An insert with a
//    timeoutMs that is still waiting when it passes gets an error reply `timeout` (the items
//    already in stay in);
//  - a sample request waits in the table's FIFO pending list until the limiter allows
//    batchSize samples and the table can supply them (at least batchSize items when items are
//    removed after max_times_sampled, else at least one), or its timeoutMs passes (error
//    `timeout`). A batchSize of 0, or above max_size when items are removed after
//    max_times_sampled (above 2^20 otherwise), is answered with `bad_request` at once;
//  - a priority update applies at once (unknown keys are ignored and counted);
//  - a request that does not decode, has another protocol version, names an unknown table or
//    exceeds max_message_bytes gets an error reply (when its ROUTER envelope is readable) and
//    is counted; the shard keeps serving. Frames beyond 2 * max_message_bytes + 64 KiB are
//    refused by ZeroMQ itself (the peer is disconnected; no reply, no counter);
//  - a request that would wait while max_pending_requests requests (or max_pending_bytes bytes
//    of insert items) already wait gets the error `overloaded` at once and is counted;
//  - a reply that cannot be delivered (peer gone, or its queue full) is counted as dropped. The
//    items of a dropped sample reply count as sampled (as in Reverb), and so do those of a
//    sample reply larger than max_message_bytes, which is replaced by the error `tooLarge`
//    (the clients refuse messages above that size and ZeroMQ would drop their connection);
//  - an exception while moving pending work forward (e.g. out of memory building a reply) is
//    logged and counted; the shard keeps serving.
//  - checkpoints: the loop takes a copy-on-write snapshot of every table (pointer copies),
//    snapshot_chunk_items records per iteration with requests served in between
//    (Table::BeginSnapshot), and a background thread writes the files; inserts and samples go
//    on meanwhile. A checkpoint holds every item acked before its request arrived and is
//    answered once its files are in place. A snapshot keeps every item it copied alive until
//    its files are written, so at most one checkpoint job (copy and write, requested or
//    periodic) runs at a time: a checkpoint request while one runs gets the error `overloaded`
//    at once (SampleClient::Checkpoint asks again after a backoff), and a periodic checkpoint
//    that falls due meanwhile is skipped. A checkpoint request that waits for its job counts
//    against max_pending_requests.
//
// Thread-safety: construct anywhere, then call Run() from exactly one thread (once); stats()
// and endpoint() may be called from any thread at any time.
inline constexpr int kIncarnationKeyBits = 36;
inline constexpr int64_t kMaxIncarnations = int64_t{1} << 12;

class ShardServer {
 public:
  // Validates the options, restores tables from checkpoint_dir, and binds the ROUTER socket.
  // Throws std::invalid_argument on bad options, std::runtime_error naming the file when a
  // checkpoint cannot be restored (e.g. written under other table options) or the incarnation
  // file is unreadable or exhausted (kMaxIncarnations), and TransportError
  // naming the endpoint when it cannot bind.
  explicit ShardServer(const ShardServerOptions& options);
  ShardServer(const ShardServer&) = delete;
  ShardServer& operator=(const ShardServer&) = delete;
  // Waits for a checkpoint being written, closes the socket and removes an ipc:// socket file.
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
    std::vector<std::shared_ptr<const std::string>> items;
    std::vector<double> priorities;  // empty: all 1
    size_t next = 0;                 // items[next..] are not yet in the table
    int64_t bytes = 0;  // of items[next..] when it began to wait (counted in pending_bytes_)
    bool has_deadline = false;
    SteadyClock::time_point deadline;
  };
  struct PendingSample {
    Envelope envelope;
    uint64_t request_id = 0;
    int64_t batch_size = 0;
    SteadyClock::time_point deadline;
  };
  struct HostedTable {
    explicit HostedTable(Table&& t) : table(std::move(t)) {}
    Table table;
    std::deque<PendingInsert> pending_inserts;
    std::deque<PendingSample> pending_samples;
    int64_t timeouts = 0;
  };
  struct CheckpointJob {
    uint64_t id = 0;
    std::vector<TableSnapshot> snapshots;
  };
  struct CheckpointResult {
    uint64_t id = 0;
    std::string error;  // empty: written
  };
  struct CheckpointWaiter {
    Envelope envelope;
    uint64_t request_id = 0;
    uint64_t job = 0;
  };

  void HandleMessage(std::vector<zmq::message_t>* frames, bool truncated);
  // Checks the size, decodes, checks the protocol version and the table, then hands the request
  // to the handler of its kind. Each handler answers (now or once the request stops waiting).
  void HandleRequest(Envelope* envelope, const zmq::message_t& payload);
  void HandleCheckpoint(Envelope* envelope, uint64_t request_id);
  void HandleInfo(const HostedTable& t, Envelope* envelope, uint64_t request_id);
  void HandleUpdatePriorities(HostedTable* t, Envelope* envelope,
                              const replay_internal::DecodedRequest& request);
  // Takes the request's items.
  void HandleInsert(HostedTable* t, Envelope* envelope, replay_internal::DecodedRequest* request);
  void HandleSample(HostedTable* t, Envelope* envelope,
                    const replay_internal::DecodedRequest& request);
  HostedTable* FindTable(const std::string& name);
  // Inserts the request's items as far as the limiter allows; true when all are in.
  bool AdvanceInsert(HostedTable* t, PendingInsert* insert);
  // Moves pending inserts and samples of every table forward until nothing changes.
  void Progress();
  bool ProgressInserts(HostedTable* t);
  bool ProgressSamples(HostedTable* t);
  void Expire(SteadyClock::time_point now);
  bool CanServeSample(const HostedTable& t, int64_t batch_size) const;
  std::string SampleWaitReason(const HostedTable& t, int64_t batch_size) const;
  // Samples batch_size items and sends them. False (nothing done) if the table cannot serve.
  bool ServeSample(HostedTable* t, const Envelope& envelope, uint64_t request_id,
                   int64_t batch_size);
  void SendAck(const HostedTable& t, const Envelope& envelope, uint64_t request_id, uint32_t count);
  // `accepted_items`: an insert's items already in the table (wire Error.acceptedItems).
  void SendError(const Envelope& envelope, uint64_t request_id, int code,
                 const std::string& message, uint32_t accepted_items = 0);
  // The error `overloaded` (max_pending_requests / max_pending_bytes reached), counted.
  void RefuseOverloaded(const Envelope& envelope, uint64_t request_id, uint32_t accepted_items = 0);
  // Sends envelope + reply without blocking; false when the peer cannot take it.
  bool SendReply(const Envelope& envelope, zmq::message_t&& reply);
  // Adds the time since the last call to the blocked-seconds counters.
  void AccountTime(SteadyClock::time_point now);
  // Copies live_ (refreshed from the tables) to published_, which stats() reads. Runs before
  // every reply, so a reply's receiver sees the counters of what it was answered; it assigns
  // numbers and same-sized strings only (no allocation).
  void Publish();
  // Sets *s from t: the strings only the first time, then the counters.
  void RefreshStats(const HostedTable& t, TableStats* s) const;

  // Checkpoints.
  std::string CheckpointPath(const std::string& table) const;
  // Begins a snapshot of every table, as job next_job_++. Only while no job is in flight.
  void BeginSnapshots();
  // Copies the next piece of the snapshots; once all are complete, queues the job for the
  // writer.
  void ContinueSnapshots();
  void CollectCheckpointResults();
  // Counts a job written or failed and answers the checkpoint requests waiting for it.
  void FinishJob(const CheckpointResult& result);
  void WriterLoop();

  ShardServerOptions options_;
  zmq::socket_t socket_;
  std::string endpoint_;
  std::vector<std::unique_ptr<HostedTable>> tables_;
  Rng rng_;
  std::vector<SampledItem> sampled_;  // reused by ServeSample
  std::vector<size_t> item_sizes_;    // reused by ServeSample
  SteadyClock::time_point last_tick_;
  SteadyClock::time_point next_checkpoint_;
  ShardStats live_;               // used by the Run thread only
  int64_t pending_requests_ = 0;  // inserts, samples and checkpoints waiting, all tables
  int64_t pending_bytes_ = 0;     // item bytes of the waiting inserts

  mutable std::mutex mutex_;
  ShardStats published_;  // guarded by mutex_

  // Background checkpoint writer (only with a checkpoint_dir).
  uint64_t next_job_ = 1;
  uint64_t jobs_in_flight_ = 0;  // being copied or written (0 or 1); Run thread only
  bool copying_ = false;         // a job's snapshots are being copied (its id: next_job_ - 1)
  std::vector<CheckpointWaiter> checkpoint_waiters_;  // each counted in pending_requests_
  std::mutex writer_mutex_;
  std::condition_variable writer_cv_;
  std::deque<CheckpointJob> jobs_;        // guarded by writer_mutex_
  std::deque<CheckpointResult> results_;  // guarded by writer_mutex_
  bool writer_stop_ = false;              // guarded by writer_mutex_
  std::thread writer_;
};

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_SHARD_SERVER_H_
