#include "replay/insert_client.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "core/logging.h"
#include "replay/client_common.h"
#include "replay/protocol.h"
#include "transport/codec.h"
#include "transport/socket.h"

namespace rlfleet {

using replay_internal::DealerOptions;
using replay_internal::ErrorCodeName;
using replay_internal::ErrorText;
using replay_internal::kMaxSliceMs;
using replay_internal::MillisecondsSince;
using replay_internal::ReceivedMessage;
using replay_internal::ResponseOf;
using replay_internal::ToZmqMessage;
using replay_internal::TrySendMessage;

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
  if (shard_timeout_ms < 0 || shard_timeout_ms > 0xFFFFFFFFLL) {
    throw std::invalid_argument("InsertClientOptions: shard_timeout_ms must be in [0, 2^32)");
  }
}

namespace {

InsertClientOptions Validated(const InsertClientOptions& options) {
  options.Validate();
  return options;
}

}  // namespace

InsertClient::InsertClient(const InsertClientOptions& options, const std::atomic<bool>* stop)
    : options_(Validated(options)), stop_(stop) {
  Connect();
}

void InsertClient::Connect() {
  monitor_.reset();
  socket_ = ConnectSocket(zmq::socket_type::dealer, options_.endpoint,
                          DealerOptions(options_.max_message_bytes));
  monitor_ = std::make_unique<DisconnectMonitor>(socket_);
}

InsertClient::~InsertClient() = default;

void InsertClient::Insert(const std::vector<std::string>& items) { Insert(items, {}); }

void InsertClient::Insert(const std::vector<std::string>& items,
                          const std::vector<double>& priorities) {
  if (!priorities.empty() && priorities.size() != items.size()) {
    throw std::invalid_argument("InsertClient::Insert: " + std::to_string(items.size()) +
                                " items but " + std::to_string(priorities.size()) + " priorities");
  }
  // Build the request first: a request that is too large fails without waiting.
  size_t bytes = 0;
  for (const std::string& item : items) bytes += item.size();
  capnp::MallocMessageBuilder builder(FirstSegmentWordsFor(bytes + 24 * items.size() + 64));
  auto request = builder.initRoot<wire::Request>();
  request.setProtocolVersion(kProtocolVersion);
  const uint64_t id = next_request_id_++;
  request.setRequestId(id);
  auto insert = request.initInsert();
  insert.setTable(options_.table);
  insert.setTimeoutMs(static_cast<uint32_t>(options_.shard_timeout_ms));
  if (!priorities.empty()) {
    auto list = insert.initPriorities(static_cast<unsigned int>(priorities.size()));
    for (size_t i = 0; i < priorities.size(); ++i) {
      list.set(static_cast<unsigned int>(i), priorities[i]);
    }
  }
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
    PollIn(socket_, std::min(left, kMaxSliceMs));
    ReceiveAvailable();
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
    // ReceiveAvailable also notices a lost connection, so it runs after every slice.
    PollIn(socket_, std::min(left, kMaxSliceMs));
    if (ReceiveAvailable() > 0) since_progress.Reset();
  }
}

int InsertClient::ReceiveAvailable() {
  if (monitor_->Take() > 0) {
    lost_requests_ += static_cast<int64_t>(inflight_.size());
    RLF_LOG(Warning) << "lost the connection to replay shard " << options_.endpoint << "; "
                     << inflight_.size()
                     << " unacked insert request(s) presumed lost, reconnecting";
    inflight_.clear();
    Connect();
  }
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
          if (response.getInsertAck().hasRateLimiter()) {
            last_limiter_ =
                replay_internal::RateLimiterFromInfo(response.getInsertAck().getRateLimiter());
          }
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

}  // namespace rlfleet
