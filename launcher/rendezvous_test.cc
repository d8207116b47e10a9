#include "launcher/rendezvous.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/file_util.h"

namespace rlfleet {
namespace {

std::string Host() {
  char name[256] = {};
  ::gethostname(name, sizeof(name) - 1);
  return name;
}

TEST(RendezvousTest, AdvertisedEndpointReplacesOnlyWildcardsUnlessAHostIsGiven) {
  EXPECT_EQ(AdvertisedEndpoint("tcp://0.0.0.0:40123", ""), "tcp://" + Host() + ":40123");
  EXPECT_EQ(AdvertisedEndpoint("tcp://0.0.0.0:40123", "node7"), "tcp://node7:40123");
  EXPECT_EQ(AdvertisedEndpoint("tcp://10.0.0.2:5555", ""), "tcp://10.0.0.2:5555");
  EXPECT_EQ(AdvertisedEndpoint("tcp://10.0.0.2:5555", "node7.cluster"), "tcp://node7.cluster:5555");
  EXPECT_EQ(AdvertisedEndpoint("ipc:///tmp/run/shard-0", "node7"), "ipc:///tmp/run/shard-0");
  EXPECT_THROW(AdvertisedEndpoint("tcp://10.0.0.2", ""), std::invalid_argument);
}

TEST(RendezvousTest, PublishedEndpointIsReadByTheSameLaunchOnly) {
  TempDir dir;
  RendezvousOptions options{dir.path() + "/rendezvous", "launch-1", 5.0};
  std::string why;
  EXPECT_FALSE(ReadPublishedEndpoint(options, "shard-0", &why));
  EXPECT_EQ(why, "no such file");
  PublishEndpoint(options, "shard-0", "tcp://node1:4000");
  EXPECT_EQ(ReadPublishedEndpoint(options, "shard-0").value_or(""), "tcp://node1:4000");
  const auto record = nlohmann::json::parse(ReadFile(dir.path() + "/rendezvous/shard-0.json"));
  EXPECT_EQ(record["pid"].get<int64_t>(), ::getpid());
  EXPECT_EQ(record["host"].get<std::string>(), Host());

  RendezvousOptions next = options;
  next.incarnation = "launch-2";
  EXPECT_FALSE(ReadPublishedEndpoint(next, "shard-0", &why));
  EXPECT_EQ(why, "written by launch 'launch-1', this is launch 'launch-2'");
  RendezvousOptions any = options;
  any.incarnation.clear();
  EXPECT_EQ(ReadPublishedEndpoint(any, "shard-0").value_or(""), "tcp://node1:4000");

  WriteFileAtomic(dir.path() + "/rendezvous/weights.json", "{\"endpoint\": 7}");
  EXPECT_FALSE(ReadPublishedEndpoint(options, "weights", &why));
  EXPECT_EQ(why.rfind("malformed", 0), 0u) << why;
  WriteFileAtomic(dir.path() + "/rendezvous/stats.json", "not json");
  EXPECT_FALSE(ReadPublishedEndpoint(options, "stats", &why));
  EXPECT_EQ(why.rfind("malformed", 0), 0u) << why;
}

TEST(RendezvousTest, ClientWaitsForTheServersFileOfItsLaunch) {
  TempDir dir;
  RendezvousOptions options{dir.path(), "launch-2", 30.0};
  RendezvousOptions stale = options;
  stale.incarnation = "launch-1";
  PublishEndpoint(stale, "weights", "tcp://old-node:1");  // left by the previous launch
  std::thread server([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    PublishEndpoint(options, "weights", "tcp://new-node:2");
  });
  EXPECT_EQ(WaitForEndpoint(options, "weights", "the learner's weights"), "tcp://new-node:2");
  server.join();
}

TEST(RendezvousTest, TimeoutNamesWhatItWaitedForAndWhatItFound) {
  TempDir dir;
  RendezvousOptions options{dir.path(), "launch-2", 0.2};
  RendezvousOptions stale = options;
  stale.incarnation = "launch-1";
  PublishEndpoint(stale, "shard-3", "tcp://old-node:1");
  try {
    WaitForEndpoint(options, "shard-3", "replay shard 3");
    ADD_FAILURE() << "no timeout";
  } catch (const RendezvousTimeout& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("replay shard 3"), std::string::npos) << message;
    EXPECT_NE(message.find(dir.path() + "/shard-3.json"), std::string::npos) << message;
    EXPECT_NE(message.find("written by launch 'launch-1'"), std::string::npos) << message;
  }
  std::atomic<bool> stop{true};
  options.timeout_seconds = 60;
  EXPECT_THROW(WaitForEndpoint(options, "shard-3", "replay shard 3", &stop), std::runtime_error);
  EXPECT_THROW((RendezvousOptions{"", "x", 1.0}.Validate()), std::invalid_argument);
  EXPECT_THROW((RendezvousOptions{"d", "x", 0.0}.Validate()), std::invalid_argument);
}

TEST(RendezvousTest, RestartedServerBindsThePortItPublishedBefore) {
  TempDir dir;
  RendezvousOptions options{dir.path(), "launch-1", 5.0};
  EXPECT_EQ(RendezvousBindEndpoint(options, "shard-0", "0.0.0.0"), "tcp://0.0.0.0:*");
  PublishEndpoint(options, "shard-0", "tcp://node1:40123");
  EXPECT_EQ(RendezvousBindEndpoint(options, "shard-0", "0.0.0.0"), "tcp://0.0.0.0:40123");
  RendezvousOptions next = options;
  next.incarnation = "launch-2";  // another launch may run on other hosts: no port carried over
  EXPECT_EQ(RendezvousBindEndpoint(next, "shard-0", "0.0.0.0"), "tcp://0.0.0.0:*");
}

TEST(RendezvousTest, IncarnationComesFromTheLauncherOrSlurm) {
  ::unsetenv("RLFLEET_RENDEZVOUS_ID");
  ::unsetenv("SLURM_JOB_ID");
  ::unsetenv("SLURM_RESTART_COUNT");
  EXPECT_EQ(LaunchIncarnation(), "");
  ::setenv("SLURM_JOB_ID", "812", 1);
  EXPECT_EQ(LaunchIncarnation(), "slurm-812-0");
  ::setenv("SLURM_RESTART_COUNT", "2", 1);  // a requeued job: a new launch
  EXPECT_EQ(LaunchIncarnation(), "slurm-812-2");
  ::setenv("RLFLEET_RENDEZVOUS_ID", "local-abc", 1);
  EXPECT_EQ(LaunchIncarnation(), "local-abc");
  ::unsetenv("RLFLEET_RENDEZVOUS_ID");
  ::unsetenv("SLURM_JOB_ID");
  ::unsetenv("SLURM_RESTART_COUNT");
}

}  // namespace
}  // namespace rlfleet
