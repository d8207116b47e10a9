#ifndef RLFLEET_REPLAY_PROTOCOL_H_
#define RLFLEET_REPLAY_PROTOCOL_H_

// Internal to replay/: helpers shared by the shard server and the clients to build, send and
// read the Request / Response messages of transport/schema/rlfleet.capnp. Includes Cap'n
// Proto and ZeroMQ; not part of the public API.

#include <capnp/message.h>
#include <zmq.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "replay/shard_stats.h"
#include "transport/capnp_io.h"
#include "transport/schema/rlfleet.capnp.h"

namespace rlfleet {
namespace replay_internal {

// Longest single wait inside any replay loop, so that stop flags are seen promptly.
inline constexpr int64_t kMaxSliceMs = 100;

// The flat serialization of `builder` in a ZeroMQ message that owns it (one copy).
zmq::message_t ToZmqMessage(capnp::MessageBuilder& builder);

// The flat size in bytes that `builder` serializes to.
size_t SerializedBytes(capnp::MessageBuilder& builder);

// "malformed", "wrong_version", ... for messages and logs.
const char* ErrorCodeName(wire::ErrorCode code);

void FillInfo(const ShardStats& stats, wire::InfoReply::Builder info);
ShardStats StatsFromInfo(wire::InfoReply::Reader info);

// A received message and the reader over it; keeps both alive for views into the bytes.
struct ReceivedMessage {
  explicit ReceivedMessage(zmq::message_t&& m);  // throws DecodeError
  zmq::message_t message;
  std::unique_ptr<CapnpReader> reader;
};

}  // namespace replay_internal
}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_PROTOCOL_H_
