// The local cluster's restart policy, its memory check and interruptible start.
#include "launcher/local_cluster.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
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

TEST(CheckClusterFitsTest, ComparesTheProcessesWithTheAvailableMemory) {
  RunConfig config;
  config.cluster.num_actors = 10;
  config.cluster.num_shards = 1;
  const int64_t needed = 10 * kActorProcessBytes + 2 * kServerProcessBytes;
  EXPECT_EQ(CheckClusterFits(config, needed), "");
  EXPECT_EQ(CheckClusterFits(config, -1), "");  // unknown: not refused
  config.cluster.num_actors = 100000;
  const std::string problem = CheckClusterFits(config, 24'000'000'000);
  EXPECT_NE(problem.find("cluster.num_actors=100000 and cluster.num_shards=1 need about 16500.8 "
                         "GB of memory"),
            std::string::npos)
      << problem;
  EXPECT_NE(problem.find("but 24.0 GB are available"), std::string::npos) << problem;
  EXPECT_NE(problem.find("--force"), std::string::npos) << problem;
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
