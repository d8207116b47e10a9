#include "replay/insert_client.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <utility>

#include "core/logging.h"
#include "replay/client_common.h"
#include "replay/protocol.h"
#include "transport/codec.h"
#include "transport/socket.h"

namespace rlfleet {

using replay_internal::BuildZmqMessage;
using replay_internal::DataListWords;
using replay_internal::DealerOptions;
using replay_internal::ErrorText;
using replay_internal::kMaxSliceMs;
using replay_internal::MillisecondsSince;
using replay_internal::ReceivedMessage;
using replay_internal::ResponseOf;
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
  if (retry_initial_ms <= 0 || retry_max_ms < retry_initial_ms) {
    throw std::invalid_argument(
        "InsertClientOptions: retry_initial_ms must be positive and at most retry_max_ms, got " +
        std::to_string(retry_initial_ms) + " and " + std::to_string(retry_max_ms));
  }
}

namespace {

InsertClientOptions Validated(const InsertClientOptions& options) {
  options.Validate();
  return options;
}

}  // namespace

InsertClient::InsertClient(const InsertClientOptions& options, const std::atomic<bool>* stop)
    : options_(Validated(options)), stop_(stop), jitter_(options.seed) {
  Connect();
}

void InsertClient::Connect() {
  monitor_.reset();
  socket_ = ConnectSocket(zmq::socket_type::dealer, options_.endpoint,
                          DealerOptions(options_.max_message_bytes));
  monitor_ = std::make_unique<DisconnectMonitor>(socket_);
}

InsertClient::~InsertClient() = default;

void InsertClient::Insert(const std::vector<std::string>& items) {
  Insert(std::vector<std::string>(items), std::vector<double>());
}

void InsertClient::Insert(const std::vector<std::string>& items,
                          const std::vector<double>& priorities) {
  Insert(std::vector<std::string>(items), std::vector<double>(priorities));
}

zmq::message_t InsertClient::Encode(uint64_t id, const Request& r) const {
  std::vector<size_t> sizes;
  sizes.reserve(r.items.size());
  for (const std::string& item : r.items) sizes.push_back(item.size());
  // Items, one word per priority, the table's name, the structs' few words.
  const size_t words =
      DataListWords(sizes) + r.priorities.size() + options_.table.size() / sizeof(capnp::word) + 64;
  return BuildZmqMessage(words, [&](capnp::MessageBuilder& builder) {
    auto request = builder.initRoot<wire::Request>();
    request.setProtocolVersion(kProtocolVersion);
    request.setRequestId(id);
    auto insert = request.initInsert();
    insert.setTable(options_.table);
    insert.setTimeoutMs(static_cast<uint32_t>(options_.shard_timeout_ms));
    if (!r.priorities.empty()) {
      auto list = insert.initPriorities(static_cast<unsigned int>(r.priorities.size()));
      for (size_t i = 0; i < r.priorities.size(); ++i) {
        list.set(static_cast<unsigned int>(i), r.priorities[i]);
      }
    }
    auto list = insert.initItems(static_cast<unsigned int>(r.items.size()));
    for (size_t i = 0; i < r.items.size(); ++i) {
      list.set(static_cast<unsigned int>(i),
               capnp::Data::Reader(reinterpret_cast<const kj::byte*>(r.items[i].data()),
                                   r.items[i].size()));
    }
  });
}

void InsertClient::Insert(std::vector<std::string>&& items, std::vector<double>&& priorities) {
  if (!priorities.empty() && priorities.size() != items.size()) {
    throw std::invalid_argument("InsertClient::Insert: " + std::to_string(items.size()) +
                                " items but " + std::to_string(priorities.size()) + " priorities");
  }
  Request request;
  request.items = std::move(items);
  request.priorities = std::move(priorities);
  // Build the request first: a request that is too large fails without waiting.
  const uint64_t id = next_request_id_++;
  zmq::message_t message = Encode(id, request);
  if (static_cast<int64_t>(message.size()) > options_.max_message_bytes) {
    throw ReplayError("insert request of " + std::to_string(message.size()) +
                      " bytes exceeds max_message_bytes " +
                      std::to_string(options_.max_message_bytes));
  }
  // Take one credit, then send (waiting only if the shard is unreachable or saturated).
  WaitForInflightBelow(options_.max_inflight);
  Send(&message);
  inflight_.emplace(id, std::move(request));
}

void InsertClient::Send(zmq::message_t* message) {
  Stopwatch since_progress;
  while (!TrySendMessage(socket_, message)) {
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
}

void InsertClient::ScheduleRetry(Request&& request, uint32_t accepted) {
  const size_t taken = std::min<size_t>(accepted, request.items.size());
  acked_items_ += static_cast<int64_t>(taken);
  if (taken == request.items.size()) return;  // nothing left to send
  request.items.erase(request.items.begin(),
                      request.items.begin() + static_cast<std::ptrdiff_t>(taken));
  if (!request.priorities.empty()) {
    request.priorities.erase(request.priorities.begin(),
                             request.priorities.begin() + static_cast<std::ptrdiff_t>(taken));
  }
  const double base = std::min(static_cast<double>(options_.retry_max_ms),
                               static_cast<double>(options_.retry_initial_ms) *
                                   std::ldexp(1.0, std::min(request.retries, 30)));
  const double wait_ms = base * jitter_.Uniform(0.5, 1.5);
  request.due = SteadyClock::now() + std::chrono::microseconds(static_cast<int64_t>(wait_ms * 1e3));
  ++request.retries;
  retries_.push_back(std::move(request));
}

int InsertClient::SendDueRetries() {
  int sent = 0;
  const auto now = SteadyClock::now();
  for (auto it = retries_.begin(); it != retries_.end();) {
    if (it->due > now) {
      ++it;
      continue;
    }
    const uint64_t id = next_request_id_++;
    zmq::message_t message = Encode(id, *it);
    if (!TrySendMessage(socket_, &message)) return sent;  // no connection now: later
    ++retried_requests_;
    ++sent;
    inflight_.emplace(id, std::move(*it));
    it = retries_.erase(it);
  }
  return sent;
}

int64_t InsertClient::MillisecondsToNextRetry(int64_t limit) const {
  const auto now = SteadyClock::now();
  for (const Request& r : retries_) {
    const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(r.due - now).count();
    limit = std::min(limit, std::max<int64_t>(ms + 1, 0));
  }
  return limit;
}

void InsertClient::Flush() { WaitForInflightBelow(1); }

void InsertClient::Poll(int64_t timeout_ms) {
  Stopwatch watch;
  ReceiveAvailable();
  SendDueRetries();
  while (true) {
    const int64_t left = timeout_ms - MillisecondsSince(watch);
    if (left <= 0) return;
    if (stop_ != nullptr && stop_->load()) return;
    PollIn(socket_, MillisecondsToNextRetry(std::min(left, kMaxSliceMs)));
    ReceiveAvailable();
    SendDueRetries();
  }
}

void InsertClient::WaitForInflightBelow(int64_t limit) {
  ReceiveAvailable();
  SendDueRetries();
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
    // ReceiveAvailable also notices a lost connection, so it runs after every slice. A reply
    // of any kind, and a retry sent, is progress.
    PollIn(socket_, MillisecondsToNextRetry(std::min(left, kMaxSliceMs)));
    if (ReceiveAvailable() + SendDueRetries() > 0) since_progress.Reset();
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
      const auto request = inflight_.find(response.getRequestId());
      if (request == inflight_.end()) continue;  // presumed lost earlier, or not an insert's
      switch (response.which()) {
        case wire::Response::INSERT_ACK:
          acked_items_ += response.getInsertAck().getCount();
          if (response.getInsertAck().hasRateLimiter()) {
            last_limiter_ =
                replay_internal::RateLimiterFromInfo(response.getInsertAck().getRateLimiter());
          }
          inflight_.erase(request);
          break;
        case wire::Response::ERROR: {
          const auto error = response.getError();
          const wire::ErrorCode code = error.getCode();
          if (code == wire::ErrorCode::OVERLOADED || code == wire::ErrorCode::TIMEOUT) {
            if (ShouldLogCount(++refusals_)) {
              RLF_LOG(Info) << ErrorText(options_.endpoint, error) << " (insert retried with "
                            << "backoff; " << retried_requests_ << " retries so far)";
            }
            ScheduleRetry(std::move(request->second), error.getAcceptedItems());
          } else {
            ++failed_requests_;
            dropped_items_ += static_cast<int64_t>(request->second.items.size());
            if (ShouldLogCount(failed_requests_)) {
              RLF_LOG(Warning) << ErrorText(options_.endpoint, error) << ": "
                               << request->second.items.size() << " items dropped ("
                               << failed_requests_ << " insert requests refused so far)";
            }
          }
          inflight_.erase(request);
          break;
        }
        default:
          break;  // not an answer to an insert: ignore
      }
    } catch (const std::exception& e) {  // DecodeError, ReplayError, kj::Exception's text
      ++malformed_replies_;
      if (ShouldLogCount(malformed_replies_)) {
        RLF_LOG(Warning) << "ignoring an undecodable reply from replay shard " << options_.endpoint
                         << " (" << malformed_replies_ << " so far): " << e.what();
      }
    } catch (const kj::Exception& e) {
      ++malformed_replies_;
      if (ShouldLogCount(malformed_replies_)) {
        RLF_LOG(Warning) << "ignoring an undecodable reply from replay shard " << options_.endpoint
                         << " (" << malformed_replies_
                         << " so far): " << CapnpReader::KjDecodeError(e).what();
      }
    }
  }
}

}  // namespace rlfleet
