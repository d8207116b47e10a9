// End-to-end: `rlfleet train` of a SAC run (learner.algo sac) on Pendulum-v1 with real processes
// (replay shard with a uniform replay memory, learner, 2 actors) over ipc sockets.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "launcher/process.h"
#include "tests/e2e_testing.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

class SacE2eTest : public testing::E2eFixture {
 protected:
  SacE2eTest() : E2eFixture("pendulum_sac.yaml") {}
};

// Pendulum learns on a fixed budget of 6000 env steps (the first 1000 uniformly random) with
// 64-64 networks, about 10 s on 2 cores. Measured on seeds 1–3: greedy evaluation −154, −147,
// −156 after about 4,600 updates; a random policy scores about −1,200.
TEST_F(SacE2eTest, ShortPendulumRunLearns) {
  const fs::path run =
      TrainToCompletion({"learner.total_env_steps=6000", "model.hidden_sizes=[64, 64]",
                         "learner.eval_interval_updates=1000000", "name=sac_learns"},
                        300);
  ASSERT_FALSE(run.empty());
  const auto summary = nlohmann::json::parse(ReadFile((run / "summary.json").string()));
  EXPECT_TRUE(summary["completed"].get<bool>());
  EXPECT_EQ(summary["algo"].get<std::string>(), "sac");
  EXPECT_GE(summary["actor_env_steps"].get<int64_t>(), 6000);
  EXPECT_EQ(summary["malformed_items"].get<int64_t>(), 0);
  const std::vector<double> returns = testing::EpisodeReturns(run);
  ASSERT_GE(returns.size(), 20u);
  const double first = testing::Mean(returns, 0, 4);  // inside the random warm-up
  ASSERT_TRUE(summary["final_eval_mean_return"].is_number()) << summary.dump();
  const double eval = summary["final_eval_mean_return"].get<double>();
  EXPECT_LT(first, -700.0);
  EXPECT_GT(eval, -400.0) << "first 4 episodes " << first;

  // `rlfleet eval` runs the newest (SAC) checkpoint.
  const std::string evaluation = Evaluate(run, 2);
  EXPECT_NE(evaluation.find("over 2 episodes"), std::string::npos) << evaluation;
}

}  // namespace
}  // namespace rlfleet
