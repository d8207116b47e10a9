#include "transport/curve.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "core/file_util.h"
#include "transport/socket.h"

namespace rlfleet {
namespace {

CurveCredentials FreshCredentials() { return {GenerateCurveKeyPair(), GenerateCurveKeyPair()}; }

mode_t ModeOf(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777;
}

// Receives one message within `ms`, or "" when none came.
std::string ReceiveWithin(zmq::socket_t& socket, int ms) {
  zmq::pollitem_t item{static_cast<void*>(socket), 0, ZMQ_POLLIN, 0};
  if (PollItems(&item, 1, ms) <= 0) return "";
  zmq::message_t message;
  std::string last;
  bool more = true;
  while (more && socket.recv(message, zmq::recv_flags::dontwait)) {
    more = message.more();
    last = message.to_string();
  }
  return last;
}

TEST(CurveTest, KeyFilesRoundTripAndOnlyTheOwnerMayReadThem) {
  TempDir dir("rlfleet-curve-test");
  const std::string keys = dir.path() + "/keys";
  const CurveCredentials written = FreshCredentials();
  EXPECT_EQ(written.server.public_key.size(), 40u);
  EXPECT_NE(written.server.public_key, written.client.public_key);
  WriteCurveCredentials(keys, written);
  EXPECT_EQ(ModeOf(keys), 0700u);
  EXPECT_EQ(ModeOf(keys + "/server.key"), 0600u);
  EXPECT_EQ(ModeOf(keys + "/client.key"), 0600u);
  const CurveCredentials read = ReadCurveCredentials(keys);
  EXPECT_EQ(read.server.public_key, written.server.public_key);
  EXPECT_EQ(read.server.secret_key, written.server.secret_key);
  EXPECT_EQ(read.client.public_key, written.client.public_key);
  EXPECT_EQ(read.client.secret_key, written.client.secret_key);

  auto error_of = [&] {
    try {
      ReadCurveCredentials(keys);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  ::chmod((keys + "/client.key").c_str(), 0644);
  EXPECT_NE(error_of().find("client.key is readable by others"), std::string::npos) << error_of();
  WriteFileAtomic(keys + "/client.key", "short\nkeys\n");
  ::chmod((keys + "/client.key").c_str(), 0600);
  EXPECT_NE(error_of().find("40-character Z85"), std::string::npos) << error_of();
  std::filesystem::remove(keys + "/server.key");
  EXPECT_NE(error_of().find("server.key is missing"), std::string::npos) << error_of();
}

// A CURVE server with the handler takes messages from a client with the run's keys only: a
// client with another key pair is refused (and counted), one without CURVE cannot talk at all.
TEST(CurveTest, ZapHandlerAdmitsOnlyTheRunsClientKey) {
  zmq::context_t context(1);
  const CurveCredentials run = FreshCredentials();
  ZapHandler zap(context, run.client.public_key);
  zmq::socket_t server(context, zmq::socket_type::pull);
  server.set(zmq::sockopt::linger, 0);
  MakeCurveServer(server, run);
  server.bind("tcp://127.0.0.1:*");
  const std::string endpoint = BoundEndpoint(server);

  CurveCredentials intruder = run;
  intruder.client = GenerateCurveKeyPair();  // knows the server's public key, not the client's
  auto client = [&](const CurveCredentials* credentials) {
    zmq::socket_t socket(context, zmq::socket_type::push);
    socket.set(zmq::sockopt::linger, 0);
    if (credentials != nullptr) MakeCurveClient(socket, *credentials);
    socket.connect(endpoint);
    return socket;
  };
  zmq::socket_t wrong_key = client(&intruder);
  zmq::socket_t no_curve = client(nullptr);
  (void)wrong_key.send(zmq::str_buffer("from the intruder"), zmq::send_flags::dontwait);
  (void)no_curve.send(zmq::str_buffer("in the clear"), zmq::send_flags::dontwait);
  EXPECT_EQ(ReceiveWithin(server, 500), "");
  zmq::socket_t member = client(&run);
  ASSERT_TRUE(member.send(zmq::str_buffer("from the run"), zmq::send_flags::none));
  EXPECT_EQ(ReceiveWithin(server, 5000), "from the run");
  EXPECT_EQ(ReceiveWithin(server, 300), "");
  EXPECT_GE(zap.refused(), 1);
  EXPECT_EQ(zap.admitted(), 1);
  EXPECT_THROW(ZapHandler(context, "not a key"), std::invalid_argument);
}

// Last in this binary: process-wide CURVE changes every tcp socket of SharedContext().
TEST(CurveTest, InstalledProcessCurveSecuresTheBindAndConnectHelpers) {
  EXPECT_EQ(ProcessCurve(), nullptr);
  const CurveCredentials run = FreshCredentials();
  InstallProcessCurve(run);
  ASSERT_NE(ProcessCurve(), nullptr);
  EXPECT_THROW(InstallProcessCurve(run), std::logic_error);
  SocketOptions options;
  zmq::socket_t server = BindSocket(zmq::socket_type::pull, "tcp://127.0.0.1:*", options);
  const std::string endpoint = BoundEndpoint(server);
  EXPECT_TRUE(server.get(zmq::sockopt::curve_server));
  zmq::socket_t member = ConnectSocket(zmq::socket_type::push, endpoint, options);
  ASSERT_TRUE(member.send(zmq::str_buffer("secured"), zmq::send_flags::none));
  EXPECT_EQ(ReceiveWithin(server, 5000), "secured");

  zmq::socket_t plain(SharedContext(), zmq::socket_type::push);  // no CURVE: refused
  plain.set(zmq::sockopt::linger, 0);
  CurveCredentials intruder = run;
  intruder.client = GenerateCurveKeyPair();
  MakeCurveClient(plain, intruder);
  plain.connect(endpoint);
  (void)plain.send(zmq::str_buffer("intruder"), zmq::send_flags::dontwait);
  EXPECT_EQ(ReceiveWithin(server, 500), "");
  EXPECT_GE(ProcessCurveRefused(), 1);
  // ipc stays as it was.
  TempDir dir("rlfleet-curve-test");
  zmq::socket_t local = BindSocket(zmq::socket_type::pull, "ipc://" + dir.path() + "/s", options);
  EXPECT_FALSE(local.get(zmq::sockopt::curve_server));
}

}  // namespace
}  // namespace rlfleet
