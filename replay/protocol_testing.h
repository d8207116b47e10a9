#ifndef RLFLEET_REPLAY_PROTOCOL_TESTING_H_
#define RLFLEET_REPLAY_PROTOCOL_TESTING_H_

// Test helpers that speak the raw replay protocol (header-only, tests only).

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "replay/protocol.h"
#include "transport/capnp_io.h"
#include "transport/codec.h"
#include "transport/schema/rlfleet.capnp.h"
#include "transport/socket.h"

namespace rlfleet {
namespace testing {

// A DEALER that speaks the raw protocol, to send exactly the bytes a test wants.
class RawClient {
 public:
  explicit RawClient(const std::string& endpoint)
      : socket_(ConnectSocket(zmq::socket_type::dealer, endpoint, {})) {}

  void SendBytes(const std::string& bytes) {
    socket_.send(zmq::buffer(bytes), zmq::send_flags::none);
  }

  void SendRequest(capnp::MessageBuilder& builder) { SendBytes(SerializeToString(builder)); }

  void Insert(uint64_t id, const std::vector<std::string>& items,
              const std::string& table = "queue", uint32_t version = kProtocolVersion) {
    capnp::MallocMessageBuilder builder;
    auto request = builder.initRoot<wire::Request>();
    request.setProtocolVersion(version);
    request.setRequestId(id);
    auto insert = request.initInsert();
    insert.setTable(table);
    auto list = insert.initItems(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      list.set(i, capnp::Data::Reader(reinterpret_cast<const kj::byte*>(items[i].data()),
                                      items[i].size()));
    }
    SendRequest(builder);
  }

  void Sample(uint64_t id, uint32_t batch_size, uint32_t timeout_ms,
              const std::string& table = "queue") {
    capnp::MallocMessageBuilder builder;
    auto request = builder.initRoot<wire::Request>();
    request.setProtocolVersion(kProtocolVersion);
    request.setRequestId(id);
    auto sample = request.initSample();
    sample.setTable(table);
    sample.setBatchSize(batch_size);
    sample.setTimeoutMs(timeout_ms);
    SendRequest(builder);
  }

  // The next reply; fails the test (and returns nullptr) when none comes in a long while.
  std::unique_ptr<replay_internal::ReceivedMessage> Receive(int64_t timeout_ms = 20000) {
    if (!PollIn(socket_, timeout_ms)) {
      ADD_FAILURE() << "no reply";
      return nullptr;
    }
    zmq::message_t message;
    EXPECT_TRUE(socket_.recv(message, zmq::recv_flags::dontwait));
    return std::make_unique<replay_internal::ReceivedMessage>(std::move(message));
  }

  bool HasReply() { return PollIn(socket_, 0); }

  zmq::socket_t& socket() { return socket_; }

 private:
  zmq::socket_t socket_;
};

inline wire::Response::Reader Root(replay_internal::ReceivedMessage& m) {
  return m.reader->Root<wire::Response>();
}

inline std::vector<std::string> Items(wire::Response::Reader response) {
  std::vector<std::string> items;
  EXPECT_EQ(response.which(), wire::Response::SAMPLE);
  if (response.which() != wire::Response::SAMPLE) return items;
  for (capnp::Data::Reader item : response.getSample().getItems()) {
    items.emplace_back(reinterpret_cast<const char*>(item.begin()), item.size());
  }
  return items;
}

// Expects an error reply with `code` whose message contains `needle`; returns its request id.
inline uint64_t ExpectError(replay_internal::ReceivedMessage* m, wire::ErrorCode code,
                            const std::string& needle = "") {
  if (m == nullptr) return 0;
  auto response = Root(*m);
  EXPECT_EQ(response.getProtocolVersion(), kProtocolVersion);
  EXPECT_EQ(response.which(), wire::Response::ERROR);
  if (response.which() != wire::Response::ERROR) return 0;
  EXPECT_EQ(response.getError().getCode(), code) << response.getError().getMessage().cStr();
  const std::string message = response.getError().getMessage().cStr();
  EXPECT_NE(message.find(needle), std::string::npos) << message;
  return response.getRequestId();
}

}  // namespace testing
}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_PROTOCOL_TESTING_H_
