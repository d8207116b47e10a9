#ifndef RLFLEET_ACTORS_ACTOR_CHANNELS_H_
#define RLFLEET_ACTORS_ACTOR_CHANNELS_H_

#include <cstdint>
#include <string>
#include <zmq.hpp>

#include "algorithms/torch_fwd.h"
#include "core/clock.h"
#include "transport/codec.h"

namespace rlfleet {

// An actor's end of the weights broadcast: a SUB socket that keeps at most the two newest
// messages. Not thread-safe (the actor's loop owns it).
class WeightsSubscriber {
 public:
  WeightsSubscriber(const std::string& endpoint, int64_t max_message_bytes);
  // Copies the newest waiting weights into `module` in place when they are newer than
  // version(); never blocks. A message that does not decode or fit is logged and ignored.
  // Returns whether the module changed.
  bool MaybeLoad(torch::nn::Module& module);
  int64_t version() const { return version_; }

 private:
  zmq::socket_t socket_;
  int64_t version_ = 0;
};

// An actor's episode statistics, pushed to the learner at most every `interval_seconds`.
// Sending never blocks: with the learner gone, statistics are dropped. Not thread-safe.
class StatsReporter {
 public:
  StatsReporter(const std::string& endpoint, uint32_t actor_index, double interval_seconds);
  void AddSteps(int64_t env_steps) { pending_.env_steps += env_steps; }
  void AddEpisode(double episode_return, int64_t length) {
    pending_.episode_returns.push_back(episode_return);
    pending_.episode_lengths.push_back(length);
  }
  // Sends what accumulated when the interval has passed (or `force`) and there is something.
  void MaybeSend(int64_t policy_version, bool force);

 private:
  zmq::socket_t socket_;
  double interval_seconds_;
  ActorStatsMessage pending_;
  Stopwatch since_send_;
};

}  // namespace rlfleet

#endif  // RLFLEET_ACTORS_ACTOR_CHANNELS_H_
