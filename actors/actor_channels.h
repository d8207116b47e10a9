#ifndef RLFLEET_ACTORS_ACTOR_CHANNELS_H_
#define RLFLEET_ACTORS_ACTOR_CHANNELS_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "algorithms/torch_fwd.h"
#include "core/clock.h"
#include "envs/vector_env.h"
#include "transport/codec.h"

namespace rlfleet {

// An actor's end of the weights broadcast: a SUB socket that keeps only the newest message
// (ZMQ_CONFLATE) and refuses messages larger than the module's weights need. ZeroMQ ends a
// connection that delivered an oversized message and does not re-establish it, so after
// `silence_seconds` without any message the socket is replaced by a new one (the learner
// publishes at least once a second). Not thread-safe (the actor's loop owns it).
class WeightsSubscriber {
 public:
  // `module` fixes the parameter names and shapes every message must carry.
  WeightsSubscriber(const std::string& endpoint, torch::nn::Module& module,
                    double silence_seconds = 10.0);
  // Copies the newest waiting weights into `module` (the one given to the constructor) in
  // place when they come from another learner process (a restarted learner counts versions
  // from its checkpoint) or are newer than version(); never blocks. A message that does not
  // decode, names other parameters or shapes, or holds a non-finite value is logged, counted
  // in rejected() and ignored: the module keeps its weights. Returns whether the module changed.
  bool MaybeLoad(torch::nn::Module& module);
  int64_t version() const { return version_; }
  // learner.deterministic: the round the loaded weights are for (-1 otherwise). Weights of a
  // later round are loaded even when their version is not newer (a round without updates).
  int64_t round() const { return round_; }
  int32_t turn() const { return turn_; }  // learner.deterministic: whose turn it is to insert
  int64_t rejected() const { return rejected_; }
  int64_t reconnects() const { return reconnects_; }  // sockets replaced after a silence
  // The largest message accepted: the flat float32 buffer plus room for names and shapes.
  int64_t max_message_bytes() const { return max_message_bytes_; }

 private:
  // Empty when `weights` fits the module; otherwise what is wrong with it.
  std::string Mismatch(const WeightsMessage& weights) const;
  void Connect();

  std::string endpoint_;
  double silence_seconds_;
  Stopwatch since_message_;
  int64_t reconnects_ = 0;
  zmq::socket_t socket_;
  std::vector<std::string> names_;
  std::vector<std::vector<int64_t>> shapes_;
  int64_t max_message_bytes_ = 0;
  int64_t version_ = 0;
  int64_t round_ = -1;
  int32_t turn_ = -1;
  uint64_t incarnation_ = 0;
  bool loaded_ = false;
  int64_t rejected_ = 0;
};

// An actor's episode statistics, pushed to the learner at most every `interval_seconds`.
// Sending never blocks: while the learner's queue cannot take a message, the statistics keep
// accumulating and go with the next send that succeeds. Not thread-safe.
class StatsReporter {
 public:
  StatsReporter(const std::string& endpoint, uint32_t actor_index, double interval_seconds);
  void AddSteps(int64_t env_steps) { pending_.env_steps += env_steps; }
  // Env faults since the previous call (a difference of EnvFaultCounters).
  void AddEnvFaults(const EnvFaultCounters& delta) {
    pending_.env_dropped_episodes += delta.dropped_episodes;
    pending_.env_errors += delta.env_errors;
    pending_.env_nonfinite += delta.nonfinite_observations;
    pending_.env_worker_restarts += delta.worker_restarts;
    pending_.env_worker_timeouts += delta.worker_timeouts;
  }
  // Insert requests retried and refused for good since the previous call (InsertClient).
  void AddInsertCounts(int64_t retries, int64_t failures) {
    pending_.insert_retries += retries;
    pending_.insert_failures += failures;
  }
  void AddEpisode(double episode_return, int64_t length) {
    pending_.episode_returns.push_back(episode_return);
    pending_.episode_lengths.push_back(length);
  }
  // Sends what accumulated when the interval has passed (or `force`) and there is something.
  // `rejected_weights`: the actor's WeightsSubscriber::rejected() (the message carries what is
  // new since the previous one).
  void MaybeSend(int64_t policy_version, int64_t rejected_weights, bool force);
  // learner.deterministic: sends what accumulated (possibly nothing) tagged with `round`, the
  // round whose items are all acked. The learner waits for this message, so it is never
  // dropped: while it cannot be queued (no learner connected) this retries every 10 ms until
  // `stop`; returns false when stopped first.
  bool SendRound(int64_t round, int64_t policy_version, int64_t rejected_weights,
                 const std::atomic<bool>& stop);

 private:
  // The pending message with these fields, encoded.
  std::string EncodePending(int64_t policy_version, int64_t rejected_weights, int64_t round);
  // After a message went out: the pending counts start again from zero.
  void ClearPending(int64_t rejected_weights);

  zmq::socket_t socket_;
  double interval_seconds_;
  ActorStatsMessage pending_;
  int64_t rejected_weights_sent_ = 0;
  Stopwatch since_send_;
};

}  // namespace rlfleet

#endif  // RLFLEET_ACTORS_ACTOR_CHANNELS_H_
