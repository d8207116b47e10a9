#include "transport/socket.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <utility>

namespace rlfleet {
namespace {

std::string UniqueIpcEndpoint() {
  static std::atomic<int> counter{0};
  return "ipc:///tmp/rlfleet-test-" + std::to_string(getpid()) + "-transport-" +
         std::to_string(counter++);
}

TEST(SocketTest, BoundEndpointReportsTheChosenPort) {
  zmq::socket_t socket = BindSocket(zmq::socket_type::router, "tcp://127.0.0.1:*", {});
  const std::string endpoint = BoundEndpoint(socket);
  EXPECT_EQ(endpoint.rfind("tcp://127.0.0.1:", 0), 0u) << endpoint;
  EXPECT_NE(endpoint, "tcp://127.0.0.1:*");
}

TEST(SocketTest, BindErrorNamesTheEndpoint) {
  zmq::socket_t first = BindSocket(zmq::socket_type::router, "tcp://127.0.0.1:*", {});
  const std::string endpoint = BoundEndpoint(first);
  zmq::socket_t second = MakeSocket(zmq::socket_type::router, {});
  try {
    Bind(second, endpoint);
    ADD_FAILURE() << "second bind succeeded";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot bind " + endpoint), std::string::npos) << e.what();
  }
  EXPECT_THROW(Bind(second, "nonsense://x"), TransportError);
  EXPECT_THROW(Connect(second, "nonsense://x"), TransportError);
}

// Removes the ipc socket file when the test ends.
class IpcFileRemover {
 public:
  explicit IpcFileRemover(std::string endpoint) : endpoint_(std::move(endpoint)) {}
  ~IpcFileRemover() { RemoveIpcFile(endpoint_); }

 private:
  std::string endpoint_;
};

TEST(SocketTest, RemoveIpcFileDeletesTheSocketFile) {
  const std::string endpoint = UniqueIpcEndpoint();
  const std::string path = endpoint.substr(6);
  {
    zmq::socket_t socket = BindSocket(zmq::socket_type::router, endpoint, {});
    EXPECT_EQ(access(path.c_str(), F_OK), 0);
  }
  RemoveIpcFile(endpoint);
  EXPECT_NE(access(path.c_str(), F_OK), 0);
  RemoveIpcFile("tcp://127.0.0.1:1");  // not a file: nothing happens
}

TEST(SocketTest, DealerRouterRoundTripWithPoll) {
  const std::string endpoint = UniqueIpcEndpoint();
  IpcFileRemover remover(endpoint);
  zmq::socket_t router = BindSocket(zmq::socket_type::router, endpoint, {});
  zmq::socket_t dealer = ConnectSocket(zmq::socket_type::dealer, endpoint, {});
  EXPECT_FALSE(PollIn(router, 0));
  dealer.send(zmq::buffer(std::string("hello")), zmq::send_flags::none);
  ASSERT_TRUE(PollIn(router, 5000));
  std::vector<zmq::message_t> frames;
  ASSERT_EQ(RecvMultipart(router, &frames, 8), 2u);
  EXPECT_EQ(frames[1].to_string(), "hello");
  router.send(frames[0], zmq::send_flags::sndmore);
  router.send(zmq::buffer(std::string("world")), zmq::send_flags::none);
  ASSERT_TRUE(PollIn(dealer, 5000));
  zmq::message_t reply;
  ASSERT_TRUE(dealer.recv(reply, zmq::recv_flags::dontwait));
  EXPECT_EQ(reply.to_string(), "world");
  EXPECT_EQ(RecvMultipart(dealer, &frames, 8), 0u);
}

// A client's monitor counts one lost connection per server that goes away, and none while
// the server is there; the socket reconnects when a server binds the endpoint again.
TEST(SocketTest, DisconnectMonitorCountsLostConnections) {
  const std::string endpoint = UniqueIpcEndpoint();
  IpcFileRemover remover(endpoint);
  zmq::socket_t dealer = ConnectSocket(zmq::socket_type::dealer, endpoint, {});
  DisconnectMonitor monitor(dealer);
  auto lost_within_5s = [&] {
    int lost = 0;
    for (int i = 0; i < 500 && lost == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      lost += monitor.Take();
    }
    return lost;
  };
  for (int server = 0; server < 2; ++server) {
    zmq::socket_t router = BindSocket(zmq::socket_type::router, endpoint, {});
    dealer.send(zmq::buffer(std::string("ping")), zmq::send_flags::none);
    ASSERT_TRUE(PollIn(router, 5000)) << "server " << server;
    EXPECT_EQ(monitor.Take(), 0);
    router.close();
    EXPECT_EQ(lost_within_5s(), 1) << "server " << server;
  }
}

TEST(SocketTest, RecvMultipartBoundsTheFrameCount) {
  const std::string endpoint = UniqueIpcEndpoint();
  IpcFileRemover remover(endpoint);
  zmq::socket_t router = BindSocket(zmq::socket_type::router, endpoint, {});
  zmq::socket_t dealer = ConnectSocket(zmq::socket_type::dealer, endpoint, {});
  for (int i = 0; i < 9; ++i) {
    dealer.send(zmq::buffer(std::string("x")), zmq::send_flags::sndmore);
  }
  dealer.send(zmq::buffer(std::string("last")), zmq::send_flags::none);
  ASSERT_TRUE(PollIn(router, 5000));
  std::vector<zmq::message_t> frames;
  bool truncated = false;
  EXPECT_EQ(RecvMultipart(router, &frames, 4, &truncated), 11u);  // identity + 10
  EXPECT_EQ(frames.size(), 4u);
  EXPECT_TRUE(truncated);
}

TEST(SocketTest, MaxMessageBytesDropsLargerFrames) {
  SocketOptions options;
  options.max_message_bytes = 64;
  const std::string endpoint = UniqueIpcEndpoint();
  IpcFileRemover remover(endpoint);
  zmq::socket_t router = BindSocket(zmq::socket_type::router, endpoint, options);
  zmq::socket_t big = ConnectSocket(zmq::socket_type::dealer, endpoint, {});
  big.send(zmq::buffer(std::string(1000, 'b')), zmq::send_flags::none);
  zmq::socket_t small = ConnectSocket(zmq::socket_type::dealer, endpoint, {});
  small.send(zmq::buffer(std::string("ok")), zmq::send_flags::none);
  ASSERT_TRUE(PollIn(router, 5000));
  std::vector<zmq::message_t> frames;
  ASSERT_EQ(RecvMultipart(router, &frames, 8), 2u);
  EXPECT_EQ(frames[1].to_string(), "ok");  // the oversized frame never arrives
}

TEST(SocketTest, OptionsAreValidated) {
  SocketOptions options;
  options.send_hwm = -1;
  EXPECT_THROW(MakeSocket(zmq::socket_type::dealer, options), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
