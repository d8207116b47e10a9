// The Learner with learner.algo apex_dqn in one process against a real replay shard (a
// ShardServer thread over ipc): it trains on prioritized samples, sends the new priorities back,
// ends when the actors' reported env steps reach the budget, and resumes its counters from its
// checkpoint.
#include "learner/learner.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "algorithms/dqn.h"
#include "algorithms/model_factory.h"
#include "core/transition_testing.h"
#include "replay/run_fixture_testing.h"
#include "transport/codec.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

constexpr double kAlpha = 0.6;
constexpr double kInitialPriority = 1000.0;
constexpr int kCopies = 16;  // of each of the 4 distinct transitions

using testing::OneStepTransition;

// Two CartPole-sized states. From A both actions end the episode with rewards 1 and −1; from B
// action 0 gives 0.5 and leads to A (discount 0.9), action 1 ends it with 0. The Bellman
// fixed point: Q(A) = (1, −1), Q(B) = (0.5 + 0.9 · max Q(A), 0) = (1.4, 0).
const std::vector<float> kStateA = {1, 0, 0, 0};
const std::vector<float> kStateB = {0, 1, 0, 0};
std::vector<Transition> ChainTransitions() {
  return {OneStepTransition(kStateA, 0, 1.0f, 0.0f, kStateA),
          OneStepTransition(kStateA, 1, -1.0f, 0.0f, kStateA),
          OneStepTransition(kStateB, 0, 0.5f, 0.9f, kStateA),
          OneStepTransition(kStateB, 1, 0.0f, 0.0f, kStateB)};
}

class ApexLearnerTest : public testing::RunFixture {
 protected:
  void SetUp() override {
    RunFixture::SetUp();
    at::set_num_threads(1);
    config_.replay.table = "priority";
    config_.replay.sampler = "prioritized";
    config_.replay.max_size = 1000;
    config_.replay.priority_exponent = kAlpha;
    config_.replay.min_size_to_sample = 32;
    config_.model.hidden_sizes = {32};
    config_.model.activation = "relu";
    config_.learner.algo = "apex_dqn";
    config_.learner.batch_size = 32;
    config_.learner.learning_rate = 3e-3;
    config_.learner.anneal_learning_rate = false;
    config_.learner.max_grad_norm = 10.0;
    config_.learner.publish_interval = 10;
    config_.learner.total_env_steps = 1000;
    config_.learner.checkpoint_interval_seconds = 1e9;
    config_.apex.target_update_period = 50;
    config_.learner.eval_interval_updates = 0;
  }

  void InsertChain() {
    std::vector<std::string> items;
    for (int copy = 0; copy < kCopies; ++copy) {
      for (const Transition& t : ChainTransitions()) items.push_back(EncodeTransition(t));
    }
    Insert(items, std::vector<double>(items.size(), kInitialPriority));
  }
};

TEST_F(ApexLearnerTest, TrainsSendsPrioritiesAndStopsAtTheActorsBudget) {
  StartShard(/*replay_memory=*/true);
  InsertChain();
  const fs::path run_dir = dir_ / "run";
  LearnerSummary summary;
  std::atomic<bool> stop{false};
  {
    Learner learner(config_, run_dir.string(), false);
    std::thread run([&] { summary = learner.Run(stop); });
    // Let it train for 600 updates (one priority update request per batch), then report the
    // whole env-step budget as an actor would; the learner must end on its own.
    WaitFor([&] { return Info().update_requests >= 600; }, 120);
    ReportActorStats(config_.learner.total_env_steps, {12.0});
    WaitFor([&] { return summary.updates > 0; }, 30);
    stop = true;  // a safety net only: completed must come from the budget
    run.join();
  }
  EXPECT_TRUE(summary.completed);
  EXPECT_EQ(summary.actor_env_steps, config_.learner.total_env_steps);
  EXPECT_EQ(summary.episodes, 1);
  EXPECT_DOUBLE_EQ(summary.final_mean_return, 12.0);
  ASSERT_GE(summary.updates, 600);
  EXPECT_EQ(summary.env_steps, config_.learner.total_env_steps);
  EXPECT_EQ(summary.consumed_frames, summary.updates * config_.learner.batch_size);
  EXPECT_EQ(summary.malformed_items, 0);

  // Every item was resampled many times (600 · 32 samples of 64 items) and its priority
  // replaced by |TD| of a network near the fixed point: the priority mass Σ p^α fell from
  // 64 · 1000^α ≈ 4038 to below 64 · 0.25^α ≈ 28. No key was evicted.
  const ShardStats stats = Info();
  ASSERT_EQ(stats.tables.size(), 1u);
  const double initial_mass = 4 * kCopies * std::pow(kInitialPriority, kAlpha);
  EXPECT_NEAR(initial_mass, 4038.1, 0.1);
  EXPECT_LT(stats.tables[0].priority_mass, 4 * kCopies * std::pow(0.25, kAlpha));
  EXPECT_GE(stats.update_requests, summary.updates - config_.learner.prefetch - 2);
  EXPECT_EQ(stats.unknown_key_updates, 0);

  // The final checkpoint holds Q values at the hand-computed fixed point.
  const std::string checkpoint = LatestCheckpoint(run_dir.string());
  ASSERT_FALSE(checkpoint.empty());
  const ModelSpaces spaces{4, true, 2, 1};
  Dqn dqn(MakeQNetwork(config_.model, config_.apex.dueling, spaces, 99),
          MakeQNetwork(config_.model, config_.apex.dueling, spaces, 99),
          DqnOptionsFromConfig(config_));
  dqn.LoadCheckpoint((fs::path(checkpoint) / "dqn.pt").string());
  EXPECT_EQ(dqn.num_updates(), summary.updates);
  torch::NoGradGuard no_grad;
  std::vector<float> states = kStateA;
  states.insert(states.end(), kStateB.begin(), kStateB.end());
  const torch::Tensor q = dqn.online()->forward(torch::tensor(states).view({2, 4}));
  EXPECT_NEAR(q[0][0].item<float>(), 1.0f, 0.1);
  EXPECT_NEAR(q[0][1].item<float>(), -1.0f, 0.1);
  EXPECT_NEAR(q[1][0].item<float>(), 1.4f, 0.15);
  EXPECT_NEAR(q[1][1].item<float>(), 0.0f, 0.1);

  // Resuming restores the counters; the budget is already met, so Run returns at once.
  Learner resumed(config_, run_dir.string(), true);
  stop = false;
  const LearnerSummary again = resumed.Run(stop);
  EXPECT_TRUE(again.completed);
  EXPECT_EQ(again.updates, summary.updates);
  EXPECT_EQ(again.actor_env_steps, summary.actor_env_steps);
  EXPECT_EQ(again.episodes, 1);
}

TEST_F(ApexLearnerTest, RejectsContinuousActionsAndAQueueSampler) {
  config_.env.id = "Pendulum-v1";
  try {
    Learner learner(config_, (dir_ / "run").string(), false);
    ADD_FAILURE() << "Pendulum-v1 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("needs discrete actions; Pendulum-v1"), std::string::npos)
        << e.what();
  }
  config_.env.id = "CartPole-v1";
  config_.replay.sampler = "fifo";
  EXPECT_THROW(Learner(config_, (dir_ / "run").string(), false), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
