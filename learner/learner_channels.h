#ifndef RLFLEET_LEARNER_LEARNER_CHANNELS_H_
#define RLFLEET_LEARNER_LEARNER_CHANNELS_H_

#include <cstdint>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "algorithms/torch_fwd.h"
#include "core/clock.h"
#include "core/windowed_mean.h"

namespace rlfleet {

// The learner's weights broadcast: binds a PUB socket and sends a module's parameters as one
// WeightsMessage (names, shapes, one flat float32 buffer, copied to the host once per call).
// Never blocks: a slow subscriber misses versions. Not thread-safe (the train thread owns it).
class WeightsPublisher {
 public:
  // Throws std::runtime_error naming the endpoint when it cannot bind.
  WeightsPublisher(torch::nn::Module& module, const std::string& endpoint);
  void Publish(torch::nn::Module& module, int64_t version);
  double SecondsSincePublish() const { return since_publish_.Seconds(); }

 private:
  zmq::socket_t socket_;
  std::vector<std::string> names_;
  std::vector<std::vector<int64_t>> shapes_;
  std::vector<float> flat_;
  Stopwatch since_publish_;
};

// The actors' episode statistics: binds a PULL socket; Drain() takes every waiting
// ActorStats message, adds up the actors' env steps, keeps the last 100 returns, and appends
// one row per episode (wall_seconds,actor,return,length) to `episodes_csv`. Malformed
// messages are logged and dropped. Fields are public: they are the learner's counters, saved
// in and restored from its checkpoints. Not thread-safe.
class ActorStatsReceiver {
 public:
  static constexpr size_t kReturnWindow = 100;

  // Throws std::runtime_error naming the endpoint when it cannot bind.
  ActorStatsReceiver(const std::string& endpoint, int64_t max_message_bytes,
                     std::string episodes_csv);
  // Never blocks. `now_seconds` stamps the rows. Throws std::runtime_error when the CSV
  // cannot be written (e.g. a full disk).
  void Drain(double now_seconds);
  // Sets the counters from a checkpoint.
  void Restore(int64_t env_steps, int64_t episode_count, const std::vector<double>& returns);

  int64_t actor_env_steps = 0;
  int64_t episodes = 0;
  WindowedMean recent_returns{kReturnWindow};
  std::vector<double> recent_return_values;  // the same window, for checkpoints

 private:
  zmq::socket_t socket_;
  std::string episodes_csv_;
};

}  // namespace rlfleet

#endif  // RLFLEET_LEARNER_LEARNER_CHANNELS_H_
