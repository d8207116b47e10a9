#ifndef RLFLEET_REPLAY_RUN_FIXTURE_TESTING_H_
#define RLFLEET_REPLAY_RUN_FIXTURE_TESTING_H_

// Test fixture for tests that run an actor or a learner in-process against a real replay shard:
// a fresh directory per test, a RunConfig whose endpoints are ipc sockets in it, and the
// shard's tables served by a thread (header-only; tests only).

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "core/run_config.h"
#include "replay/insert_client.h"
#include "replay/run_tables.h"
#include "replay/sample_client.h"
#include "replay/testing.h"
#include "transport/codec.h"
#include "transport/socket.h"

namespace rlfleet {
namespace testing {

class RunFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("rlfleet-" + std::string(info->test_suite_name()) + "-" + info->name() + "-" +
            std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    const std::string ipc = "ipc://" + dir_.string();
    config_.env.id = "CartPole-v1";
    config_.cluster.shard_endpoints = {ipc + "/shard"};
    config_.cluster.weights_endpoint = ipc + "/weights";
    config_.cluster.stats_endpoint = ipc + "/stats";
  }
  void TearDown() override {
    shard_.reset();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  // Serves RunTables(config_, replay_memory) on config_'s shard endpoint.
  void StartShard(bool replay_memory) {
    ShardServerOptions options;
    options.endpoint = config_.cluster.shard_endpoints[0];
    options.tables = RunTables(config_, replay_memory);
    shard_ = std::make_unique<RunningShard>(options);
  }

  // One insert request, waited for. Empty priorities: every item gets 1.
  void Insert(const std::vector<std::string>& items, const std::vector<double>& priorities) {
    InsertClientOptions options;
    options.endpoint = config_.cluster.shard_endpoints[0];
    options.table = config_.replay.table;
    InsertClient client(options);
    if (priorities.empty()) {
      client.Insert(items);
    } else {
      client.Insert(items, priorities);
    }
    client.Flush();
  }

  SampleClientOptions SampleOptions() const {
    SampleClientOptions options;
    options.endpoints = config_.cluster.shard_endpoints;
    options.table = config_.replay.table;
    return options;
  }

  // Pushes one ActorStats message to config_'s stats endpoint, as actor 0 would.
  void ReportActorStats(int64_t env_steps, const std::vector<double>& returns) {
    zmq::socket_t push(SharedContext(), zmq::socket_type::push);
    push.set(zmq::sockopt::linger, 5000);
    push.connect(config_.cluster.stats_endpoint);
    ActorStatsMessage stats;
    stats.env_steps = env_steps;
    stats.episode_returns = returns;
    stats.episode_lengths.assign(returns.size(), 1);
    const std::string bytes = EncodeActorStats(stats);
    push.send(zmq::buffer(bytes), zmq::send_flags::none);
  }

  // Polls `done` every 20 ms until it holds or `seconds` pass (a hang guard, not a timing
  // assertion); returns done().
  template <typename Done>
  bool WaitFor(Done done, double seconds) {
    const auto limit = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
    while (!done() && std::chrono::steady_clock::now() < limit) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
  }

  ShardStats Info() {
    SampleClient client(SampleOptions());
    return client.Info(0, 5000);
  }

  std::filesystem::path dir_;
  RunConfig config_;
  std::unique_ptr<RunningShard> shard_;
};

}  // namespace testing
}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_RUN_FIXTURE_TESTING_H_
