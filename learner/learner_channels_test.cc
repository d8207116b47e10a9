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
    for (const std::string& bytes :
         {EncodeActorStats(Stats(0, 10, 2.5, 10)), EncodeActorStats(Stats(7, 10, 2.5, 10)),
          EncodeActorStats(Stats(0, 10, std::numeric_limits<double>::quiet_NaN(), 10)),
          std::string("garbage"), EncodeActorStats(with_rejections)}) {
      push.send(zmq::buffer(bytes));
    }
    for (int i = 0; i < 400 && receiver.rejected_messages + receiver.episodes < 5; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      receiver.Drain(1.0);
    }
    EXPECT_EQ(receiver.rejected_messages, 3);
    EXPECT_EQ(receiver.episodes, 2);
    EXPECT_EQ(receiver.actor_env_steps, 15);
    EXPECT_EQ(receiver.rejected_weights, 2);
    EXPECT_DOUBLE_EQ(receiver.recent_returns.Mean(), (2.5 - 3.0) / 2);
    EXPECT_EQ(ReadFile((dir / "episodes.csv").string()),
              "1.000,0,2.500000,10\n1.000,1,-3.000000,5\n");
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rlfleet
