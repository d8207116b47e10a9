#include "replay/replay_client.h"

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

using replay_internal::ErrorCodeName;
using replay_internal::kMaxSliceMs;
using replay_internal::ReceivedMessage;
using replay_internal::ToZmqMessage;

SocketOptions DealerOptions(int64_t max_message_bytes) {
  SocketOptions socket;
  socket.max_message_bytes = max_message_bytes;
  socket.linger_ms = 0;
  // Only queue requests on a live connection: a missing shard shows up as a send that cannot
  // proceed (and so as a timeout) rather than as requests piling up.
  socket.immediate = true;
  return socket;
}

// Sends `message` without blocking; false when the socket cannot take it now.
bool TrySendMessage(zmq::socket_t& socket, zmq::message_t* message) {
  return socket.send(*message, zmq::send_flags::dontwait).has_value();
}

std::string ErrorText(const std::string& endpoint, wire::Error::Reader error) {
  return "replay shard " + endpoint + ": " + ErrorCodeName(error.getCode()) + ": " +
         error.getMessage().cStr();
}

// Reads the reply's header; throws ReplayError when it is not a usable Response.
wire::Response::Reader ResponseOf(ReceivedMessage& received, const std::string& endpoint) {
  auto response = received.reader->Root<wire::Response>();
  if (response.getProtocolVersion() != kProtocolVersion) {
    throw ReplayError("replay shard " + endpoint + " speaks protocol version " +
                      std::to_string(response.getProtocolVersion()) + ", this client " +
                      std::to_string(kProtocolVersion));
  }
  return response;
}

int64_t MillisecondsSince(const Stopwatch& watch) { return watch.Microseconds() / 1000; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// InsertClient

void InsertClientOptions::Validate() const {
  if (endpoint.empty()) throw std::invalid_argument("InsertClientOptions: endpoint is empty");
  if (table.empty()) throw std::invalid_argument("InsertClientOptions: table is empty");
  if (max_inflight <= 0) {
    throw std::invalid_argument("InsertClientOptions: max_inflight must be positive, got " +
                                std::to_string(max_inflight));
  }
  if (timeout_ms <= 0) {
    throw std::invalid_argument("InsertClientOptions: timeout_ms must be positive, got " +
                                std::to_string(timeout_ms));
  }
  if (max_message_bytes < 1024) {
    throw std::invalid_argument("InsertClientOptions: max_message_bytes must be >= 1024");
  }
}

namespace {

InsertClientOptions Validated(const InsertClientOptions& options) {
  options.Validate();
  return options;
}

}  // namespace

InsertClient::InsertClient(const InsertClientOptions& options, const std::atomic<bool>* stop)
    : options_(Validated(options)),
      stop_(stop),
      socket_(ConnectSocket(zmq::socket_type::dealer, options_.endpoint,
                            DealerOptions(options_.max_message_bytes))) {}

InsertClient::~InsertClient() = default;

void InsertClient::Insert(const std::vector<std::string>& items) {
  // Build the request first: a request that is too large fails without waiting.
  size_t bytes = 0;
  for (const std::string& item : items) bytes += item.size();
  capnp::MallocMessageBuilder builder(FirstSegmentWordsFor(bytes + 16 * items.size()));
  auto request = builder.initRoot<wire::Request>();
  request.setProtocolVersion(kProtocolVersion);
  const uint64_t id = next_request_id_++;
  request.setRequestId(id);
  auto insert = request.initInsert();
  insert.setTable(options_.table);
  auto list = insert.initItems(static_cast<unsigned int>(items.size()));
  for (size_t i = 0; i < items.size(); ++i) {
    list.set(
        static_cast<unsigned int>(i),
        capnp::Data::Reader(reinterpret_cast<const kj::byte*>(items[i].data()), items[i].size()));
  }
  zmq::message_t message = ToZmqMessage(builder);
  if (static_cast<int64_t>(message.size()) > options_.max_message_bytes) {
    throw ReplayError("insert request of " + std::to_string(message.size()) +
                      " bytes exceeds max_message_bytes " +
                      std::to_string(options_.max_message_bytes));
  }

  // Take one credit, then send (waiting only if the shard is unreachable or saturated).
  WaitForInflightBelow(options_.max_inflight);
  Stopwatch since_progress;
  while (!TrySendMessage(socket_, &message)) {
    if (stop_ != nullptr && stop_->load()) {
      throw StoppedError("insert to " + options_.endpoint + " stopped");
    }
    const int64_t left = options_.timeout_ms - MillisecondsSince(since_progress);
    if (left <= 0) {
      throw TimeoutError("cannot send an insert to replay shard " + options_.endpoint + " for " +
                         std::to_string(options_.timeout_ms) +
                         " ms (no connection; is the shard running?)");
    }
    PollOut(socket_, std::min(left, kMaxSliceMs));
    if (ReceiveAvailable() > 0) since_progress.Reset();
  }
  inflight_.insert(id);
}

void InsertClient::Flush() { WaitForInflightBelow(1); }

void InsertClient::Poll(int64_t timeout_ms) {
  Stopwatch watch;
  ReceiveAvailable();
  while (true) {
    const int64_t left = timeout_ms - MillisecondsSince(watch);
    if (left <= 0) return;
    if (stop_ != nullptr && stop_->load()) return;
    if (PollIn(socket_, std::min(left, kMaxSliceMs))) ReceiveAvailable();
  }
}

void InsertClient::WaitForInflightBelow(int64_t limit) {
  ReceiveAvailable();
  Stopwatch since_progress;
  while (inflight() >= limit) {
    if (stop_ != nullptr && stop_->load()) {
      throw StoppedError("insert to " + options_.endpoint + " stopped with " +
                         std::to_string(inflight()) + " requests unacked");
    }
    const int64_t left = options_.timeout_ms - MillisecondsSince(since_progress);
    if (left <= 0) {
      throw TimeoutError("no insert ack from replay shard " + options_.endpoint + " for " +
                         std::to_string(options_.timeout_ms) + " ms (" +
                         std::to_string(inflight()) + " requests unacked)");
    }
    if (PollIn(socket_, std::min(left, kMaxSliceMs)) && ReceiveAvailable() > 0) {
      since_progress.Reset();
    }
  }
}

int InsertClient::ReceiveAvailable() {
  int handled = 0;
  while (true) {
    zmq::message_t message;
    if (!socket_.recv(message, zmq::recv_flags::dontwait)) return handled;
    ++handled;
    try {
      ReceivedMessage received(std::move(message));
      auto response = ResponseOf(received, options_.endpoint);
      const uint64_t id = response.getRequestId();
      const bool known = inflight_.erase(id) > 0;
      switch (response.which()) {
        case wire::Response::INSERT_ACK:
          if (known) acked_items_ += response.getInsertAck().getCount();
          break;
        case wire::Response::ERROR:
          throw ReplayError(ErrorText(options_.endpoint, response.getError()));
        default:
          break;  // not an answer to an insert: ignore
      }
    } catch (const DecodeError& e) {
      throw ReplayError("undecodable reply from replay shard " + options_.endpoint + ": " +
                        e.what());
    } catch (const kj::Exception& e) {
      throw ReplayError("undecodable reply from replay shard " + options_.endpoint + ": " +
                        CapnpReader::KjDecodeError(e).what());
    }
  }
}

// ---------------------------------------------------------------------------------------------
// SampledBatch

std::string SampledBatch::ItemString(size_t i) const {
  const Item it = item(i);
  return std::string(reinterpret_cast<const char*>(it.data), it.size);
}

void SampledBatch::Clear() {
  items_.clear();
  owners_.clear();
}

// ---------------------------------------------------------------------------------------------
// SampleClient

void SampleClientOptions::Validate() const {
  if (endpoints.empty()) throw std::invalid_argument("SampleClientOptions: no endpoints");
  for (const std::string& e : endpoints) {
    if (e.empty()) throw std::invalid_argument("SampleClientOptions: an endpoint is empty");
  }
  if (table.empty()) throw std::invalid_argument("SampleClientOptions: table is empty");
  if (prefetch <= 0) {
    throw std::invalid_argument("SampleClientOptions: prefetch must be positive, got " +
                                std::to_string(prefetch));
  }
  if (request_timeout_ms <= 0 || request_timeout_ms > 0xFFFFFFFFLL) {
    throw std::invalid_argument(
        "SampleClientOptions: request_timeout_ms must be in "
        "[1, 2^32), got " +
        std::to_string(request_timeout_ms));
  }
  if (max_message_bytes < 1024) {
    throw std::invalid_argument("SampleClientOptions: max_message_bytes must be >= 1024");
  }
}

SampleClient::SampleClient(const SampleClientOptions& options, const std::atomic<bool>* stop)
    : options_(options), stop_(stop) {
  options_.Validate();
  for (const std::string& endpoint : options_.endpoints) {
    auto shard = std::make_unique<Shard>();
    shard->endpoint = endpoint;
    shard->socket = ConnectSocket(zmq::socket_type::dealer, endpoint,
                                  DealerOptions(options_.max_message_bytes));
    shards_.push_back(std::move(shard));
  }
}

SampleClient::~SampleClient() = default;

int64_t SampleClient::inflight_requests() const {
  int64_t total = 0;
  for (const auto& shard : shards_) total += shard->inflight_samples;
  return total;
}

void SampleClient::CheckStop(const char* what) const {
  if (stop_ != nullptr && stop_->load()) throw StoppedError(std::string(what) + " stopped");
}

bool SampleClient::Sample(int32_t batch_size, int64_t timeout_ms, SampledBatch* out) {
  if (batch_size <= 0) {
    throw std::invalid_argument("SampleClient::Sample: batch_size must be positive, got " +
                                std::to_string(batch_size));
  }
  out->Clear();
  Stopwatch watch;
  ReceiveAvailable();
  while (static_cast<int64_t>(buffer_.size()) < batch_size) {
    CheckStop("sampling");
    ExpireLostRequests();
    TopUp(batch_size);
    const int64_t left = timeout_ms - MillisecondsSince(watch);
    if (left <= 0) return false;
    WaitAndReceive(std::min(left, kMaxSliceMs));
  }
  // Hand out the oldest items; keep one reference per distinct message.
  out->items_.reserve(batch_size);
  for (int32_t i = 0; i < batch_size; ++i) {
    BufferedItem& item = buffer_.front();
    out->items_.push_back(item.view);
    if (out->owners_.empty() || out->owners_.back() != item.owner) {
      out->owners_.push_back(std::move(item.owner));
    }
    buffer_.pop_front();
  }
  TopUp(batch_size);
  return true;
}

void SampleClient::TopUp(int32_t batch_size) {
  const int64_t budget =
      static_cast<int64_t>(options_.prefetch) * static_cast<int64_t>(shards_.size()) * batch_size;
  // Each shard is offered at most `prefetch` requests, starting after the last one used.
  for (size_t tried = 0; tried < shards_.size(); ++tried) {
    if (static_cast<int64_t>(buffer_.size()) + inflight_items_ >= budget) return;
    const size_t index = (next_shard_ + tried) % shards_.size();
    Shard& shard = *shards_[index];
    if (shard.inflight_samples >= options_.prefetch) continue;

    capnp::MallocMessageBuilder builder(64);
    auto request = builder.initRoot<wire::Request>();
    request.setProtocolVersion(kProtocolVersion);
    const uint64_t id = next_request_id_++;
    request.setRequestId(id);
    auto sample = request.initSample();
    sample.setTable(options_.table);
    sample.setBatchSize(static_cast<uint32_t>(batch_size));
    sample.setTimeoutMs(static_cast<uint32_t>(options_.request_timeout_ms));
    zmq::message_t message = ToZmqMessage(builder);
    if (!TrySend(&shard, &message)) continue;

    Request& pending = shard.requests[id];
    pending.batch_size = batch_size;
    // A reply later than the shard's own timeout plus a generous margin is presumed lost.
    pending.expires =
        SteadyClock::now() + std::chrono::milliseconds(2 * options_.request_timeout_ms + 1000);
    ++shard.inflight_samples;
    inflight_items_ += batch_size;
    next_shard_ = (index + 1) % shards_.size();
    tried = static_cast<size_t>(-1);  // start over from the next shard
  }
}

bool SampleClient::TrySend(Shard* shard, zmq::message_t* message) {
  const bool sent = TrySendMessage(shard->socket, message);
  shard->send_blocked = !sent;
  return sent;
}

void SampleClient::WaitAndReceive(int64_t timeout_ms) {
  std::vector<zmq::pollitem_t> items;
  items.reserve(shards_.size());
  for (const auto& shard : shards_) {
    // Also wake when a shard that could not take a request (not yet connected) can.
    const short events = shard->send_blocked ? (ZMQ_POLLIN | ZMQ_POLLOUT) : ZMQ_POLLIN;
    items.push_back(zmq::pollitem_t{shard->socket.handle(), 0, events, 0});
  }
  PollItems(items.data(), items.size(), timeout_ms);
  ReceiveAvailable();
}

void SampleClient::ReceiveAvailable() {
  for (auto& shard : shards_) {
    while (true) {
      zmq::message_t message;
      if (!shard->socket.recv(message, zmq::recv_flags::dontwait)) break;
      HandleReply(shard.get(), std::move(message));
    }
  }
}

void SampleClient::HandleReply(Shard* shard, zmq::message_t&& message) {
  std::string error;
  try {
    auto received = std::make_shared<ReceivedMessage>(std::move(message));
    auto response = ResponseOf(*received, shard->endpoint);
    const uint64_t id = response.getRequestId();
    auto request = shard->requests.find(id);
    if (request != shard->requests.end()) {
      --shard->inflight_samples;
      inflight_items_ -= request->second.batch_size;
      shard->requests.erase(request);
    }
    switch (response.which()) {
      case wire::Response::SAMPLE:
        // Also when the request was presumed lost: the shard has handed these items out.
        for (capnp::Data::Reader item : response.getSample().getItems()) {
          buffer_.push_back(BufferedItem{SampledBatch::Item{item.begin(), item.size()},
                                         std::shared_ptr<const void>(received)});
        }
        break;
      case wire::Response::INFO:
        if (info_requests_.erase(id) > 0) {
          info_replies_[id] = replay_internal::StatsFromInfo(response.getInfo());
        }
        break;
      case wire::Response::ERROR: {
        auto e = response.getError();
        if (info_requests_.erase(id) > 0) {
          info_errors_[id] = ErrorText(shard->endpoint, e);
        } else if (e.getCode() != wire::ErrorCode::TIMEOUT) {
          error = ErrorText(shard->endpoint, e);
        }
        break;
      }
      default:
        break;
    }
  } catch (const DecodeError& e) {
    error = "undecodable reply from replay shard " + shard->endpoint + ": " + e.what();
  } catch (const kj::Exception& e) {
    error = "undecodable reply from replay shard " + shard->endpoint + ": " +
            CapnpReader::KjDecodeError(e).what();
  }
  if (!error.empty()) throw ReplayError(error);
}

void SampleClient::ExpireLostRequests() {
  const auto now = SteadyClock::now();
  for (auto& shard : shards_) {
    for (auto it = shard->requests.begin(); it != shard->requests.end();) {
      if (it->second.expires > now) {
        ++it;
        continue;
      }
      RLF_LOG(Warning) << "replay shard " << shard->endpoint << " did not answer sample request "
                       << it->first << "; presuming it lost";
      --shard->inflight_samples;
      inflight_items_ -= it->second.batch_size;
      it = shard->requests.erase(it);
    }
  }
}

ShardStats SampleClient::Info(size_t index, int64_t timeout_ms) {
  if (index >= shards_.size()) {
    throw std::out_of_range("SampleClient::Info: no shard " + std::to_string(index));
  }
  Shard& shard = *shards_[index];
  capnp::MallocMessageBuilder builder(32);
  auto request = builder.initRoot<wire::Request>();
  request.setProtocolVersion(kProtocolVersion);
  const uint64_t id = next_request_id_++;
  request.setRequestId(id);
  request.initInfo();
  zmq::message_t message = ToZmqMessage(builder);

  Stopwatch watch;
  bool sent = false;
  while (true) {
    if (!sent) {
      sent = TrySend(&shard, &message);
      if (sent) info_requests_.insert(id);
    }
    auto reply = info_replies_.find(id);
    if (reply != info_replies_.end()) {
      ShardStats stats = std::move(reply->second);
      info_replies_.erase(reply);
      return stats;
    }
    auto error = info_errors_.find(id);
    if (error != info_errors_.end()) {
      const std::string text = error->second;
      info_errors_.erase(error);
      throw ReplayError(text);
    }
    if (stop_ != nullptr && stop_->load()) {
      info_requests_.erase(id);
      throw StoppedError("info request to " + shard.endpoint + " stopped");
    }
    const int64_t left = timeout_ms - MillisecondsSince(watch);
    if (left <= 0) {
      info_requests_.erase(id);
      throw TimeoutError("no info reply from replay shard " + shard.endpoint + " within " +
                         std::to_string(timeout_ms) + " ms");
    }
    WaitAndReceive(std::min(left, kMaxSliceMs));
  }
}

}  // namespace rlfleet
