#include "launcher/heartbeat.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/clock.h"
#include "core/file_util.h"

namespace rlfleet {
namespace {

TEST(HeartbeatTest, BeatsWithItsFieldsAndWritesALastRecordOnTheWayOut) {
  TempDir dir("rlfleet-heartbeat-test");
  const std::string path = dir.path() + "/roles/actor-3.json";
  std::atomic<int> calls{0};
  const double before = UnixSeconds();
  {
    Heartbeat beat(dir.path(), "actor", 3, 0.05, [&calls] {
      const int n = ++calls;
      return std::vector<std::pair<std::string, double>>{{"env_steps", 100.0 * n}};
    });
    while (calls.load() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const auto record = nlohmann::json::parse(ReadFile(path));
    EXPECT_EQ(record["role"], "actor");
    EXPECT_EQ(record["index"], 3);
    EXPECT_EQ(record["pid"].get<int64_t>(), ::getpid());
    EXPECT_FALSE(record["stopped"].get<bool>());
    EXPECT_GE(record["time"].get<double>(), record["started"].get<double>());
    EXPECT_GE(record["started"].get<double>(), before);
    EXPECT_GE(record["env_steps"].get<double>(), 200.0);
  }
  const auto last = nlohmann::json::parse(ReadFile(path));
  EXPECT_TRUE(last["stopped"].get<bool>());
  EXPECT_EQ(last["env_steps"].get<double>(), 100.0 * calls.load());
  EXPECT_EQ(RoleName("learner", 0), "learner");
  EXPECT_EQ(RoleName("shard", 2), "shard-2");
  EXPECT_FALSE(last.contains("slurm_job_id"));
}

TEST(HeartbeatTest, RecordsTheCpuTimeTheProcessUsed) {
  TempDir dir("rlfleet-heartbeat-test");
  // Reference: the C library's own process CPU clock, read around the busy loop.
  const double clock_before = static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
  const double rusage_before = ProcessCpuSeconds();
  volatile double sink = 0;
  while (static_cast<double>(std::clock()) / CLOCKS_PER_SEC - clock_before < 0.3) sink = sink + 1;
  { Heartbeat beat(dir.path(), "shard", 0, 10.0); }
  const double clock_after = static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
  const auto last = nlohmann::json::parse(ReadFile(dir.path() + "/roles/shard-0.json"));
  const double used = last["cpu_seconds"].get<double>() - rusage_before;
  // getrusage and clock() tick at different granularities (the kernel's 4 ms at worst).
  EXPECT_GE(used, 0.3 - 0.02);
  EXPECT_LE(used, clock_after - clock_before + 0.02);
}

TEST(HeartbeatTest, NamesTheSlurmJobAndStepItRunsIn) {
  TempDir dir("rlfleet-heartbeat-test");
  ::setenv("SLURM_JOB_ID", "4711", 1);
  ::setenv("SLURM_STEP_ID", "3", 1);
  { Heartbeat beat(dir.path(), "shard", 1, 10.0); }
  ::unsetenv("SLURM_JOB_ID");
  ::unsetenv("SLURM_STEP_ID");
  const auto record = nlohmann::json::parse(ReadFile(dir.path() + "/roles/shard-1.json"));
  EXPECT_EQ(record["slurm_job_id"], "4711");
  EXPECT_EQ(record["slurm_step_id"], "3");
}

}  // namespace
}  // namespace rlfleet
