#include "actors/actor_channels.h"

#include <torch/nn/module.h>

#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>
#include <utility>

#include "algorithms/parameter_vector.h"
#include "core/logging.h"
#include "transport/socket.h"

namespace rlfleet {

WeightsSubscriber::WeightsSubscriber(const std::string& endpoint, torch::nn::Module& module,
                                     double silence_seconds)
    : endpoint_(endpoint),
      silence_seconds_(silence_seconds),
      names_(ParameterNames(module)),
      shapes_(ParameterShapes(module)),
      max_message_bytes_(MaxWeightsMessageBytes(names_, shapes_)) {
  Connect();
}

void WeightsSubscriber::Connect() {
  socket_ = zmq::socket_t(SharedContext(), zmq::socket_type::sub);
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::maxmsgsize, max_message_bytes_);
  // Only the newest weights matter: a slow actor drops older versions.
  socket_.set(zmq::sockopt::conflate, true);
  socket_.set(zmq::sockopt::subscribe, "");
  rlfleet::Connect(socket_, endpoint_);
  since_message_.Reset();
}

std::string WeightsSubscriber::Mismatch(const WeightsMessage& weights) const {
  if (weights.names.size() != names_.size()) {
    return std::to_string(weights.names.size()) + " parameters where the policy has " +
           std::to_string(names_.size());
  }
  for (size_t i = 0; i < names_.size(); ++i) {
    if (weights.names[i] != names_[i]) {
      return "parameter " + std::to_string(i) + " is '" + weights.names[i] +
             "' where the policy has '" + names_[i] + "'";
    }
    if (weights.shapes[i] != shapes_[i]) return "parameter '" + names_[i] + "' has another shape";
  }
  for (float value : weights.flat) {
    if (!std::isfinite(value)) return "a value is not finite";
  }
  return "";
}

bool WeightsSubscriber::MaybeLoad(torch::nn::Module& module) {
  zmq::message_t message;
  if (!socket_.recv(message, zmq::recv_flags::dontwait)) {
    if (since_message_.Seconds() > silence_seconds_) {
      ++reconnects_;
      RLF_LOG(Warning) << "no weights from " << endpoint_ << " for " << silence_seconds_
                       << " s: subscribing again";
      Connect();
    }
    return false;
  }
  since_message_.Reset();
  try {
    const WeightsMessage weights = DecodeWeights(message.data(), message.size());
    const bool same_learner = loaded_ && weights.incarnation == incarnation_;
    const bool later_turn =
        std::make_pair(weights.round, weights.turn) > std::make_pair(round_, turn_);
    if (same_learner && weights.version <= version_ && !later_turn) return false;
    const std::string mismatch = Mismatch(weights);
    if (!mismatch.empty()) throw std::invalid_argument(mismatch);
    LoadFlatParameters(module, weights.flat.data(), weights.flat.size());
    version_ = weights.version;
    round_ = weights.round;
    turn_ = weights.turn;
    incarnation_ = weights.incarnation;
    loaded_ = true;
    return true;
  } catch (const std::exception& e) {
    if (rejected_++ % 100 == 0) {
      RLF_LOG(Warning) << "ignoring a weights message (" << rejected_ << " so far): " << e.what();
    }
    return false;
  }
}

StatsReporter::StatsReporter(const std::string& endpoint, uint32_t actor_index,
                             double interval_seconds)
    : socket_(SharedContext(), zmq::socket_type::push), interval_seconds_(interval_seconds) {
  pending_.actor_index = actor_index;
  socket_.set(zmq::sockopt::linger, 1000);
  rlfleet::Connect(socket_, endpoint);
}

void StatsReporter::MaybeSend(int64_t policy_version, int64_t rejected_weights, bool force) {
  if (!force && since_send_.Seconds() < interval_seconds_) return;
  since_send_.Reset();
  if (pending_.env_steps == 0 && pending_.episode_returns.empty() && pending_.insert_retries == 0 &&
      pending_.insert_failures == 0 && rejected_weights == rejected_weights_sent_) {
    return;
  }
  // PUSH blocks only when the learner is gone and the queue is full: the counts then stay
  // pending (episode lists included) for the next send.
  const std::string bytes = EncodePending(policy_version, rejected_weights, -1);
  if (socket_.send(zmq::buffer(bytes), zmq::send_flags::dontwait)) ClearPending(rejected_weights);
}

bool StatsReporter::SendRound(int64_t round, int64_t policy_version, int64_t rejected_weights,
                              const std::atomic<bool>& stop) {
  const std::string bytes = EncodePending(policy_version, rejected_weights, round);
  while (!socket_.send(zmq::buffer(bytes), zmq::send_flags::dontwait)) {
    if (stop.load()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ClearPending(rejected_weights);
  since_send_.Reset();
  return true;
}

std::string StatsReporter::EncodePending(int64_t policy_version, int64_t rejected_weights,
                                         int64_t round) {
  pending_.rejected_weights = rejected_weights - rejected_weights_sent_;
  pending_.policy_version = policy_version;
  pending_.round = round;
  return EncodeActorStats(pending_);
}

void StatsReporter::ClearPending(int64_t rejected_weights) {
  rejected_weights_sent_ = rejected_weights;
  pending_.env_steps = 0;
  pending_.episode_returns.clear();
  pending_.episode_lengths.clear();
  pending_.env_dropped_episodes = 0;
  pending_.env_errors = 0;
  pending_.env_nonfinite = 0;
  pending_.env_worker_restarts = 0;
  pending_.env_worker_timeouts = 0;
  pending_.insert_retries = 0;
  pending_.insert_failures = 0;
}

}  // namespace rlfleet
