#ifndef RLFLEET_REPLAY_CLIENT_COMMON_H_
#define RLFLEET_REPLAY_CLIENT_COMMON_H_

// What the two replay clients (replay/insert_client.h, replay/sample_client.h) share: their
// socket options and how they read a reply. Internal to replay/.

#include <zmq.hpp>

#include <cstdint>
#include <string>

#include "core/clock.h"
#include "replay/protocol.h"
#include "transport/schema/rlfleet.capnp.h"
#include "transport/socket.h"

namespace rlfleet {
namespace replay_internal {

// A DEALER that queues requests only on a live connection: a missing shard shows up as a send
// that cannot proceed (and so as a timeout) rather than as requests piling up.
SocketOptions DealerOptions(int64_t max_message_bytes);

// Sends `message` without blocking; false when the socket cannot take it now.
bool TrySendMessage(zmq::socket_t& socket, zmq::message_t* message);

// "replay shard <endpoint>: <code>: <message>".
std::string ErrorText(const std::string& endpoint, wire::Error::Reader error);

// Reads the reply's header; throws ReplayError when it is not a usable Response.
wire::Response::Reader ResponseOf(ReceivedMessage& received, const std::string& endpoint);

int64_t MillisecondsSince(const Stopwatch& watch);

}  // namespace replay_internal
}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_CLIENT_COMMON_H_
