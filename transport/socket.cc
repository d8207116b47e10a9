#include "transport/socket.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "transport/curve.h"

namespace rlfleet {
namespace {

std::string Describe(const zmq::error_t& e) { return e.what(); }

bool IsTcp(const std::string& endpoint) { return endpoint.rfind("tcp://", 0) == 0; }

}  // namespace

void SocketOptions::Validate() const {
  if (send_hwm < 0 || recv_hwm < 0) {
    throw std::invalid_argument("SocketOptions: send_hwm and recv_hwm must be >= 0");
  }
  if (linger_ms < -1) throw std::invalid_argument("SocketOptions: linger_ms must be >= -1");
  if (max_message_bytes < -1 || max_message_bytes == 0) {
    throw std::invalid_argument("SocketOptions: max_message_bytes must be -1 or positive");
  }
}

zmq::context_t& SharedContext() {
  static zmq::context_t* context = new zmq::context_t(1);
  return *context;
}

zmq::socket_t MakeSocket(zmq::socket_type type, const SocketOptions& options,
                         zmq::context_t& context) {
  options.Validate();
  try {
    zmq::socket_t socket(context, type);
    socket.set(zmq::sockopt::linger, options.linger_ms);
    socket.set(zmq::sockopt::sndhwm, options.send_hwm);
    socket.set(zmq::sockopt::rcvhwm, options.recv_hwm);
    socket.set(zmq::sockopt::maxmsgsize, options.max_message_bytes);
    if (options.immediate) socket.set(zmq::sockopt::immediate, 1);
    return socket;
  } catch (const zmq::error_t& e) {
    throw TransportError("cannot create socket: " + Describe(e));
  }
}

void Bind(zmq::socket_t& socket, const std::string& endpoint) {
  try {
    if (const CurveCredentials* curve = ProcessCurve(); curve != nullptr && IsTcp(endpoint)) {
      MakeCurveServer(socket, *curve);
    }
    socket.bind(endpoint);
  } catch (const zmq::error_t& e) {
    throw TransportError("cannot bind " + endpoint + ": " + Describe(e));
  }
}

void Connect(zmq::socket_t& socket, const std::string& endpoint) {
  try {
    if (const CurveCredentials* curve = ProcessCurve(); curve != nullptr && IsTcp(endpoint)) {
      MakeCurveClient(socket, *curve);
    }
    socket.connect(endpoint);
  } catch (const zmq::error_t& e) {
    throw TransportError("cannot connect to " + endpoint + ": " + Describe(e));
  }
}

zmq::socket_t BindSocket(zmq::socket_type type, const std::string& endpoint,
                         const SocketOptions& options) {
  zmq::socket_t socket = MakeSocket(type, options);
  Bind(socket, endpoint);
  return socket;
}

zmq::socket_t ConnectSocket(zmq::socket_type type, const std::string& endpoint,
                            const SocketOptions& options) {
  zmq::socket_t socket = MakeSocket(type, options);
  Connect(socket, endpoint);
  return socket;
}

std::string BoundEndpoint(const zmq::socket_t& socket) {
  try {
    return socket.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    throw TransportError("cannot read the bound endpoint: " + Describe(e));
  }
}

int PollItems(zmq::pollitem_t* items, size_t count, int64_t timeout_ms) {
  const auto timeout = std::chrono::milliseconds(timeout_ms < 0 ? -1 : timeout_ms);
  try {
    return zmq::poll(items, count, timeout);
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return 0;
    throw;
  }
}

void RemoveIpcFile(const std::string& endpoint) {
  const std::string prefix = "ipc://";
  if (endpoint.compare(0, prefix.size(), prefix) != 0) return;
  const std::string path = endpoint.substr(prefix.size());
  if (!path.empty() && path[0] != '@') ::unlink(path.c_str());  // '@': abstract namespace
}

namespace {

bool Poll(zmq::socket_t& socket, short events, int64_t timeout_ms) {
  zmq::pollitem_t item{socket.handle(), 0, events, 0};
  return PollItems(&item, 1, timeout_ms) > 0 && (item.revents & events) != 0;
}

}  // namespace

bool PollIn(zmq::socket_t& socket, int64_t timeout_ms) {
  return Poll(socket, ZMQ_POLLIN, timeout_ms);
}

bool PollOut(zmq::socket_t& socket, int64_t timeout_ms) {
  return Poll(socket, ZMQ_POLLOUT, timeout_ms);
}

size_t RecvMultipart(zmq::socket_t& socket, std::vector<zmq::message_t>* frames, size_t max_frames,
                     bool* truncated) {
  frames->clear();
  if (truncated != nullptr) *truncated = false;
  zmq::message_t frame;
  if (!socket.recv(frame, zmq::recv_flags::dontwait)) return 0;
  size_t count = 0;
  while (true) {
    ++count;
    const bool more = frame.more();
    if (frames->size() < max_frames) {
      frames->push_back(std::move(frame));
    } else if (truncated != nullptr) {
      *truncated = true;
    }
    if (!more) break;
    // The remaining frames of a multipart message are already here (atomic delivery).
    frame = zmq::message_t();
    if (!socket.recv(frame, zmq::recv_flags::none)) break;
  }
  return count;
}

DisconnectMonitor::DisconnectMonitor(zmq::socket_t& socket)
    : watched_(socket.handle()), events_(SharedContext(), zmq::socket_type::pair) {
  static std::atomic<uint64_t> next{0};
  const std::string address = "inproc://rlfleet-monitor-" + std::to_string(::getpid()) + "-" +
                              std::to_string(next.fetch_add(1));
  if (zmq_socket_monitor(watched_, address.c_str(), ZMQ_EVENT_DISCONNECTED) != 0) {
    throw TransportError("cannot monitor a socket: " + std::string(zmq_strerror(zmq_errno())));
  }
  events_.set(zmq::sockopt::linger, 0);
  Connect(events_, address);
}

DisconnectMonitor::~DisconnectMonitor() { zmq_socket_monitor(watched_, nullptr, 0); }

int DisconnectMonitor::Take() {
  int lost = 0;
  std::vector<zmq::message_t> frames;
  // Each event is two frames: {uint16 event, uint32 value} and the endpoint.
  while (RecvMultipart(events_, &frames, 2) > 0) {
    uint16_t event = 0;
    if (!frames.empty() && frames[0].size() >= sizeof(event)) {
      std::memcpy(&event, frames[0].data(), sizeof(event));
      if (event == ZMQ_EVENT_DISCONNECTED) ++lost;
    }
  }
  return lost;
}

}  // namespace rlfleet
