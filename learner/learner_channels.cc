#include "learner/learner_channels.h"

#include <torch/nn/module.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <random>
#include <sstream>
#include <stdexcept>

#include "algorithms/parameter_vector.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "transport/codec.h"
#include "transport/socket.h"

namespace rlfleet {

WeightsPublisher::WeightsPublisher(torch::nn::Module& module, const std::string& endpoint)
    : socket_(SharedContext(), zmq::socket_type::pub),
      encoder_(ParameterNames(module), ParameterShapes(module)),
      incarnation_(std::random_device()() | (uint64_t{std::random_device()()} << 32) | 1) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::sndhwm, 4);
  // What a PUB receives are subscriptions (the actors subscribe to everything: one byte).
  socket_.set(zmq::sockopt::maxmsgsize, int64_t{1024});
  Bind(socket_, endpoint);
}

void WeightsPublisher::Publish(torch::nn::Module& module, int64_t version, int64_t round,
                               int32_t turn) {
  since_publish_.Reset();
  FlattenParameters(module, encoder_.data(), encoder_.values());
  zmq::message_t message = encoder_.Encode(version, version, incarnation_, round, turn);
  socket_.send(message, zmq::send_flags::dontwait);
}

std::string CheckActorStats(const ActorStatsMessage& stats, int32_t num_actors) {
  if (stats.actor_index >= static_cast<uint32_t>(num_actors)) {
    return "actor index " + std::to_string(stats.actor_index) + " but the run has " +
           std::to_string(num_actors) + " actors";
  }
  if (stats.env_steps < 0 || stats.env_steps >= (int64_t{1} << 40)) {
    return "env steps " + std::to_string(stats.env_steps) + " out of range";
  }
  if (stats.policy_version < 0) return "policy version " + std::to_string(stats.policy_version);
  if (stats.rejected_weights < 0) {
    return "rejected weights " + std::to_string(stats.rejected_weights);
  }
  if (stats.env_dropped_episodes < 0 || stats.env_errors < 0 || stats.env_nonfinite < 0 ||
      stats.env_worker_restarts < 0 || stats.env_worker_timeouts < 0) {
    return "a negative env fault count";
  }
  if (stats.insert_retries < 0 || stats.insert_failures < 0) return "a negative insert count";
  for (size_t i = 0; i < stats.episode_returns.size(); ++i) {
    if (!std::isfinite(stats.episode_returns[i])) return "an episode return is not finite";
    if (stats.episode_lengths[i] < 1) {
      return "episode length " + std::to_string(stats.episode_lengths[i]);
    }
  }
  return "";
}

ActorStatsReceiver::ActorStatsReceiver(const std::string& endpoint, int32_t num_actors,
                                       std::string episodes_csv, bool rounds)
    : socket_(SharedContext(), zmq::socket_type::pull),
      num_actors_(num_actors),
      episodes_csv_(std::move(episodes_csv)),
      rounds_enabled_(rounds) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::maxmsgsize, kMaxMessageBytes);
  Bind(socket_, endpoint);
}

void ActorStatsReceiver::Drain(double now_seconds) {
  zmq::message_t message;
  std::ostringstream rows;
  while (socket_.recv(message, zmq::recv_flags::dontwait)) {
    std::string problem;
    ActorStatsMessage stats;
    try {
      stats = DecodeActorStats(message.data(), message.size());
      problem = CheckActorStats(stats, num_actors_);
    } catch (const DecodeError& e) {
      problem = e.what();
    }
    if (problem.empty() && (stats.round >= 0) != rounds_enabled_) {
      problem = rounds_enabled_
                    ? "no round (learner.deterministic needs one)"
                    : "round " + std::to_string(stats.round) + " outside learner.deterministic";
    } else if (problem.empty() && stats.round >= 0 && stats.round < applied_rounds_) {
      problem = "round " + std::to_string(stats.round) + " was applied already";
    } else if (problem.empty() && stats.round > applied_rounds_ + 1) {
      // An actor reports a round after its turn in it, and the learner starts round r + 1
      // only after applying round r: anything further ahead is not a real report (and would
      // be kept forever).
      problem = "round " + std::to_string(stats.round) + " is ahead of the learner's round " +
                std::to_string(applied_rounds_);
    }
    if (!problem.empty()) {
      if (rejected_messages++ % 100 == 0) {
        RLF_LOG(Warning) << "dropping a malformed stats message (" << rejected_messages
                         << " so far): " << problem;
      }
      continue;
    }
    if (stats.round >= 0) {
      // learner.deterministic: kept until ApplyRound takes the whole round in actor order.
      rounds_[stats.round][stats.actor_index] = std::move(stats);
      continue;
    }
    Apply(stats, now_seconds, &rows);
  }
  Finish(rows);
}

bool ActorStatsReceiver::HasRoundReport(int64_t round, uint32_t actor, double now_seconds) {
  Drain(now_seconds);
  const auto it = rounds_.find(round);
  return it != rounds_.end() && it->second.count(actor) > 0;
}

bool ActorStatsReceiver::ApplyRound(int64_t round, double now_seconds) {
  Drain(now_seconds);
  const auto it = rounds_.find(round);
  if (it == rounds_.end() || it->second.size() < static_cast<size_t>(num_actors_)) return false;
  std::ostringstream rows;
  for (const auto& [actor, stats] : it->second) Apply(stats, now_seconds, &rows);
  rounds_.erase(it);
  applied_rounds_ = std::max(applied_rounds_, round + 1);
  Finish(rows);
  return true;
}

void ActorStatsReceiver::Apply(const ActorStatsMessage& stats, double now_seconds,
                               std::ostringstream* rows) {
  actor_env_steps += stats.env_steps;
  rejected_weights += stats.rejected_weights;
  env_faults.dropped_episodes += stats.env_dropped_episodes;
  env_faults.env_errors += stats.env_errors;
  env_faults.nonfinite_observations += stats.env_nonfinite;
  env_faults.worker_restarts += stats.env_worker_restarts;
  env_faults.worker_timeouts += stats.env_worker_timeouts;
  insert_retries += stats.insert_retries;
  insert_failures += stats.insert_failures;
  for (size_t i = 0; i < stats.episode_returns.size(); ++i) {
    const double episode_return = stats.episode_returns[i];
    recent_returns.Add(episode_return);
    recent_return_values.push_back(episode_return);
    ++episodes;
    *rows << std::fixed << std::setprecision(3) << now_seconds << ',' << stats.actor_index << ','
          << std::setprecision(6) << episode_return << ',' << stats.episode_lengths[i] << '\n';
  }
}

void ActorStatsReceiver::Finish(const std::ostringstream& rows) {
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
