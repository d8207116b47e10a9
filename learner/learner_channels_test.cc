// The learner's stats receiver against a raw PUSH socket over ipc: well-formed messages add up,
// malformed or senseless ones are dropped whole and counted.
#include "learner/learner_channels.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <limits>
#include <string>
#include <thread>

#include "core/file_util.h"
#include "transport/codec.h"
#include "transport/socket.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

ActorStatsMessage Stats(uint32_t actor, int64_t steps, double episode_return, int64_t length) {
  ActorStatsMessage m;
  m.actor_index = actor;
  m.env_steps = steps;
  m.episode_returns = {episode_return};
  m.episode_lengths = {length};
  m.policy_version = 3;
  return m;
}

TEST(CheckActorStatsTest, NamesWhatIsWrong) {
  EXPECT_EQ(CheckActorStats(Stats(1, 10, 2.5, 4), 2), "");
  EXPECT_EQ(CheckActorStats(Stats(2, 10, 2.5, 4), 2), "actor index 2 but the run has 2 actors");
  EXPECT_EQ(CheckActorStats(Stats(0, -1, 2.5, 4), 2), "env steps -1 out of range");
  EXPECT_EQ(CheckActorStats(Stats(0, int64_t{1} << 40, 2.5, 4), 2),
            "env steps 1099511627776 out of range");
  EXPECT_EQ(CheckActorStats(Stats(0, 1, std::numeric_limits<double>::infinity(), 4), 2),
            "an episode return is not finite");
  EXPECT_EQ(CheckActorStats(Stats(0, 1, 1.0, 0), 2), "episode length 0");
  ActorStatsMessage m = Stats(0, 1, 1.0, 1);
  m.policy_version = -2;
  EXPECT_EQ(CheckActorStats(m, 2), "policy version -2");
  m = Stats(0, 1, 1.0, 1);
  m.rejected_weights = -1;
  EXPECT_EQ(CheckActorStats(m, 2), "rejected weights -1");
  m = Stats(0, 1, 1.0, 1);
  m.env_worker_restarts = -1;
  EXPECT_EQ(CheckActorStats(m, 2), "a negative env fault count");
}

TEST(ActorStatsReceiverTest, DropsAndCountsBadMessagesWhole) {
  const fs::path dir = fs::temp_directory_path() / ("rlfleet-stats-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string endpoint = "ipc://" + (dir / "stats").string();
  {
    ActorStatsReceiver receiver(endpoint, 2, (dir / "episodes.csv").string());
    zmq::socket_t push(SharedContext(), zmq::socket_type::push);
    push.set(zmq::sockopt::linger, 0);
    push.connect(endpoint);
    ActorStatsMessage with_rejections = Stats(1, 5, -3.0, 5);
    with_rejections.rejected_weights = 2;
    with_rejections.env_dropped_episodes = 3;
    with_rejections.env_errors = 2;
    with_rejections.env_nonfinite = 1;
    with_rejections.env_worker_restarts = 1;
    ActorStatsMessage with_round = Stats(0, 10, 2.5, 10);
    with_round.round = 4;  // only learner.deterministic sends rounds
    for (const std::string& bytes :
         {EncodeActorStats(Stats(0, 10, 2.5, 10)), EncodeActorStats(Stats(7, 10, 2.5, 10)),
          EncodeActorStats(with_round),
          EncodeActorStats(Stats(0, 10, std::numeric_limits<double>::quiet_NaN(), 10)),
          std::string("garbage"), EncodeActorStats(with_rejections)}) {
      push.send(zmq::buffer(bytes));
    }
    for (int i = 0; i < 400 && receiver.rejected_messages + receiver.episodes < 6; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      receiver.Drain(1.0);
    }
    EXPECT_EQ(receiver.rejected_messages, 4);
    EXPECT_EQ(receiver.episodes, 2);
    EXPECT_EQ(receiver.actor_env_steps, 15);
    EXPECT_EQ(receiver.rejected_weights, 2);
    EXPECT_EQ(receiver.env_faults.dropped_episodes, 3);
    EXPECT_EQ(receiver.env_faults.env_errors, 2);
    EXPECT_EQ(receiver.env_faults.nonfinite_observations, 1);
    EXPECT_EQ(receiver.env_faults.worker_restarts, 1);
    EXPECT_EQ(receiver.env_faults.worker_timeouts, 0);
    EXPECT_DOUBLE_EQ(receiver.recent_returns.Mean(), (2.5 - 3.0) / 2);
    EXPECT_EQ(ReadFile((dir / "episodes.csv").string()),
              "1.000,0,2.500000,10\n1.000,1,-3.000000,5\n");
  }
  fs::remove_all(dir);
}

// learner.deterministic: reports tagged with a round wait until every actor's is in, then
// enter in actor order, whatever order they arrived in.
TEST(ActorStatsReceiverTest, RoundReportsApplyInActorOrderOnceAllAreIn) {
  const fs::path dir =
      fs::temp_directory_path() / ("rlfleet-stats-rounds-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string endpoint = "ipc://" + (dir / "stats").string();
  {
    ActorStatsReceiver receiver(endpoint, 2, (dir / "episodes.csv").string(), /*rounds=*/true);
    zmq::socket_t push(SharedContext(), zmq::socket_type::push);
    push.set(zmq::sockopt::linger, 0);
    push.connect(endpoint);
    push.send(zmq::buffer(EncodeActorStats(Stats(0, 1, 1.0, 1))));  // no round: dropped
    ActorStatsMessage late = Stats(1, 7, -1.0, 3);
    late.round = 0;
    ActorStatsMessage next_round = Stats(1, 4, 9.0, 4);
    next_round.round = 1;
    push.send(zmq::buffer(EncodeActorStats(late)));
    push.send(zmq::buffer(EncodeActorStats(next_round)));
    for (int i = 0; i < 400 && !receiver.HasRoundReport(1, 1, 1.0); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_TRUE(receiver.HasRoundReport(0, 1, 1.0));
    EXPECT_FALSE(receiver.HasRoundReport(0, 0, 1.0));
    EXPECT_FALSE(receiver.ApplyRound(0, 1.0));  // actor 0's report is missing
    EXPECT_EQ(receiver.episodes, 0);
    EXPECT_EQ(receiver.actor_env_steps, 0);
    ActorStatsMessage first = Stats(0, 5, 2.0, 2);
    first.round = 0;
    push.send(zmq::buffer(EncodeActorStats(first)));
    bool applied = false;
    for (int i = 0; i < 400 && !applied; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      applied = receiver.ApplyRound(0, 2.0);
    }
    ASSERT_TRUE(applied);
    EXPECT_EQ(receiver.actor_env_steps, 12);  // round 1 not yet
    EXPECT_EQ(ReadFile((dir / "episodes.csv").string()),
              "2.000,0,2.000000,2\n2.000,1,-1.000000,3\n");
    EXPECT_FALSE(receiver.ApplyRound(1, 3.0));        // only actor 1's report of round 1
    EXPECT_FALSE(receiver.ApplyRound(0, 3.0));        // applied once
    push.send(zmq::buffer(EncodeActorStats(first)));  // a round already applied: dropped
    ActorStatsMessage ahead = Stats(0, 5, 2.0, 2);
    ahead.round = 3;  // the learner is in round 1: dropped, not kept
    push.send(zmq::buffer(EncodeActorStats(ahead)));
    for (int i = 0; i < 400 && receiver.rejected_messages < 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      receiver.Drain(3.0);
    }
    EXPECT_EQ(receiver.rejected_messages, 3);
    EXPECT_FALSE(receiver.HasRoundReport(3, 0, 3.0));
    EXPECT_EQ(receiver.episodes, 2);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rlfleet
