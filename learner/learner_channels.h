#ifndef RLFLEET_LEARNER_LEARNER_CHANNELS_H_
#define RLFLEET_LEARNER_LEARNER_CHANNELS_H_

#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "algorithms/torch_fwd.h"
#include "core/clock.h"
#include "core/windowed_mean.h"
#include "envs/vector_env.h"
#include "transport/codec.h"
#include "transport/socket.h"
#include "transport/weights_encoder.h"

namespace rlfleet {

// Empty when an actor's stats message makes sense: actor index below num_actors, env steps in
// [0, 2^40), policy version >= 0, rejected weights >= 0, finite episode returns and episode
// lengths >= 1; otherwise what is wrong with it.
std::string CheckActorStats(const ActorStatsMessage& stats, int32_t num_actors);

// The learner's weights broadcast: binds a PUB socket and sends a module's parameters as one
// WeightsMessage (names, shapes, one flat float32 buffer): the parameters are copied into the
// message in place and the message once into the ZeroMQ buffer (transport/weights_encoder.h).
// Never blocks: a slow subscriber misses versions. Not thread-safe (the train thread owns it).
class WeightsPublisher {
 public:
  // Throws std::runtime_error naming the endpoint when it cannot bind.
  WeightsPublisher(torch::nn::Module& module, const std::string& endpoint);
  // Every message carries incarnation(), drawn at random here: subscribers take the versions of
  // a new publisher (e.g. a learner restarted from an older checkpoint) even when lower.
  // `round`, `turn`: learner.deterministic's round the actors act with these weights and the
  // actor whose turn it is to insert that round's items (-1 otherwise).
  void Publish(torch::nn::Module& module, int64_t version, int64_t round = -1, int32_t turn = -1);
  uint64_t incarnation() const { return incarnation_; }
  double SecondsSincePublish() const { return since_publish_.Seconds(); }
  std::string endpoint() const { return BoundEndpoint(socket_); }  // "tcp://h:*" resolved

 private:
  zmq::socket_t socket_;
  WeightsEncoder encoder_;  // the message, refilled in place
  uint64_t incarnation_;
  Stopwatch since_publish_;
};

// The actors' episode statistics: binds a PULL socket; Drain() takes every waiting
// ActorStats message, adds up the actors' env steps, keeps the last 100 returns, and appends
// one row per episode (wall_seconds,actor,return,length) to `episodes_csv`. A message that does
// not decode or does not make sense (CheckActorStats) is logged, counted in rejected_messages
// and dropped whole. Fields are public: they are the learner's counters, the first four saved
// in and restored from its checkpoints. Not thread-safe.
class ActorStatsReceiver {
 public:
  static constexpr size_t kReturnWindow = 100;
  // Messages larger than this are refused by the socket: an actor sends one at least every
  // actor.stats_interval_seconds, 16 bytes per finished episode.
  static constexpr int64_t kMaxMessageBytes = 1 << 20;

  // `num_actors`: actor indices must be below it. Throws std::runtime_error naming the
  // endpoint when it cannot bind.
  // `rounds`: learner.deterministic, where every message carries a round (and none may
  // otherwise); a message of a round already applied is dropped too.
  ActorStatsReceiver(const std::string& endpoint, int32_t num_actors, std::string episodes_csv,
                     bool rounds = false);
  // Never blocks. `now_seconds` stamps the rows. Throws std::runtime_error when the CSV
  // cannot be written (e.g. a full disk).
  void Drain(double now_seconds);
  // learner.deterministic: messages tagged with a round (ActorStatsMessage::round >= 0) are
  // kept by Drain; this drains, and when every actor's message of `round` is there applies them
  // in actor order (so that episodes enter the window in the same order in every run) and
  // returns true; else returns false and changes nothing. Never blocks.
  bool ApplyRound(int64_t round, double now_seconds);
  // Whether actor `actor`'s report of `round` is in (drains first). Never blocks.
  bool HasRoundReport(int64_t round, uint32_t actor, double now_seconds);
  // Sets the counters from a checkpoint.
  void Restore(int64_t env_steps, int64_t episode_count, const std::vector<double>& returns);
  std::string endpoint() const { return BoundEndpoint(socket_); }  // "tcp://h:*" resolved

  int64_t actor_env_steps = 0;
  int64_t episodes = 0;
  WindowedMean recent_returns{kReturnWindow};
  std::vector<double> recent_return_values;  // the same window, for checkpoints
  int64_t rejected_messages = 0;             // stats messages dropped as malformed
  int64_t rejected_weights = 0;              // weights messages the actors reported refusing
  // Faults of the actors' environments (dropped episodes, restarted workers), summed; not
  // checkpointed (they count this incarnation of the learner).
  EnvFaultCounters env_faults;
  // Insert requests the actors sent again after the shard refused them for now, and those the
  // shard refused for good (items dropped).
  int64_t insert_retries = 0;
  int64_t insert_failures = 0;

 private:
  void Apply(const ActorStatsMessage& stats, double now_seconds, std::ostringstream* rows);
  void Finish(const std::ostringstream& rows);

  zmq::socket_t socket_;
  int32_t num_actors_;
  std::string episodes_csv_;
  bool rounds_enabled_;
  int64_t applied_rounds_ = 0;  // rounds below this were applied
  std::map<int64_t, std::map<uint32_t, ActorStatsMessage>> rounds_;  // round → actor → stats
};

}  // namespace rlfleet

#endif  // RLFLEET_LEARNER_LEARNER_CHANNELS_H_
