#include "replay/insert_client.h"
#include "replay/sample_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/unroll.h"
#include "replay/protocol.h"
#include "replay/protocol_testing.h"
#include "replay/testing.h"
#include "transport/capnp_io.h"
#include "transport/codec.h"
#include "transport/socket.h"

namespace rlfleet {
namespace {

using testing::RunningShard;
using testing::ShardOptions;
using testing::WaitForStats;

InsertClientOptions InsertOptions(const std::string& endpoint) {
  InsertClientOptions options;
  options.endpoint = endpoint;
  return options;
}

SampleClientOptions SampleOptions(std::vector<std::string> endpoints, int32_t prefetch = 1) {
  SampleClientOptions options;
  options.endpoints = std::move(endpoints);
  options.prefetch = prefetch;
  return options;
}

std::vector<std::string> Strings(const SampledBatch& batch) {
  std::vector<std::string> out;
  for (size_t i = 0; i < batch.size(); ++i) out.push_back(batch.ItemString(i));
  return out;
}

// A stand-in for a shard: answers each request with the messages `answer` returns for it (raw
// bytes, so that a test can send what a real shard would not), from its own thread. `answer`
// runs on that thread.
class FakeShard {
 public:
  using Answer = std::function<std::vector<std::string>(const replay_internal::DecodedRequest&)>;

  explicit FakeShard(Answer answer)
      : endpoint_(testing::UniqueIpcEndpoint()),
        socket_(BindSocket(zmq::socket_type::router, endpoint_, SocketOptions{})),
        answer_(std::move(answer)),
        thread_([this] { Run(); }) {}
  FakeShard(const FakeShard&) = delete;
  FakeShard& operator=(const FakeShard&) = delete;
  ~FakeShard() {
    stop_ = true;
    thread_.join();
    socket_.close();
    RemoveIpcFile(endpoint_);
  }
  const std::string& endpoint() const { return endpoint_; }

 private:
  void Run() {
    std::vector<zmq::message_t> frames;
    while (!stop_) {
      if (!PollIn(socket_, 10)) continue;
      while (RecvMultipart(socket_, &frames, 8) == 2) {
        const replay_internal::DecodedRequest request =
            replay_internal::DecodeRequest(frames[1].data(), frames[1].size());
        for (const std::string& bytes : answer_(request)) {
          zmq::message_t identity;
          identity.copy(frames[0]);
          socket_.send(identity, zmq::send_flags::sndmore);
          socket_.send(zmq::buffer(bytes), zmq::send_flags::none);
        }
      }
    }
  }

  std::string endpoint_;
  zmq::socket_t socket_;  // used by thread_ only once it runs
  Answer answer_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string ErrorReply(uint64_t id, wire::ErrorCode code, const std::string& message) {
  capnp::MallocMessageBuilder builder;
  auto response = builder.initRoot<wire::Response>();
  response.setProtocolVersion(kProtocolVersion);
  response.setRequestId(id);
  auto error = response.initError();
  error.setCode(code);
  error.setMessage(message);
  return SerializeToString(builder);
}

// One item with key `key`, drawn with probability 1 from a table of one.
std::string SampleReply(uint64_t id, const std::string& item, uint64_t key) {
  capnp::MallocMessageBuilder builder;
  auto response = builder.initRoot<wire::Response>();
  response.setProtocolVersion(kProtocolVersion);
  response.setRequestId(id);
  auto sample = response.initSample();
  sample.initItems(1).set(
      0, capnp::Data::Reader(reinterpret_cast<const kj::byte*>(item.data()), item.size()));
  sample.initKeys(1).set(0, key);
  sample.initProbabilities(1).set(0, 1.0);
  sample.initImportanceWeights(1).set(0, 1.0);
  sample.initTimesSampled(1).set(0, 1);
  sample.initTableSizes(1).set(0, 1);
  sample.setPriorityMass(1.0);
  sample.setTableSize(1);
  return SerializeToString(builder);
}

// A shard holding one item of table "queue".
std::string InfoReply(uint64_t id) {
  ShardStats stats;
  stats.table = "queue";
  stats.size = 1;
  TableStats table;
  table.name = "queue";
  table.size = 1;
  table.priority_mass = 1.0;
  stats.tables.push_back(table);
  capnp::MallocMessageBuilder builder;
  auto response = builder.initRoot<wire::Response>();
  response.setProtocolVersion(kProtocolVersion);
  response.setRequestId(id);
  replay_internal::FillInfo(stats, response.initInfo());
  return SerializeToString(builder);
}

// A shard that answers its first info request with an error (as a shard that fails building
// the reply does), its first sample request with bytes that are no reply followed by an error,
// its second with `bad_request`, every priority update with `bad_request`, and everything else
// as a shard holding one item would: sample request n (from 0) gets "item-<n>" with key 40 + n.
FakeShard::Answer RefusingAtFirst(std::atomic<int>* samples) {
  auto infos = std::make_shared<std::atomic<int>>(0);
  return [samples, infos](const replay_internal::DecodedRequest& r) -> std::vector<std::string> {
    switch (r.which) {
      case wire::Request::SAMPLE: {
        const int n = (*samples)++;
        if (n == 0) {
          return {"not a reply", ErrorReply(r.request_id, wire::ErrorCode::MALFORMED, "lost")};
        }
        if (n == 1) {
          return {ErrorReply(r.request_id, wire::ErrorCode::BAD_REQUEST, "batch size too large")};
        }
        return {SampleReply(r.request_id, "item-" + std::to_string(n), 40 + n)};
      }
      case wire::Request::UPDATE_PRIORITIES:
        return {ErrorReply(r.request_id, wire::ErrorCode::BAD_REQUEST,
                           "priority -1 is not finite and >= 0")};
      case wire::Request::INFO:
        if ((*infos)++ == 0) {
          return {ErrorReply(r.request_id, wire::ErrorCode::MALFORMED, "std::bad_alloc")};
        }
        return {InfoReply(r.request_id)};
      default:
        return {ErrorReply(r.request_id, wire::ErrorCode::BAD_REQUEST, "not here")};
    }
  };
}

TEST(ReplayClientTest, InsertThenSampleInFifoOrder) {
  RunningShard shard(ShardOptions(32, /*ipc=*/true));
  InsertClient actor(InsertOptions(shard.endpoint()));
  for (int i = 0; i < 6; i += 2) actor.Insert({std::to_string(i), std::to_string(i + 1)});
  actor.Flush();
  EXPECT_EQ(actor.inflight(), 0);
  EXPECT_EQ(actor.acked_items(), 6);

  SampleClient learner(SampleOptions({shard.endpoint()}, /*prefetch=*/2));
  SampledBatch batch;
  ASSERT_TRUE(learner.Sample(3, 20000, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"0", "1", "2"}));
  ASSERT_TRUE(learner.Sample(3, 20000, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"3", "4", "5"}));
}

TEST(ReplayClientTest, UnrollsSurviveTheRoundTrip) {
  RunningShard shard(ShardOptions(8));
  InsertClient actor(InsertOptions(shard.endpoint()));
  Unroll unroll;
  unroll.Resize(4, 3, 1, true);
  unroll.rewards = {1, 2, 3, 4};
  unroll.policy_version = 5;
  actor.Insert({EncodeUnroll(unroll), EncodeUnroll(unroll)});
  SampleClient learner(SampleOptions({shard.endpoint()}));
  SampledBatch batch;
  ASSERT_TRUE(learner.Sample(2, 20000, &batch));
  for (size_t i = 0; i < batch.size(); ++i) {
    const Unroll decoded = DecodeUnroll(batch.item(i).data, batch.item(i).size);
    EXPECT_EQ(decoded.rewards, unroll.rewards);
    EXPECT_EQ(decoded.policy_version, 5);
  }
}

TEST(ReplayClientTest, FullTableHoldsBackInserts) {
  RunningShard shard(ShardOptions(4));
  InsertClientOptions options = InsertOptions(shard.endpoint());
  options.max_inflight = 2;
  options.timeout_ms = 200;
  InsertClient actor(options);
  SampleClient learner(SampleOptions({shard.endpoint()}, /*prefetch=*/1));

  actor.Insert({"0", "1", "2", "3"});
  actor.Flush();  // fits: acked
  actor.Insert({"4"});
  actor.Insert({"5"});  // still within max_inflight: returns without an ack
  ASSERT_TRUE(
      WaitForStats(shard.server(), [](const ShardStats& s) { return s.pending_inserts == 2; }));
  actor.Poll(0);
  EXPECT_EQ(actor.inflight(), 2);
  EXPECT_EQ(learner.Info(0, 20000).pending_inserts, 2);
  // Out of credit while the table is full: the third request cannot be sent.
  EXPECT_THROW(actor.Insert({"6"}), TimeoutError);
  EXPECT_THROW(actor.Flush(), TimeoutError);
  EXPECT_EQ(actor.inflight(), 2);

  // Sampling frees room: both pending inserts complete.
  SampledBatch batch;
  ASSERT_TRUE(learner.Sample(2, 20000, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"0", "1"}));
  actor.Flush();
  EXPECT_EQ(actor.inflight(), 0);
  actor.Insert({"6"});
  ASSERT_TRUE(learner.Sample(2, 20000, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"2", "3"}));
  actor.Insert({"7"});
  ASSERT_TRUE(learner.Sample(2, 20000, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"4", "5"}));
  ASSERT_TRUE(learner.Sample(2, 20000, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"6", "7"}));
  EXPECT_GT(learner.Info(0, 20000).insert_blocked_seconds, 0.0);
}

// A shard that dies with requests unanswered and comes back on the same endpoint (empty): the
// clients count those requests lost, reconnect by themselves and go on. First the learner waits
// on an empty table, then the actor on a full one.
TEST(ReplayClientTest, ClientsReconnectToARestartedShard) {
  const ShardServerOptions shard_options = ShardOptions(2, /*ipc=*/true);
  InsertClientOptions insert_options = InsertOptions(shard_options.endpoint);
  insert_options.max_inflight = 2;
  InsertClient actor(insert_options);
  SampleClientOptions sample_options = SampleOptions({shard_options.endpoint});
  sample_options.request_timeout_ms = 60000;  // held by the shard until it dies
  SampleClient learner(sample_options);
  SampledBatch batch;
  {
    RunningShard shard(shard_options);
    EXPECT_FALSE(learner.Sample(1, 200, &batch));
    ASSERT_TRUE(
        WaitForStats(shard.server(), [](const ShardStats& s) { return s.pending_samples == 1; }));
    EXPECT_EQ(learner.inflight_requests(), 1);
  }
  for (int i = 0; i < 200 && learner.lost_requests() < 1; ++i) {
    EXPECT_FALSE(learner.Sample(1, 10, &batch));
  }
  EXPECT_EQ(learner.lost_requests(), 1);
  {
    RunningShard shard(shard_options);
    actor.Insert({"0", "1"});
    actor.Flush();
    actor.Insert({"2"});  // the table is full: held back, unacked
    ASSERT_TRUE(
        WaitForStats(shard.server(), [](const ShardStats& s) { return s.pending_inserts == 1; }));
    actor.Poll(0);
    EXPECT_EQ(actor.inflight(), 1);
  }
  for (int i = 0; i < 200 && actor.lost_requests() < 1; ++i) actor.Poll(10);
  EXPECT_EQ(actor.lost_requests(), 1);
  EXPECT_EQ(actor.inflight(), 0);

  RunningShard restarted(shard_options);
  actor.Insert({"a", "b"});
  actor.Flush();
  ASSERT_TRUE(learner.Sample(2, 20000, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(actor.lost_requests(), 1);
  EXPECT_EQ(learner.lost_requests(), 1);
}

TEST(ReplayClientTest, StopFlagEndsABlockedInsert) {
  RunningShard shard(ShardOptions(1));
  std::atomic<bool> stop{false};
  InsertClientOptions options = InsertOptions(shard.endpoint());
  options.max_inflight = 1;
  InsertClient actor(options, &stop);
  actor.Insert({"a", "b"});  // only one fits: stays unacked
  stop = true;
  EXPECT_THROW(actor.Insert({"c"}), StoppedError);
  EXPECT_THROW(actor.Flush(), StoppedError);

  SampleClient learner(SampleOptions({shard.endpoint()}), &stop);
  SampledBatch batch;
  EXPECT_THROW(learner.Sample(1, 20000, &batch), StoppedError);
}

TEST(ReplayClientTest, SampleTimesOutAndKeepsRequestsInFlight) {
  RunningShard shard(ShardOptions(16));
  InsertClient actor(InsertOptions(shard.endpoint()));
  SampleClientOptions options = SampleOptions({shard.endpoint()}, /*prefetch=*/2);
  options.request_timeout_ms = 30;  // the shard answers `timeout` quickly; requests re-sent
  SampleClient learner(options);
  actor.Insert({"a"});
  actor.Flush();
  learner.Info(0, 20000);  // connected: the sample requests below can be sent at once
  SampledBatch batch;
  EXPECT_FALSE(learner.Sample(2, 150, &batch));
  EXPECT_TRUE(batch.empty());
  EXPECT_GT(learner.inflight_requests(), 0);
  actor.Insert({"b", "c", "d"});
  actor.Flush();
  ASSERT_TRUE(learner.Sample(2, 20000, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(learner.Sample(2, 20000, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"c", "d"}));
  EXPECT_GT(learner.Info(0, 20000).timeouts, 0);
}

// An insert the shard can never take is counted and its items dropped; the client goes on.
TEST(ReplayClientTest, InsertErrorRepliesAreCountedAndDropped) {
  RunningShard shard(ShardOptions(4));
  InsertClientOptions insert_options = InsertOptions(shard.endpoint());
  insert_options.table = "elsewhere";
  InsertClient actor(insert_options);
  actor.Insert({"x", "y"});
  actor.Flush();
  EXPECT_EQ(actor.inflight(), 0);
  EXPECT_EQ(actor.failed_requests(), 1);
  EXPECT_EQ(actor.dropped_items(), 2);
  EXPECT_EQ(actor.retried_requests(), 0);
  EXPECT_EQ(actor.acked_items(), 0);
  EXPECT_EQ(shard.server().stats().size, 0);
}

// Error replies to sample requests and priority updates, and a reply that does not decode,
// are counted and their requests dropped; the client never throws and its next calls succeed.
TEST(ReplayClientTest, SampleClientCountsErrorRepliesAndGoesOn) {
  std::atomic<int> samples{0};
  FakeShard shard(RefusingAtFirst(&samples));
  SampleClient learner(SampleOptions({shard.endpoint()}));
  SampledBatch batch;
  ASSERT_TRUE(learner.Sample(1, 20000, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"item-2"}));
  EXPECT_EQ(learner.error_replies(), 2);
  EXPECT_EQ(learner.malformed_replies(), 1);
  EXPECT_EQ(learner.overloaded_replies(), 0);

  // Refused priority updates: dropped (no unknown keys), counted, nothing left unacked.
  EXPECT_EQ(learner.UpdatePriorities({batch.key(0)}, {-1.0}, 20000), 0);
  EXPECT_EQ(learner.error_replies(), 3);
  learner.SendPriorityUpdates({batch.key(0)}, {-1.0}, 20000);
  EXPECT_EQ(learner.CollectPriorityAcks(0, 20000), 0);
  EXPECT_EQ(learner.error_replies(), 4);
  EXPECT_EQ(learner.pending_priority_acks(), 0u);

  ASSERT_TRUE(learner.Sample(1, 20000, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"item-3"}));
  EXPECT_EQ(GlobalKey(0, 43), batch.key(0));

  // Info asks again after an error reply.
  EXPECT_EQ(learner.Info(0, 20000).tables.size(), 1u);
  EXPECT_EQ(learner.error_replies(), 5);
  EXPECT_THROW(learner.Info(3, 100), std::out_of_range);
}

// The same for SamplePrioritized: its first info request and its first two shares are refused;
// each refused call returns false, and the next one is served.
TEST(ReplayClientTest, PrioritizedSamplingReturnsFalseOnErrorRepliesAndGoesOn) {
  std::atomic<int> samples{0};
  FakeShard shard(RefusingAtFirst(&samples));
  SampleClient learner(SampleOptions({shard.endpoint()}));
  SampledBatch batch;
  int refused = 0;
  while (refused < 10 && !learner.SamplePrioritized(1, 20000, &batch)) {
    EXPECT_TRUE(batch.empty());
    ++refused;
  }
  EXPECT_EQ(refused, 2);
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"item-2"}));
  EXPECT_DOUBLE_EQ(batch.info(0).probability, 1.0);
  EXPECT_EQ(learner.error_replies(), 3);  // the info request and two shares
  EXPECT_EQ(learner.malformed_replies(), 1);
  ASSERT_TRUE(learner.SamplePrioritized(1, 20000, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"item-3"}));
}

// A shard refuses a checkpoint while it takes another (`overloaded`): the client asks again after
// a backoff. Any other error reply reaches the caller.
TEST(ReplayClientTest, CheckpointIsAskedAgainWhileTheShardTakesAnother) {
  std::atomic<int> checkpoints{0};
  FakeShard shard([&checkpoints](const replay_internal::DecodedRequest& r) {
    const int n = checkpoints++;
    if (n < 2) {
      return std::vector<std::string>{ErrorReply(r.request_id, wire::ErrorCode::OVERLOADED,
                                                 "a checkpoint is being written: retry later")};
    }
    if (n == 3) {
      return std::vector<std::string>{
          ErrorReply(r.request_id, wire::ErrorCode::BAD_REQUEST, "checkpoint failed: disk full")};
    }
    capnp::MallocMessageBuilder builder;
    auto response = builder.initRoot<wire::Response>();
    response.setProtocolVersion(kProtocolVersion);
    response.setRequestId(r.request_id);
    response.initCheckpoint().setPath("/checkpoints/shard-0");
    return std::vector<std::string>{SerializeToString(builder)};
  });
  SampleClient learner(SampleOptions({shard.endpoint()}));
  EXPECT_EQ(learner.Checkpoint(0, 20000), "/checkpoints/shard-0");
  EXPECT_EQ(learner.overloaded_replies(), 2);
  EXPECT_EQ(checkpoints.load(), 3);
  try {
    learner.Checkpoint(0, 20000);
    ADD_FAILURE() << "a failed checkpoint was not reported";
  } catch (const ReplayError& e) {
    EXPECT_NE(std::string(e.what()).find("disk full"), std::string::npos) << e.what();
  }
  EXPECT_EQ(learner.error_replies(), 1);
}

// A real shard refuses a batch above its table's max_size (bad_request): counted, Sample returns
// false; the client serves the next batch that fits.
TEST(ReplayClientTest, SampleErrorRepliesFromAShardAreCountedAndDropped) {
  RunningShard shard(ShardOptions(4));
  SampleClient learner(SampleOptions({shard.endpoint()}));
  SampledBatch batch;
  for (int i = 0; i < 200 && learner.error_replies() < 2; ++i) {
    EXPECT_FALSE(learner.Sample(5, 20, &batch));
  }
  EXPECT_GE(learner.error_replies(), 2);
  EXPECT_GE(shard.server().stats().errors, 2);
  InsertClient actor(InsertOptions(shard.endpoint()));
  actor.Insert({"a", "b"});
  actor.Flush();
  ASSERT_TRUE(learner.Sample(2, 20000, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"a", "b"}));
}

// `overloaded`: a FIFO queue of 4 is full, one insert waits in the shard and the shard takes no
// second waiting request (max_pending_requests 1). The third client's insert is refused, again
// and again, until sampling makes room; then every item comes out exactly once, in order.
TEST(ReplayClientTest, OverloadedInsertsAreRetriedUntilTheyFit) {
  ShardServerOptions shard_options = ShardOptions(4);
  shard_options.max_pending_requests = 1;
  RunningShard shard(shard_options);
  InsertClient a(InsertOptions(shard.endpoint()));
  InsertClient b(InsertOptions(shard.endpoint()));
  InsertClientOptions c_options = InsertOptions(shard.endpoint());
  c_options.retry_initial_ms = 1;
  c_options.retry_max_ms = 8;
  c_options.seed = 7;
  InsertClient c(c_options);
  a.Insert({"a0", "a1", "a2", "a3"});
  a.Flush();
  b.Insert({"b0", "b1"});  // waits in the shard
  ASSERT_TRUE(
      WaitForStats(shard.server(), [](const ShardStats& s) { return s.pending_inserts == 1; }));
  c.Insert({"c0", "c1"});
  for (int i = 0; i < 2000 && c.retried_requests() < 3; ++i) c.Poll(5);
  EXPECT_GE(c.retried_requests(), 3);
  EXPECT_EQ(c.inflight(), 1);
  EXPECT_GE(shard.server().stats().overloaded, 3);
  EXPECT_EQ(c.failed_requests(), 0);

  SampleClient learner(SampleOptions({shard.endpoint()}));
  SampledBatch batch;
  ASSERT_TRUE(learner.Sample(4, 20000, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"a0", "a1", "a2", "a3"}));
  b.Flush();
  c.Flush();
  EXPECT_EQ(c.inflight(), 0);
  EXPECT_EQ(c.acked_items(), 2);
  ASSERT_TRUE(learner.Sample(4, 20000, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"b0", "b1", "c0", "c1"}));
  EXPECT_EQ(shard.server().stats().size, 0);
}

// A shard-side timeout (InsertClientOptions::shard_timeout_ms) after the rate limiter let some
// items in: the retry sends only the rest, so no item is inserted twice and none is lost.
TEST(ReplayClientTest, TimedOutInsertRetriesOnlyTheItemsNotTaken) {
  RunningShard shard(ShardOptions(4));
  InsertClient a(InsertOptions(shard.endpoint()));
  a.Insert({"a0", "a1", "a2"});
  a.Flush();
  InsertClientOptions options = InsertOptions(shard.endpoint());
  options.shard_timeout_ms = 20;
  options.retry_initial_ms = 1;
  options.retry_max_ms = 4;
  InsertClient c(options);
  c.Insert({"c0", "c1", "c2"});  // c0 fits, then the shard holds the rest for 20 ms
  for (int i = 0; i < 2000 && c.retried_requests() < 2; ++i) c.Poll(5);
  EXPECT_GE(c.retried_requests(), 2);
  EXPECT_EQ(c.acked_items(), 1);
  EXPECT_EQ(shard.server().stats().size, 4);

  SampleClient learner(SampleOptions({shard.endpoint()}));
  SampledBatch batch;
  ASSERT_TRUE(learner.Sample(4, 20000, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"a0", "a1", "a2", "c0"}));
  c.Flush();
  EXPECT_EQ(c.acked_items(), 3);
  ASSERT_TRUE(learner.Sample(2, 20000, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"c1", "c2"}));
  EXPECT_EQ(shard.server().stats().size, 0);
  EXPECT_EQ(c.failed_requests(), 0);
}

// A sample request the shard refuses (`overloaded`: another client's request already waits on
// the empty table and max_pending_requests is 1) is not an error: Sample returns false while
// the shard refuses, asks again after a backoff, and gets its items once there are some.
TEST(ReplayClientTest, OverloadedSampleRequestsAreAskedAgain) {
  ShardServerOptions shard_options = ShardOptions(8);
  shard_options.max_pending_requests = 1;
  RunningShard shard(shard_options);
  SampleClientOptions waiting_options = SampleOptions({shard.endpoint()});
  waiting_options.request_timeout_ms = 60000;
  SampleClient waiting(waiting_options);
  SampledBatch batch;
  EXPECT_FALSE(waiting.Sample(1, 50, &batch));
  ASSERT_TRUE(
      WaitForStats(shard.server(), [](const ShardStats& s) { return s.pending_samples == 1; }));
  SampleClientOptions refused_options = SampleOptions({shard.endpoint()});
  refused_options.request_timeout_ms = 60000;
  SampleClient refused(refused_options);
  for (int i = 0; i < 200 && refused.overloaded_replies() < 2; ++i) {
    EXPECT_FALSE(refused.Sample(1, 20, &batch));
  }
  EXPECT_GE(refused.overloaded_replies(), 2);
  EXPECT_GE(shard.server().stats().overloaded, 2);

  InsertClient actor(InsertOptions(shard.endpoint()));
  actor.Insert({"a", "b", "c"});
  actor.Flush();
  ASSERT_TRUE(waiting.Sample(1, 20000, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"a"}));
  // `waiting` asks for its next item at once (prefetch): one of b and c is the other's.
  ASSERT_TRUE(refused.Sample(1, 20000, &batch));
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_TRUE(batch.ItemString(0) == "b" || batch.ItemString(0) == "c") << batch.ItemString(0);
}

// A batch above one queue shard's max_size (4 > 3) is gathered from requests of at most
// max_request_items to both shards; every item comes out once. Without the limit the shard
// refuses the request (bad_request, counted).
TEST(ReplayClientTest, ABatchAboveAShardsSizeIsGatheredFromSeveralShards) {
  RunningShard shard0(ShardOptions(3));
  RunningShard shard1(ShardOptions(3, /*ipc=*/true));
  std::set<std::string> inserted;
  for (RunningShard* shard : {&shard0, &shard1}) {
    InsertClient actor(InsertOptions(shard->endpoint()));
    const std::string prefix = shard == &shard0 ? "s0-" : "s1-";
    actor.Insert({prefix + "0", prefix + "1", prefix + "2"});
    actor.Flush();
    for (int i = 0; i < 3; ++i) inserted.insert(prefix + std::to_string(i));
  }
  SampleClientOptions options = SampleOptions({shard0.endpoint(), shard1.endpoint()});
  options.max_request_items = 3;
  SampleClient learner(options);
  SampledBatch batch;
  std::set<std::string> sampled;
  ASSERT_TRUE(learner.Sample(4, 20000, &batch));
  for (const std::string& item : Strings(batch)) sampled.insert(item);
  ASSERT_TRUE(learner.Sample(2, 20000, &batch));
  for (const std::string& item : Strings(batch)) sampled.insert(item);
  EXPECT_EQ(sampled, inserted);

  SampleClient whole_batches(SampleOptions({shard0.endpoint()}));
  for (int i = 0; i < 200 && whole_batches.error_replies() < 1; ++i) {
    EXPECT_FALSE(whole_batches.Sample(4, 20, &batch));
  }
  EXPECT_GE(whole_batches.error_replies(), 1);
}

// A direct request the client gave up on (a checkpoint request to a peer that never answers)
// is remembered only until that peer's connection drops: no reply can come after that.
TEST(ReplayClientTest, RequestsGivenUpOnAreForgottenWhenTheirShardGoes) {
  const std::string endpoint = testing::UniqueIpcEndpoint();
  auto silent = std::make_unique<zmq::socket_t>(SharedContext(), zmq::socket_type::router);
  silent->set(zmq::sockopt::linger, 0);
  silent->bind(endpoint);
  SampleClient learner(SampleOptions({endpoint}));
  EXPECT_THROW(learner.Checkpoint(0, 100), TimeoutError);
  EXPECT_THROW(learner.Checkpoint(0, 100), TimeoutError);
  EXPECT_EQ(learner.abandoned_requests(), 2u);
  silent.reset();  // the peer goes away
  SampledBatch batch;
  for (int i = 0; i < 200 && learner.abandoned_requests() > 0; ++i) learner.Sample(1, 10, &batch);
  EXPECT_EQ(learner.abandoned_requests(), 0u);
}

TEST(ReplayClientTest, RetryOptionsAreChecked) {
  InsertClientOptions options = InsertOptions("ipc:///tmp/x");
  options.retry_initial_ms = 0;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options.retry_initial_ms = 100;
  options.retry_max_ms = 10;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options.retry_max_ms = 100;
  EXPECT_NO_THROW(options.Validate());
}

TEST(ReplayClientTest, MissingShardIsATimeout) {
  InsertClientOptions options = InsertOptions("tcp://127.0.0.1:1");  // nothing listens there
  options.timeout_ms = 50;
  InsertClient actor(options);
  try {
    actor.Insert({"x"});
    ADD_FAILURE() << "insert to a missing shard succeeded";
  } catch (const TimeoutError& e) {
    EXPECT_NE(std::string(e.what()).find("tcp://127.0.0.1:1"), std::string::npos) << e.what();
  }
  SampleClient learner(SampleOptions({"tcp://127.0.0.1:1"}));
  SampledBatch batch;
  EXPECT_FALSE(learner.Sample(1, 50, &batch));
  EXPECT_THROW(learner.Info(0, 50), TimeoutError);
}

TEST(ReplayClientTest, OversizedInsertFailsLocally) {
  RunningShard shard(ShardOptions(4));
  InsertClientOptions options = InsertOptions(shard.endpoint());
  options.max_message_bytes = 4096;
  InsertClient actor(options);
  EXPECT_THROW(actor.Insert({std::string(5000, 'x')}), ReplayError);
  EXPECT_EQ(actor.inflight(), 0);
}

TEST(ReplayClientTest, TwoShardsServeEveryItemOnce) {
  RunningShard shard0(ShardOptions(64));
  RunningShard shard1(ShardOptions(64, /*ipc=*/true));
  std::set<std::string> inserted;
  {
    InsertClient actor0(InsertOptions(shard0.endpoint()));
    InsertClient actor1(InsertOptions(shard1.endpoint()));
    for (int i = 0; i < 10; ++i) {
      actor0.Insert({"s0-" + std::to_string(i)});
      actor1.Insert({"s1-" + std::to_string(i)});
      inserted.insert("s0-" + std::to_string(i));
      inserted.insert("s1-" + std::to_string(i));
    }
    actor0.Flush();
    actor1.Flush();
  }
  SampleClient learner(SampleOptions({shard0.endpoint(), shard1.endpoint()}, /*prefetch=*/2));
  std::vector<std::string> sampled;
  SampledBatch batch;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(learner.Sample(5, 20000, &batch));
    ASSERT_EQ(batch.size(), 5u);
    for (const std::string& item : Strings(batch)) sampled.push_back(item);
  }
  EXPECT_EQ(std::set<std::string>(sampled.begin(), sampled.end()), inserted);
  EXPECT_EQ(sampled.size(), inserted.size());  // no duplicates
  EXPECT_EQ(learner.Info(0, 20000).samples, 10);
  EXPECT_EQ(learner.Info(1, 20000).samples, 10);
  EXPECT_FALSE(learner.Sample(5, 0, &batch));
}

TEST(ReplayClientTest, BatchOutlivesTheClient) {
  RunningShard shard(ShardOptions(8));
  InsertClient actor(InsertOptions(shard.endpoint()));
  actor.Insert({std::string(1000, 'p'), "q"});
  SampledBatch batch;
  {
    SampleClient learner(SampleOptions({shard.endpoint()}));
    ASSERT_TRUE(learner.Sample(2, 20000, &batch));
  }
  SampledBatch moved = std::move(batch);
  EXPECT_EQ(moved.ItemString(0), std::string(1000, 'p'));
  EXPECT_EQ(moved.ItemString(1), "q");
}

TEST(ReplayClientTest, OptionsAreValidated) {
  InsertClientOptions insert;
  EXPECT_THROW(insert.Validate(), std::invalid_argument);  // no endpoint
  insert.endpoint = "tcp://127.0.0.1:1";
  insert.max_inflight = 0;
  EXPECT_THROW(InsertClient{insert}, std::invalid_argument);
  SampleClientOptions sample;
  EXPECT_THROW(sample.Validate(), std::invalid_argument);  // no endpoints
  sample.endpoints = {"tcp://127.0.0.1:1"};
  sample.prefetch = 0;
  EXPECT_THROW(sample.Validate(), std::invalid_argument);
  sample.prefetch = 1;
  SampleClient learner(sample);
  SampledBatch batch;
  EXPECT_THROW(learner.Sample(0, 10, &batch), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
