#include "learner/learner_channels.h"

#include <torch/nn/module.h>

#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "algorithms/parameter_vector.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "transport/codec.h"
#include "transport/socket.h"

namespace rlfleet {
namespace {

void BindOrThrow(zmq::socket_t& socket, const std::string& endpoint) {
  try {
    socket.bind(endpoint);
  } catch (const zmq::error_t& e) {
    throw std::runtime_error("learner cannot bind " + endpoint + ": " + e.what());
  }
}

}  // namespace

WeightsPublisher::WeightsPublisher(torch::nn::Module& module, const std::string& endpoint)
    : socket_(SharedContext(), zmq::socket_type::pub),
      names_(ParameterNames(module)),
      shapes_(ParameterShapes(module)) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::sndhwm, 4);
  BindOrThrow(socket_, endpoint);
}

void WeightsPublisher::Publish(torch::nn::Module& module, int64_t version) {
  since_publish_.Reset();
  FlattenParameters(module, &flat_);
  WeightsMessage message;
  message.version = version;
  message.learner_step = version;
  message.names = names_;
  message.shapes = shapes_;
  message.flat = flat_;
  const std::string bytes = EncodeWeights(message);
  socket_.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
}

ActorStatsReceiver::ActorStatsReceiver(const std::string& endpoint, int64_t max_message_bytes,
                                       std::string episodes_csv)
    : socket_(SharedContext(), zmq::socket_type::pull), episodes_csv_(std::move(episodes_csv)) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::maxmsgsize, max_message_bytes);
  BindOrThrow(socket_, endpoint);
}

void ActorStatsReceiver::Drain(double now_seconds) {
  zmq::message_t message;
  std::ostringstream rows;
  while (socket_.recv(message, zmq::recv_flags::dontwait)) {
    try {
      const ActorStatsMessage stats = DecodeActorStats(message.data(), message.size());
      actor_env_steps += stats.env_steps;
      for (size_t i = 0; i < stats.episode_returns.size(); ++i) {
        const double episode_return = stats.episode_returns[i];
        const int64_t length = i < stats.episode_lengths.size() ? stats.episode_lengths[i] : 0;
        recent_returns.Add(episode_return);
        recent_return_values.push_back(episode_return);
        ++episodes;
        rows << std::fixed << std::setprecision(3) << now_seconds << ',' << stats.actor_index << ','
             << std::setprecision(6) << episode_return << ',' << length << '\n';
      }
    } catch (const DecodeError& e) {
      RLF_LOG(Warning) << "dropping a malformed stats message: " << e.what();
    }
  }
  if (recent_return_values.size() > kReturnWindow) {
    recent_return_values.erase(recent_return_values.begin(),
                               recent_return_values.end() - kReturnWindow);
  }
  const std::string text = rows.str();
  if (!text.empty()) AppendToFile(episodes_csv_, text);
}

void ActorStatsReceiver::Restore(int64_t env_steps, int64_t episode_count,
                                 const std::vector<double>& returns) {
  actor_env_steps = env_steps;
  episodes = episode_count;
  recent_return_values = returns;
  for (double value : returns) recent_returns.Add(value);
}

}  // namespace rlfleet
