// The actors' weights subscriber against a raw PUB socket over ipc: which messages it takes
// (newer versions, any version of a new learner process) and which it refuses and counts
// (other names or shapes, non-finite values, versions that go back within one process).
#include "actors/actor_channels.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <thread>

#include "algorithms/fake_algorithm_testing.h"
#include "transport/codec.h"
#include "transport/socket.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

WeightsMessage Message(uint64_t incarnation, int64_t version, float w) {
  WeightsMessage m;
  m.version = version;
  m.learner_step = version;
  m.incarnation = incarnation;
  m.names = {"w"};
  m.shapes = {{1}};
  m.flat = {w};
  return m;
}

class WeightsSubscriberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("rlfleet-weights-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    endpoint_ = "ipc://" + (dir_ / "weights").string();
    publisher_.set(zmq::sockopt::linger, 0);
    publisher_.bind(endpoint_);
    subscriber_ = std::make_unique<WeightsSubscriber>(endpoint_, *module_, /*silence_seconds=*/0.5);
  }
  void TearDown() override {
    subscriber_.reset();
    fs::remove_all(dir_);
  }

  float w() { return module_->w.item<float>(); }

  // Sends `bytes` every 5 ms and polls the subscriber until `done` holds (true) or 400 sends
  // passed (false); the subscription connects asynchronously.
  bool SendUntil(const std::string& bytes, const std::function<bool()>& done, int sends = 400) {
    for (int i = 0; i < sends; ++i) {
      publisher_.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      subscriber_->MaybeLoad(*module_);
      if (done()) return true;
    }
    return false;
  }

  fs::path dir_;
  std::string endpoint_;
  testing::FakeModule module_;
  zmq::socket_t publisher_{SharedContext(), zmq::socket_type::pub};
  std::unique_ptr<WeightsSubscriber> subscriber_;
};

TEST_F(WeightsSubscriberTest, TakesNewerAndRestartedLearnersWeightsAndCountsBadOnes) {
  EXPECT_GE(subscriber_->max_message_bytes(), 4);
  ASSERT_TRUE(SendUntil(EncodeWeights(Message(11, 3, 7.0f)), [&] { return w() == 7.0f; }));
  EXPECT_EQ(subscriber_->version(), 3);

  // An older version of the same learner process is not taken (the subscriber has seen it).
  EXPECT_FALSE(SendUntil(
      EncodeWeights(Message(11, 2, 9.0f)), [&] { return w() != 7.0f; }, 40));

  // Bad messages are counted and change nothing.
  WeightsMessage renamed = Message(11, 4, 1.0f);
  renamed.names = {"v"};
  WeightsMessage reshaped = Message(11, 4, 1.0f);
  reshaped.shapes = {{1, 1}};
  const float nan = std::numeric_limits<float>::quiet_NaN();
  int64_t rejected = 0;
  for (const std::string& bad : {EncodeWeights(renamed), EncodeWeights(reshaped),
                                 EncodeWeights(Message(11, 4, nan)), std::string("garbage")}) {
    ASSERT_TRUE(SendUntil(bad, [&] { return subscriber_->rejected() > rejected; }));
    rejected = subscriber_->rejected();
    EXPECT_EQ(w(), 7.0f);
    EXPECT_EQ(subscriber_->version(), 3);
  }

  // A restarted learner (another incarnation) counts versions from its checkpoint: taken.
  ASSERT_TRUE(SendUntil(EncodeWeights(Message(12, 1, 5.0f)), [&] { return w() == 5.0f; }));
  EXPECT_EQ(subscriber_->version(), 1);

  // A message larger than the module's weights need ends the connection; after 0.5 s without a
  // message the subscriber subscribes again and the next good one arrives.
  WeightsMessage huge = Message(12, 5, 1.0f);
  huge.names = {std::string(static_cast<size_t>(subscriber_->max_message_bytes()), 'x')};
  EXPECT_FALSE(SendUntil(
      EncodeWeights(huge), [&] { return w() != 5.0f; }, 40));

  ASSERT_TRUE(SendUntil(EncodeWeights(Message(12, 6, 3.0f)), [&] { return w() == 3.0f; }));
  EXPECT_GE(subscriber_->reconnects(), 1);
}

// While the learner's queue cannot take a message (no learner yet, and ZeroMQ's queue to it
// full), the statistics accumulate instead of being dropped: once a learner binds, the env
// steps and episodes it receives add up to every one the actor reported.
TEST(StatsReporterTest, NothingIsLostWhileTheLearnerCannotTakeMessages) {
  const fs::path dir = fs::temp_directory_path() / ("rlfleet-stats-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string endpoint = "ipc://" + (dir / "stats").string();
  constexpr int kReports = 3000;  // well above ZeroMQ's default send queue of 1000 messages
  int64_t sum_steps = 0, episodes = 0, retries = 0;
  {
    StatsReporter reporter(endpoint, 0, /*interval_seconds=*/0.0);
    for (int i = 0; i < kReports; ++i) {
      reporter.AddSteps(2);
      reporter.AddEpisode(1.0, 3);
      reporter.AddInsertCounts(1, 0);
      reporter.MaybeSend(0, 0, /*force=*/false);
    }
    zmq::socket_t learner(SharedContext(), zmq::socket_type::pull);
    learner.set(zmq::sockopt::linger, 0);
    learner.bind(endpoint);
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (sum_steps < 2 * kReports && std::chrono::steady_clock::now() < limit) {
      zmq::message_t message;
      if (!learner.recv(message, zmq::recv_flags::dontwait)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        reporter.MaybeSend(0, 0, /*force=*/true);  // what is still pending
        continue;
      }
      const ActorStatsMessage stats = DecodeActorStats(message.data(), message.size());
      sum_steps += stats.env_steps;
      episodes += static_cast<int64_t>(stats.episode_returns.size());
      retries += stats.insert_retries;
    }
  }
  fs::remove_all(dir);
  EXPECT_EQ(sum_steps, 2 * kReports);
  EXPECT_EQ(episodes, kReports);
  EXPECT_EQ(retries, kReports);
}

}  // namespace
}  // namespace rlfleet
