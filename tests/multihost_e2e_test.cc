// End-to-end across hosts: three network namespaces on this machine, joined by a bridge
// (scripts/netns.sh), stand for three hosts. Host a runs the replay shard and the learner, hosts
// b and c two actors each; every process is the public role command (`rlfleet worker`) in a
// run directory made by `rlfleet prepare`, and the roles meet over tcp through the run's
// rendezvous files, every connection authenticated with the run's CURVE keys.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/file_util.h"
#include "core/shell.h"
#include "launcher/process.h"
#include "tests/e2e_testing.h"
#include "transport/curve.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

using testing::EpisodeReturns;
using testing::Mean;
const std::string& kBinary = testing::kRlfleetBinary;
const std::string kNetns = std::string(RLFLEET_SOURCE_DIR) + "/scripts/netns.sh";

// iproute2's `ip` (ChildProcess runs a path, not a name to look up).
std::string IpCommand() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return "ip";
}

// The namespaces NAME-a, -b, -c (hosts PREFIX.1, .2, .3) and NAME-br, deleted on destruction.
class Hosts {
 public:
  Hosts() {
    const pid_t pid = ::getpid();
    name_ = "rf" + std::to_string(pid % 1000000);
    prefix_ = "10." + std::to_string(200 + pid % 50) + "." + std::to_string((pid / 50) % 250);
    RunShell("bash " + kNetns + " down " + name_);
    const auto [code, output] = RunShell("bash " + kNetns + " up " + name_ + " " + prefix_);
    ok_ = code == 0;
    error_ = output;
  }
  ~Hosts() { RunShell("bash " + kNetns + " down " + name_); }

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  std::string address(char host) const { return prefix_ + "." + std::to_string(host - 'a' + 1); }
  std::string netns(char host) const { return name_ + "-" + host; }
  std::string bridge_port(char host) const { return name_ + "-" + host + "1"; }
  std::string bridge() const { return name_ + "-br"; }

 private:
  std::string name_;
  std::string prefix_;
  bool ok_ = false;
  std::string error_;
};

class MultiHostE2eTest : public testing::E2eFixture {
 protected:
  MultiHostE2eTest() : E2eFixture("cartpole_impala.yaml") {}

  // `rlfleet worker` for `role` in host `host`'s namespace, logging to <run>/logs/<label>.log.
  std::unique_ptr<ChildProcess> Worker(const Hosts& hosts, char host, const fs::path& run,
                                       const std::string& role, int index,
                                       const std::string& run_dir = "") {
    const std::string label = role + "-" + std::to_string(index);
    fs::create_directories(run / "logs");
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{IpCommand(), "netns", "exec", hosts.netns(host), kBinary, "worker",
                                 "--role", role, "--index", std::to_string(index), "--run-dir",
                                 run_dir.empty() ? run.string() : run_dir, "--set",
                                 "cluster.advertise_host=" + hosts.address(host)},
        (run / "logs" / (label + ".log")).string());
  }
};

// Episodes in episodes.csv by actors at or above `first_actor`.
int64_t EpisodesOfActorsFrom(const fs::path& run, int first_actor) {
  std::ifstream in(run / "episodes.csv");
  std::string line;
  int64_t count = 0;
  while (std::getline(in, line)) {
    std::stringstream row(line);
    std::string wall, actor;
    std::getline(row, wall, ',');
    std::getline(row, actor, ',');
    if (std::stoi(actor) >= first_actor) ++count;
  }
  return count;
}

// The run completes over tcp with CURVE between three hosts; a client with another key is
// refused and counted; host c's link goes down for 5 s and the run goes on with host b's
// actors; once it is back, host c's actors take part again.
TEST_F(MultiHostE2eTest, RunAcrossHostsWithCurveSurvivesALinkDown) {
  if (::geteuid() != 0) GTEST_SKIP() << "network namespaces need root; this test was skipped";
  Hosts hosts;
  if (!hosts.ok()) GTEST_SKIP() << "cannot create network namespaces here: " << hosts.error();

  const auto [code, prepared] = RunShell(
      kBinary + " prepare " + config_ + " --set runs_dir=" + runs_dir_.string() +
      " --set name=multihost --set cluster.transport=tcp --set cluster.bind_host=0.0.0.0" +
      " --set cluster.curve=true --set cluster.num_actors=4 --set learner.total_env_steps=4000000");
  ASSERT_EQ(code, 0) << prepared;
  const fs::path run = prepared.substr(0, prepared.find('\n'));
  ASSERT_TRUE(fs::exists(run / "cluster.yaml")) << prepared;
  ASSERT_TRUE(fs::exists(run / "keys" / "server.key")) << prepared;

  auto shard = Worker(hosts, 'a', run, "shard", 0);
  auto learner = Worker(hosts, 'a', run, "learner", 0);
  std::vector<std::unique_ptr<ChildProcess>> actors;
  for (int i = 0; i < 4; ++i) actors.push_back(Worker(hosts, i < 2 ? 'b' : 'c', run, "actor", i));
  auto logs = [&] {
    std::string text;
    for (const auto& entry : fs::directory_iterator(run / "logs")) {
      text += "--- " + entry.path().filename().string() + "\n" + ReadFile(entry.path().string());
    }
    return text;
  };
  ASSERT_TRUE(WaitForEnvSteps(*learner, 40000)) << logs();
  const auto shard_endpoint =
      nlohmann::json::parse(ReadFile((run / "rendezvous" / "shard-0.json").string()))["endpoint"]
          .get<std::string>();
  EXPECT_EQ(shard_endpoint.rfind("tcp://" + hosts.address('a') + ":", 0), 0u) << shard_endpoint;

  // An intruder in host c: the run's files but a client key of its own.
  const fs::path fake = runs_dir_ / "intruder";
  fs::create_directories(fake);
  fs::copy_file(run / "cluster.yaml", fake / "cluster.yaml");
  fs::create_directory_symlink(run / "rendezvous", fake / "rendezvous");
  CurveCredentials keys = ReadCurveCredentials((run / "keys").string());
  keys.client = GenerateCurveKeyPair();
  WriteCurveCredentials((fake / "keys").string(), keys);
  {
    auto intruder = Worker(hosts, 'c', fake, "actor", 3, fake.string());
    bool refused = false;
    for (int i = 0; i < 200 && !refused; ++i) {  // up to 10 s (a hang guard)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      refused = ReadFile((run / "logs" / "shard-0.log").string())
                    .find("refused a connection from " + hosts.address('c')) != std::string::npos;
    }
    EXPECT_TRUE(refused) << logs();
  }

  // Host c off the network for 5 s: the run goes on.
  auto env_steps = [&] {
    return nlohmann::json::parse(ReadFile((run / "status.json").string()))
        .value("env_steps", int64_t{0});
  };
  ASSERT_EQ(
      RunShell("ip -n " + hosts.bridge() + " link set " + hosts.bridge_port('c') + " down").first,
      0);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const int64_t steps_down = env_steps();
  std::this_thread::sleep_for(std::chrono::seconds(4));
  EXPECT_GT(env_steps(), steps_down + 5000) << "no progress while host c was away\n" << logs();
  const int64_t host_c_episodes = EpisodesOfActorsFrom(run, 2);
  ASSERT_EQ(
      RunShell("ip -n " + hosts.bridge() + " link set " + hosts.bridge_port('c') + " up").first, 0);

  const auto status = learner->Wait(300);
  ASSERT_TRUE(status.has_value()) << logs();
  EXPECT_TRUE(status->ok()) << status->ToString() << "\n" << logs();
  const auto summary = nlohmann::json::parse(ReadFile((run / "summary.json").string()));
  EXPECT_TRUE(summary["completed"].get<bool>());
  // Host c's actors took part again after the link came back.
  EXPECT_GT(EpisodesOfActorsFrom(run, 2), host_c_episodes + 20) << logs();
  const std::vector<double> returns = EpisodeReturns(run);
  ASSERT_GE(returns.size(), 200u);
  EXPECT_GT(Mean(returns, returns.size() - 100, returns.size()), 150.0);
  for (auto& actor : actors) actor->Signal(SIGTERM);
  shard->Signal(SIGTERM);
  for (auto& actor : actors) EXPECT_TRUE(actor->Wait(30).has_value());
  EXPECT_TRUE(shard->Wait(30).has_value());
}

}  // namespace
}  // namespace rlfleet
