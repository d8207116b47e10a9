#ifndef RLFLEET_REPLAY_PROTOCOL_H_
#define RLFLEET_REPLAY_PROTOCOL_H_

// Internal to replay/: helpers shared by the shard server and the clients to build, send and
// read the Request / Response messages of transport/schema/rlfleet.capnp. Includes Cap'n
// Proto and ZeroMQ; not part of the public API.

#include <capnp/message.h>
#include <zmq.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "replay/rate_limiter.h"
#include "replay/shard_stats.h"
#include "transport/capnp_io.h"
#include "transport/schema/rlfleet.capnp.h"

namespace rlfleet {
namespace replay_internal {

// Longest single wait inside any replay loop, so that stop flags are seen promptly.
inline constexpr int64_t kMaxSliceMs = 100;

// The flat serialization of `builder` in a ZeroMQ message that owns it (one copy).
zmq::message_t ToZmqMessage(capnp::MessageBuilder& builder);

// Builds a message with `fill` directly in the buffer that ZeroMQ then sends: a
// capnp::FlatMessageBuilder over `words` zeroed words, with one word in front for the segment
// table. The message's payload (items) is copied once, into the builder, where ToZmqMessage
// copies it twice (builder, then flat array). `words` is an upper bound on the message's size
// in words; when `fill` outgrows it (or throws a kj::Exception), the message is built again the
// ToZmqMessage way, so `fill` must be repeatable (it may run twice); what that second build
// throws propagates.
zmq::message_t BuildZmqMessage(size_t words,
                               const std::function<void(capnp::MessageBuilder&)>& fill);

// Words a Data list of items with these sizes takes in a message: one pointer per item plus its
// bytes padded to whole words (for BuildZmqMessage's bound).
template <typename Sizes>
size_t DataListWords(const Sizes& sizes) {
  size_t words = 0;
  for (size_t bytes : sizes) words += 1 + (bytes + sizeof(capnp::word) - 1) / sizeof(capnp::word);
  return words;
}

// The flat size in bytes that `builder` serializes to.
size_t SerializedBytes(capnp::MessageBuilder& builder);

// "malformed", "wrong_version", ... for messages and logs.
const char* ErrorCodeName(wire::ErrorCode code);

void FillInfo(const ShardStats& stats, wire::InfoReply::Builder info);
ShardStats StatsFromInfo(wire::InfoReply::Reader info);
void FillRateLimiter(const RateLimiterState& state, wire::RateLimiterInfo::Builder info);
RateLimiterState RateLimiterFromInfo(wire::RateLimiterInfo::Reader info);

// Everything the shard needs from one Request, copied out of the message (item bytes once, into
// the shared buffers the table keeps).
struct DecodedRequest {
  uint64_t request_id = 0;
  uint32_t protocol_version = 0;  // when not kProtocolVersion, nothing below was decoded
  wire::Request::Which which = wire::Request::INFO;
  std::string table;
  std::vector<std::shared_ptr<const std::string>> items;  // insert
  std::vector<double> priorities;                         // insert (one per item), update
  std::vector<uint64_t> keys;                             // update
  int64_t batch_size = 0;                                 // sample
  int64_t timeout_ms = 0;                                 // sample, insert (0: none)
  bool has_global_counts = false;                         // sample
  GlobalRateLimiterState global;
  int64_t own_inserts_included = 0;
  int64_t own_samples_included = 0;
};

// Decodes a Request. Throws DecodeError when the bytes are not a well-formed Request (any
// Cap'n Proto error included). Semantic checks (list lengths, priority values, table names)
// are the shard's. This is the function the request fuzzer (replay/fuzz) exercises.
DecodedRequest DecodeRequest(const void* data, size_t size);

// A received message and the reader over it; keeps both alive for views into the bytes.
struct ReceivedMessage {
  explicit ReceivedMessage(zmq::message_t&& m);  // throws DecodeError
  zmq::message_t message;
  std::unique_ptr<CapnpReader> reader;
};

}  // namespace replay_internal
}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_PROTOCOL_H_
