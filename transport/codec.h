#ifndef RLFLEET_TRANSPORT_CODEC_H_
#define RLFLEET_TRANSPORT_CODEC_H_

// Encoders and decoders for the messages of transport/schema/rlfleet.capnp that carry data
// (unrolls, transitions, weights, actor statistics). The replay request/response messages are
// handled by replay/. This header does not include Cap'n Proto.
//
// Every decoder accepts bytes at any address (unaligned input is copied once into an aligned
// buffer), bounds the work it does by the input size, and throws DecodeError naming what is
// wrong; it never crashes or aborts on garbage. All functions are thread-safe (no shared
// state).

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/transition.h"
#include "core/unroll.h"

namespace rlfleet {

// The protocol version every encoder writes and every decoder requires
// (transport/schema/rlfleet.capnp, `protocolVersion`).
inline constexpr uint32_t kProtocolVersion = 1;

// Bytes that could not be decoded: not a Cap'n Proto message, the wrong protocol version,
// or fields that contradict each other. The message says which.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Unroll <-> schema Unroll. EncodeUnroll does not validate (call Unroll::Validate first if in
// doubt); DecodeUnroll validates with Unroll::Validate and reports a mismatch as DecodeError.
std::string EncodeUnroll(const Unroll& unroll);
Unroll DecodeUnroll(const void* data, size_t size);
inline Unroll DecodeUnroll(const std::string& bytes) {
  return DecodeUnroll(bytes.data(), bytes.size());
}

// Transition <-> schema Transition. EncodeTransition does not validate; DecodeTransition
// validates with Transition::Validate and reports a mismatch as DecodeError. One CartPole
// transition (D = 4) is 112 bytes on the wire.
std::string EncodeTransition(const Transition& transition);
Transition DecodeTransition(const void* data, size_t size);

// Policy parameters in a fixed order: names[i] has shapes[i], and `flat` holds all parameters
// back to back (row-major), so flat.size() == sum over i of prod(shapes[i]).
struct WeightsMessage {
  int64_t version = 0;
  int64_t learner_step = 0;
  // Identifies the learner process that published (random, fixed for its life): a restarted
  // learner publishes versions from its checkpoint, lower than what the actors hold.
  uint64_t incarnation = 0;
  // learner.deterministic: the round actors act with these weights (-1 otherwise).
  int64_t round = -1;
  int32_t turn = -1;  // learner.deterministic: the actor whose turn it is to insert its round
  std::vector<std::string> names;
  std::vector<std::vector<int64_t>> shapes;
  std::vector<float> flat;
};

// Throws std::invalid_argument when names, shapes and flat disagree. (The learner refills one
// message in place instead: transport/weights_encoder.h.)
std::string EncodeWeights(const WeightsMessage& weights);
// An upper bound on the size of EncodeWeights' output for parameters of these names and shapes
// (dimensions >= 0): the float32 data plus a few Cap'n Proto words per name, shape and list,
// plus the message header. What a receiver may accept as the largest weights message.
int64_t MaxWeightsMessageBytes(const std::vector<std::string>& names,
                               const std::vector<std::vector<int64_t>>& shapes);
// Throws DecodeError when names, shapes and data disagree or a dimension is negative.
WeightsMessage DecodeWeights(const void* data, size_t size);

// What one actor reports to the learner between two messages.
struct ActorStatsMessage {
  uint32_t actor_index = 0;
  int64_t env_steps = 0;                 // environment steps since the previous message
  std::vector<double> episode_returns;   // episodes finished since the previous message
  std::vector<int64_t> episode_lengths;  // same order and count as episode_returns
  int64_t policy_version = 0;
  int64_t rejected_weights = 0;  // weights messages refused since the previous message
  // learner.deterministic: this actor's items of this round are all in the replay (-1 otherwise).
  int64_t round = -1;
  // Faults of environments rlfleet did not write (EnvFaultCounters), since the previous message.
  int64_t env_dropped_episodes = 0;
  int64_t env_errors = 0;
  int64_t env_nonfinite = 0;
  int64_t env_worker_restarts = 0;
  int64_t env_worker_timeouts = 0;
  // Insert requests retried / refused for good by the replay shard (InsertClient).
  int64_t insert_retries = 0;
  int64_t insert_failures = 0;
};

// Throws std::invalid_argument when the two episode lists differ in length.
std::string EncodeActorStats(const ActorStatsMessage& stats);
// Throws DecodeError when the two episode lists differ in length.
ActorStatsMessage DecodeActorStats(const void* data, size_t size);

}  // namespace rlfleet

#endif  // RLFLEET_TRANSPORT_CODEC_H_
