// The local cluster's restart policy, its memory check and interruptible start.
#include "launcher/local_cluster.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

TEST(RestartBookTest, AllowsMaxRestartsPerRoleWithinTheWindow) {
  RestartBook book(/*max_restarts=*/2, /*window_seconds=*/60.0);
  EXPECT_TRUE(book.Allow("shard-0", 0.0));
  EXPECT_TRUE(book.Allow("shard-0", 10.0));
  EXPECT_FALSE(book.Allow("shard-0", 59.0));  // a third death within 60 s of the first
  EXPECT_TRUE(book.Allow("actor-1", 59.0));   // roles are counted apart
  EXPECT_TRUE(book.Allow("shard-0", 60.5));   // the death at 0 s has left the window
  EXPECT_FALSE(book.Allow("shard-0", 65.0));  // 10 s and 60.5 s are still in it
  EXPECT_EQ(book.Restarts("shard-0"), 3);
  EXPECT_EQ(book.Restarts("learner"), 0);
  EXPECT_EQ(book.Total(), 4);
  const auto json = nlohmann::json::parse(book.Json());
  EXPECT_EQ(json["total"].get<int64_t>(), 4);
  EXPECT_EQ(json["roles"]["shard-0"].get<int64_t>(), 3);
  EXPECT_EQ(json["roles"]["actor-1"].get<int64_t>(), 1);

  RestartBook never(0, 60.0);
  EXPECT_FALSE(never.Allow("learner", 0.0));
}

// Each actor adds its private memory (75 MB); the shard and the learner 400 MB each, and the
// libraries' shared pages 125 MB once: 10 actors and 1 shard need 750 + 800 + 125 MB.
TEST(CheckClusterFitsTest, ComparesTheProcessesWithTheAvailableMemory) {
  RunConfig config;
  config.cluster.num_actors = 10;
  config.cluster.num_shards = 1;
  EXPECT_EQ(ClusterMemoryBytes(config), 1'675'000'000);
  EXPECT_EQ(CheckClusterFits(config, 1'675'000'000), "");
  EXPECT_NE(CheckClusterFits(config, 1'674'999'999), "");
  EXPECT_EQ(CheckClusterFits(config, -1), "");  // unknown: not refused
  config.cluster.num_actors = 100000;
  const std::string problem = CheckClusterFits(config, 24'000'000'000);
  // 100000 · 75 MB + 925 MB.
  EXPECT_NE(problem.find("cluster.num_actors=100000 and cluster.num_shards=1 need about 7500.9 "
                         "GB of memory"),
            std::string::npos)
      << problem;
  EXPECT_NE(problem.find("(75 MB per actor process, 400 MB per shard and for the learner, 125 MB "
                         "of shared libraries once)"),
            std::string::npos)
      << problem;
  // (24000 − 925) / 75 = 307.67.
  EXPECT_NE(problem.find("but 24.0 GB are available, which hold 307 actor(s)"), std::string::npos)
      << problem;
  EXPECT_NE(problem.find("--force"), std::string::npos) << problem;
}

// How many actors a given MemAvailable admits: 4 GB less 1 shard, the learner and the shared
// pages (925 MB) leave 3075 MB, exactly 41 actors of 75 MB; each more shard costs 400 MB,
// 5 actors. With the RSS of 165 MB per actor that was counted before, 4 GB admitted 19.
TEST(CheckClusterFitsTest, ActorsThatFitInTheAvailableMemory) {
  RunConfig config;
  config.cluster.num_shards = 1;
  EXPECT_EQ(ActorsThatFit(config, 4'000'000'000), 41);
  config.cluster.num_actors = 41;
  EXPECT_EQ(CheckClusterFits(config, 4'000'000'000), "");
  config.cluster.num_actors = 42;
  EXPECT_NE(CheckClusterFits(config, 4'000'000'000), "");
  EXPECT_EQ(ActorsThatFit(config, 3'999'999'999), 40);
  config.cluster.num_shards = 2;
  EXPECT_EQ(ActorsThatFit(config, 4'000'000'000), 35);  // 2675 MB / 75 MB = 35.7
  EXPECT_EQ(ActorsThatFit(config, 1'000'000'000), 0);   // not even the servers fit
  EXPECT_EQ(ActorsThatFit(config, 1'325'000'000), 0);
  EXPECT_EQ(ActorsThatFit(config, 1'400'000'000), 1);
  EXPECT_EQ(ActorsThatFit(config, int64_t{1} << 62), std::numeric_limits<int32_t>::max());
}

// A Python env runs env.python_workers processes per actor: 30 MB each, and the interpreter's
// shared pages (25 MB) once. 3 actors of 2 workers and 1 shard: 3 · (75 + 60) + 800 + 125 + 25.
TEST(CheckClusterFitsTest, CountsThePythonEnvWorkers) {
  RunConfig config;
  config.cluster.num_actors = 3;
  config.cluster.num_shards = 1;
  config.env.python_workers = 2;  // without env.python: no workers
  EXPECT_EQ(ClusterMemoryBytes(config), 3 * 75'000'000 + 925'000'000);
  config.env.python = "cartpole:make";
  EXPECT_EQ(ClusterMemoryBytes(config), 1'355'000'000);
  EXPECT_EQ(ActorsThatFit(config, 4'000'000'000), 22);  // 3050 MB / 135 MB = 22.6
  config.cluster.num_actors = 23;
  const std::string problem = CheckClusterFits(config, 4'000'000'000);
  EXPECT_NE(problem.find("125 MB of shared libraries once, 30 MB per Python env worker and 25 MB "
                         "once for them)"),
            std::string::npos)
      << problem;
  EXPECT_NE(problem.find("which hold 22 actor(s)"), std::string::npos) << problem;
}

// An interrupt that comes while the processes are being started stops the starting: here it is
// set before the first one, so none starts (each would leave its log file).
TEST(RunLocalClusterTest, InterruptEndsTheStartOfProcesses) {
  const fs::path dir =
      fs::temp_directory_path() / ("rlfleet-cluster-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  RunConfig config;
  config.cluster.num_actors = 50;
  LocalClusterOptions options;
  options.executable = "/bin/false";
  options.run_dir = dir.string();
  options.show_progress = false;
  const std::atomic<bool> interrupt{true};
  EXPECT_EQ(RunLocalCluster(config, options, interrupt), 0);
  EXPECT_TRUE(fs::exists(dir / "logs"));
  EXPECT_TRUE(fs::is_empty(dir / "logs"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rlfleet
