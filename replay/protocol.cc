#include "replay/protocol.h"

#include <capnp/serialize.h>

#include <utility>

namespace rlfleet {
namespace replay_internal {

zmq::message_t ToZmqMessage(capnp::MessageBuilder& builder) {
  auto* words = new kj::Array<capnp::word>(capnp::messageToFlatArray(builder));
  return zmq::message_t(
      words->begin(), words->size() * sizeof(capnp::word),
      [](void*, void* hint) { delete static_cast<kj::Array<capnp::word>*>(hint); }, words);
}

size_t SerializedBytes(capnp::MessageBuilder& builder) {
  return capnp::computeSerializedSizeInWords(builder) * sizeof(capnp::word);
}

const char* ErrorCodeName(wire::ErrorCode code) {
  switch (code) {
    case wire::ErrorCode::MALFORMED:
      return "malformed";
    case wire::ErrorCode::WRONG_VERSION:
      return "wrong_version";
    case wire::ErrorCode::UNKNOWN_TABLE:
      return "unknown_table";
    case wire::ErrorCode::TOO_LARGE:
      return "too_large";
    case wire::ErrorCode::TIMEOUT:
      return "timeout";
    case wire::ErrorCode::BAD_REQUEST:
      return "bad_request";
  }
  return "unknown_error_code";
}

void FillInfo(const ShardStats& s, wire::InfoReply::Builder info) {
  info.setTable(s.table);
  info.setMaxSize(s.max_size);
  info.setSize(s.size);
  info.setInserts(s.inserts);
  info.setSamples(s.samples);
  info.setInsertRequests(s.insert_requests);
  info.setSampleRequests(s.sample_requests);
  info.setMalformed(s.malformed);
  info.setWrongVersion(s.wrong_version);
  info.setTooLarge(s.too_large);
  info.setErrors(s.errors);
  info.setTimeouts(s.timeouts);
  info.setDroppedReplies(s.dropped_replies);
  info.setPendingInserts(s.pending_inserts);
  info.setPendingSamples(s.pending_samples);
  info.setInsertBlockedSeconds(s.insert_blocked_seconds);
  info.setSampleBlockedSeconds(s.sample_blocked_seconds);
}

ShardStats StatsFromInfo(wire::InfoReply::Reader info) {
  ShardStats s;
  s.table = info.getTable().cStr();
  s.max_size = info.getMaxSize();
  s.size = info.getSize();
  s.inserts = info.getInserts();
  s.samples = info.getSamples();
  s.insert_requests = info.getInsertRequests();
  s.sample_requests = info.getSampleRequests();
  s.malformed = info.getMalformed();
  s.wrong_version = info.getWrongVersion();
  s.too_large = info.getTooLarge();
  s.errors = info.getErrors();
  s.timeouts = info.getTimeouts();
  s.dropped_replies = info.getDroppedReplies();
  s.pending_inserts = info.getPendingInserts();
  s.pending_samples = info.getPendingSamples();
  s.insert_blocked_seconds = info.getInsertBlockedSeconds();
  s.sample_blocked_seconds = info.getSampleBlockedSeconds();
  return s;
}

ReceivedMessage::ReceivedMessage(zmq::message_t&& m) : message(std::move(m)) {
  // Created only once `message` is at its final address: small messages store their bytes
  // inside the zmq::message_t itself.
  reader = std::make_unique<CapnpReader>(message.data(), message.size());
}

}  // namespace replay_internal
}  // namespace rlfleet
