// scripts/bench_scale.py on one small point per workload (2 shards, 2 actors in two network
// namespace hosts, tcp with CURVE): the rates it reports from heartbeats and status.json must
// agree with what the configs fix independently of any measurement: IMPALA (configs/
// cartpole_impala.yaml) inserts one unroll of 100 steps per env and 16 of them per request and
// consumes 8 × 100 frames per update; Ape-X (configs/cartpole_apex_dqn.yaml) inserts one
// transition per env step, 64 per request, and samples 128 per update.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/file_util.h"
#include "core/shell.h"
#include "tests/e2e_testing.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

// |a / b − 1| <= tolerance, with a message naming both.
::testing::AssertionResult Near(double a, double b, double tolerance) {
  if (b > 0 && std::abs(a / b - 1.0) <= tolerance) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << a << " is not within " << 100 * tolerance << "% of " << b;
}

TEST(BenchScaleTest, RatesAgreeWithWhatTheConfigsFix) {
  if (::geteuid() != 0) GTEST_SKIP() << "network namespaces need root; this test was skipped";
  TempDir dir("rlfleet-bench-scale-test");
  const std::string out = dir.path() + "/scale.json";
  const auto [code, output] =
      RunShell("RLFLEET_BIN=" + testing::kRlfleetBinary + " " + RLFLEET_SOURCE_DIR +
               "/scripts/bench_scale.py --workloads impala,apex --shards 2 --actors 2 "
               "--window 4 --warmup 1 --out " +
               out + " 2>&1");
  ASSERT_EQ(code, 0) << output;
  const auto result = nlohmann::json::parse(ReadFile(out));
  ASSERT_EQ(result["points"].size(), 2u) << output;
  for (const auto& p : result["points"]) {
    SCOPED_TRACE(p["workload"].get<std::string>());
    EXPECT_EQ(p["shards"], 2);
    EXPECT_EQ(p["actors"], 2);
    const double steps = p["actor_env_steps_per_second"];
    const double inserts = p["inserts_per_second"];
    ASSERT_GT(steps, 0.0);
    EXPECT_GT(p["host_a_rx_bytes_per_second"].get<double>(), 0.0);
    EXPECT_GT(p["shard_cores"].get<double>(), 0.0);
    EXPECT_GT(p["learner_cores"].get<double>(), 0.0);
    // Heartbeats every 2 s over a 4 s window: counters are read up to a beat apart.
    if (p["workload"] == "impala") {
      EXPECT_TRUE(Near(inserts, steps / 100, 0.35));
      EXPECT_TRUE(Near(p["insert_requests_per_second"], inserts / 16, 0.35));
      EXPECT_TRUE(Near(p["samples_per_second"], inserts, 0.35));  // a queue: each unroll once
      // Both from status.json over the same interval: exact but for rounding.
      EXPECT_TRUE(
          Near(p["consumed_frames_per_second"], 800 * p["updates_per_second"].get<double>(), 0.01));
    } else {
      EXPECT_TRUE(Near(inserts, steps, 0.35));
      EXPECT_TRUE(Near(p["insert_requests_per_second"], inserts / 64, 0.35));
      EXPECT_TRUE(Near(p["samples_per_second"], 128 * p["updates_per_second"].get<double>(), 0.35));
      EXPECT_GT(p["update_requests_per_second"].get<double>(), 0.0);
    }
  }
}

}  // namespace
}  // namespace rlfleet
