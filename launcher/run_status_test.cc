#include "launcher/run_status.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/file_util.h"

namespace rlfleet {
namespace {

TEST(RunStatusTest, RowsComeFromHeartbeatsStatusAndRestarts) {
  TempDir dir("rlfleet-run-status-test");
  const std::string run = dir.path();
  std::filesystem::create_directories(run + "/roles");
  WriteFileAtomic(run + "/status.json",
                  R"({"env_steps": 50000, "updates": 120, "fps": 9000.5, "updates_per_second": 11.0,
                      "mean_return": 187.5, "policy_lag": 2.5})");
  WriteFileAtomic(run + "/restarts.json", R"({"total": 2, "roles": {"actor-1": 2}})");
  const double now = 1000.0;
  WriteFileAtomic(run + "/roles/actor-1.json",
                  R"({"host": "node-b", "pid": 41, "time": 999.0, "stopped": false,
                      "env_steps_per_second": 4200.0, "weights_version": 115})");
  WriteFileAtomic(run + "/roles/actor-10.json",
                  R"({"host": "node-c", "pid": 42, "time": 980.0, "stopped": false,
                      "env_steps_per_second": 0.0, "weights_version": -1})");
  WriteFileAtomic(run + "/roles/learner.json",
                  R"({"host": "node-a", "pid": 40, "time": 999.5, "stopped": false})");
  WriteFileAtomic(run + "/roles/shard-0.json",
                  R"({"host": "node-a", "pid": 39, "time": 900.0, "stopped": true})");
  WriteFileAtomic(run + "/roles/actor-2.json", "{not json");

  const RunStatus status = ReadRunStatus(run, now);
  ASSERT_TRUE(status.has_learner_status);
  EXPECT_EQ(status.updates, 120);
  EXPECT_EQ(status.restarts, 2);
  ASSERT_EQ(status.roles.size(), 5u);
  // learner, shards, then actors by index (10 after 2, not before).
  EXPECT_EQ(status.roles[0].name, "learner");
  EXPECT_EQ(status.roles[1].name, "shard-0");
  EXPECT_EQ(status.roles[2].name, "actor-1");
  EXPECT_EQ(status.roles[3].name, "actor-2");
  EXPECT_EQ(status.roles[4].name, "actor-10");

  const RoleStatus& actor = status.roles[2];
  EXPECT_EQ(actor.host, "node-b");
  EXPECT_EQ(actor.pid, 41);
  EXPECT_DOUBLE_EQ(actor.seconds_since_beat, 1.0);
  EXPECT_DOUBLE_EQ(actor.env_steps_per_second, 4200.0);
  EXPECT_EQ(actor.policy_lag, 120 - 115);
  EXPECT_EQ(actor.restarts, 2);
  EXPECT_FALSE(actor.silent);
  EXPECT_TRUE(status.roles[1].stopped);
  EXPECT_FALSE(status.roles[1].silent);       // 100 s old, but it said goodbye
  EXPECT_TRUE(status.roles[4].silent);        // 20 s without a heartbeat
  EXPECT_EQ(status.roles[4].policy_lag, -1);  // no weights yet
  EXPECT_EQ(status.roles[3].host, "?");       // unreadable, still listed
  EXPECT_EQ(status.roles[0].env_steps_per_second, -1);

  const std::string text = FormatRunStatus(status);
  EXPECT_NE(text.find("50000 env steps"), std::string::npos) << text;
  EXPECT_NE(text.find("node-b"), std::string::npos) << text;
  EXPECT_NE(text.find("SILENT"), std::string::npos) << text;
  EXPECT_NE(text.find("(exit)"), std::string::npos) << text;
  EXPECT_NE(text.find("unreadable"), std::string::npos) << text;
  EXPECT_THROW(ReadRunStatus(run + "/missing", now), std::runtime_error);
  EXPECT_EQ(text.find("slurm step"), std::string::npos) << text;
}

// Under Slurm each role's supervisor writes restarts/<role>.json and heartbeats name the step.
TEST(RunStatusTest, SupervisedRestartsAndSlurmStepsAreShown) {
  TempDir dir("rlfleet-run-status-test");
  const std::string run = dir.path();
  std::filesystem::create_directories(run + "/roles");
  std::filesystem::create_directories(run + "/restarts");
  WriteFileAtomic(run + "/restarts/learner.json", R"({"restarts": 1})");
  WriteFileAtomic(run + "/restarts/actor-0.json", R"({"restarts": 3})");
  WriteFileAtomic(run + "/restarts/actor-9.json", "garbage");  // skipped, not fatal
  WriteFileAtomic(run + "/roles/learner.json",
                  R"({"host": "a", "pid": 1, "time": 10.0, "slurm_job_id": "77",
                      "slurm_step_id": "1"})");
  WriteFileAtomic(run + "/roles/actor-0.json",
                  R"({"host": "b", "pid": 2, "time": 10.0, "slurm_job_id": "77",
                      "slurm_step_id": "2"})");
  const RunStatus status = ReadRunStatus(run, 11.0);
  EXPECT_EQ(status.restarts, 4);
  ASSERT_EQ(status.roles.size(), 2u);
  EXPECT_EQ(status.roles[0].restarts, 1);
  EXPECT_EQ(status.roles[0].slurm_step, "77.1");
  EXPECT_EQ(status.roles[1].restarts, 3);
  EXPECT_EQ(status.roles[1].slurm_step, "77.2");
  const std::string text = FormatRunStatus(status);
  EXPECT_NE(text.find("slurm step"), std::string::npos) << text;
  EXPECT_NE(text.find("77.2"), std::string::npos) << text;
}

}  // namespace
}  // namespace rlfleet
