#include "transport/curve.h"

#include <sys/stat.h>
#include <zmq.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "core/file_util.h"
#include "core/logging.h"
#include "transport/socket.h"

namespace rlfleet {
namespace {

namespace fs = std::filesystem;

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr const char* kZapDomain = "rlfleet";

bool IsZ85Key(const std::string& key) {
  if (key.size() != 40) return false;
  uint8_t decoded[32];
  return zmq_z85_decode(decoded, key.c_str()) != nullptr;
}

void WriteKeyFile(const std::string& path, const CurveKeyPair& pair) {
  // The directory is already 0700: nobody else can open the file before its chmod.
  const std::string contents = pair.public_key + "\n" + pair.secret_key + "\n";
  WriteFileAtomic(path, contents);
  if (::chmod(path.c_str(), 0600) != 0) {
    throw std::runtime_error("cannot set mode 0600 on " + path);
  }
}

CurveKeyPair ReadKeyFile(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw std::runtime_error("CURVE key file " + path + " is missing");
  }
  if ((info.st_mode & 0077) != 0) {
    throw std::runtime_error("CURVE key file " + path +
                             " is readable by others than its owner (mode must be 0600)");
  }
  const std::string text = ReadFile(path);
  const size_t newline = text.find('\n');
  CurveKeyPair pair;
  pair.public_key = text.substr(0, newline);
  if (newline != std::string::npos) {
    const size_t end = text.find('\n', newline + 1);
    pair.secret_key = text.substr(newline + 1, end == std::string::npos ? end : end - newline - 1);
  }
  if (!IsZ85Key(pair.public_key) || !IsZ85Key(pair.secret_key)) {
    throw std::runtime_error("CURVE key file " + path +
                             " must hold two lines of 40-character Z85 keys (public, secret)");
  }
  return pair;
}

std::string Frame(const zmq::message_t& message) {
  return std::string(static_cast<const char*>(message.data()), message.size());
}

}  // namespace

CurveKeyPair GenerateCurveKeyPair() {
  char public_key[41] = {};
  char secret_key[41] = {};
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    throw TransportError("cannot generate a CURVE key pair (ZeroMQ built without CURVE?)");
  }
  return {public_key, secret_key};
}

void WriteCurveCredentials(const std::string& dir, const CurveCredentials& credentials) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) throw std::runtime_error("cannot create " + dir + ": " + error.message());
  if (::chmod(dir.c_str(), 0700) != 0) throw std::runtime_error("cannot set mode 0700 on " + dir);
  WriteKeyFile(dir + "/server.key", credentials.server);
  WriteKeyFile(dir + "/client.key", credentials.client);
}

CurveCredentials ReadCurveCredentials(const std::string& dir) {
  return {ReadKeyFile(dir + "/server.key"), ReadKeyFile(dir + "/client.key")};
}

ZapHandler::ZapHandler(zmq::context_t& context, const std::string& allowed_client_key)
    : socket_(context, zmq::socket_type::rep) {
  if (!IsZ85Key(allowed_client_key)) {
    throw std::invalid_argument("ZapHandler: the allowed client key is not a Z85 key");
  }
  allowed_.resize(32);
  zmq_z85_decode(reinterpret_cast<uint8_t*>(allowed_.data()), allowed_client_key.c_str());
  socket_.set(zmq::sockopt::linger, 0);
  try {
    socket_.bind(kZapEndpoint);
  } catch (const zmq::error_t& e) {
    throw TransportError(std::string("cannot bind the ZAP handler: ") + e.what());
  }
  thread_ = std::thread([this] { Loop(); });
}

ZapHandler::~ZapHandler() {
  stop_ = true;
  thread_.join();
}

void ZapHandler::Loop() {
  // Request (RFC 27): version, request id, domain, address, identity, mechanism, credentials...
  // Reply: version, request id, status code, status text, user id, metadata.
  std::vector<zmq::message_t> frames;
  while (!stop_.load()) {
    zmq::pollitem_t item{static_cast<void*>(socket_), 0, ZMQ_POLLIN, 0};
    if (PollItems(&item, 1, 100) <= 0) continue;
    frames.clear();
    zmq::message_t frame;
    bool more = true;
    while (more) {
      if (!socket_.recv(frame, zmq::recv_flags::dontwait)) break;
      more = frame.more();
      frames.push_back(std::move(frame));
    }
    if (frames.size() < 6) continue;  // not a ZAP request: nothing sensible to answer
    const bool ok = Frame(frames[0]) == "1.0" && Frame(frames[5]) == "CURVE" &&
                    frames.size() >= 7 && Frame(frames[6]) == allowed_;
    if (ok) {
      admitted_.fetch_add(1);
    } else if (const int64_t n = refused_.fetch_add(1) + 1; (n & (n - 1)) == 0) {  // 1, 2, 4..
      RLF_LOG(Warning) << "refused a connection from " << Frame(frames[3]) << " (mechanism "
                       << Frame(frames[5]) << ", not the run's client key; " << n
                       << " refused so far)";
    }
    const std::string request_id = Frame(frames[1]);
    socket_.send(zmq::buffer(std::string("1.0")), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(std::string(ok ? "200" : "400")), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(std::string(ok ? "OK" : "unknown client key")),
                 zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(std::string(ok ? "run-client" : "")), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(std::string()), zmq::send_flags::none);
  }
}

void MakeCurveServer(zmq::socket_t& socket, const CurveCredentials& credentials) {
  socket.set(zmq::sockopt::zap_domain, kZapDomain);
  socket.set(zmq::sockopt::curve_server, true);
  socket.set(zmq::sockopt::curve_secretkey, credentials.server.secret_key);
}

void MakeCurveClient(zmq::socket_t& socket, const CurveCredentials& credentials) {
  socket.set(zmq::sockopt::curve_serverkey, credentials.server.public_key);
  socket.set(zmq::sockopt::curve_publickey, credentials.client.public_key);
  socket.set(zmq::sockopt::curve_secretkey, credentials.client.secret_key);
}

namespace {

std::mutex g_curve_mutex;
std::unique_ptr<CurveCredentials> g_curve;  // set once, never freed
std::unique_ptr<ZapHandler> g_zap;          // lives as long as the process
std::atomic<const CurveCredentials*> g_curve_view{nullptr};

}  // namespace

void InstallProcessCurve(const CurveCredentials& credentials) {
  std::lock_guard<std::mutex> lock(g_curve_mutex);
  if (g_curve != nullptr) throw std::logic_error("InstallProcessCurve called twice");
  auto installed = std::make_unique<CurveCredentials>(credentials);
  g_zap = std::make_unique<ZapHandler>(SharedContext(), credentials.client.public_key);
  g_curve = std::move(installed);
  g_curve_view = g_curve.get();
}

const CurveCredentials* ProcessCurve() { return g_curve_view.load(); }

int64_t ProcessCurveRefused() {
  std::lock_guard<std::mutex> lock(g_curve_mutex);
  return g_zap == nullptr ? 0 : g_zap->refused();
}

}  // namespace rlfleet
