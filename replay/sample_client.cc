#include "replay/sample_client.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iterator>
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
// SampledBatch

std::string SampledBatch::ItemString(size_t i) const {
  const Item it = item(i);
  return std::string(reinterpret_cast<const char*>(it.data), it.size);
}

void SampledBatch::Clear() {
  items_.clear();
  infos_.clear();
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
  if (max_request_items < 0) {
    throw std::invalid_argument("SampleClientOptions: max_request_items must be >= 0, got " +
                                std::to_string(max_request_items));
  }
  if (endpoints.size() > (size_t{1} << (64 - kShardKeyShift))) {
    throw std::invalid_argument("SampleClientOptions: too many endpoints");
  }
}

SampleClient::SampleClient(const SampleClientOptions& options, const std::atomic<bool>* stop)
    : options_(options), stop_(stop), rng_(options.seed), jitter_(~options.seed) {
  options_.Validate();
  for (const std::string& endpoint : options_.endpoints) {
    auto shard = std::make_unique<Shard>();
    shard->endpoint = endpoint;
    shard->index = static_cast<uint32_t>(shards_.size());
    Reconnect(shard.get());
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
  out->infos_.reserve(batch_size);
  for (int32_t i = 0; i < batch_size; ++i) {
    BufferedItem& item = buffer_.front();
    out->items_.push_back(item.view);
    out->infos_.push_back(item.info);
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
  const int64_t request_items = options_.max_request_items > 0
                                    ? std::min<int64_t>(batch_size, options_.max_request_items)
                                    : batch_size;
  // Each shard is offered at most `prefetch` requests, starting after the last one used.
  for (size_t tried = 0; tried < shards_.size(); ++tried) {
    if (static_cast<int64_t>(buffer_.size()) + inflight_items_ >= budget) return;
    const size_t index = (next_shard_ + tried) % shards_.size();
    Shard& shard = *shards_[index];
    if (shard.inflight_samples >= options_.prefetch) continue;
    if (shard.backoff_ms > 0 && SteadyClock::now() < shard.retry_after) continue;

    const uint64_t id = next_request_id_++;
    zmq::message_t message =
        SampleRequestMessage(index, id, request_items, options_.request_timeout_ms);
    if (!TrySend(&shard, &message)) continue;

    Request& pending = shard.requests[id];
    pending.batch_size = request_items;
    // A reply later than the shard's own timeout plus a generous margin is presumed lost.
    pending.expires =
        SteadyClock::now() + std::chrono::milliseconds(2 * options_.request_timeout_ms + 1000);
    ++shard.inflight_samples;
    inflight_items_ += request_items;
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

void SampleClient::Reconnect(Shard* shard) {
  shard->monitor.reset();
  shard->socket = ConnectSocket(zmq::socket_type::dealer, shard->endpoint,
                                DealerOptions(options_.max_message_bytes));
  shard->monitor = std::make_unique<DisconnectMonitor>(shard->socket);
}

void SampleClient::ReceiveAvailable() {
  for (auto& shard : shards_) {
    if (shard->monitor->Take() > 0) {
      int64_t lost = static_cast<int64_t>(shard->requests.size());
      for (const auto& request : shard->requests) inflight_items_ -= request.second.batch_size;
      shard->requests.clear();
      shard->inflight_samples = 0;
      for (auto it = pending_priority_acks_.begin(); it != pending_priority_acks_.end();) {
        if (it->second == shard->index) {
          direct_requests_.erase(it->first);
          it = pending_priority_acks_.erase(it);
          ++lost;
        } else {
          ++it;
        }
      }
      lost_requests_ += lost;
      for (auto it = abandoned_requests_.begin(); it != abandoned_requests_.end();) {
        it = it->second == shard->index ? abandoned_requests_.erase(it) : std::next(it);
      }
      RLF_LOG(Warning) << "lost the connection to replay shard " << shard->endpoint << "; " << lost
                       << " unanswered request(s) presumed lost, reconnecting";
      Reconnect(shard.get());
    }
    while (true) {
      zmq::message_t message;
      if (!shard->socket.recv(message, zmq::recv_flags::dontwait)) break;
      HandleReply(shard.get(), std::move(message));
    }
  }
}

void SampleClient::HandleReply(Shard* shard, zmq::message_t&& message) {
  try {
    auto received = std::make_shared<ReceivedMessage>(std::move(message));
    auto response = ResponseOf(*received, shard->endpoint);
    const uint64_t id = response.getRequestId();
    if (response.which() == wire::Response::SAMPLE) {
      auto reply = response.getSample();
      if (reply.hasRateLimiter()) {
        NoteShardState(shard, reply.getPriorityMass(), reply.getTableSize(),
                       replay_internal::RateLimiterFromInfo(reply.getRateLimiter()));
      }
    }
    if (direct_requests_.erase(id) > 0) {
      direct_replies_[id] = std::move(received);
      return;
    }
    if (abandoned_requests_.erase(id) > 0) return;
    auto request = shard->requests.find(id);
    const bool sample_request = request != shard->requests.end();
    if (sample_request) {
      --shard->inflight_samples;
      inflight_items_ -= request->second.batch_size;
      shard->requests.erase(request);
    }
    switch (response.which()) {
      case wire::Response::SAMPLE: {
        shard->backoff_ms = 0;
        // Also when the request was presumed lost: the shard has handed these items out.
        auto reply = response.getSample();
        auto items = reply.getItems();
        auto keys = reply.getKeys();
        auto probabilities = reply.getProbabilities();
        auto weights = reply.getImportanceWeights();
        auto times = reply.getTimesSampled();
        auto sizes = reply.getTableSizes();
        const bool has_info = keys.size() == items.size() && probabilities.size() == items.size() &&
                              weights.size() == items.size() && times.size() == items.size() &&
                              sizes.size() == items.size();
        const uint32_t shard_index = shard->index;
        std::shared_ptr<const void> owner(received);
        for (unsigned int i = 0; i < items.size(); ++i) {
          capnp::Data::Reader item = items[i];
          SampledBatch::ItemInfo info;
          info.shard = shard_index;
          if (has_info) {
            info.key = GlobalKey(shard_index, keys[i]);
            info.probability = probabilities[i];
            info.importance_weight = weights[i];
            info.times_sampled = static_cast<int32_t>(times[i]);
            info.table_size = sizes[i];
          }
          buffer_.push_back(
              BufferedItem{SampledBatch::Item{item.begin(), item.size()}, info, owner});
        }
        break;
      }
      case wire::Response::INFO:
        if (info_requests_.erase(id) > 0) {
          info_replies_[id] = replay_internal::StatsFromInfo(response.getInfo());
        }
        break;
      case wire::Response::ERROR: {
        auto e = response.getError();
        const wire::ErrorCode code = e.getCode();
        if (info_requests_.erase(id) > 0) {
          // Info counts it and asks again.
          info_errors_[id] = ErrorText(shard->endpoint, e);
        } else if (code == wire::ErrorCode::OVERLOADED) {
          BackOff(shard);  // the request is gone; TopUp asks again after the backoff
        } else if (code != wire::ErrorCode::TIMEOUT) {
          // A request the shard cannot serve (or a reply to one this client no longer waits
          // for, e.g. a request id the shard could not read): dropped. Asking the shard again
          // at once would only repeat the refusal, so its next request waits out a backoff.
          CountErrorReply(ErrorText(shard->endpoint, e),
                          sample_request ? "sample request" : "request not awaited", "dropped");
          if (sample_request) {
            shard->backoff_ms = NextBackoffMs(shard->backoff_ms);
            shard->retry_after = JitteredDeadline(shard->backoff_ms);
          }
        }
        break;
      }
      default:
        break;
    }
  } catch (const DecodeError& e) {
    CountMalformedReply(shard->endpoint, e.what());
  } catch (const ReplayError& e) {  // another protocol version
    CountMalformedReply(shard->endpoint, e.what());
  } catch (const kj::Exception& e) {
    CountMalformedReply(shard->endpoint, CapnpReader::KjDecodeError(e).what());
  }
}

int64_t SampleClient::NextBackoffMs(int64_t previous_ms) {
  return std::min<int64_t>(1000, std::max<int64_t>(10, 2 * previous_ms));
}

SteadyClock::time_point SampleClient::JitteredDeadline(int64_t backoff_ms) {
  const double wait_ms = static_cast<double>(backoff_ms) * jitter_.Uniform(0.5, 1.5);
  return SteadyClock::now() + std::chrono::microseconds(static_cast<int64_t>(wait_ms * 1e3));
}

void SampleClient::BackOff(Shard* shard) {
  ++overloaded_replies_;
  shard->backoff_ms = NextBackoffMs(shard->backoff_ms);
  shard->retry_after = JitteredDeadline(shard->backoff_ms);
  if (ShouldLogCount(overloaded_replies_)) {
    RLF_LOG(Info) << "replay shard " << shard->endpoint << " is overloaded: its sample requests "
                  << "wait " << shard->backoff_ms << " ms (" << overloaded_replies_
                  << " refusals so far)";
  }
}

void SampleClient::CountErrorReply(const std::string& error_text, const char* what,
                                   const char* outcome) {
  ++error_replies_;
  if (ShouldLogCount(error_replies_)) {
    RLF_LOG(Warning) << error_text << " (an error reply to a " << what << ", " << outcome << "; "
                     << error_replies_ << " error replies so far)";
  }
}

void SampleClient::CountMalformedReply(const std::string& endpoint, const std::string& why) {
  ++malformed_replies_;
  if (ShouldLogCount(malformed_replies_)) {
    RLF_LOG(Warning) << "ignoring an unusable reply from replay shard " << endpoint << " ("
                     << malformed_replies_ << " so far): " << why;
  }
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
  Stopwatch watch;
  uint64_t id = 0;  // of the request being sent or answered; 0: send a new one when due
  zmq::message_t message;
  bool sent = false;
  std::string last_error;
  int64_t backoff_ms = 0;
  SteadyClock::time_point retry_at = SteadyClock::now();
  while (true) {
    if (!sent && SteadyClock::now() >= retry_at) {
      if (id == 0) {
        capnp::MallocMessageBuilder builder(32);
        auto request = builder.initRoot<wire::Request>();
        request.setProtocolVersion(kProtocolVersion);
        id = next_request_id_++;
        request.setRequestId(id);
        request.initInfo();
        message = ToZmqMessage(builder);
      }
      sent = TrySend(&shard, &message);
      if (sent) info_requests_.insert(id);
    }
    if (sent) {
      auto reply = info_replies_.find(id);
      if (reply != info_replies_.end()) {
        ShardStats stats = std::move(reply->second);
        info_replies_.erase(reply);
        return stats;
      }
      auto error = info_errors_.find(id);
      if (error != info_errors_.end()) {
        last_error = error->second;
        info_errors_.erase(error);
        CountErrorReply(last_error, "info request", "asked again");
        sent = false;
        id = 0;
        backoff_ms = NextBackoffMs(backoff_ms);
        retry_at = JitteredDeadline(backoff_ms);
      }
    }
    if (stop_ != nullptr && stop_->load()) {
      if (sent) info_requests_.erase(id);
      throw StoppedError("info request to " + shard.endpoint + " stopped");
    }
    const int64_t left = timeout_ms - MillisecondsSince(watch);
    if (left <= 0) {
      if (sent) info_requests_.erase(id);
      throw TimeoutError("no info reply from replay shard " + shard.endpoint + " within " +
                         std::to_string(timeout_ms) + " ms" +
                         (last_error.empty() ? "" : " (last error reply: " + last_error + ")"));
    }
    int64_t wait_ms = std::min(left, kMaxSliceMs);
    if (!sent && id == 0) {
      const int64_t until_retry =
          std::chrono::duration_cast<std::chrono::milliseconds>(retry_at - SteadyClock::now())
              .count() +
          1;
      wait_ms = std::max<int64_t>(0, std::min(wait_ms, until_retry));
    }
    WaitAndReceive(wait_ms);
  }
}

// ---------------------------------------------------------------------------------------------
// SampleClient: direct (unpipelined) requests

void SampleClient::NoteShardState(Shard* shard, double priority_mass, int64_t size,
                                  const RateLimiterState& limiter) {
  shard->state.known = true;
  shard->state.priority_mass = priority_mass;
  shard->state.size = size;
  shard->state.limiter_known = true;
  shard->state.limiter = limiter;
}

zmq::message_t SampleClient::SampleRequestMessage(size_t shard, uint64_t id, int64_t batch_size,
                                                  int64_t timeout_ms) {
  capnp::MallocMessageBuilder builder(64);
  auto request = builder.initRoot<wire::Request>();
  request.setProtocolVersion(kProtocolVersion);
  request.setRequestId(id);
  auto sample = request.initSample();
  sample.setTable(options_.table);
  sample.setBatchSize(static_cast<uint32_t>(batch_size));
  sample.setTimeoutMs(static_cast<uint32_t>(timeout_ms));
  if (options_.global_rate_limit) {
    // Only once every shard has reported: sums over part of the shards would undercount.
    bool all_known = true;
    std::vector<RateLimiterState> states;
    for (const auto& s : shards_) {
      all_known = all_known && s->state.limiter_known;
      states.push_back(s->state.limiter);
    }
    if (all_known) {
      const GlobalRateLimiterState global = GlobalRateLimiterState::Aggregate(states);
      sample.setHasGlobalCounts(true);
      sample.setGlobalInserts(global.inserts);
      sample.setGlobalSamples(global.samples);
      sample.setOwnInsertsIncluded(shards_[shard]->state.limiter.inserts);
      sample.setOwnSamplesIncluded(shards_[shard]->state.limiter.samples);
    }
  }
  return ToZmqMessage(builder);
}

void SampleClient::SendDirect(size_t index, uint64_t id, zmq::message_t* message,
                              const Stopwatch& watch, int64_t timeout_ms, const char* what) {
  Shard& shard = *shards_[index];
  while (!TrySend(&shard, message)) {
    CheckStop(what);
    const int64_t left = timeout_ms - MillisecondsSince(watch);
    if (left <= 0) {
      throw TimeoutError(std::string(what) + ": cannot send to replay shard " + shard.endpoint +
                         " within " + std::to_string(timeout_ms) + " ms");
    }
    WaitAndReceive(std::min(left, kMaxSliceMs));
  }
  direct_requests_[id] = index;
}

bool SampleClient::AwaitDirect(const std::vector<uint64_t>& ids, const Stopwatch& watch,
                               int64_t timeout_ms, const char* what) {
  ReceiveAvailable();
  while (true) {
    bool all = true;
    for (uint64_t id : ids) all = all && direct_replies_.count(id) > 0;
    if (all) return true;
    if (stop_ != nullptr && stop_->load()) {
      ForgetDirect(ids);
      throw StoppedError(std::string(what) + " stopped");
    }
    const int64_t left = timeout_ms - MillisecondsSince(watch);
    if (left <= 0) return false;
    WaitAndReceive(std::min(left, kMaxSliceMs));
  }
}

void SampleClient::ForgetDirect(const std::vector<uint64_t>& ids) {
  for (uint64_t id : ids) {
    // A reply still to come is dropped when it arrives (not buffered for Sample).
    const auto direct = direct_requests_.find(id);
    if (direct != direct_requests_.end()) {
      abandoned_requests_[id] = direct->second;
      direct_requests_.erase(direct);
    }
    direct_replies_.erase(id);
  }
}

bool SampleClient::WaitReceivingUntil(SteadyClock::time_point until, const Stopwatch& watch,
                                      int64_t timeout_ms, const char* what) {
  while (true) {
    CheckStop(what);
    const auto now = SteadyClock::now();
    if (now >= until) return true;
    const int64_t left = timeout_ms - MillisecondsSince(watch);
    if (left <= 0) return false;
    const int64_t until_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count() + 1;
    WaitAndReceive(std::min({left, kMaxSliceMs, until_ms}));
  }
}

void SampleClient::RefreshUnknownShards(const Stopwatch& watch, int64_t timeout_ms) {
  for (auto& shard : shards_) {
    if (shard->state.known) continue;
    const int64_t left = std::max<int64_t>(1, timeout_ms - MillisecondsSince(watch));
    const ShardStats stats = Info(shard->index, left);
    bool found = false;
    for (const TableStats& t : stats.tables) {
      if (t.name != options_.table) continue;
      NoteShardState(shard.get(), t.priority_mass, t.size, t.rate_limiter);
      found = true;
    }
    if (!found) {
      // A configuration error, not a refusal for now: shards host the tables they were started
      // with (a restarted shard too), so no sample request to this one could ever succeed.
      throw ReplayError("replay shard " + shard->endpoint + ": unknown_table: no table '" +
                        options_.table + "'");
    }
  }
}

bool SampleClient::SamplePrioritized(int32_t batch_size, int64_t timeout_ms, SampledBatch* out) {
  if (batch_size <= 0) {
    throw std::invalid_argument(
        "SampleClient::SamplePrioritized: batch_size must be positive, got " +
        std::to_string(batch_size));
  }
  out->Clear();
  Stopwatch watch;
  ReceiveAvailable();
  try {
    RefreshUnknownShards(watch, timeout_ms);
  } catch (const TimeoutError&) {
    return false;
  }

  // Split the batch across shards: multinomial in proportion to the priority mass (or to the
  // size when every shard's mass is 0: a prioritized table whose priorities are all 0 samples
  // uniformly).
  const size_t num = shards_.size();
  std::vector<double> mass(num);
  double total = 0.0;
  for (size_t s = 0; s < num; ++s) total += mass[s] = shards_[s]->state.priority_mass;
  if (!(total > 0.0)) {
    total = 0.0;
    for (size_t s = 0; s < num; ++s) total += mass[s] = static_cast<double>(shards_[s]->state.size);
  }
  if (!(total > 0.0)) {
    // Every shard is empty as far as we know: ask again next time, wait a slice now.
    for (auto& shard : shards_) shard->state.known = false;
    const int64_t left = timeout_ms - MillisecondsSince(watch);
    if (left > 0) WaitAndReceive(std::min(left, kMaxSliceMs));
    return false;
  }
  std::vector<int64_t> counts(num, 0);
  for (int32_t i = 0; i < batch_size; ++i) {
    double u = rng_.Uniform01() * total;
    size_t s = 0;
    while (s + 1 < num && (mass[s] <= 0.0 || u >= mass[s])) {
      u -= mass[s];
      ++s;
    }
    while (mass[s] <= 0.0) --s;  // rounding at the end of the range
    ++counts[s];
  }
  int64_t global_size = 0;
  for (size_t s = 0; s < num; ++s) global_size += shards_[s]->state.size;

  // A shard that refused lately is asked again only after its backoff.
  SteadyClock::time_point retry_after = SteadyClock::now();
  for (size_t s = 0; s < num; ++s) {
    if (counts[s] > 0 && shards_[s]->backoff_ms > 0) {
      retry_after = std::max(retry_after, shards_[s]->retry_after);
    }
  }
  if (!WaitReceivingUntil(retry_after, watch, timeout_ms, "prioritized sampling")) return false;

  // Ask each shard for its share, then wait for all of them.
  const int64_t shard_timeout =
      std::max<int64_t>(1, std::min<int64_t>(timeout_ms, options_.request_timeout_ms));
  std::vector<uint64_t> ids(num, 0);
  std::vector<uint64_t> sent;
  for (size_t s = 0; s < num; ++s) {
    if (counts[s] == 0) continue;
    ids[s] = next_request_id_++;
    zmq::message_t message = SampleRequestMessage(s, ids[s], counts[s], shard_timeout);
    try {
      SendDirect(s, ids[s], &message, watch, timeout_ms, "prioritized sampling");
    } catch (const TimeoutError&) {
      ForgetDirect(sent);
      return false;
    }
    sent.push_back(ids[s]);
  }
  if (!AwaitDirect(sent, watch, timeout_ms, "prioritized sampling")) {
    ForgetDirect(sent);
    for (auto& shard : shards_) shard->state.known = false;
    return false;
  }

  // Merge, turning each shard's probabilities into global ones. A shard that cannot serve its
  // share now (timeout, overloaded) or at all (another error reply), or whose reply is
  // unusable, fails the call: the batch would not follow the global distribution without it.
  bool failed = false;
  double max_weight = 0.0;
  out->items_.reserve(batch_size);
  out->infos_.reserve(batch_size);
  for (size_t s = 0; s < num; ++s) {  // every reply, so that each refusal counts and backs off
    if (counts[s] == 0) continue;
    Shard* shard = shards_[s].get();
    auto received = direct_replies_[ids[s]];
    try {
      auto response = received->reader->Root<wire::Response>();
      if (response.which() == wire::Response::ERROR) {
        failed = true;
        const wire::ErrorCode code = response.getError().getCode();
        if (code == wire::ErrorCode::OVERLOADED) {
          BackOff(shard);
        } else if (code != wire::ErrorCode::TIMEOUT) {
          CountErrorReply(ErrorText(shard->endpoint, response.getError()), "sample request",
                          "the batch dropped");
          shard->backoff_ms = NextBackoffMs(shard->backoff_ms);
          shard->retry_after = JitteredDeadline(shard->backoff_ms);
        }
        continue;
      }
      if (response.which() != wire::Response::SAMPLE) {
        failed = true;
        CountMalformedReply(shard->endpoint, "not a sample reply to a sample request");
        continue;
      }
      auto reply = response.getSample();
      auto items = reply.getItems();
      auto keys = reply.getKeys();
      auto probabilities = reply.getProbabilities();
      auto times = reply.getTimesSampled();
      if (keys.size() != items.size() || probabilities.size() != items.size() ||
          times.size() != items.size()) {
        failed = true;
        CountMalformedReply(shard->endpoint, "a sample reply without item metadata");
        continue;
      }
      shard->backoff_ms = 0;
      const double beta = reply.getImportanceExponent();
      const double share = mass[s] / total;
      out->owners_.push_back(received);
      for (unsigned int i = 0; i < items.size(); ++i) {
        capnp::Data::Reader item = items[i];
        SampledBatch::ItemInfo info;
        info.shard = static_cast<uint32_t>(s);
        info.key = GlobalKey(s, keys[i]);
        info.probability = share * probabilities[i];
        info.times_sampled = static_cast<int32_t>(times[i]);
        info.table_size = global_size;
        info.importance_weight =
            beta == 0.0 ? 1.0
                        : std::pow(static_cast<double>(global_size) * info.probability, -beta);
        max_weight = std::max(max_weight, info.importance_weight);
        out->items_.push_back(SampledBatch::Item{item.begin(), item.size()});
        out->infos_.push_back(info);
      }
    } catch (const DecodeError& e) {
      failed = true;
      CountMalformedReply(shard->endpoint, e.what());
    } catch (const kj::Exception& e) {
      failed = true;
      CountMalformedReply(shard->endpoint, CapnpReader::KjDecodeError(e).what());
    }
  }
  ForgetDirect(sent);
  if (failed) {
    // The shards' masses may be stale: ask every shard again next time.
    for (auto& shard : shards_) shard->state.known = false;
    out->Clear();
    return false;
  }
  if (max_weight > 0.0 && std::isfinite(max_weight)) {
    for (auto& info : out->infos_) info.importance_weight /= max_weight;
  }
  return true;
}

int64_t SampleClient::UpdatePriorities(const std::vector<uint64_t>& keys,
                                       const std::vector<double>& priorities, int64_t timeout_ms) {
  SendPriorityUpdates(keys, priorities, timeout_ms);
  return CollectPriorityAcks(0, timeout_ms);
}

void SampleClient::SendPriorityUpdates(const std::vector<uint64_t>& keys,
                                       const std::vector<double>& priorities, int64_t timeout_ms) {
  if (keys.size() != priorities.size()) {
    throw std::invalid_argument("SampleClient::UpdatePriorities: " + std::to_string(keys.size()) +
                                " keys but " + std::to_string(priorities.size()) + " priorities");
  }
  std::vector<std::vector<uint64_t>> shard_keys(shards_.size());
  std::vector<std::vector<double>> shard_priorities(shards_.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const size_t s = ShardOfKey(keys[i]);
    if (s >= shards_.size()) {
      throw std::invalid_argument("SampleClient::UpdatePriorities: key " + std::to_string(keys[i]) +
                                  " names shard " + std::to_string(s) + " of " +
                                  std::to_string(shards_.size()));
    }
    shard_keys[s].push_back(LocalKey(keys[i]));
    shard_priorities[s].push_back(priorities[i]);
  }
  Stopwatch watch;
  for (size_t s = 0; s < shards_.size(); ++s) {
    if (shard_keys[s].empty()) continue;
    const unsigned int n = static_cast<unsigned int>(shard_keys[s].size());
    capnp::MallocMessageBuilder builder(FirstSegmentWordsFor(16 * n + 64));
    auto request = builder.initRoot<wire::Request>();
    request.setProtocolVersion(kProtocolVersion);
    const uint64_t id = next_request_id_++;
    request.setRequestId(id);
    auto update = request.initUpdatePriorities();
    update.setTable(options_.table);
    auto k = update.initKeys(n);
    auto p = update.initPriorities(n);
    for (unsigned int i = 0; i < n; ++i) {
      k.set(i, shard_keys[s][i]);
      p.set(i, shard_priorities[s][i]);
    }
    zmq::message_t message = ToZmqMessage(builder);
    SendDirect(s, id, &message, watch, timeout_ms, "priority update");
    pending_priority_acks_.emplace_back(id, s);
  }
}

int64_t SampleClient::CollectPriorityAcks(size_t max_pending, int64_t timeout_ms) {
  Stopwatch watch;
  ReceiveAvailable();
  int64_t unknown = 0;
  while (true) {
    // Take the acks that are here, in order.
    for (auto it = pending_priority_acks_.begin(); it != pending_priority_acks_.end();) {
      const auto reply = direct_replies_.find(it->first);
      if (reply == direct_replies_.end()) {
        ++it;
        continue;
      }
      const std::string& endpoint = shards_[it->second]->endpoint;
      try {
        auto response = reply->second->reader->Root<wire::Response>();
        if (response.which() == wire::Response::UPDATE_PRIORITIES_ACK) {
          unknown += response.getUpdatePrioritiesAck().getUnknownKeys();
        } else if (response.which() == wire::Response::ERROR) {
          // The shard applies an update at once or not at all: nothing of it is in.
          CountErrorReply(ErrorText(endpoint, response.getError()), "priority update",
                          "its items keep their priorities");
        } else {
          CountMalformedReply(endpoint, "not an ack to a priority update");
        }
      } catch (const DecodeError& e) {
        CountMalformedReply(endpoint, e.what());
      } catch (const kj::Exception& e) {
        CountMalformedReply(endpoint, CapnpReader::KjDecodeError(e).what());
      }
      direct_replies_.erase(reply);
      it = pending_priority_acks_.erase(it);
    }
    if (pending_priority_acks_.size() <= max_pending) return unknown;
    CheckStop("priority update");
    const int64_t left = timeout_ms - MillisecondsSince(watch);
    if (left <= 0) {
      throw TimeoutError("no priority update ack within " + std::to_string(timeout_ms) + " ms (" +
                         std::to_string(pending_priority_acks_.size()) + " unacked)");
    }
    WaitAndReceive(std::min(left, kMaxSliceMs));
  }
}

std::string SampleClient::Checkpoint(size_t index, int64_t timeout_ms) {
  if (index >= shards_.size()) {
    throw std::out_of_range("SampleClient::Checkpoint: no shard " + std::to_string(index));
  }
  const std::string& endpoint = shards_[index]->endpoint;
  Stopwatch watch;
  int64_t backoff_ms = 0;
  std::string last_refusal;
  while (true) {
    capnp::MallocMessageBuilder builder(32);
    auto request = builder.initRoot<wire::Request>();
    request.setProtocolVersion(kProtocolVersion);
    const uint64_t id = next_request_id_++;
    request.setRequestId(id);
    request.initCheckpoint();
    zmq::message_t message = ToZmqMessage(builder);
    SendDirect(index, id, &message, watch, timeout_ms, "checkpoint");
    if (!AwaitDirect({id}, watch, timeout_ms, "checkpoint")) {
      ForgetDirect({id});
      throw TimeoutError("no checkpoint reply from replay shard " + endpoint + " within " +
                         std::to_string(timeout_ms) + " ms" +
                         (last_refusal.empty() ? "" : " (refused before: " + last_refusal + ")"));
    }
    auto received = direct_replies_[id];
    ForgetDirect({id});
    try {
      auto response = received->reader->Root<wire::Response>();
      if (response.which() == wire::Response::CHECKPOINT) {
        return response.getCheckpoint().getPath().cStr();
      }
      if (response.which() != wire::Response::ERROR) {
        CountMalformedReply(endpoint, "not a checkpoint reply to a checkpoint request");
        throw ReplayError("replay shard " + endpoint +
                          ": unexpected reply to a checkpoint request");
      }
      const std::string text = ErrorText(endpoint, response.getError());
      const wire::ErrorCode code = response.getError().getCode();
      if (code != wire::ErrorCode::OVERLOADED && code != wire::ErrorCode::TIMEOUT) {
        CountErrorReply(text, "checkpoint request", "thrown to the caller");
        throw ReplayError(text);
      }
      // Another checkpoint is being taken (or requests pile up): ask again after a backoff.
      if (code == wire::ErrorCode::OVERLOADED) ++overloaded_replies_;
      last_refusal = text;
    } catch (const DecodeError& e) {
      CountMalformedReply(endpoint, e.what());
      throw ReplayError("replay shard " + endpoint + ": undecodable checkpoint reply: " + e.what());
    } catch (const kj::Exception& e) {
      const DecodeError error = CapnpReader::KjDecodeError(e);
      CountMalformedReply(endpoint, error.what());
      throw ReplayError("replay shard " + endpoint +
                        ": undecodable checkpoint reply: " + error.what());
    }
    backoff_ms = NextBackoffMs(backoff_ms);
    if (!WaitReceivingUntil(JitteredDeadline(backoff_ms), watch, timeout_ms, "checkpoint")) {
      throw TimeoutError("replay shard " + endpoint + " refused the checkpoint until the " +
                         std::to_string(timeout_ms) + " ms timeout; last: " + last_refusal);
    }
  }
}

}  // namespace rlfleet
