// End-to-end: `rlfleet train` with real processes (shard, learner, actors) over ipc sockets.
// Every run goes to its own temporary runs_dir and ipc directory, so tests run in parallel.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/file_util.h"
#include "launcher/process.h"
#include "learner/event_file.h"
#include "learner/schema/event.pb.h"
#include "tests/e2e_testing.h"
#include "transport/curve.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

using testing::ChildrenOf;
using testing::Cmdline;
using testing::EpisodeReturns;
using testing::Mean;
using testing::ProcessAlive;
const std::string& kBinary = testing::kRlfleetBinary;

class TrainE2eTest : public testing::E2eFixture {
 protected:
  TrainE2eTest() : E2eFixture("cartpole_impala.yaml") {}
};

// What a 300k-step CartPole IMPALA run that learned shows: the first 100 episodes near random
// (a uniform random policy averages about 22), the last 100 above 150. Sets *last to their
// mean.
void ExpectLearnedCartPole(const fs::path& run, double* last) {
  const std::vector<double> returns = EpisodeReturns(run);
  ASSERT_GE(returns.size(), 200u);
  const double first = Mean(returns, 0, 100);
  *last = Mean(returns, returns.size() - 100, returns.size());
  EXPECT_LT(first, 40.0);
  EXPECT_GT(*last, 150.0) << "first 100 episodes " << first << ", last 100 " << *last;
}

// A short CartPole run on a fixed env-step budget learns: the last 100 episodes return much
// more than the first 100 (a uniform random policy averages about 22).
TEST_F(TrainE2eTest, ShortCartPoleRunLearns) {
  const fs::path run = TrainToCompletion({"learner.total_env_steps=300000", "name=learns"}, 540);
  ASSERT_FALSE(run.empty());
  const auto summary = nlohmann::json::parse(ReadFile((run / "summary.json").string()));
  EXPECT_TRUE(summary["completed"].get<bool>());
  EXPECT_GE(summary["env_steps"].get<int64_t>(), 300000);
  double last = 0.0;
  ExpectLearnedCartPole(run, &last);
  if (HasFatalFailure()) return;
  EXPECT_NEAR(summary["final_mean_return_100"].get<double>(), last, 1e-3 * last);
  EXPECT_TRUE(fs::exists(run / "metrics.csv"));
  EXPECT_TRUE(fs::exists(run / "config.yaml"));

  // The TensorBoard events file: every record's CRCs check and every record decodes; the
  // scalars follow metrics.csv, the last episodic return being the run's final mean return.
  std::vector<fs::path> event_files;
  for (const auto& entry : fs::directory_iterator(run)) {
    if (entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0) {
      event_files.push_back(entry.path());
    }
  }
  ASSERT_EQ(event_files.size(), 1u);
  const std::vector<std::string> records = ReadEventRecords(event_files[0].string());
  ASSERT_GE(records.size(), 3u);
  double last_return = -1;
  int64_t last_step = -1;
  for (size_t i = 1; i < records.size(); ++i) {
    tensorboard::Event event;
    ASSERT_TRUE(event.ParseFromString(records[i])) << "record " << i;
    EXPECT_GE(event.step(), last_step);
    last_step = event.step();
    for (const auto& value : event.summary().value()) {
      if (value.tag() == "charts/episodic_return") last_return = value.simple_value();
    }
  }
  EXPECT_EQ(last_step, summary["env_steps"].get<int64_t>());
  EXPECT_NEAR(last_return, last, 1e-3 * last);

  // `rlfleet eval` runs the newest checkpoint.
  const std::string evaluation = Evaluate(run, 3);
  EXPECT_NE(evaluation.find("over 3 episodes"), std::string::npos) << evaluation;
}

// Four queue shards of 6 unrolls each and a batch of 8: no shard can serve a batch, so the
// learner gathers each from requests of at most 6 to several shards (SampleClientOptions::
// max_request_items). Four actors fill all four shards; the run learns as the 1-shard run does.
TEST_F(TrainE2eTest, FourShardsGatherBatchesLargerThanAShardAndLearn) {
  const fs::path run =
      TrainToCompletion({"learner.total_env_steps=300000", "name=four_shards",
                         "cluster.num_shards=4", "cluster.num_actors=4", "replay.max_size=6"},
                        540);
  ASSERT_FALSE(run.empty());
  const auto summary = nlohmann::json::parse(ReadFile((run / "summary.json").string()));
  EXPECT_TRUE(summary["completed"].get<bool>());
  EXPECT_EQ(summary["restarts"].get<int64_t>(), 0);
  EXPECT_EQ(summary["malformed_items"].get<int64_t>(), 0);
  double last = 0.0;
  ExpectLearnedCartPole(run, &last);
}

// SIGINT stops every process; the run directory holds a checkpoint and a summary, and the
// run resumes from there with its counters.
TEST_F(TrainE2eTest, InterruptStopsEverythingAndResumeContinues) {
  ChildProcess launcher(TrainArgs({"learner.total_env_steps=100000000", "name=interrupt"}), log_);
  ASSERT_TRUE(WaitForStatus(launcher)) << Log();
  const std::vector<pid_t> children = ChildrenOf(launcher.pid());
  ASSERT_EQ(children.size(), 4u) << "shard, learner and 2 actors expected";
  launcher.Signal(SIGINT);
  const auto status = launcher.Wait(60);
  ASSERT_TRUE(status.has_value()) << Log();
  EXPECT_TRUE(status->ok()) << status->ToString() << "\n" << Log();
  for (pid_t child : children) EXPECT_FALSE(ProcessAlive(child)) << Cmdline(child);

  const fs::path run = RunDir();
  const auto summary = nlohmann::json::parse(ReadFile((run / "summary.json").string()));
  EXPECT_FALSE(summary["completed"].get<bool>());
  const int64_t steps_before = summary["env_steps"].get<int64_t>();
  const int64_t updates_before = summary["updates"].get<int64_t>();
  ASSERT_GT(updates_before, 0);
  EXPECT_TRUE(fs::exists(run / "checkpoints"));

  // Resume with a budget a little past where it stopped.
  const int64_t target = steps_before + 20000;
  ChildProcess resumed({kBinary, "train", "--resume", run.string(), "--quiet", "--set",
                        "learner.total_env_steps=" + std::to_string(target)},
                       log_);
  const auto resumed_status = resumed.Wait(300);
  ASSERT_TRUE(resumed_status && resumed_status->ok()) << Log();
  const auto after = nlohmann::json::parse(ReadFile((run / "summary.json").string()));
  EXPECT_TRUE(after["completed"].get<bool>());
  EXPECT_GE(after["env_steps"].get<int64_t>(), target);
  // Counters continue: the resumed learner did not start again from update 0.
  EXPECT_GE(after["updates"].get<int64_t>(), updates_before + 20000 / (8 * 100));
  const std::string learner_log = ReadFile((run / "logs" / "learner.log").string());
  EXPECT_NE(learner_log.find("resumed from"), std::string::npos) << learner_log;
}

// SIGKILL of one process in the middle of a run (after 60k of 300k env steps): the launcher
// restarts it (the learner from its newest checkpoint, written every second here; the queue
// shard empty), the clients reconnect, and the run completes and learns as
// ShortCartPoleRunLearns does. restarts.json, status.json and summary.json count the restart.
class KilledProcessE2eTest : public TrainE2eTest,
                             public ::testing::WithParamInterface<const char*> {};

TEST_P(KilledProcessE2eTest, IsRestartedAndTheRunCompletes) {
  const std::string role = GetParam();
  ChildProcess launcher(TrainArgs({"learner.total_env_steps=300000", "name=kill-" + role,
                                   "learner.checkpoint_interval_seconds=1"}),
                        log_);
  ASSERT_TRUE(WaitForStatus(launcher)) << Log();
  const fs::path run = RunDir();
  ASSERT_TRUE(WaitForEnvSteps(launcher, 60000)) << Log();
  const pid_t victim = testing::ChildWithRole(launcher.pid(), role);
  ASSERT_GT(victim, 0);
  ::kill(victim, SIGKILL);
  const auto status = launcher.Wait(300);
  ASSERT_TRUE(status.has_value()) << Log();
  EXPECT_TRUE(status->ok()) << status->ToString() << "\n" << Log();
  EXPECT_NE(Log().find("restarting it"), std::string::npos) << Log();

  const auto summary = nlohmann::json::parse(ReadFile((run / "summary.json").string()));
  EXPECT_TRUE(summary["completed"].get<bool>());
  EXPECT_EQ(summary["restarts"].get<int64_t>(), 1) << Log();
  const auto restarts = nlohmann::json::parse(ReadFile((run / "restarts.json").string()));
  EXPECT_EQ(restarts["roles"].size(), 1u) << restarts.dump();
  const std::vector<double> returns = EpisodeReturns(run);
  ASSERT_GE(returns.size(), 200u);
  const double last = Mean(returns, returns.size() - 100, returns.size());
  EXPECT_GT(last, 150.0);
  if (role == "learner") {
    const std::string learner_log = ReadFile((run / "logs" / "learner.log").string());
    EXPECT_NE(learner_log.find("resumed from"), std::string::npos) << learner_log;
  }
  for (pid_t child : ChildrenOf(launcher.pid())) EXPECT_FALSE(ProcessAlive(child));
}

INSTANTIATE_TEST_SUITE_P(Roles, KilledProcessE2eTest,
                         ::testing::Values("shard", "learner", "actor"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

// cluster.transport tcp with CURVE: no endpoint is chosen in advance. Each server binds a port
// the system chooses and publishes it in <run>/rendezvous/, tagged with the launch's
// incarnation; the clients wait for those files. Every tcp socket authenticates with the run's
// keys (<run>/keys/, owner-only): a client with another key is refused, and the shard logs it.
// The shard, killed after 60k env steps, comes back on the port it published, so the clients
// reconnect by themselves and the run completes and learns.
TEST_F(TrainE2eTest, TcpCurveRunRendezvousRefusesOtherKeysAndARestartedShardKeepsItsPort) {
  ChildProcess launcher(
      TrainArgs({"learner.total_env_steps=3000000", "name=tcp", "cluster.transport=tcp",
                 "cluster.bind_host=127.0.0.1", "cluster.curve=true"}),
      log_);
  ASSERT_TRUE(WaitForStatus(launcher)) << Log();
  const fs::path run = RunDir();
  ASSERT_TRUE(WaitForEnvSteps(launcher, 60000)) << Log();
  EXPECT_EQ(fs::status(run / "keys").permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(fs::status(run / "keys" / "client.key").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  auto record = [&](const std::string& name) {
    return nlohmann::json::parse(ReadFile((run / "rendezvous" / (name + ".json")).string()));
  };
  {
    // An intruder that knows the shard's endpoint and public key, but not the run's client key.
    zmq::context_t context(1);
    CurveCredentials intruder = ReadCurveCredentials((run / "keys").string());
    intruder.client = GenerateCurveKeyPair();
    zmq::socket_t dealer(context, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::linger, 0);
    MakeCurveClient(dealer, intruder);
    dealer.connect(record("shard-0")["endpoint"].get<std::string>());
    (void)dealer.send(zmq::str_buffer("let me in"), zmq::send_flags::dontwait);
    const std::string shard_log = (run / "logs" / "shard-0.log").string();
    bool refused = false;
    for (int i = 0; i < 200 && !refused; ++i) {  // up to 10 s (a hang guard)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      refused = ReadFile(shard_log).find("refused a connection") != std::string::npos;
    }
    EXPECT_TRUE(refused) << ReadFile(shard_log);
  }
  // `rlfleet status` lists every role with a fresh heartbeat.
  {
    const std::string status_log = (runs_dir_ / "status.txt").string();
    ChildProcess status({kBinary, "status", run.string()}, status_log);
    const auto exit = status.Wait(60);
    ASSERT_TRUE(exit && exit->ok()) << ReadFile(status_log);
    const std::string text = ReadFile(status_log);
    for (const std::string role : {"learner", "shard-0", "actor-0", "actor-1"}) {
      EXPECT_NE(text.find("\n" + role + " "), std::string::npos) << role << "\n" << text;
    }
    EXPECT_EQ(text.find("SILENT"), std::string::npos) << text;
  }
  const auto shard_before = record("shard-0");
  const pid_t victim = testing::ChildWithRole(launcher.pid(), "shard");
  ASSERT_GT(victim, 0);
  EXPECT_EQ(shard_before["pid"].get<int64_t>(), victim);
  ::kill(victim, SIGKILL);
  const auto status = launcher.Wait(300);
  ASSERT_TRUE(status.has_value()) << Log();
  EXPECT_TRUE(status->ok()) << status->ToString() << "\n" << Log();

  const auto summary = nlohmann::json::parse(ReadFile((run / "summary.json").string()));
  EXPECT_TRUE(summary["completed"].get<bool>());
  EXPECT_EQ(summary["restarts"].get<int64_t>(), 1) << Log();
  const auto shard_after = record("shard-0");
  EXPECT_NE(shard_after["pid"], shard_before["pid"]);
  EXPECT_EQ(shard_after["endpoint"], shard_before["endpoint"]);
  const std::string incarnation = shard_after["incarnation"].get<std::string>();
  EXPECT_FALSE(incarnation.empty());
  for (const std::string name : {"weights", "stats"}) {
    const auto r = record(name);
    EXPECT_EQ(r["endpoint"].get<std::string>().rfind("tcp://127.0.0.1:", 0), 0u) << r.dump();
    EXPECT_EQ(r["incarnation"], incarnation) << r.dump();
  }
  const std::vector<double> returns = EpisodeReturns(run);
  ASSERT_GE(returns.size(), 200u);
  EXPECT_GT(Mean(returns, returns.size() - 100, returns.size()), 150.0);
  for (pid_t child : ChildrenOf(launcher.pid())) EXPECT_FALSE(ProcessAlive(child));
}

// Chaos: for 60 s a randomly chosen process of the run (shard, learner or an actor; seeded) is
// killed with SIGKILL every 2–4 s. Every one is restarted (the learner from its checkpoint of
// the last second), the run completes its budget (about 75 s of training without the kills),
// summary.json counts the restarts, and no process is left behind.
TEST_F(TrainE2eTest, ChaosRunCompletes) {
  ChildProcess launcher(
      TrainArgs({"learner.total_env_steps=12000000", "name=chaos",
                 "learner.checkpoint_interval_seconds=1", "cluster.max_restarts=100"}),
      log_);
  ASSERT_TRUE(WaitForStatus(launcher)) << Log();
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> pause_ms(2000, 4000);
  std::set<pid_t> seen;
  int kills = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < end && !launcher.Poll()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    std::vector<pid_t> children = ChildrenOf(launcher.pid());
    seen.insert(children.begin(), children.end());
    if (children.empty()) continue;
    std::sort(children.begin(), children.end());
    const pid_t victim =
        children[std::uniform_int_distribution<size_t>(0, children.size() - 1)(rng)];
    if (::kill(victim, SIGKILL) == 0) ++kills;
  }
  const auto status = launcher.Wait(600);
  ASSERT_TRUE(status.has_value()) << Log();
  EXPECT_TRUE(status->ok()) << status->ToString() << "\n" << Log();
  const fs::path run = RunDir();
  const auto summary = nlohmann::json::parse(ReadFile((run / "summary.json").string()));
  EXPECT_TRUE(summary["completed"].get<bool>());
  std::printf("%d kills, %lld restarts, %lld env steps in %.1f s\n", kills,
              static_cast<long long>(summary["restarts"].get<int64_t>()),
              static_cast<long long>(summary["env_steps"].get<int64_t>()),
              summary["wall_seconds"].get<double>());
  EXPECT_GE(kills, 10);
  EXPECT_GE(summary["restarts"].get<int64_t>(), kills) << Log();
  // Learning after restarts is asserted by the single-kill tests above; here it is reported.
  const std::vector<double> returns = EpisodeReturns(run);
  ASSERT_GE(returns.size(), 100u);
  std::printf("last 100 episodes: mean return %.1f\n",
              Mean(returns, returns.size() - 100, returns.size()));
  for (pid_t pid : seen) EXPECT_FALSE(ProcessAlive(pid)) << Cmdline(pid);
}

// A shard that lets one request wait (replay.max_pending_requests=1) and six actors with three
// inserts in flight each: the IMPALA queue is full most of the time, so the shard answers
// `overloaded` again and again. The actors send those inserts again after a backoff (counted),
// nothing is refused for good, and the run completes its budget and still learns.
TEST_F(TrainE2eTest, OverloadedShardSlowsTheActorsDownAndTheRunCompletes) {
  const fs::path run = TrainToCompletion(
      {"learner.total_env_steps=300000", "name=overloaded", "cluster.num_actors=6",
       "actor.max_inflight_inserts=3", "replay.max_pending_requests=1"},
      400);
  ASSERT_FALSE(run.empty());
  const auto summary = nlohmann::json::parse(ReadFile((run / "summary.json").string()));
  std::printf("%lld insert retries\n",
              static_cast<long long>(summary["insert_retries"].get<int64_t>()));
  EXPECT_TRUE(summary["completed"].get<bool>());
  EXPECT_GT(summary["insert_retries"].get<int64_t>(), 20) << summary.dump();
  EXPECT_EQ(summary["insert_failures"].get<int64_t>(), 0);
  EXPECT_EQ(summary["restarts"].get<int64_t>(), 0);
  EXPECT_EQ(summary["malformed_items"].get<int64_t>(), 0);
  // The first 20 episodes are a random policy's (about 22 steps each).
  const std::vector<double> returns = EpisodeReturns(run);
  ASSERT_GE(returns.size(), 120u);
  EXPECT_GT(Mean(returns, returns.size() - 100, returns.size()), 2 * Mean(returns, 0, 20));
}

TEST_F(TrainE2eTest, BadConfigIsAnErrorNamingTheKey) {
  ChildProcess typo(TrainArgs({"learner.lerning_rate=0.1"}), log_);
  const auto status = typo.Wait(60);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code, 2);
  EXPECT_NE(Log().find("unknown key 'learner.lerning_rate'"), std::string::npos) << Log();

  ChildProcess unknown_env(TrainArgs({"env.id=CartPole-v9"}), log_);
  const auto env_status = unknown_env.Wait(60);
  ASSERT_TRUE(env_status.has_value());
  EXPECT_EQ(env_status->code, 2);
  EXPECT_NE(Log().find("CartPole-v9"), std::string::npos) << Log();

  // Ape-X on a continuous-action env is refused before any process starts.
  ChildProcess continuous(TrainArgs({"learner.algo=apex_dqn", "replay.sampler=prioritized",
                                     "replay.table=priority", "env.id=Pendulum-v1"}),
                          log_);
  const auto continuous_status = continuous.Wait(60);
  ASSERT_TRUE(continuous_status.has_value());
  EXPECT_EQ(continuous_status->code, 2);
  EXPECT_NE(Log().find("learner.algo apex_dqn needs discrete actions; Pendulum-v1"),
            std::string::npos)
      << Log();

  // More actor processes than this machine's memory holds are refused, naming the key.
  ChildProcess too_many(TrainArgs({"cluster.num_actors=100000"}), log_);
  const auto too_many_status = too_many.Wait(60);
  ASSERT_TRUE(too_many_status.has_value());
  EXPECT_EQ(too_many_status->code, 2);
  EXPECT_NE(Log().find("cluster.num_actors=100000 and cluster.num_shards=1 need about"),
            std::string::npos)
      << Log();
  EXPECT_TRUE(RunDir().empty()) << "no run directory for a config that does not load";
}

}  // namespace
}  // namespace rlfleet
