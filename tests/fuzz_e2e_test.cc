// End-to-end: while a CartPole IMPALA run trains, a fuzzer sends to every socket that its
// servers bind (the replay shard's ROUTER, the learner's stats PULL) random and truncated
// frames, many-frame messages, wrong protocol versions, Cap'n Proto messages declaring huge
// sizes, and well-formed messages with wrong content (items that do not fit the env, senseless
// stats). No process dies, the counters show the rejections, and the run completes and learns.
#include <gtest/gtest.h>

#include <capnp/message.h>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "config/config_io.h"
#include "core/file_util.h"
#include "core/unroll.h"
#include "launcher/process.h"
#include "replay/insert_client.h"
#include "replay/sample_client.h"
#include "tests/e2e_testing.h"
#include "transport/capnp_io.h"
#include "transport/codec.h"
#include "transport/schema/rlfleet.capnp.h"
#include "transport/socket.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

using testing::EpisodeReturns;
using testing::Mean;

class FuzzE2eTest : public testing::E2eFixture {
 protected:
  FuzzE2eTest() : E2eFixture("cartpole_impala.yaml") {}
};

// Well-formed bytes for a request with another protocol version.
std::string WrongVersionRequest() {
  capnp::MallocMessageBuilder builder;
  auto request = builder.initRoot<wire::Request>();
  request.setProtocolVersion(kProtocolVersion + 41);
  request.setRequestId(7);
  request.initInfo();
  return SerializeToString(builder);
}

// A Cap'n Proto segment table that declares a 2^28-word segment and then ends.
std::string HugeDeclaredSize() {
  std::string bytes(16, '\0');
  const uint32_t words = 1u << 28;
  std::memcpy(&bytes[4], &words, sizeof(words));
  return bytes;
}

// Frames for the shard: each entry is one multipart message (after the ROUTER's envelope).
std::vector<std::vector<std::string>> ShardFrames(std::mt19937& rng) {
  std::uniform_int_distribution<int> length(0, 2048);
  std::uniform_int_distribution<int> byte(0, 255);
  auto random_bytes = [&] {
    std::string s(static_cast<size_t>(length(rng)), '\0');
    for (char& c : s) c = static_cast<char>(byte(rng));
    return s;
  };
  const std::string version = WrongVersionRequest();
  return {{random_bytes()},
          {version},
          {version.substr(0, version.size() / 2)},  // truncated
          {HugeDeclaredSize()},
          {random_bytes(), random_bytes(), random_bytes()},  // more frames than a request has
          {std::string()}};
}

// Items of a well-formed insert that do not fit CartPole: garbage, a wrong observation size, a
// non-finite reward, an action index out of range.
std::vector<std::string> WrongItems(int32_t unroll_length) {
  Unroll wrong_size;
  wrong_size.Resize(unroll_length, 3, 1, true);
  Unroll nan_reward;
  nan_reward.Resize(unroll_length, 4, 1, true);
  nan_reward.rewards[0] = std::numeric_limits<float>::quiet_NaN();
  Unroll bad_action;
  bad_action.Resize(unroll_length, 4, 1, true);
  bad_action.actions[0] = 7.0f;
  return {"not an unroll", EncodeUnroll(wrong_size), EncodeUnroll(nan_reward),
          EncodeUnroll(bad_action)};
}

// Stats messages the learner must refuse.
std::vector<std::string> WrongStats(std::mt19937& rng) {
  ActorStatsMessage bad_index;
  bad_index.actor_index = 99;
  bad_index.env_steps = 10;
  ActorStatsMessage huge_steps;
  huge_steps.env_steps = int64_t{1} << 50;
  ActorStatsMessage nan_return;
  nan_return.env_steps = 1;
  nan_return.episode_returns = {std::numeric_limits<double>::quiet_NaN()};
  nan_return.episode_lengths = {5};
  std::string garbage(64, '\0');
  for (char& c : garbage) c = static_cast<char>(rng());
  return {EncodeActorStats(bad_index), EncodeActorStats(huge_steps), EncodeActorStats(nan_return),
          garbage, HugeDeclaredSize()};
}

TEST_F(FuzzE2eTest, BadInputFromAnyPeerIsCountedAndTrainingGoesOn) {
  ChildProcess launcher(TrainArgs({"learner.total_env_steps=1000000", "name=fuzz"}), log_);
  ASSERT_TRUE(WaitForStatus(launcher)) << Log();
  const fs::path run = RunDir();
  const RunConfig cluster = LoadRunConfig((run / "cluster.yaml").string());
  const std::string shard_endpoint = cluster.cluster.shard_endpoints.at(0);

  // Fuzz for 1.5 s of the run's about 6 s, seeded.
  std::mt19937 rng(1234);
  int64_t sent_to_shard = 0, sent_to_learner = 0;
  {
    zmq::socket_t shard(SharedContext(), zmq::socket_type::dealer);
    shard.set(zmq::sockopt::linger, 0);
    shard.set(zmq::sockopt::sndhwm, 100);
    shard.connect(shard_endpoint);
    zmq::socket_t stats(SharedContext(), zmq::socket_type::push);
    stats.set(zmq::sockopt::linger, 0);
    stats.set(zmq::sockopt::sndhwm, 100);
    stats.connect(cluster.cluster.stats_endpoint);
    InsertClientOptions insert_options;
    insert_options.endpoint = shard_endpoint;
    insert_options.table = cluster.replay.table;
    insert_options.max_inflight = 1000;
    insert_options.timeout_ms = 1000;
    InsertClient inserter(insert_options);
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
    while (std::chrono::steady_clock::now() < end && !launcher.Poll()) {
      for (const auto& message : ShardFrames(rng)) {
        for (size_t i = 0; i < message.size(); ++i) {
          const auto more =
              i + 1 < message.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
          shard.send(zmq::buffer(message[i]), more | zmq::send_flags::dontwait);
        }
        ++sent_to_shard;
      }
      for (const std::string& bytes : WrongStats(rng)) {
        if (stats.send(zmq::buffer(bytes), zmq::send_flags::dontwait)) ++sent_to_learner;
      }
      try {
        if (inserter.inflight() < 100) inserter.Insert(WrongItems(cluster.actor.unroll_length));
        inserter.Poll(0);
      } catch (const TimeoutError&) {
        // The queue is full (the learner drains it): try again next round.
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // The shard counted what it refused.
    SampleClientOptions sample_options;
    sample_options.endpoints = {shard_endpoint};
    sample_options.table = cluster.replay.table;
    SampleClient client(sample_options);
    const ShardStats stats_now = client.Info(0, 20000);
    EXPECT_GT(stats_now.malformed, 0);
    EXPECT_GT(stats_now.wrong_version, 0);
  }
  EXPECT_GT(sent_to_shard, 0);
  EXPECT_GT(sent_to_learner, 0);

  const auto status = launcher.Wait(300);
  ASSERT_TRUE(status.has_value()) << Log();
  EXPECT_TRUE(status->ok()) << status->ToString() << "\n" << Log();
  EXPECT_EQ(Log().find("died"), std::string::npos) << Log();
  const auto summary = nlohmann::json::parse(ReadFile((run / "summary.json").string()));
  EXPECT_TRUE(summary["completed"].get<bool>());
  EXPECT_EQ(summary["restarts"].get<int64_t>(), 0);
  EXPECT_GT(summary["malformed_items"].get<int64_t>(), 0) << summary.dump();
  EXPECT_GT(summary["rejected_stats"].get<int64_t>(), 0) << summary.dump();
  const std::vector<double> returns = EpisodeReturns(run);
  ASSERT_GE(returns.size(), 200u);
  EXPECT_GT(Mean(returns, returns.size() - 100, returns.size()), 150.0);
}

}  // namespace
}  // namespace rlfleet
