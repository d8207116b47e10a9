#include "replay/shard_server.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "core/logging.h"
#include "replay/protocol.h"
#include "transport/codec.h"
#include "transport/socket.h"

namespace rlfleet {
namespace {

using replay_internal::kMaxSliceMs;
using replay_internal::ToZmqMessage;

// A ROUTER message is [identity, ..., payload]; more frames than this are not a request.
constexpr size_t kMaxFrames = 8;
// Messages handled per loop iteration before pending work is looked at again.
constexpr int kMaxMessagesPerIteration = 256;

// ZMQ_MAXMSGSIZE of the ROUTER: frames up to max_message_bytes are served, frames somewhat
// larger get a too_large reply, and ZeroMQ drops the connection of anything beyond.
int64_t HardFrameLimit(int64_t max_message_bytes) {
  return 2 * max_message_bytes + (int64_t{64} << 10);
}

// True for 1, 2, 4, 8, ...: logs the first occurrences of a recurring problem and then
// ever more rarely, so a peer sending garbage cannot flood the log.
bool ShouldLog(int64_t count) { return count > 0 && (count & (count - 1)) == 0; }

}  // namespace

void ShardServerOptions::Validate() const {
  if (endpoint.empty()) throw std::invalid_argument("ShardServerOptions: endpoint is empty");
  if (table.empty()) throw std::invalid_argument("ShardServerOptions: table is empty");
  if (max_size <= 0) {
    throw std::invalid_argument("ShardServerOptions: max_size must be positive, got " +
                                std::to_string(max_size));
  }
  if (max_message_bytes < 1024) {
    throw std::invalid_argument("ShardServerOptions: max_message_bytes must be >= 1024, got " +
                                std::to_string(max_message_bytes));
  }
}

namespace {

ShardServerOptions Validated(const ShardServerOptions& options) {
  options.Validate();
  return options;
}

QueueTableOptions TableOptions(const ShardServerOptions& options) {
  QueueTableOptions table;
  table.name = options.table;
  table.max_size = options.max_size;
  return table;
}

SocketOptions RouterOptions(const ShardServerOptions& options) {
  SocketOptions socket;
  socket.max_message_bytes = HardFrameLimit(options.max_message_bytes);
  socket.linger_ms = 0;
  socket.send_hwm = 1000;
  socket.recv_hwm = 1000;
  return socket;
}

}  // namespace

ShardServer::ShardServer(const ShardServerOptions& options)
    : options_(Validated(options)),
      socket_(MakeSocket(zmq::socket_type::router, RouterOptions(options_))),
      table_(TableOptions(options_)),
      last_tick_(SteadyClock::now()) {
  // Unroutable replies fail (EHOSTUNREACH) instead of vanishing, so their items can be
  // returned to the table.
  socket_.set(zmq::sockopt::router_mandatory, 1);
  Bind(socket_, options_.endpoint);
  endpoint_ = BoundEndpoint(socket_);
  live_.table = options_.table;
  live_.max_size = options_.max_size;
  Publish();
  RLF_LOG(Info) << "replay shard: table '" << options_.table << "' (max_size " << options_.max_size
                << ") on " << endpoint_;
}

ShardServer::~ShardServer() {
  socket_.close();
  RemoveIpcFile(endpoint_);
}

ShardStats ShardServer::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return published_;
}

void ShardServer::Publish() {
  live_.size = table_.size();
  live_.inserts = table_.inserted();
  live_.samples = table_.popped();
  live_.pending_inserts = static_cast<int64_t>(pending_inserts_.size());
  live_.pending_samples = static_cast<int64_t>(pending_samples_.size());
  std::lock_guard<std::mutex> lock(mutex_);
  published_ = live_;
}

void ShardServer::AccountTime(SteadyClock::time_point now) {
  const double dt = std::chrono::duration<double>(now - last_tick_).count();
  last_tick_ = now;
  if (!pending_inserts_.empty()) live_.insert_blocked_seconds += dt;
  if (!pending_samples_.empty()) live_.sample_blocked_seconds += dt;
}

void ShardServer::Run(const std::atomic<bool>& stop) {
  std::vector<zmq::message_t> frames;
  last_tick_ = SteadyClock::now();
  while (!stop.load(std::memory_order_relaxed)) {
    // Wait for a request, at most one slice or until the earliest pending sample expires.
    int64_t wait_ms = kMaxSliceMs;
    const auto now = SteadyClock::now();
    for (const PendingSample& p : pending_samples_) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(p.deadline - now).count() + 1;
      wait_ms = std::max<int64_t>(0, std::min<int64_t>(wait_ms, left));
    }
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
    Progress();
    ExpireSamples(SteadyClock::now());
    Publish();
  }
  Publish();
}

void ShardServer::HandleMessage(std::vector<zmq::message_t>* frames, bool truncated) {
  // The ROUTER prepends the sender identity, so a request has at least two frames.
  if (frames->size() < 2 || truncated) {
    ++live_.malformed;
    if (ShouldLog(live_.malformed)) {
      RLF_LOG(Warning) << "replay shard " << endpoint_ << ": request with " << frames->size()
                       << (truncated ? "+" : "") << " frames (malformed #" << live_.malformed
                       << ")";
    }
    Envelope envelope;
    envelope.push_back(std::move(frames->front()));
    SendError(envelope, 0, static_cast<int>(wire::ErrorCode::MALFORMED),
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
    SendError(*frames, 0, static_cast<int>(wire::ErrorCode::MALFORMED), e.what());
  }
}

void ShardServer::HandleRequest(Envelope* envelope, const zmq::message_t& payload) {
  // Size first: nothing larger than the limit is decoded.
  if (static_cast<int64_t>(payload.size()) > options_.max_message_bytes) {
    ++live_.too_large;
    if (ShouldLog(live_.too_large)) {
      RLF_LOG(Warning) << "replay shard " << endpoint_ << ": " << payload.size()
                       << "-byte request exceeds max_message_bytes (too_large #" << live_.too_large
                       << ")";
    }
    SendError(*envelope, 0, static_cast<int>(wire::ErrorCode::TOO_LARGE),
              "request of " + std::to_string(payload.size()) + " bytes exceeds max_message_bytes " +
                  std::to_string(options_.max_message_bytes));
    return;
  }

  // Decode everything needed from the request before changing any state.
  uint64_t request_id = 0;
  wire::Request::Which which = wire::Request::INFO;
  std::string table;
  std::deque<std::string> items;
  int64_t batch_size = 0;
  int64_t timeout_ms = 0;
  try {
    CapnpReader reader(payload.data(), payload.size());
    auto request = reader.Root<wire::Request>();
    request_id = request.getRequestId();
    const uint32_t version = request.getProtocolVersion();
    if (version != kProtocolVersion) {
      ++live_.wrong_version;
      if (ShouldLog(live_.wrong_version)) {
        RLF_LOG(Warning) << "replay shard " << endpoint_ << ": request with protocol version "
                         << version << " (wrong_version #" << live_.wrong_version << ")";
      }
      SendError(*envelope, request_id, static_cast<int>(wire::ErrorCode::WRONG_VERSION),
                "wrong protocol version " + std::to_string(version) + " (this shard speaks " +
                    std::to_string(kProtocolVersion) + ")");
      return;
    }
    which = request.which();
    if (which == wire::Request::INSERT) {
      auto insert = request.getInsert();
      table = insert.getTable().cStr();
      for (capnp::Data::Reader item : insert.getItems()) {
        items.emplace_back(reinterpret_cast<const char*>(item.begin()), item.size());
      }
    } else if (which == wire::Request::SAMPLE) {
      auto sample = request.getSample();
      table = sample.getTable().cStr();
      batch_size = sample.getBatchSize();
      timeout_ms = sample.getTimeoutMs();
    }
  } catch (const DecodeError& e) {
    ++live_.malformed;
    if (ShouldLog(live_.malformed)) {
      RLF_LOG(Warning) << "replay shard " << endpoint_ << ": undecodable request of "
                       << payload.size() << " bytes: " << e.what() << " (malformed #"
                       << live_.malformed << ")";
    }
    SendError(*envelope, request_id, static_cast<int>(wire::ErrorCode::MALFORMED), e.what());
    return;
  } catch (const kj::Exception& e) {
    ++live_.malformed;
    const std::string what = CapnpReader::KjDecodeError(e).what();
    if (ShouldLog(live_.malformed)) {
      RLF_LOG(Warning) << "replay shard " << endpoint_ << ": undecodable request: " << what
                       << " (malformed #" << live_.malformed << ")";
    }
    SendError(*envelope, request_id, static_cast<int>(wire::ErrorCode::MALFORMED), what);
    return;
  }

  if (which == wire::Request::INFO) {
    Publish();
    capnp::MallocMessageBuilder builder;
    auto response = builder.initRoot<wire::Response>();
    response.setProtocolVersion(kProtocolVersion);
    response.setRequestId(request_id);
    replay_internal::FillInfo(live_, response.initInfo());
    SendReply(*envelope, ToZmqMessage(builder));
    return;
  }
  if (which != wire::Request::INSERT && which != wire::Request::SAMPLE) {
    SendError(*envelope, request_id, static_cast<int>(wire::ErrorCode::BAD_REQUEST),
              "unknown request kind " + std::to_string(static_cast<int>(which)));
    return;
  }
  if (table != options_.table) {
    SendError(*envelope, request_id, static_cast<int>(wire::ErrorCode::UNKNOWN_TABLE),
              "no table '" + table + "' on this shard (it serves '" + options_.table + "')");
    return;
  }

  if (which == wire::Request::INSERT) {
    ++live_.insert_requests;
    PendingInsert insert;
    insert.request_id = request_id;
    insert.count = static_cast<uint32_t>(items.size());
    insert.items = std::move(items);
    // Behind earlier pending inserts, so that items keep their arrival order.
    if (pending_inserts_.empty()) {
      while (!insert.items.empty() && table_.TryInsert(std::move(insert.items.front()))) {
        insert.items.pop_front();
      }
      if (insert.items.empty()) {
        SendAck(*envelope, request_id, insert.count);
        return;
      }
    }
    insert.envelope = std::move(*envelope);
    pending_inserts_.push_back(std::move(insert));
    return;
  }

  ++live_.sample_requests;
  if (batch_size <= 0 || batch_size > table_.max_size()) {
    SendError(*envelope, request_id, static_cast<int>(wire::ErrorCode::BAD_REQUEST),
              "batch size " + std::to_string(batch_size) + " is not in [1, max_size " +
                  std::to_string(table_.max_size()) + "]");
    return;
  }
  // Behind earlier pending samples, so that requests are served in arrival order.
  if (pending_samples_.empty() && ServeSample(*envelope, request_id, batch_size)) return;
  if (timeout_ms == 0 && pending_samples_.empty()) {
    ++live_.timeouts;
    SendError(*envelope, request_id, static_cast<int>(wire::ErrorCode::TIMEOUT),
              "table '" + options_.table + "' holds " + std::to_string(table_.size()) +
                  " items, fewer than the batch size " + std::to_string(batch_size));
    return;
  }
  PendingSample sample;
  sample.envelope = std::move(*envelope);
  sample.request_id = request_id;
  sample.batch_size = batch_size;
  sample.deadline = SteadyClock::now() + std::chrono::milliseconds(timeout_ms);
  pending_samples_.push_back(std::move(sample));
}

void ShardServer::Progress() {
  bool progress = true;
  while (progress) {
    const bool inserted = ProgressInserts();
    const bool sampled = ProgressSamples();
    progress = inserted || sampled;
  }
}

bool ShardServer::ProgressInserts() {
  bool progress = false;
  while (!pending_inserts_.empty()) {
    PendingInsert& front = pending_inserts_.front();
    while (!front.items.empty() && table_.TryInsert(std::move(front.items.front()))) {
      front.items.pop_front();
      progress = true;
    }
    if (!front.items.empty()) break;
    SendAck(front.envelope, front.request_id, front.count);
    pending_inserts_.pop_front();
    progress = true;
  }
  return progress;
}

bool ShardServer::ProgressSamples() {
  bool progress = false;
  while (!pending_samples_.empty()) {
    PendingSample& front = pending_samples_.front();
    if (!ServeSample(front.envelope, front.request_id, front.batch_size)) break;
    pending_samples_.pop_front();
    progress = true;
  }
  return progress;
}

void ShardServer::ExpireSamples(SteadyClock::time_point now) {
  for (auto it = pending_samples_.begin(); it != pending_samples_.end();) {
    if (it->deadline > now) {
      ++it;
      continue;
    }
    ++live_.timeouts;
    SendError(it->envelope, it->request_id, static_cast<int>(wire::ErrorCode::TIMEOUT),
              "table '" + options_.table + "' held " + std::to_string(table_.size()) +
                  " items, fewer than the batch size " + std::to_string(it->batch_size) +
                  ", until the request timed out");
    it = pending_samples_.erase(it);
  }
}

bool ShardServer::ServeSample(const Envelope& envelope, uint64_t request_id, int64_t batch_size) {
  std::vector<std::string> items;
  if (!table_.TryPop(batch_size, &items)) return false;
  size_t bytes = 0;
  for (const std::string& item : items) bytes += item.size();
  capnp::MallocMessageBuilder builder(FirstSegmentWordsFor(bytes + 16 * items.size()));
  auto response = builder.initRoot<wire::Response>();
  response.setProtocolVersion(kProtocolVersion);
  response.setRequestId(request_id);
  auto list = response.initSample().initItems(static_cast<unsigned int>(items.size()));
  for (size_t i = 0; i < items.size(); ++i) {
    list.set(
        static_cast<unsigned int>(i),
        capnp::Data::Reader(reinterpret_cast<const kj::byte*>(items[i].data()), items[i].size()));
  }
  zmq::message_t reply = ToZmqMessage(builder);
  // The counters in the reply's wake must already say these items are gone.
  Publish();
  if (!SendReply(envelope, std::move(reply))) {
    table_.ReturnToFront(std::move(items));
    Publish();
  }
  return true;
}

void ShardServer::SendAck(const Envelope& envelope, uint64_t request_id, uint32_t count) {
  capnp::MallocMessageBuilder builder(64);
  auto response = builder.initRoot<wire::Response>();
  response.setProtocolVersion(kProtocolVersion);
  response.setRequestId(request_id);
  response.initInsertAck().setCount(count);
  Publish();
  SendReply(envelope, ToZmqMessage(builder));
}

void ShardServer::SendError(const Envelope& envelope, uint64_t request_id, int code,
                            const std::string& message) {
  ++live_.errors;
  capnp::MallocMessageBuilder builder(64 + message.size() / 8);
  auto response = builder.initRoot<wire::Response>();
  response.setProtocolVersion(kProtocolVersion);
  response.setRequestId(request_id);
  auto error = response.initError();
  error.setCode(static_cast<wire::ErrorCode>(code));
  error.setMessage(message);
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
    if (ShouldLog(live_.dropped_replies)) {
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

}  // namespace rlfleet
