#include "replay/shard_server.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "replay/insert_client.h"
#include "replay/protocol.h"
#include "replay/protocol_testing.h"
#include "replay/sample_client.h"
#include "replay/testing.h"
#include "transport/capnp_io.h"
#include "transport/codec.h"
#include "transport/schema/rlfleet.capnp.h"
#include "transport/socket.h"

namespace rlfleet {
namespace {

using testing::ExpectError;
using testing::Items;
using testing::RawClient;
using testing::Root;
using testing::RunningShard;
using testing::ShardOptions;
using testing::WaitForStats;

TEST(ShardServerTest, InsertThenSampleReturnsItemsInFifoOrder) {
  RunningShard shard(ShardOptions(16, /*ipc=*/true));
  RawClient client(shard.endpoint());
  client.Insert(1, {"a", "b", "c"});
  auto ack = client.Receive();
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(Root(*ack).getRequestId(), 1u);
  ASSERT_EQ(Root(*ack).which(), wire::Response::INSERT_ACK);
  EXPECT_EQ(Root(*ack).getInsertAck().getCount(), 3u);
  client.Insert(2, {"d"});
  ASSERT_NE(client.Receive(), nullptr);

  client.Sample(3, 2, 1000);
  auto first = client.Receive();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(Root(*first).getRequestId(), 3u);
  EXPECT_EQ(Items(Root(*first)), (std::vector<std::string>{"a", "b"}));
  client.Sample(4, 2, 1000);
  auto second = client.Receive();
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(Items(Root(*second)), (std::vector<std::string>{"c", "d"}));

  const ShardStats stats = shard.server().stats();
  EXPECT_EQ(stats.inserts, 4);
  EXPECT_EQ(stats.samples, 4);
  EXPECT_EQ(stats.size, 0);
  EXPECT_EQ(stats.insert_requests, 2);
  EXPECT_EQ(stats.sample_requests, 2);
  EXPECT_EQ(stats.errors, 0);
}

TEST(ShardServerTest, InsertIntoFullTableIsAckedOnlyWhenRoomFrees) {
  RunningShard shard(ShardOptions(2));
  RawClient actor(shard.endpoint());
  RawClient learner(shard.endpoint());
  actor.Insert(1, {"1", "2", "3"});  // only two fit
  ASSERT_TRUE(WaitForStats(
      shard.server(), [](const ShardStats& s) { return s.pending_inserts == 1 && s.size == 2; }));
  EXPECT_FALSE(actor.HasReply());

  learner.Sample(7, 2, 1000);
  auto batch = learner.Receive();
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(Items(Root(*batch)), (std::vector<std::string>{"1", "2"}));
  // Room freed: the last item goes in and the insert is acked.
  auto ack = actor.Receive();
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(Root(*ack).which(), wire::Response::INSERT_ACK);
  EXPECT_EQ(Root(*ack).getInsertAck().getCount(), 3u);
  ASSERT_TRUE(WaitForStats(
      shard.server(), [](const ShardStats& s) { return s.pending_inserts == 0 && s.size == 1; }));
  EXPECT_GT(shard.server().stats().insert_blocked_seconds, 0.0);
}

TEST(ShardServerTest, PendingSampleIsServedWhenItemsArrive) {
  RunningShard shard(ShardOptions(8));
  RawClient learner(shard.endpoint());
  RawClient actor(shard.endpoint());
  learner.Sample(5, 3, 60000);
  ASSERT_TRUE(
      WaitForStats(shard.server(), [](const ShardStats& s) { return s.pending_samples == 1; }));
  actor.Insert(1, {"x", "y"});
  ASSERT_NE(actor.Receive(), nullptr);
  EXPECT_FALSE(learner.HasReply());
  actor.Insert(2, {"z"});
  auto batch = learner.Receive();
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(Root(*batch).getRequestId(), 5u);
  EXPECT_EQ(Items(Root(*batch)), (std::vector<std::string>{"x", "y", "z"}));
}

TEST(ShardServerTest, SampleTimesOutWithAnErrorReply) {
  RunningShard shard(ShardOptions(8));
  RawClient client(shard.endpoint());
  client.Insert(1, {"only"});
  ASSERT_NE(client.Receive(), nullptr);
  client.Sample(2, 2, 20);
  auto reply = client.Receive();
  EXPECT_EQ(ExpectError(reply.get(), wire::ErrorCode::TIMEOUT, "fewer than the batch size"), 2u);
  client.Sample(3, 2, 0);  // a zero timeout is answered at once
  EXPECT_EQ(ExpectError(client.Receive().get(), wire::ErrorCode::TIMEOUT), 3u);
  const ShardStats stats = shard.server().stats();
  EXPECT_EQ(stats.timeouts, 2);
  EXPECT_EQ(stats.size, 1);  // nothing was taken
  EXPECT_EQ(stats.pending_samples, 0);
}

TEST(ShardServerTest, BatchLargerThanTheTableIsRejectedAtOnce) {
  RunningShard shard(ShardOptions(4));
  RawClient client(shard.endpoint());
  client.Sample(9, 5, 60000);
  EXPECT_EQ(ExpectError(client.Receive().get(), wire::ErrorCode::BAD_REQUEST, "max_size 4"), 9u);
  client.Sample(10, 0, 60000);
  EXPECT_EQ(ExpectError(client.Receive().get(), wire::ErrorCode::BAD_REQUEST), 10u);
}

TEST(ShardServerTest, BadRequestsGetErrorsWhileOthersAreServed) {
  RunningShard shard(ShardOptions(64));
  InsertClientOptions insert_options;
  insert_options.endpoint = shard.endpoint();
  InsertClient actor(insert_options);
  SampleClientOptions sample_options;
  sample_options.endpoints = {shard.endpoint()};
  sample_options.prefetch = 1;
  SampleClient learner(sample_options);
  RawClient rogue(shard.endpoint());

  actor.Insert({"good-0"});
  // Garbage bytes of several shapes.
  rogue.SendBytes("definitely not a capnp message");
  ExpectError(rogue.Receive().get(), wire::ErrorCode::MALFORMED, "not a Cap'n Proto message");
  rogue.SendBytes(std::string(64, '\xff'));
  ExpectError(rogue.Receive().get(), wire::ErrorCode::MALFORMED);
  rogue.SendBytes("");
  ExpectError(rogue.Receive().get(), wire::ErrorCode::MALFORMED);
  // Many frames in one message.
  for (int i = 0; i < 20; ++i) {
    rogue.socket().send(zmq::buffer(std::string("frame")), zmq::send_flags::sndmore);
  }
  rogue.socket().send(zmq::buffer(std::string("end")), zmq::send_flags::none);
  ExpectError(rogue.Receive().get(), wire::ErrorCode::MALFORMED, "frame");
  actor.Insert({"good-1"});
  // A readable request with another protocol version: its id is echoed.
  rogue.Insert(42, {"evil"}, "queue", /*version=*/kProtocolVersion + 1);
  EXPECT_EQ(ExpectError(rogue.Receive().get(), wire::ErrorCode::WRONG_VERSION,
                        "wrong protocol version 2"),
            42u);
  rogue.Insert(43, {"evil"}, "no-such-table");
  EXPECT_EQ(ExpectError(rogue.Receive().get(), wire::ErrorCode::UNKNOWN_TABLE, "no-such-table"),
            43u);
  actor.Insert({"good-2"});
  actor.Flush();

  SampledBatch batch;
  ASSERT_TRUE(learner.Sample(3, 20000, &batch));
  EXPECT_EQ(batch.ItemString(0), "good-0");
  EXPECT_EQ(batch.ItemString(1), "good-1");
  EXPECT_EQ(batch.ItemString(2), "good-2");

  const ShardStats stats = learner.Info(0, 20000);
  EXPECT_EQ(stats.malformed, 4);
  EXPECT_EQ(stats.wrong_version, 1);
  EXPECT_EQ(stats.errors, 6);
  EXPECT_EQ(stats.inserts, 3);
  EXPECT_EQ(stats.samples, 3);
  EXPECT_EQ(stats.table, "queue");
  EXPECT_EQ(stats.max_size, 64);
}

TEST(ShardServerTest, CorruptedRequestsNeverStopTheShard) {
  RunningShard shard(ShardOptions(1024));
  RawClient rogue(shard.endpoint());
  capnp::MallocMessageBuilder builder;
  auto request = builder.initRoot<wire::Request>();
  request.setProtocolVersion(kProtocolVersion);
  request.setRequestId(1);
  auto insert = request.initInsert();
  insert.setTable("queue");
  auto items = insert.initItems(3);
  for (unsigned int i = 0; i < 3; ++i) items.init(i, 24);
  const std::string valid = SerializeToString(builder);
  std::mt19937 rng(99);
  for (int trial = 0; trial < 300; ++trial) {
    std::string bytes = valid;
    for (int k = 0; k < 1 + trial % 4; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    rogue.SendBytes(bytes);
  }
  // Still serving: an info request sent after all of the above (same connection, so handled
  // after them) is answered.
  capnp::MallocMessageBuilder info;
  auto info_request = info.initRoot<wire::Request>();
  info_request.setProtocolVersion(kProtocolVersion);
  info_request.setRequestId(777777);
  info_request.initInfo();
  rogue.SendRequest(info);
  ShardStats stats;
  bool answered = false;
  while (!answered) {
    auto reply = rogue.Receive();
    ASSERT_NE(reply, nullptr);
    auto response = Root(*reply);
    if (response.which() == wire::Response::INFO && response.getRequestId() == 777777) {
      stats = replay_internal::StatsFromInfo(response.getInfo());
      answered = true;
    }
  }
  EXPECT_GT(stats.malformed + stats.wrong_version, 0);
  EXPECT_EQ(stats.table, "queue");
}

TEST(ShardServerTest, OversizedRequestIsCountedAndAnswered) {
  ShardServerOptions options = ShardOptions(8);
  options.max_message_bytes = 4096;
  RunningShard shard(options);
  RawClient client(shard.endpoint());
  client.Insert(1, {std::string(6000, 'x')});
  ExpectError(client.Receive().get(), wire::ErrorCode::TOO_LARGE, "exceeds max_message_bytes");
  client.Insert(2, {std::string(100, 'y')});
  auto ack = client.Receive();
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(Root(*ack).which(), wire::Response::INSERT_ACK);
  const ShardStats stats = shard.server().stats();
  EXPECT_EQ(stats.too_large, 1);
  EXPECT_EQ(stats.inserts, 1);
}

// Waiting requests are bounded: beyond max_pending_requests (or max_pending_bytes of insert
// items) a request is refused with `overloaded` at once; the requests that wait lose nothing.
TEST(ShardServerTest, WaitingRequestsAreBounded) {
  ShardServerOptions options = ShardOptions(1);
  options.max_pending_requests = 2;
  options.max_pending_bytes = 10;
  RunningShard shard(options);
  RawClient actor(shard.endpoint());
  actor.Insert(2, {"a", "bbbb"});  // "a" goes in, "bbbb" waits: 4 bytes
  actor.Insert(3, {"ccccccc"});    // 4 + 7 > 10 bytes: refused
  EXPECT_EQ(ExpectError(actor.Receive().get(), wire::ErrorCode::OVERLOADED, "retry later"), 3u);
  actor.Insert(4, {"dddd"});  // waits: 8 bytes, 2 requests
  actor.Insert(5, {"e"});     // a third request: refused
  EXPECT_EQ(ExpectError(actor.Receive().get(), wire::ErrorCode::OVERLOADED,
                        "2 requests with 8 item bytes already wait"),
            5u);
  RawClient learner(shard.endpoint());
  learner.Sample(6, 1, 60000);  // served at once ("a"); then "bbbb" goes in
  ASSERT_NE(learner.Receive(), nullptr);
  auto ack = actor.Receive();
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(Root(*ack).getRequestId(), 2u);
  for (const char* expected : {"bbbb", "dddd"}) {
    learner.Sample(7, 1, 60000);
    auto batch = learner.Receive();
    ASSERT_NE(batch, nullptr);
    EXPECT_EQ(Items(Root(*batch)), (std::vector<std::string>{expected}));
  }
  EXPECT_EQ(Root(*actor.Receive()).getRequestId(), 4u);
  // Waiting samples count too: two wait on the empty table, a third is refused.
  learner.Sample(8, 1, 60000);
  learner.Sample(9, 1, 60000);
  learner.Sample(10, 1, 60000);
  EXPECT_EQ(ExpectError(learner.Receive().get(), wire::ErrorCode::OVERLOADED), 10u);
  EXPECT_EQ(shard.server().stats().overloaded, 3);
}

// A sample reply larger than max_message_bytes is replaced by the error `tooLarge` (its items
// count as sampled, like a reply that could not be delivered); the shard goes on.
TEST(ShardServerTest, SampleReplyLargerThanTheMessageLimitIsAnError) {
  ShardServerOptions options = ShardOptions(4);
  options.max_message_bytes = 1024;
  RunningShard shard(options);
  RawClient client(shard.endpoint());
  // One item per request: each request fits in 1024 bytes, two items do not.
  uint64_t id = 1;
  for (const std::string& item : {std::string(600, 'x'), std::string(600, 'y'), std::string("z")}) {
    client.Insert(id++, {item});
    auto ack = client.Receive();
    ASSERT_NE(ack, nullptr);
    ASSERT_EQ(Root(*ack).which(), wire::Response::INSERT_ACK);
  }
  client.Sample(2, 2, 1000);
  EXPECT_EQ(
      ExpectError(client.Receive().get(), wire::ErrorCode::TOO_LARGE, "a sample of 2 items is"),
      2u);
  client.Sample(3, 1, 1000);
  auto reply = client.Receive();
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(Items(Root(*reply)), (std::vector<std::string>{"z"}));
  EXPECT_EQ(shard.server().stats().oversized_replies, 1);
}

TEST(ShardServerTest, BindErrorNamesTheEndpoint) {
  RunningShard shard(ShardOptions(8));
  ShardServerOptions options = ShardOptions(8);
  options.endpoint = shard.endpoint();
  try {
    ShardServer second(options);
    ADD_FAILURE() << "second shard bound " << options.endpoint;
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find(options.endpoint), std::string::npos) << e.what();
  }
}

TEST(ShardServerTest, OptionsAreValidated) {
  ShardServerOptions options = ShardOptions(8);
  options.max_size = 0;
  EXPECT_THROW(ShardServer{options}, std::invalid_argument);
  options = ShardOptions(8);
  options.endpoint.clear();
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options = ShardOptions(8);
  options.max_message_bytes = 10;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options = ShardOptions(8);
  options.snapshot_chunk_items = 0;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
