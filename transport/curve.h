#ifndef RLFLEET_TRANSPORT_CURVE_H_
#define RLFLEET_TRANSPORT_CURVE_H_

// ZeroMQ CURVE for a run's tcp traffic: every server of a run holds the run's server key pair,
// every client the run's client key pair, and a ZAP handler in each process admits only
// connections that present the run's client public key. Keys are Z85 text (40 characters).

#include <zmq.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace rlfleet {

struct CurveKeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;
};

struct CurveCredentials {
  CurveKeyPair server;  // the run's servers (shards, the learner's weights and stats sockets)
  CurveKeyPair client;  // the run's clients (learner and actors)
};

// A fresh key pair (zmq_curve_keypair). Throws TransportError when ZeroMQ lacks CURVE.
CurveKeyPair GenerateCurveKeyPair();

// Writes <dir>/server.key and <dir>/client.key, each "<public>\n<secret>\n", created with mode
// 0600 in a directory of mode 0700 (created when missing). Throws std::runtime_error naming
// the path on failure.
void WriteCurveCredentials(const std::string& dir, const CurveCredentials& credentials);

// Reads what WriteCurveCredentials wrote. Throws std::runtime_error naming the file and the
// problem: missing, readable by others than its owner (mode beyond 0600), or a line that is
// not a 40-character Z85 key.
CurveCredentials ReadCurveCredentials(const std::string& dir);

// Answers ZAP requests (RFC 27) on inproc://zeromq.zap.01 of `context`, which libzmq asks about
// every incoming connection of a CURVE server socket in that context: mechanism CURVE with
// `allowed_client_key` is admitted (status 200), everything else refused (400) and counted.
// Runs one thread; bind it before any CURVE server socket of the context binds (without a
// handler, libzmq admits any client key). The destructor stops the thread (within ~100 ms).
class ZapHandler {
 public:
  ZapHandler(zmq::context_t& context, const std::string& allowed_client_key);
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

  int64_t admitted() const { return admitted_.load(); }
  int64_t refused() const { return refused_.load(); }

 private:
  void Loop();

  zmq::socket_t socket_;
  std::string allowed_;  // the 32-byte binary key
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> admitted_{0};
  std::atomic<int64_t> refused_{0};
  std::thread thread_;
};

// CURVE options for a socket before it binds (server) or connects (client) over tcp.
void MakeCurveServer(zmq::socket_t& socket, const CurveCredentials& credentials);
void MakeCurveClient(zmq::socket_t& socket, const CurveCredentials& credentials);

// Process-wide CURVE: after InstallProcessCurve, the Bind and Connect helpers of socket.h make
// every tcp socket of SharedContext() a CURVE server or client with these credentials, and a
// ZapHandler on SharedContext() admits only the run's client key. Call once, before any socket
// binds or connects (a second call throws std::logic_error). Thread-safe.
void InstallProcessCurve(const CurveCredentials& credentials);
// The installed credentials, or nullptr.
const CurveCredentials* ProcessCurve();
// Connections the process's ZAP handler refused (0 without one).
int64_t ProcessCurveRefused();

}  // namespace rlfleet

#endif  // RLFLEET_TRANSPORT_CURVE_H_
