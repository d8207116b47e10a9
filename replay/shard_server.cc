#include "replay/shard_server.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <set>
#include <stdexcept>
#include <utility>

#include "core/file_util.h"
#include "core/logging.h"
#include "replay/protocol.h"
#include "replay/table_snapshot.h"
#include "transport/codec.h"
#include "transport/curve.h"
#include "transport/socket.h"

namespace rlfleet {
namespace {

using replay_internal::BuildZmqMessage;
using replay_internal::DataListWords;
using replay_internal::DecodedRequest;
using replay_internal::ToZmqMessage;

// A ROUTER message is [identity, ..., payload]; more frames than this are not a request.
constexpr size_t kMaxFrames = 8;
// Messages handled per loop iteration before pending work is looked at again.
constexpr int kMaxMessagesPerIteration = 256;
// Longest wait of the loop while a checkpoint is being written (to answer its request soon).
constexpr int64_t kCheckpointPollMs = 5;
// Largest batch of a table sampled with replacement (max_times_sampled 0).
constexpr int64_t kMaxBatchWithReplacement = int64_t{1} << 20;

// ZMQ_MAXMSGSIZE of the ROUTER: frames up to max_message_bytes are served, frames somewhat
// larger get a too_large reply, and ZeroMQ drops the connection of anything beyond.
int64_t HardFrameLimit(int64_t max_message_bytes) {
  return 2 * max_message_bytes + (int64_t{64} << 10);
}

constexpr int kMalformed = static_cast<int>(wire::ErrorCode::MALFORMED);
constexpr int kWrongVersion = static_cast<int>(wire::ErrorCode::WRONG_VERSION);
constexpr int kUnknownTable = static_cast<int>(wire::ErrorCode::UNKNOWN_TABLE);
constexpr int kTooLarge = static_cast<int>(wire::ErrorCode::TOO_LARGE);
constexpr int kTimeout = static_cast<int>(wire::ErrorCode::TIMEOUT);
constexpr int kBadRequest = static_cast<int>(wire::ErrorCode::BAD_REQUEST);
constexpr int kOverloaded = static_cast<int>(wire::ErrorCode::OVERLOADED);

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// mkdir -p; throws std::runtime_error naming the directory.
void MakeDirectories(const std::string& dir) {
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      throw std::runtime_error("cannot create checkpoint directory " + partial);
    }
  }
}

}  // namespace

TableOptions QueueTableOptions(const std::string& name, int64_t max_size) {
  TableOptions options;
  options.name = name;
  options.sampler = "fifo";
  options.remover = "fifo";
  options.max_size = max_size;
  options.max_times_sampled = 1;
  options.importance_exponent = 0.0;
  options.rate_limiter = RateLimiterOptions::Queue(max_size);
  return options;
}

std::vector<TableOptions> ShardServerOptions::ResolvedTables() const {
  if (!tables.empty()) return tables;
  return {QueueTableOptions(table, max_size)};
}

void ShardServerOptions::Validate() const {
  if (endpoint.empty()) throw std::invalid_argument("ShardServerOptions: endpoint is empty");
  if (tables.empty()) {
    if (table.empty()) throw std::invalid_argument("ShardServerOptions: table is empty");
    if (max_size <= 0) {
      throw std::invalid_argument("ShardServerOptions: max_size must be positive, got " +
                                  std::to_string(max_size));
    }
  }
  std::set<std::string> names;
  for (const TableOptions& t : ResolvedTables()) {
    t.Validate();
    if (!names.insert(t.name).second) {
      throw std::invalid_argument("ShardServerOptions: two tables named '" + t.name + "'");
    }
    if (t.name.find('/') != std::string::npos || t.name[0] == '.') {
      throw std::invalid_argument("ShardServerOptions: table name '" + t.name +
                                  "' must not contain '/' or start with '.'");
    }
  }
  if (max_message_bytes < 1024) {
    throw std::invalid_argument("ShardServerOptions: max_message_bytes must be >= 1024, got " +
                                std::to_string(max_message_bytes));
  }
  if (max_pending_requests <= 0 || max_pending_bytes <= 0) {
    throw std::invalid_argument(
        "ShardServerOptions: max_pending_requests and max_pending_bytes "
        "must be positive");
  }
  if (!(checkpoint_interval_seconds >= 0) || !std::isfinite(checkpoint_interval_seconds)) {
    throw std::invalid_argument(
        "ShardServerOptions: checkpoint_interval_seconds must be finite and >= 0");
  }
  if (snapshot_chunk_items <= 0) {
    throw std::invalid_argument("ShardServerOptions: snapshot_chunk_items must be positive, got " +
                                std::to_string(snapshot_chunk_items));
  }
  if (checkpoint_interval_seconds > 0 && checkpoint_dir.empty()) {
    throw std::invalid_argument(
        "ShardServerOptions: checkpoint_interval_seconds needs a checkpoint_dir");
  }
}

namespace {

ShardServerOptions Validated(const ShardServerOptions& options) {
  options.Validate();
  return options;
}

SocketOptions RouterOptions(const ShardServerOptions& options) {
  SocketOptions socket;
  socket.max_message_bytes = HardFrameLimit(options.max_message_bytes);
  socket.linger_ms = 0;
  socket.send_hwm = 1000;
  socket.recv_hwm = 1000;
  return socket;
}

// The number of this start on `dir`: one more than `dir`/incarnation says (0 when the file is
// absent), written back there before it is returned.
int64_t NextIncarnation(const std::string& dir) {
  const std::string path = dir + "/incarnation";
  int64_t previous = -1;
  if (FileExists(path)) {
    const std::string text = ReadFile(path);
    size_t used = 0;
    try {
      previous = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || previous < 0 || text.find_first_not_of(" \n", used) != std::string::npos) {
      throw std::runtime_error(path + ": not an incarnation number ('" + text.substr(0, 40) +
                               "'); remove the file to count from 0 again");
    }
  }
  const int64_t next = previous + 1;
  if (next >= kMaxIncarnations) {
    throw std::runtime_error(path + ": the shard has started " + std::to_string(next) +
                             " times on this directory; its keys are exhausted (at most " +
                             std::to_string(kMaxIncarnations) + ")");
  }
  WriteFileAtomic(path, std::to_string(next) + "\n");
  return next;
}

}  // namespace

ShardServer::ShardServer(const ShardServerOptions& options)
    : options_(Validated(options)),
      socket_(MakeSocket(zmq::socket_type::router, RouterOptions(options_))),
      rng_(options_.seed),
      last_tick_(SteadyClock::now()) {
  // Tables: fresh, or restored from the checkpoint directory.
  int64_t incarnation = 0;
  if (!options_.checkpoint_dir.empty()) {
    MakeDirectories(options_.checkpoint_dir);
    incarnation = NextIncarnation(options_.checkpoint_dir);
  }
  for (const TableOptions& t : options_.ResolvedTables()) {
    const std::string path = options_.checkpoint_dir.empty() ? "" : CheckpointPath(t.name);
    if (!path.empty() && FileExists(path)) {
      tables_.push_back(std::make_unique<HostedTable>(LoadSnapshot(path, t)));
      live_.restored_items += tables_.back()->table.size();
      RLF_LOG(Info) << "replay shard: restored table '" << t.name << "' ("
                    << tables_.back()->table.size() << " items) from " << path;
    } else {
      tables_.push_back(std::make_unique<HostedTable>(Table(t)));
    }
    tables_.back()->table.StartKeysAt(static_cast<Key>(incarnation) << kIncarnationKeyBits);
  }
  if (incarnation > 0) {
    RLF_LOG(Info) << "replay shard: incarnation " << incarnation << " of "
                  << options_.checkpoint_dir << ": keys from " << incarnation << " << "
                  << kIncarnationKeyBits;
  }
  // Unroutable replies fail (EHOSTUNREACH) instead of vanishing, so that they are counted.
  socket_.set(zmq::sockopt::router_mandatory, 1);
  Bind(socket_, options_.endpoint);
  endpoint_ = BoundEndpoint(socket_);
  live_.table = tables_.front()->table.name();
  live_.max_size = tables_.front()->table.max_size();
  if (!options_.checkpoint_dir.empty()) writer_ = std::thread([this] { WriterLoop(); });
  next_checkpoint_ =
      SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                               std::chrono::duration<double>(options_.checkpoint_interval_seconds));
  Publish();
  RLF_LOG(Info) << "replay shard: " << tables_.size() << " table(s), first '" << live_.table
                << "' (max_size " << live_.max_size << ") on " << endpoint_;
}

ShardServer::~ShardServer() {
  if (writer_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(writer_mutex_);
      writer_stop_ = true;
    }
    writer_cv_.notify_all();
    writer_.join();
  }
  socket_.close();
  RemoveIpcFile(endpoint_);
}

ShardStats ShardServer::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return published_;
}

void ShardServer::RefreshStats(const HostedTable& t, TableStats* s) const {
  const Table& table = t.table;
  if (s->name != table.name()) {  // the first time: the strings never change after
    s->name = table.name();
    s->sampler = table.options().sampler;
    s->remover = table.options().remover;
  }
  s->max_size = table.max_size();
  s->max_times_sampled = table.options().max_times_sampled;
  s->size = table.size();
  s->inserts = table.counters().inserts;
  s->samples = table.counters().samples;
  s->evictions = table.counters().evictions;
  s->exhausted = table.counters().exhausted;
  s->unknown_key_updates = table.counters().unknown_key_updates;
  s->priority_mass = table.priority_mass();
  s->rate_limiter = table.rate_limiter().state();
  s->can_insert = table.CanInsert(1);
  s->can_sample = table.CanSample(1);
  s->global_rate_limit = table.rate_limiter().has_external_counts();
  s->pending_inserts = static_cast<int64_t>(t.pending_inserts.size());
  s->pending_samples = static_cast<int64_t>(t.pending_samples.size());
  s->timeouts = t.timeouts;
}

void ShardServer::Publish() {
  const Table& first = tables_.front()->table;
  live_.size = first.size();
  live_.inserts = first.counters().inserts;
  live_.samples = first.counters().samples;
  live_.pending_inserts = 0;
  live_.pending_samples = 0;
  live_.unknown_key_updates = 0;
  live_.refused_peers = ProcessCurveRefused();
  live_.tables.resize(tables_.size());
  for (size_t i = 0; i < tables_.size(); ++i) {
    RefreshStats(*tables_[i], &live_.tables[i]);
    live_.pending_inserts += live_.tables[i].pending_inserts;
    live_.pending_samples += live_.tables[i].pending_samples;
    live_.unknown_key_updates += live_.tables[i].unknown_key_updates;
  }
  // Copy-assignment into the same shapes: the strings reuse their storage, nothing allocates.
  std::lock_guard<std::mutex> lock(mutex_);
  published_ = live_;
}

void ShardServer::AccountTime(SteadyClock::time_point now) {
  const double dt = std::chrono::duration<double>(now - last_tick_).count();
  last_tick_ = now;
  bool inserts_wait = false;
  bool samples_wait = false;
  for (auto& t : tables_) {
    if (!t->pending_inserts.empty()) {
      inserts_wait = true;
      t->table.rate_limiter().AddInsertBlockedSeconds(dt);
    }
    if (!t->pending_samples.empty()) {
      samples_wait = true;
      t->table.rate_limiter().AddSampleBlockedSeconds(dt);
    }
  }
  if (inserts_wait) live_.insert_blocked_seconds += dt;
  if (samples_wait) live_.sample_blocked_seconds += dt;
}

ShardServer::HostedTable* ShardServer::FindTable(const std::string& name) {
  for (auto& t : tables_) {
    if (t->table.name() == name) return t.get();
  }
  return nullptr;
}

void ShardServer::Run(const std::atomic<bool>& stop) {
  std::vector<zmq::message_t> frames;
  last_tick_ = SteadyClock::now();
  while (!stop.load(std::memory_order_relaxed)) {
    // Wait for a request, at most one slice or until the earliest deadline.
    int64_t wait_ms = copying_              ? 0
                      : jobs_in_flight_ > 0 ? kCheckpointPollMs
                                            : replay_internal::kMaxSliceMs;
    const auto now = SteadyClock::now();
    auto wait_until = [&](SteadyClock::time_point deadline) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
      wait_ms = std::max<int64_t>(0, std::min<int64_t>(wait_ms, left));
    };
    for (const auto& t : tables_) {
      for (const PendingSample& p : t->pending_samples) wait_until(p.deadline);
      for (const PendingInsert& p : t->pending_inserts) {
        if (p.has_deadline) wait_until(p.deadline);
      }
    }
    if (options_.checkpoint_interval_seconds > 0) wait_until(next_checkpoint_);
    PollIn(socket_, wait_ms);
    AccountTime(SteadyClock::now());

    // Handle what arrived, then move pending work forward.
    for (int i = 0; i < kMaxMessagesPerIteration; ++i) {
      bool truncated = false;
      size_t count = 0;
      try {
        count = RecvMultipart(socket_, &frames, kMaxFrames, &truncated);
      } catch (const zmq::error_t& e) {
        RLF_LOG(Warning) << "replay shard " << endpoint_ << ": receive failed: " << e.what();
        break;
      }
      if (count == 0) break;
      HandleMessage(&frames, truncated);
    }
    try {
      Progress();
      const auto after = SteadyClock::now();
      Expire(after);
      if (options_.checkpoint_interval_seconds > 0 && after >= next_checkpoint_) {
        next_checkpoint_ =
            after + std::chrono::duration_cast<SteadyClock::duration>(
                        std::chrono::duration<double>(options_.checkpoint_interval_seconds));
        if (jobs_in_flight_ == 0) BeginSnapshots();
      }
      if (copying_) ContinueSnapshots();
      if (jobs_in_flight_ > 0) CollectCheckpointResults();
    } catch (const std::exception& e) {
      // E.g. std::bad_alloc building a reply: what was pending stays pending.
      ++live_.internal_errors;
      if (ShouldLogCount(live_.internal_errors)) {
        RLF_LOG(Error) << "replay shard " << endpoint_ << ": " << e.what() << " (internal error #"
                       << live_.internal_errors << ")";
      }
    }
    Publish();
  }
  Publish();
}

void ShardServer::HandleMessage(std::vector<zmq::message_t>* frames, bool truncated) {
  // The ROUTER prepends the sender identity, so a request has at least two frames.
  if (frames->size() < 2 || truncated) {
    ++live_.malformed;
    if (ShouldLogCount(live_.malformed)) {
      RLF_LOG(Warning) << "replay shard " << endpoint_ << ": request with " << frames->size()
                       << (truncated ? "+" : "") << " frames (malformed #" << live_.malformed
                       << ")";
    }
    Envelope envelope;
    envelope.push_back(std::move(frames->front()));
    SendError(envelope, 0, kMalformed,
              "a request is one frame after the envelope, got " +
                  std::to_string(frames->size() - 1) + (truncated ? " or more" : ""));
    return;
  }
  zmq::message_t payload = std::move(frames->back());
  frames->pop_back();
  try {
    HandleRequest(frames, payload);
  } catch (const std::exception& e) {
    // Not expected (decoding errors are handled inside); keep serving regardless.
    ++live_.malformed;
    RLF_LOG(Warning) << "replay shard " << endpoint_ << ": request failed: " << e.what();
    SendError(*frames, 0, kMalformed, e.what());
  }
}

void ShardServer::HandleRequest(Envelope* envelope, const zmq::message_t& payload) {
  // Size first: nothing larger than the limit is decoded.
  if (static_cast<int64_t>(payload.size()) > options_.max_message_bytes) {
    ++live_.too_large;
    if (ShouldLogCount(live_.too_large)) {
      RLF_LOG(Warning) << "replay shard " << endpoint_ << ": " << payload.size()
                       << "-byte request exceeds max_message_bytes (too_large #" << live_.too_large
                       << ")";
    }
    SendError(*envelope, 0, kTooLarge,
              "request of " + std::to_string(payload.size()) + " bytes exceeds max_message_bytes " +
                  std::to_string(options_.max_message_bytes));
    return;
  }

  // Decode everything needed from the request before changing any state.
  DecodedRequest request;
  try {
    request = replay_internal::DecodeRequest(payload.data(), payload.size());
  } catch (const DecodeError& e) {
    ++live_.malformed;
    if (ShouldLogCount(live_.malformed)) {
      RLF_LOG(Warning) << "replay shard " << endpoint_ << ": undecodable request of "
                       << payload.size() << " bytes: " << e.what() << " (malformed #"
                       << live_.malformed << ")";
    }
    SendError(*envelope, request.request_id, kMalformed, e.what());
    return;
  }
  const uint64_t request_id = request.request_id;
  if (request.protocol_version != kProtocolVersion) {
    ++live_.wrong_version;
    if (ShouldLogCount(live_.wrong_version)) {
      RLF_LOG(Warning) << "replay shard " << endpoint_ << ": request with protocol version "
                       << request.protocol_version << " (wrong_version #" << live_.wrong_version
                       << ")";
    }
    SendError(*envelope, request_id, kWrongVersion,
              "wrong protocol version " + std::to_string(request.protocol_version) +
                  " (this shard speaks " + std::to_string(kProtocolVersion) + ")");
    return;
  }

  const auto which = request.which;
  if (which == wire::Request::CHECKPOINT) {
    HandleCheckpoint(envelope, request_id);
    return;
  }
  if (which != wire::Request::INSERT && which != wire::Request::SAMPLE &&
      which != wire::Request::INFO && which != wire::Request::UPDATE_PRIORITIES) {
    SendError(*envelope, request_id, kBadRequest,
              "unknown request kind " + std::to_string(static_cast<int>(which)));
    return;
  }
  HostedTable* t = (which == wire::Request::INFO && request.table.empty())
                       ? tables_.front().get()
                       : FindTable(request.table);
  if (t == nullptr) {
    std::string names;
    for (const auto& h : tables_) names += (names.empty() ? "'" : ", '") + h->table.name() + "'";
    SendError(*envelope, request_id, kUnknownTable,
              "no table '" + request.table + "' on this shard (it serves " + names + ")");
    return;
  }
  switch (which) {
    case wire::Request::INFO:
      HandleInfo(*t, envelope, request_id);
      break;
    case wire::Request::UPDATE_PRIORITIES:
      HandleUpdatePriorities(t, envelope, request);
      break;
    case wire::Request::INSERT:
      HandleInsert(t, envelope, &request);
      break;
    default:
      HandleSample(t, envelope, request);
      break;
  }
}

void ShardServer::HandleCheckpoint(Envelope* envelope, uint64_t request_id) {
  if (options_.checkpoint_dir.empty()) {
    SendError(*envelope, request_id, kBadRequest, "this shard has no checkpoint_dir");
    return;
  }
  if (jobs_in_flight_ > 0) {
    // Each job holds a reference to every item until its files are written: one at a time.
    ++live_.overloaded;
    if (ShouldLogCount(live_.overloaded)) {
      RLF_LOG(Warning) << "replay shard " << endpoint_ << ": a checkpoint is being taken; "
                       << "refusing another (overloaded #" << live_.overloaded << ")";
    }
    SendError(*envelope, request_id, kOverloaded,
              std::string("a checkpoint is being ") + (copying_ ? "copied" : "written") +
                  ": retry later");
    return;
  }
  if (pending_requests_ >= options_.max_pending_requests) {
    RefuseOverloaded(*envelope, request_id);
    return;
  }
  BeginSnapshots();
  CheckpointWaiter waiter;
  waiter.envelope = std::move(*envelope);
  waiter.request_id = request_id;
  waiter.job = next_job_ - 1;
  checkpoint_waiters_.push_back(std::move(waiter));
  ++pending_requests_;  // it waits for its job like a pending insert or sample
}

void ShardServer::HandleInfo(const HostedTable& t, Envelope* envelope, uint64_t request_id) {
  const Table& table = t.table;
  Publish();
  ShardStats stats = live_;
  stats.table = table.name();
  stats.max_size = table.max_size();
  stats.size = table.size();
  stats.inserts = table.counters().inserts;
  stats.samples = table.counters().samples;
  capnp::MallocMessageBuilder builder;
  auto response = builder.initRoot<wire::Response>();
  response.setProtocolVersion(kProtocolVersion);
  response.setRequestId(request_id);
  replay_internal::FillInfo(stats, response.initInfo());
  SendReply(*envelope, ToZmqMessage(builder));
}

void ShardServer::HandleUpdatePriorities(HostedTable* t, Envelope* envelope,
                                         const DecodedRequest& request) {
  const uint64_t request_id = request.request_id;
  Table& table = t->table;
  ++live_.update_requests;
  if (request.keys.size() != request.priorities.size()) {
    SendError(*envelope, request_id, kBadRequest,
              std::to_string(request.keys.size()) + " keys but " +
                  std::to_string(request.priorities.size()) + " priorities");
    return;
  }
  int64_t unknown = 0;
  try {
    unknown = table.UpdatePriorities(request.keys, request.priorities);
  } catch (const std::invalid_argument& e) {
    SendError(*envelope, request_id, kBadRequest, e.what());
    return;
  }
  capnp::MallocMessageBuilder builder(64);
  auto response = builder.initRoot<wire::Response>();
  response.setProtocolVersion(kProtocolVersion);
  response.setRequestId(request_id);
  auto ack = response.initUpdatePrioritiesAck();
  ack.setUpdated(static_cast<uint32_t>(request.keys.size() - unknown));
  ack.setUnknownKeys(static_cast<uint32_t>(unknown));
  Publish();
  SendReply(*envelope, ToZmqMessage(builder));
  // A prioritized remover may now choose differently; nothing waits on priorities otherwise.
}

void ShardServer::HandleInsert(HostedTable* t, Envelope* envelope, DecodedRequest* request_in) {
  DecodedRequest& request = *request_in;
  const uint64_t request_id = request.request_id;
  ++live_.insert_requests;
  if (!request.priorities.empty() && request.priorities.size() != request.items.size()) {
    SendError(*envelope, request_id, kBadRequest,
              std::to_string(request.items.size()) + " items but " +
                  std::to_string(request.priorities.size()) + " priorities");
    return;
  }
  for (double p : request.priorities) {
    if (!(p >= 0.0) || !std::isfinite(p)) {
      SendError(*envelope, request_id, kBadRequest,
                "priority " + std::to_string(p) + " is not finite and >= 0");
      return;
    }
  }
  PendingInsert insert;
  insert.request_id = request_id;
  insert.items = std::move(request.items);
  insert.priorities = std::move(request.priorities);
  if (request.timeout_ms > 0) {
    insert.has_deadline = true;
    insert.deadline = SteadyClock::now() + std::chrono::milliseconds(request.timeout_ms);
  }
  // Behind earlier pending inserts, so that items keep their arrival order.
  if (t->pending_inserts.empty() && AdvanceInsert(t, &insert)) {
    SendAck(*t, *envelope, request_id, static_cast<uint32_t>(insert.items.size()));
    Progress();  // pending samples may now be servable
    return;
  }
  // Only the items not yet in: AdvanceInsert moved the others into the table.
  for (size_t i = insert.next; i < insert.items.size(); ++i) {
    insert.bytes += static_cast<int64_t>(insert.items[i]->size());
  }
  if (pending_requests_ >= options_.max_pending_requests ||
      pending_bytes_ + insert.bytes > options_.max_pending_bytes) {
    // The items that went in stay in (as after a timeout); the reply says how many.
    RefuseOverloaded(*envelope, request_id, static_cast<uint32_t>(insert.next));
    return;
  }
  ++pending_requests_;
  pending_bytes_ += insert.bytes;
  insert.envelope = std::move(*envelope);
  t->pending_inserts.push_back(std::move(insert));
  Progress();
}

void ShardServer::HandleSample(HostedTable* t, Envelope* envelope, const DecodedRequest& request) {
  const uint64_t request_id = request.request_id;
  Table& table = t->table;
  ++live_.sample_requests;
  const int64_t batch_size = request.batch_size;
  // With max_times_sampled a batch needs that many distinct items, so more than max_size can
  // never be served; sampling with replacement has no such bound.
  const int64_t max_batch =
      table.options().max_times_sampled > 0 ? table.max_size() : kMaxBatchWithReplacement;
  if (batch_size <= 0 || batch_size > max_batch) {
    SendError(*envelope, request_id, kBadRequest,
              "batch size " + std::to_string(batch_size) + " is not in [1, " +
                  (table.options().max_times_sampled > 0 ? "max_size " : "") +
                  std::to_string(max_batch) + "]");
    return;
  }
  if (request.has_global_counts) {
    try {
      table.rate_limiter().SetExternalCounts(request.global, request.own_inserts_included,
                                             request.own_samples_included);
    } catch (const std::invalid_argument& e) {
      SendError(*envelope, request_id, kBadRequest, e.what());
      return;
    }
  }
  // Behind earlier pending samples, so that requests are served in arrival order.
  if (t->pending_samples.empty() && ServeSample(t, *envelope, request_id, batch_size)) {
    Progress();  // pending inserts may now fit
    return;
  }
  if (request.timeout_ms == 0 && t->pending_samples.empty()) {
    ++live_.timeouts;
    ++t->timeouts;
    SendError(*envelope, request_id, kTimeout, SampleWaitReason(*t, batch_size));
    return;
  }
  if (pending_requests_ >= options_.max_pending_requests) {
    RefuseOverloaded(*envelope, request_id);
    return;
  }
  ++pending_requests_;
  PendingSample sample;
  sample.envelope = std::move(*envelope);
  sample.request_id = request_id;
  sample.batch_size = batch_size;
  sample.deadline = SteadyClock::now() + std::chrono::milliseconds(request.timeout_ms);
  t->pending_samples.push_back(std::move(sample));
  Progress();
}

bool ShardServer::AdvanceInsert(HostedTable* t, PendingInsert* insert) {
  Table& table = t->table;
  while (insert->next < insert->items.size() && table.CanInsert(1)) {
    const double priority = insert->priorities.empty() ? 1.0 : insert->priorities[insert->next];
    table.Insert(std::move(insert->items[insert->next]), priority);
    ++insert->next;
  }
  return insert->next == insert->items.size();
}

void ShardServer::Progress() {
  bool progress = true;
  while (progress) {
    progress = false;
    for (auto& t : tables_) {
      const bool inserted = ProgressInserts(t.get());
      const bool sampled = ProgressSamples(t.get());
      progress = progress || inserted || sampled;
    }
  }
}

bool ShardServer::ProgressInserts(HostedTable* t) {
  bool progress = false;
  while (!t->pending_inserts.empty()) {
    PendingInsert& front = t->pending_inserts.front();
    const size_t before = front.next;
    const bool done = AdvanceInsert(t, &front);
    progress = progress || front.next != before;
    if (!done) break;
    SendAck(*t, front.envelope, front.request_id, static_cast<uint32_t>(front.items.size()));
    --pending_requests_;
    pending_bytes_ -= front.bytes;
    t->pending_inserts.pop_front();
    progress = true;
  }
  return progress;
}

bool ShardServer::ProgressSamples(HostedTable* t) {
  bool progress = false;
  while (!t->pending_samples.empty()) {
    PendingSample& front = t->pending_samples.front();
    if (!ServeSample(t, front.envelope, front.request_id, front.batch_size)) break;
    --pending_requests_;
    t->pending_samples.pop_front();
    progress = true;
  }
  return progress;
}

void ShardServer::Expire(SteadyClock::time_point now) {
  for (auto& t : tables_) {
    for (auto it = t->pending_samples.begin(); it != t->pending_samples.end();) {
      if (it->deadline > now) {
        ++it;
        continue;
      }
      ++live_.timeouts;
      ++t->timeouts;
      SendError(it->envelope, it->request_id, kTimeout,
                SampleWaitReason(*t, it->batch_size) + ", until the request timed out");
      --pending_requests_;
      it = t->pending_samples.erase(it);
    }
    for (auto it = t->pending_inserts.begin(); it != t->pending_inserts.end();) {
      if (!it->has_deadline || it->deadline > now) {
        ++it;
        continue;
      }
      ++live_.timeouts;
      ++t->timeouts;
      SendError(it->envelope, it->request_id, kTimeout,
                "table '" + t->table.name() + "': the rate limiter let " +
                    std::to_string(it->next) + " of " + std::to_string(it->items.size()) +
                    " items in before the insert timed out",
                static_cast<uint32_t>(it->next));
      --pending_requests_;
      pending_bytes_ -= it->bytes;
      it = t->pending_inserts.erase(it);
    }
  }
}

std::string ShardServer::SampleWaitReason(const HostedTable& t, int64_t batch_size) const {
  const Table& table = t.table;
  const int64_t needed = table.options().max_times_sampled > 0 ? batch_size : 1;
  if (table.size() < needed) {
    return "table '" + table.name() + "' holds " + std::to_string(table.size()) +
           " items, fewer than the batch size " + std::to_string(batch_size);
  }
  const RateLimiter& limiter = table.rate_limiter();
  return "table '" + table.name() + "': the rate limiter holds back a batch of " +
         std::to_string(batch_size) + " (size " + std::to_string(table.size()) + ", inserts " +
         std::to_string(limiter.inserts_for_ratio()) + ", samples " +
         std::to_string(limiter.samples_for_ratio()) + ")";
}

bool ShardServer::CanServeSample(const HostedTable& t, int64_t batch_size) const {
  const Table& table = t.table;
  if (!table.CanSample(batch_size)) return false;
  // With max_times_sampled, a draw may remove its item: batch_size items guarantee a full
  // batch. Otherwise (sampling with replacement) one item is enough.
  const int64_t needed = table.options().max_times_sampled > 0 ? batch_size : 1;
  return table.size() >= needed;
}

bool ShardServer::ServeSample(HostedTable* t, const Envelope& envelope, uint64_t request_id,
                              int64_t batch_size) {
  if (!CanServeSample(*t, batch_size)) return false;
  Table& table = t->table;
  sampled_.clear();
  table.Sample(batch_size, rng_, &sampled_);
  const unsigned int n = static_cast<unsigned int>(sampled_.size());
  item_sizes_.clear();
  for (const SampledItem& item : sampled_) item_sizes_.push_back(item.bytes->size());
  // Items, then five lists of one word (or less) per item, then the structs' few words.
  const size_t words = DataListWords(item_sizes_) + 5 * size_t{n} + 64;
  zmq::message_t message = BuildZmqMessage(words, [&](capnp::MessageBuilder& builder) {
    auto response = builder.initRoot<wire::Response>();
    response.setProtocolVersion(kProtocolVersion);
    response.setRequestId(request_id);
    auto reply = response.initSample();
    auto items = reply.initItems(n);
    auto keys = reply.initKeys(n);
    auto probabilities = reply.initProbabilities(n);
    auto weights = reply.initImportanceWeights(n);
    auto times = reply.initTimesSampled(n);
    auto sizes = reply.initTableSizes(n);
    for (unsigned int i = 0; i < n; ++i) {
      const SampledItem& s = sampled_[i];
      items.set(i, capnp::Data::Reader(reinterpret_cast<const kj::byte*>(s.bytes->data()),
                                       s.bytes->size()));
      keys.set(i, s.key);
      probabilities.set(i, s.probability);
      weights.set(i, s.importance_weight);
      times.set(i, static_cast<uint32_t>(s.times_sampled));
      sizes.set(i, s.table_size);
    }
    reply.setPriorityMass(table.priority_mass());
    reply.setTableSize(table.size());
    reply.setImportanceExponent(table.options().importance_exponent);
    replay_internal::FillRateLimiter(table.rate_limiter().state(), reply.initRateLimiter());
  });
  sampled_.clear();  // drop the references before sending
  if (static_cast<int64_t>(message.size()) > options_.max_message_bytes) {
    ++live_.oversized_replies;
    SendError(envelope, request_id, kTooLarge,
              "a sample of " + std::to_string(n) + " items is " + std::to_string(message.size()) +
                  " bytes, above max_message_bytes " + std::to_string(options_.max_message_bytes) +
                  ": sample fewer items at a time");
    return true;
  }
  // The counters in the reply's wake must already say these items are gone.
  Publish();
  SendReply(envelope, std::move(message));
  return true;
}

void ShardServer::SendAck(const HostedTable& t, const Envelope& envelope, uint64_t request_id,
                          uint32_t count) {
  capnp::MallocMessageBuilder builder(64);
  auto response = builder.initRoot<wire::Response>();
  response.setProtocolVersion(kProtocolVersion);
  response.setRequestId(request_id);
  auto ack = response.initInsertAck();
  ack.setCount(count);
  replay_internal::FillRateLimiter(t.table.rate_limiter().state(), ack.initRateLimiter());
  Publish();
  SendReply(envelope, ToZmqMessage(builder));
}

void ShardServer::RefuseOverloaded(const Envelope& envelope, uint64_t request_id,
                                   uint32_t accepted_items) {
  ++live_.overloaded;
  if (ShouldLogCount(live_.overloaded)) {
    RLF_LOG(Warning) << "replay shard " << endpoint_ << ": " << pending_requests_ << " requests ("
                     << pending_bytes_ << " item bytes) wait; refusing another"
                     << " (overloaded #" << live_.overloaded << ")";
  }
  SendError(envelope, request_id, kOverloaded,
            std::to_string(pending_requests_) + " requests with " + std::to_string(pending_bytes_) +
                " item bytes already wait (max_pending_requests " +
                std::to_string(options_.max_pending_requests) + ", max_pending_bytes " +
                std::to_string(options_.max_pending_bytes) + "): retry later",
            accepted_items);
}

void ShardServer::SendError(const Envelope& envelope, uint64_t request_id, int code,
                            const std::string& message, uint32_t accepted_items) {
  ++live_.errors;
  capnp::MallocMessageBuilder builder(64 + message.size() / 8);
  auto response = builder.initRoot<wire::Response>();
  response.setProtocolVersion(kProtocolVersion);
  response.setRequestId(request_id);
  auto error = response.initError();
  error.setCode(static_cast<wire::ErrorCode>(code));
  error.setMessage(message);
  error.setAcceptedItems(accepted_items);
  Publish();
  SendReply(envelope, ToZmqMessage(builder));
}

bool ShardServer::SendReply(const Envelope& envelope, zmq::message_t&& reply) {
  try {
    for (size_t i = 0; i < envelope.size(); ++i) {
      zmq::message_t frame;
      frame.copy(const_cast<zmq::message_t&>(envelope[i]));
      if (!socket_.send(frame, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        throw zmq::error_t();  // EAGAIN: the peer's queue is full
      }
    }
    if (socket_.send(reply, zmq::send_flags::dontwait)) return true;
  } catch (const zmq::error_t& e) {
    ++live_.dropped_replies;
    if (ShouldLogCount(live_.dropped_replies)) {
      RLF_LOG(Warning) << "replay shard " << endpoint_ << ": cannot deliver a reply (" << e.what()
                       << "; dropped #" << live_.dropped_replies << ")";
    }
    Publish();
    return false;
  }
  ++live_.dropped_replies;
  Publish();
  return false;
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

std::string ShardServer::CheckpointPath(const std::string& table) const {
  return options_.checkpoint_dir + "/" + table + ".rlftable";
}

void ShardServer::BeginSnapshots() {
  for (const auto& t : tables_) t->table.BeginSnapshot();
  ++next_job_;
  ++jobs_in_flight_;
  copying_ = true;
}

void ShardServer::ContinueSnapshots() {
  for (const auto& t : tables_) {
    if (!t->table.ContinueSnapshot(options_.snapshot_chunk_items)) return;  // next iteration
  }
  CheckpointJob job;
  job.id = next_job_ - 1;
  job.snapshots.reserve(tables_.size());  // may throw: then nothing has changed
  for (const auto& t : tables_) job.snapshots.push_back(t->table.TakeSnapshot());
  copying_ = false;
  try {
    std::lock_guard<std::mutex> lock(writer_mutex_);
    jobs_.push_back(std::move(job));
  } catch (const std::exception& e) {
    FinishJob({job.id, std::string("cannot queue the snapshot: ") + e.what()});
  }
  writer_cv_.notify_all();
}

void ShardServer::CollectCheckpointResults() {
  std::deque<CheckpointResult> results;
  {
    std::lock_guard<std::mutex> lock(writer_mutex_);
    results.swap(results_);
  }
  for (const CheckpointResult& result : results) FinishJob(result);
}

void ShardServer::FinishJob(const CheckpointResult& result) {
  --jobs_in_flight_;
  if (result.error.empty()) {
    ++live_.checkpoints;
    live_.last_checkpoint_path = options_.checkpoint_dir;
  } else {
    ++live_.checkpoint_failures;
    RLF_LOG(Warning) << "replay shard " << endpoint_ << ": checkpoint failed: " << result.error;
  }
  for (auto it = checkpoint_waiters_.begin(); it != checkpoint_waiters_.end();) {
    if (it->job != result.id) {
      ++it;
      continue;
    }
    if (result.error.empty()) {
      capnp::MallocMessageBuilder builder(64);
      auto response = builder.initRoot<wire::Response>();
      response.setProtocolVersion(kProtocolVersion);
      response.setRequestId(it->request_id);
      auto reply = response.initCheckpoint();
      reply.setPath(options_.checkpoint_dir);
      reply.setTables(static_cast<uint32_t>(tables_.size()));
      Publish();
      SendReply(it->envelope, ToZmqMessage(builder));
    } else {
      SendError(it->envelope, it->request_id, kBadRequest, "checkpoint failed: " + result.error);
    }
    --pending_requests_;
    it = checkpoint_waiters_.erase(it);
  }
}

void ShardServer::WriterLoop() {
  while (true) {
    CheckpointJob job;
    {
      std::unique_lock<std::mutex> lock(writer_mutex_);
      writer_cv_.wait(lock, [this] { return writer_stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, nothing left to write
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    CheckpointResult result;
    result.id = job.id;
    try {
      for (const TableSnapshot& snapshot : job.snapshots) {
        WriteSnapshot(snapshot, CheckpointPath(snapshot.options.name));
      }
    } catch (const std::exception& e) {
      result.error = e.what();
    }
    job.snapshots.clear();  // release the item references outside the lock
    std::lock_guard<std::mutex> lock(writer_mutex_);
    results_.push_back(std::move(result));
  }
}

}  // namespace rlfleet
