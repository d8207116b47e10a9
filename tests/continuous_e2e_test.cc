// End-to-end: `rlfleet train` of the continuous-control algorithms (learner.algo sac and td3) on
// Pendulum-v1 with real processes (replay shard with a uniform replay memory, learner, 2 actors)
// over ipc sockets.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "launcher/process.h"
#include "tests/e2e_testing.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

struct Case {
  const char* name;
  const char* config;
  const char* algo;
  int64_t env_steps;         // the fixed budget
  bool normalize = false;    // model.normalize_observations
  double min_eval = -400.0;  // the greedy evaluation must beat this
  int32_t shards = 1;        // cluster.num_shards (with as many actors, so that each gets data)
};

// How ctest names each case.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class ContinuousE2eTest : public testing::E2eFixture, public ::testing::WithParamInterface<Case> {
 protected:
  ContinuousE2eTest() : E2eFixture(GetParam().config) {}
};

// Pendulum learns on a fixed env-step budget (the first 1000 uniformly random) with 64-64
// networks, about 15 s each on 2 cores; a random policy scores about −1,200 and the first 4
// episodes must score below −700. Measured greedy evaluations of seed 1–3: SAC after 6000 env
// steps −154, −147, −156 (bar −400). TD3 (seed 1, asynchronous runs differ) after 10000 env
// steps mostly −153 to −161, but 2 of 12 runs (one at 15000 steps) ended near −535 with a policy
// that does not swing up from every start, so its bar is −700: still far above the warm-up.
TEST_P(ContinuousE2eTest, ShortPendulumRunLearns) {
  const Case& c = GetParam();
  const fs::path run = TrainToCompletion(
      {"learner.total_env_steps=" + std::to_string(c.env_steps), "model.hidden_sizes=[64, 64]",
       "learner.eval_interval_updates=1000000", std::string("name=") + c.name,
       std::string("model.normalize_observations=") + (c.normalize ? "true" : "false"),
       "cluster.num_shards=" + std::to_string(c.shards),
       "cluster.num_actors=" + std::to_string(std::max(2, c.shards))},
      300);
  ASSERT_FALSE(run.empty());
  const auto summary = nlohmann::json::parse(ReadFile((run / "summary.json").string()));
  EXPECT_TRUE(summary["completed"].get<bool>());
  EXPECT_EQ(summary["algo"].get<std::string>(), c.algo);
  EXPECT_GE(summary["actor_env_steps"].get<int64_t>(), c.env_steps);
  EXPECT_EQ(summary["malformed_items"].get<int64_t>(), 0);
  const std::vector<double> returns = testing::EpisodeReturns(run);
  ASSERT_GE(returns.size(), 20u);
  const double first = testing::Mean(returns, 0, 4);  // inside the random warm-up
  ASSERT_TRUE(summary["final_eval_mean_return"].is_number()) << summary.dump();
  const double eval = summary["final_eval_mean_return"].get<double>();
  std::printf("first 4 episodes %.1f, greedy evaluation %.1f\n", first, eval);
  EXPECT_LT(first, -700.0);
  EXPECT_GT(eval, c.min_eval) << "first 4 episodes " << first;

  if (c.normalize) {
    // The learner's statistics are checkpointed next to the networks.
    int with_statistics = 0;
    for (const auto& checkpoint : fs::directory_iterator(run / "checkpoints")) {
      with_statistics += fs::exists(checkpoint.path() / "observation_statistics.pt");
    }
    EXPECT_GT(with_statistics, 0);
  }
  // `rlfleet eval` runs the newest checkpoint.
  const std::string evaluation = Evaluate(run, 2);
  EXPECT_NE(evaluation.find("over 2 episodes"), std::string::npos) << evaluation;
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, ContinuousE2eTest,
    ::testing::Values(Case{"sac", "pendulum_sac.yaml", "sac", 6000, false, -400.0},
                      Case{"td3", "pendulum_td3.yaml", "td3", 10000, false, -700.0},
                      Case{"td3_normalised", "pendulum_td3.yaml", "td3", 10000, true, -700.0},
                      // 4 shards, 4 actors: the configs' min_size_to_sample 1000 is the whole
                      // run's, 250 per shard. TD3 at 10000 steps made 6973 and 7038 updates
                      // (1 shard: 6971), greedy -160 (seed 1) and -393 (seed 2); with 1000 per
                      // shard it made 3970 updates and one CI run ended at -919.
                      Case{"sac_4_shards", "pendulum_sac.yaml", "sac", 10000, false, -400.0, 4},
                      Case{"td3_4_shards", "pendulum_td3.yaml", "td3", 10000, false, -700.0, 4}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace rlfleet
