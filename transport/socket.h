#ifndef RLFLEET_TRANSPORT_SOCKET_H_
#define RLFLEET_TRANSPORT_SOCKET_H_

// Small RAII helpers over cppzmq. A zmq::socket_t closes itself when destroyed; sockets are
// not thread-safe: use each from one thread at a time (one socket per thread), and hand it
// to another thread only across a synchronising operation such as std::thread creation.

#include <zmq.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace rlfleet {

// A socket could not be created, bound, connected or configured. The message names the
// endpoint and the ZeroMQ error, e.g. "cannot bind tcp://127.0.0.1:5555: Address in use".
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The process-wide ZeroMQ context (one I/O thread). Created on first use and never destroyed,
// so that no static destructor can hang on an open socket at exit. Thread-safe.
zmq::context_t& SharedContext();

struct SocketOptions {
  // ZMQ_MAXMSGSIZE: a peer that sends a larger frame is disconnected by ZeroMQ. -1: no limit.
  int64_t max_message_bytes = -1;
  // ZMQ_LINGER: how long close waits to flush unsent messages.
  int linger_ms = 0;
  // ZMQ_SNDHWM / ZMQ_RCVHWM, in messages; 0 means no limit.
  int send_hwm = 1000;
  int recv_hwm = 1000;
  // ZMQ_IMMEDIATE: queue outgoing messages only on completed connections, so a send to a
  // peer that is not there fails (EAGAIN) instead of piling up.
  bool immediate = false;

  // Throws std::invalid_argument on a negative HWM or linger below -1.
  void Validate() const;
};

// A socket of `type` on `context` with `options` applied. Throws TransportError.
zmq::socket_t MakeSocket(zmq::socket_type type, const SocketOptions& options,
                         zmq::context_t& context = SharedContext());

// Bind / connect, throwing TransportError naming the endpoint on failure. After
// InstallProcessCurve (transport/curve.h), a tcp socket binds as a CURVE server and connects as
// a CURVE client with the run's keys.
void Bind(zmq::socket_t& socket, const std::string& endpoint);
void Connect(zmq::socket_t& socket, const std::string& endpoint);

// MakeSocket followed by Bind / Connect.
zmq::socket_t BindSocket(zmq::socket_type type, const std::string& endpoint,
                         const SocketOptions& options);
zmq::socket_t ConnectSocket(zmq::socket_type type, const std::string& endpoint,
                            const SocketOptions& options);

// The endpoint the socket last bound (ZMQ_LAST_ENDPOINT): for "tcp://127.0.0.1:*" the port
// the system chose, e.g. "tcp://127.0.0.1:41234". Empty when nothing was bound.
std::string BoundEndpoint(const zmq::socket_t& socket);

// Removes the socket file of an "ipc://path" endpoint (ZeroMQ leaves it behind when the
// bound socket closes). Does nothing for other transports or when the file is gone.
void RemoveIpcFile(const std::string& endpoint);

// Counts the connections a socket loses (ZMQ_EVENT_DISCONNECTED): for a client, the server
// went away, and the requests it sent on that connection will not be answered (a restarted
// server gets a new connection; ZeroMQ re-establishes it by itself). Events arrive on an inproc
// PAIR socket that this object owns. Use it from the thread that owns the watched socket,
// and destroy it before that socket (declare it after the socket). Throws TransportError.
class DisconnectMonitor {
 public:
  explicit DisconnectMonitor(zmq::socket_t& socket);
  ~DisconnectMonitor();
  DisconnectMonitor(const DisconnectMonitor&) = delete;
  DisconnectMonitor& operator=(const DisconnectMonitor&) = delete;
  // The connections lost since the previous call; never blocks.
  int Take();

 private:
  void* watched_;
  zmq::socket_t events_;
};

// Waits up to timeout_ms (0: do not wait, -1: forever) until a message can be received /
// sent without blocking. Returns false on timeout. Throws zmq::error_t if the context is
// being terminated.
bool PollIn(zmq::socket_t& socket, int64_t timeout_ms);
bool PollOut(zmq::socket_t& socket, int64_t timeout_ms);

// zmq::poll over several items with a millisecond timeout (-1: forever); an interrupted
// wait (EINTR) counts as a timeout. Returns the number of items with events.
int PollItems(zmq::pollitem_t* items, size_t count, int64_t timeout_ms);

// Receives every frame of one multipart message without blocking. Returns the number of
// frames received (0 when no message was waiting). Frames beyond `max_frames` are received
// and discarded, and *truncated (if given) is set, so that a peer cannot make the caller
// buffer an unbounded number of frames.
size_t RecvMultipart(zmq::socket_t& socket, std::vector<zmq::message_t>* frames, size_t max_frames,
                     bool* truncated = nullptr);

}  // namespace rlfleet

#endif  // RLFLEET_TRANSPORT_SOCKET_H_
