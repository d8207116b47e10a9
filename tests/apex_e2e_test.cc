// End-to-end: `rlfleet train` of an Ape-X DQN run (learner.algo apex_dqn) with real processes
// (prioritized replay shard, learner, 2 actors) over ipc sockets, in its own temporary
// runs_dir.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "launcher/process.h"
#include "replay/table_snapshot.h"
#include "tests/e2e_testing.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

using testing::ChildrenOf;
using testing::EpisodeReturns;
using testing::Mean;
using testing::ProcessAlive;

class ApexE2eTest : public testing::E2eFixture {
 protected:
  ApexE2eTest() : E2eFixture("cartpole_apex_dqn.yaml") {}
};

// What a 100k-step CartPole Ape-X run that learned shows: the first 100 training episodes near
// random, the last 100 and the final greedy evaluation clearly above them. Measured at 100k
// steps on 2 cores (seeds 1, 2): first 100 ≈ 27 / 10, last 100 ≈ 446 / 170, greedy eval
// 500 / 193. A uniform random policy averages about 22. Sets *last to the last 100's mean.
void ExpectLearnedCartPole(const fs::path& run, const nlohmann::json& summary, double* last) {
  const std::vector<double> returns = EpisodeReturns(run);
  ASSERT_GE(returns.size(), 200u);
  const double first = Mean(returns, 0, 100);
  *last = Mean(returns, returns.size() - 100, returns.size());
  ASSERT_TRUE(summary["final_eval_mean_return"].is_number()) << summary.dump();
  const double eval = summary["final_eval_mean_return"].get<double>();
  EXPECT_LT(first, 60.0);
  EXPECT_GT(*last, first + 50.0) << "first 100 episodes " << first << ", last 100 " << *last
                                 << ", eval " << eval;
  EXPECT_GT(eval, first + 80.0) << "first 100 episodes " << first << ", last 100 " << *last;
}

// A short CartPole Ape-X run (100k actor env steps, about 15 s on 2 cores) learns: greedy
// evaluation at the end and the last 100 training episodes return clearly more than the first 100.
TEST_F(ApexE2eTest, ShortCartPoleRunLearns) {
  const fs::path run = TrainToCompletion(
      {"learner.total_env_steps=100000", "name=apex_learns", "learner.eval_interval_updates=500"},
      240);
  ASSERT_FALSE(run.empty());
  const auto summary = nlohmann::json::parse(ReadFile((run / "summary.json").string()));
  EXPECT_TRUE(summary["completed"].get<bool>());
  EXPECT_EQ(summary["algo"].get<std::string>(), "apex_dqn");
  EXPECT_GE(summary["actor_env_steps"].get<int64_t>(), 100000);
  EXPECT_GT(summary["updates"].get<int64_t>(), 0);
  // The learner replays transitions: it consumed more than the actors produced.
  EXPECT_GT(summary["consumed_frames"].get<int64_t>(), summary["actor_env_steps"].get<int64_t>());
  double last = 0.0;
  ExpectLearnedCartPole(run, summary, &last);
  if (HasFatalFailure()) return;
  EXPECT_NEAR(summary["final_mean_return_100"].get<double>(), last, 1e-3 * last + 1e-6);

  // metrics.csv reports the greedy evaluations.
  const std::string metrics = ReadFile((run / "metrics.csv").string());
  EXPECT_NE(metrics.find("eval_mean_return"), std::string::npos);
  EXPECT_TRUE(fs::exists(run / "status.json"));
  EXPECT_TRUE(fs::exists(run / "checkpoints"));

  // `rlfleet eval` runs the newest (DQN) checkpoint.
  const std::string evaluation = Evaluate(run, 3);
  EXPECT_NE(evaluation.find("over 3 episodes"), std::string::npos) << evaluation;
}

// Ape-X on four prioritized shards (four actors, one per shard): the learner samples the
// global p^α distribution across them and sends each priority back to its shard; the config's
// replay memory (max_size 100000, min_size_to_sample 2000) is the whole run's, 25000 and 500
// per shard, and the run learns as the 1-shard run above does. Actors can insert unevenly (one
// run: 78544 of 101134 transitions into one shard), so a shard may evict while its items'
// priorities are on the way: those updates are counted as unknown keys, not asserted here.
TEST_F(ApexE2eTest, FourShardRunLearns) {
  const fs::path run = TrainToCompletion(
      {"learner.total_env_steps=100000", "name=apex_four_shards", "cluster.num_shards=4",
       "cluster.num_actors=4", "learner.eval_interval_updates=500"},
      300);
  ASSERT_FALSE(run.empty());
  const auto summary = nlohmann::json::parse(ReadFile((run / "summary.json").string()));
  EXPECT_TRUE(summary["completed"].get<bool>());
  EXPECT_EQ(summary["restarts"].get<int64_t>(), 0);
  double last = 0.0;
  ExpectLearnedCartPole(run, summary, &last);
}

// SIGKILL of the prioritized replay shard, then of the learner, then of an actor, in the middle
// of an Ape-X run (replay and learner checkpoints every second): each is restarted, the shard
// from its newest table checkpoint (frozen with SIGSTOP, so that the file read here is the one
// it restores), the learner from its newest checkpoint, and the run completes and learns as
// ShortCartPoleRunLearns does.
TEST_F(ApexE2eTest, KilledShardLearnerAndActorAreRestarted) {
  ChildProcess launcher(
      TrainArgs({"learner.total_env_steps=100000", "name=apex_kill",
                 "learner.eval_interval_updates=500", "replay.checkpoint_interval_seconds=1",
                 "learner.checkpoint_interval_seconds=1"}),
      log_);
  ASSERT_TRUE(WaitForEnvSteps(launcher, 30000)) << Log();
  const fs::path run = RunDir();
  const fs::path table = run / "replay" / "shard-0" / "priority.rlftable";
  const pid_t shard = testing::ChildWithRole(launcher.pid(), "shard");
  ASSERT_GT(shard, 0);
  ASSERT_TRUE(fs::exists(table));
  ::kill(shard, SIGSTOP);
  const size_t checkpointed = ReadSnapshot(table.string()).items.size();
  ::kill(shard, SIGKILL);
  ASSERT_TRUE(WaitForEnvSteps(launcher, 60000)) << Log();
  const pid_t learner = testing::ChildWithRole(launcher.pid(), "learner");
  ASSERT_GT(learner, 0);
  ::kill(learner, SIGKILL);
  ASSERT_TRUE(WaitForEnvSteps(launcher, 80000)) << Log();
  const pid_t actor = testing::ChildWithRole(launcher.pid(), "actor");
  ASSERT_GT(actor, 0);
  ::kill(actor, SIGKILL);

  const auto status = launcher.Wait(300);
  ASSERT_TRUE(status.has_value()) << Log();
  EXPECT_TRUE(status->ok()) << status->ToString() << "\n" << Log();
  const std::string shard_log = ReadFile((run / "logs" / "shard-0.log").string());
  EXPECT_NE(
      shard_log.find("restored table 'priority' (" + std::to_string(checkpointed) + " items)"),
      std::string::npos)
      << "checkpoint of " << checkpointed << " items; shard log:\n"
      << shard_log;
  const std::string learner_log = ReadFile((run / "logs" / "learner.log").string());
  EXPECT_NE(learner_log.find("resumed from"), std::string::npos) << learner_log;

  const auto summary = nlohmann::json::parse(ReadFile((run / "summary.json").string()));
  EXPECT_TRUE(summary["completed"].get<bool>());
  EXPECT_EQ(summary["restarts"].get<int64_t>(), 3) << Log();
  const std::vector<double> returns = EpisodeReturns(run);
  ASSERT_GE(returns.size(), 200u);
  const double first = Mean(returns, 0, 100);
  const double last = Mean(returns, returns.size() - 100, returns.size());
  EXPECT_GT(last, first + 50.0) << "first 100 episodes " << first << ", last 100 " << last;
  for (pid_t child : ChildrenOf(launcher.pid())) EXPECT_FALSE(ProcessAlive(child));
}

}  // namespace
}  // namespace rlfleet
