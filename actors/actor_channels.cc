#include "actors/actor_channels.h"

#include <torch/nn/module.h>

#include "algorithms/parameter_vector.h"
#include "core/logging.h"
#include "transport/socket.h"

namespace rlfleet {

WeightsSubscriber::WeightsSubscriber(const std::string& endpoint, int64_t max_message_bytes)
    : socket_(SharedContext(), zmq::socket_type::sub) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::maxmsgsize, max_message_bytes);
  // Only the newest weights matter: a slow actor drops older versions.
  socket_.set(zmq::sockopt::rcvhwm, 2);
  socket_.set(zmq::sockopt::subscribe, "");
  socket_.connect(endpoint);
}

bool WeightsSubscriber::MaybeLoad(torch::nn::Module& module) {
  zmq::message_t message, newest;
  bool have = false;
  while (socket_.recv(message, zmq::recv_flags::dontwait)) {
    newest.move(message);
    have = true;
  }
  if (!have) return false;
  try {
    const WeightsMessage weights = DecodeWeights(newest.data(), newest.size());
    if (weights.version <= version_) return false;
    LoadFlatParameters(module, weights.flat.data(), weights.flat.size());
    version_ = weights.version;
    return true;
  } catch (const std::exception& e) {
    RLF_LOG(Warning) << "ignoring a weights message: " << e.what();
    return false;
  }
}

StatsReporter::StatsReporter(const std::string& endpoint, uint32_t actor_index,
                             double interval_seconds)
    : socket_(SharedContext(), zmq::socket_type::push), interval_seconds_(interval_seconds) {
  pending_.actor_index = actor_index;
  socket_.set(zmq::sockopt::linger, 1000);
  socket_.connect(endpoint);
}

void StatsReporter::MaybeSend(int64_t policy_version, bool force) {
  if (!force && since_send_.Seconds() < interval_seconds_) return;
  since_send_.Reset();
  if (pending_.env_steps == 0 && pending_.episode_returns.empty()) return;
  pending_.policy_version = policy_version;
  const std::string bytes = EncodeActorStats(pending_);
  // PUSH blocks only when the learner is gone and the queue is full: drop stats then.
  socket_.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
  pending_.env_steps = 0;
  pending_.episode_returns.clear();
  pending_.episode_lengths.clear();
}

}  // namespace rlfleet
