#include "replay/client_common.h"

#include "replay/errors.h"
#include "transport/codec.h"

namespace rlfleet {
namespace replay_internal {

SocketOptions DealerOptions(int64_t max_message_bytes) {
  SocketOptions socket;
  socket.max_message_bytes = max_message_bytes;
  socket.linger_ms = 0;
  socket.immediate = true;
  return socket;
}

bool TrySendMessage(zmq::socket_t& socket, zmq::message_t* message) {
  return socket.send(*message, zmq::send_flags::dontwait).has_value();
}

std::string ErrorText(const std::string& endpoint, wire::Error::Reader error) {
  return "replay shard " + endpoint + ": " + ErrorCodeName(error.getCode()) + ": " +
         error.getMessage().cStr();
}

wire::Response::Reader ResponseOf(ReceivedMessage& received, const std::string& endpoint) {
  auto response = received.reader->Root<wire::Response>();
  if (response.getProtocolVersion() != kProtocolVersion) {
    throw ReplayError("replay shard " + endpoint + " speaks protocol version " +
                      std::to_string(response.getProtocolVersion()) + ", this client " +
                      std::to_string(kProtocolVersion));
  }
  return response;
}

int64_t MillisecondsSince(const Stopwatch& watch) { return watch.Microseconds() / 1000; }

}  // namespace replay_internal
}  // namespace rlfleet
