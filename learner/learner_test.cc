// The generic learner loop with a transparent fake algorithm (algorithms/fake_algorithm_testing.h)
// against a real replay shard over ipc: which items reach the algorithm, the step budget, the
// progress it is told, priorities, bad items, metrics, checkpoints and resume.
#include "learner/learner.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "algorithms/fake_algorithm_testing.h"
#include "core/file_util.h"
#include "core/transition_testing.h"
#include "replay/run_fixture_testing.h"
#include "transport/codec.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

class LearnerTest : public testing::RunFixture {
 protected:
  void SetUp() override {
    RunFixture::SetUp();
    at::set_num_threads(1);
    config_.learner.prefetch = 1;
    config_.learner.checkpoint_interval_seconds = 1e9;
    config_.learner.metrics_interval_seconds = 0.05;
    std::lock_guard<std::mutex> lock(testing::FakeLog().mutex);
    testing::FakeLog().progress.clear();
    testing::FakeLog().batch_sizes.clear();
    testing::FakeLog().importance_weights.clear();
    testing::FakeLog().bad_items_prepared = 0;
  }

  // A prioritized replay memory of 1000 transitions, batches of 8, a budget of 5000 env steps.
  void UsePrioritizedMemory() {
    config_.replay.table = "memory";
    config_.replay.sampler = "prioritized";
    config_.replay.max_size = 1000;
    config_.replay.min_size_to_sample = 8;
    config_.learner.batch_size = 8;
    config_.learner.total_env_steps = 5000;
  }

  // Runs a learner (the fake transition algorithm; the budget counts the actors' frames) in
  // run_dir on a thread of its own. `train` runs meanwhile and waits for what the test needs;
  // then the actors report the whole budget and the run ends on it. Returns the summary.
  LearnerSummary RunToActorBudget(const fs::path& run_dir, const std::function<void()>& train) {
    const AlgorithmSpec fake = testing::FakeAlgorithmSpec(
        ItemKind::kTransition, ReplayKind::kReplayMemory, StepBudget::kActorFrames);
    std::atomic<bool> stop{false};
    LearnerSummary summary;
    Learner learner(config_, run_dir.string(), false, fake);
    std::thread run([&] { summary = learner.Run(stop); });
    train();
    ReportActorStats(config_.learner.total_env_steps, {});
    WaitFor([&] { return summary.updates > 0; }, 30);
    stop = true;  // a safety net only: completed must come from the budget
    run.join();
    return summary;
  }
};

// An encoded one-step CartPole-sized transition with action i % 2: an item the env spec accepts.
std::string GoodTransition(int i) {
  return EncodeTransition(
      testing::OneStepTransition({1, 2, 3, 4}, i % 2, 1.0f, 0.99f, {1, 2, 3, 5}));
}

Unroll OnesUnroll(int32_t length, int32_t observation_size, int64_t version) {
  Unroll u;
  u.Resize(length, observation_size, 1, true);
  for (float& r : u.rewards) r = 1.0f;
  u.policy_version = version;
  return u;
}

// A queue of unrolls; the budget counts the frames trained on. The first unroll has the wrong
// observation size: it is dropped and counted, and its batch trains on the other three.
//   batch 1: 3 unrolls · 5 steps = 15 frames (reward 15), batch 2: 20, batch 3: 20 → 55 ≥ 40.
TEST_F(LearnerTest, QueueOfUnrollsStopsAtTheConsumedFrameBudget) {
  config_.replay.table = "queue";
  config_.replay.max_size = 64;
  config_.actor.unroll_length = 5;
  config_.learner.batch_size = 4;
  config_.learner.total_env_steps = 40;
  StartShard(false);
  std::vector<std::string> items = {EncodeUnroll(OnesUnroll(5, 3, 0))};
  for (int i = 0; i < 12; ++i) items.push_back(EncodeUnroll(OnesUnroll(5, 4, i < 4 ? 0 : 2)));
  Insert(items, {});

  const AlgorithmSpec fake = testing::FakeAlgorithmSpec(ItemKind::kUnroll, ReplayKind::kQueue,
                                                        StepBudget::kConsumedFrames);
  const fs::path run_dir = dir_ / "run";
  std::atomic<bool> stop{false};
  LearnerSummary summary;
  {
    Learner learner(config_, run_dir.string(), false, fake);
    summary = learner.Run(stop);
  }
  EXPECT_TRUE(summary.completed);
  EXPECT_EQ(summary.updates, 3);
  EXPECT_EQ(summary.consumed_frames, 55);
  EXPECT_EQ(summary.env_steps, 55);
  EXPECT_EQ(summary.malformed_items, 1);
  {
    std::lock_guard<std::mutex> lock(testing::FakeLog().mutex);
    EXPECT_EQ(testing::FakeLog().bad_items_prepared, 0);
    EXPECT_EQ(testing::FakeLog().batch_sizes, (std::vector<size_t>{3, 4, 4}));
    EXPECT_EQ(testing::FakeLog().progress, (std::vector<double>{0.0, 15.0 / 40, 35.0 / 40}));
    for (const auto& weights : testing::FakeLog().importance_weights) EXPECT_TRUE(weights.empty());
  }

  // The final checkpoint holds w = 15 + 20 + 20 and the update count.
  const std::string checkpoint = LatestCheckpoint(run_dir.string());
  ASSERT_FALSE(checkpoint.empty());
  EXPECT_EQ(ReadFile(checkpoint + "/fake.txt"), "3 55\n");
  const auto state = nlohmann::json::parse(ReadFile(checkpoint + "/state.json"));
  EXPECT_EQ(state["algo"].get<std::string>(), "fake");
  EXPECT_EQ(state["consumed_frames"].get<int64_t>(), 55);

  // metrics.csv: the generic columns, then the algorithm's; policy lag = updates − version:
  // batch 1 at update 0 (versions 0) lag 0, batch 2 at 1 (0 and 2, mean 1.5) lag −0.5, batch 3
  // at 2 (version 2) lag 0.
  const std::string metrics = ReadFile((run_dir / "metrics.csv").string());
  EXPECT_EQ(metrics.substr(0, metrics.find('\n')),
            "wall_seconds,env_steps,consumed_frames,actor_env_steps,updates,fps,"
            "updates_per_second,mean_return_100,episodes,policy_lag,eval_mean_return,"
            "malformed_items,unknown_key_updates,nonfinite_updates,rejected_stats,rejected_weights,"
            "batch_reward,items");
  const auto summary_json = nlohmann::json::parse(ReadFile((run_dir / "summary.json").string()));
  EXPECT_EQ(summary_json["malformed_items"].get<int64_t>(), 1);
  EXPECT_EQ(summary_json["sample_error_replies"].get<int64_t>(), 0);
  EXPECT_EQ(summary_json["consumed_frames"].get<int64_t>(), 55);

  // Resume: the algorithm's state and the counters come back; the budget is met already.
  Learner resumed(config_, run_dir.string(), true, fake);
  const LearnerSummary again = resumed.Run(stop);
  EXPECT_TRUE(again.completed);
  EXPECT_EQ(again.updates, 3);
  EXPECT_EQ(again.consumed_frames, 55);
}

// learner.stop_eval_return ends the run at the first evaluation that reaches it (completed),
// and only then: the fake's evaluation always pushes CartPole left (a return of about 10, never
// below 5). With the target 5 and a budget that the 12 queued unrolls cannot meet (1000 env
// steps), the run ends when the first evaluation's result comes back from the evaluator's
// thread, after 1 to 3 updates; unset (and with a target never reached) it trains to its budget
// (2 batches of 4 unrolls × 5 steps = 40).
TEST_F(LearnerTest, StopEvalReturnEndsTheRunAtTheFirstEvaluationThatReachesIt) {
  config_.env.id = "CartPole-v1";
  config_.replay.table = "queue";
  config_.replay.max_size = 64;
  config_.actor.unroll_length = 5;
  config_.learner.batch_size = 4;
  config_.learner.total_env_steps = 40;
  config_.learner.eval_interval_updates = 1;
  config_.learner.eval_episodes = 2;
  const AlgorithmSpec fake = testing::FakeAlgorithmSpec(ItemKind::kUnroll, ReplayKind::kQueue,
                                                        StepBudget::kConsumedFrames);
  const double unset = config_.learner.stop_eval_return;
  int run = 0;
  for (const double target : {unset, 1e9, 5.0}) {
    config_.learner.stop_eval_return = target;
    config_.learner.total_env_steps = target == 5.0 ? 1000 : 40;
    shard_.reset();  // the previous run's shard (its ipc endpoint) goes first
    StartShard(false);
    std::vector<std::string> items;
    for (int i = 0; i < 12; ++i) items.push_back(EncodeUnroll(OnesUnroll(5, 4, 0)));
    Insert(items, {});
    const fs::path run_dir = dir_ / ("run-" + std::to_string(run++));
    std::atomic<bool> stop{false};
    Learner learner(config_, run_dir.string(), false, fake);
    const LearnerSummary summary = learner.Run(stop);
    EXPECT_TRUE(summary.completed) << target;
    if (target == 5.0) {
      EXPECT_GE(summary.updates, 1);
      EXPECT_LE(summary.updates, 3);
    } else {
      EXPECT_EQ(summary.updates, 2) << target;
    }
    const auto json = nlohmann::json::parse(ReadFile((run_dir / "summary.json").string()));
    EXPECT_EQ(json["reached_stop_eval_return"].get<bool>(), target == 5.0) << target;
    EXPECT_GE(json["final_eval_mean_return"].get<double>(), 5.0) << target;
  }
}

// Updates whose loss is not finite (the fake's negative batches) are skipped and counted; the
// run goes on while fewer than learner.max_nonfinite_updates come in a row, and ends with an
// error naming the update when that many do. Batches of two unrolls of 5 steps: −10, +10, −10,
// −10.
class NonFiniteLearnerTest : public LearnerTest {
 protected:
  void SetUp() override {
    LearnerTest::SetUp();
    config_.replay.table = "queue";
    config_.replay.max_size = 64;
    config_.actor.unroll_length = 5;
    config_.learner.batch_size = 2;
    config_.learner.total_env_steps = 40;
    StartShard(false);
    std::vector<std::string> items;
    for (float reward : {-1.0f, 1.0f, -1.0f, -1.0f}) {
      for (int i = 0; i < 2; ++i) {
        Unroll u = OnesUnroll(5, 4, 0);
        for (float& r : u.rewards) r = reward;
        items.push_back(EncodeUnroll(u));
      }
    }
    Insert(items, {});
  }
  const AlgorithmSpec fake_ = testing::FakeAlgorithmSpec(ItemKind::kUnroll, ReplayKind::kQueue,
                                                         StepBudget::kConsumedFrames);
  std::atomic<bool> stop_{false};
};

TEST_F(NonFiniteLearnerTest, AreSkippedAndCounted) {
  config_.learner.max_nonfinite_updates = 3;
  const fs::path run_dir = dir_ / "run";
  {
    Learner learner(config_, run_dir.string(), false, fake_);
    const LearnerSummary summary = learner.Run(stop_);
    EXPECT_TRUE(summary.completed);
    EXPECT_EQ(summary.updates, 4);
  }
  const auto summary_json = nlohmann::json::parse(ReadFile((run_dir / "summary.json").string()));
  EXPECT_EQ(summary_json["nonfinite_updates"].get<int64_t>(), 3);
  // Only the finite batch moved w.
  EXPECT_EQ(ReadFile(LatestCheckpoint(run_dir.string()) + "/fake.txt"), "4 10\n");
}

TEST_F(NonFiniteLearnerTest, EndTheRunWhenTooManyComeInARow) {
  config_.learner.max_nonfinite_updates = 2;
  Learner learner(config_, (dir_ / "run").string(), false, fake_);
  try {
    learner.Run(stop_);
    ADD_FAILURE() << "two non-finite updates in a row did not end the run";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("update 4: the loss or gradient norm was not finite in 2 "
                                         "updates in a row (learner.max_nonfinite_updates)"),
              std::string::npos)
        << e.what();
  }
}

// A prioritized replay memory of transitions; the budget counts the actors' frames. Two bad
// items (a wrong observation size and bytes that do not decode) are dropped, counted, given
// priority 0 (never drawn again) and never reach the algorithm; the learner sends one priority
// update per trained batch.
TEST_F(LearnerTest, ReplayMemoryDropsBadItemsSendsPrioritiesAndStopsAtTheActorsBudget) {
  UsePrioritizedMemory();
  StartShard(true);
  std::vector<std::string> items;
  for (int i = 0; i < 30; ++i) items.push_back(GoodTransition(i));
  items.push_back(EncodeTransition(testing::OneStepTransition({1, 2, 3}, 0, 1, 0.9f, {1, 2, 3})));
  items.push_back("not a transition");
  Insert(items, std::vector<double>(items.size(), 1.0));

  const fs::path run_dir = dir_ / "run";
  const LearnerSummary summary = RunToActorBudget(run_dir, [&] {
    // Train until both bad items were drawn (status.json counts them) and 50 updates passed.
    auto status = [&] {
      const fs::path path = run_dir / "status.json";
      if (!fs::exists(path)) return nlohmann::json::object();
      return nlohmann::json::parse(ReadFile(path.string()));
    };
    WaitFor(
        [&] {
          return status().value("malformed_items", 0) >= 2 && status().value("updates", 0) >= 50;
        },
        60);
    EXPECT_EQ(status().value("env_steps", -1), 0) << "the budget counts the actors' frames";
  });
  EXPECT_TRUE(summary.completed);
  EXPECT_EQ(summary.env_steps, config_.learner.total_env_steps);
  EXPECT_GE(summary.updates, 50);
  // Each draw of a bad item counts; a batch sampled before its priority-0 update reached the
  // shard may draw it once more.
  EXPECT_GE(summary.malformed_items, 2);
  EXPECT_LE(summary.malformed_items, 2 * (config_.learner.prefetch + 2));
  {
    std::lock_guard<std::mutex> lock(testing::FakeLog().mutex);
    EXPECT_EQ(testing::FakeLog().bad_items_prepared, 0);
    // Importance weights come with every item of a replay memory, normalised by the maximum.
    for (size_t b = 0; b < testing::FakeLog().batch_sizes.size(); ++b) {
      ASSERT_EQ(testing::FakeLog().importance_weights[b].size(), testing::FakeLog().batch_sizes[b]);
      for (double w : testing::FakeLog().importance_weights[b]) {
        EXPECT_GT(w, 0.0);
        EXPECT_LE(w, 1.0);
      }
    }
  }
  // Priorities: one update request per trained batch (the last few may be dropped at the end),
  // plus one per sampled batch that held a bad item.
  const ShardStats stats = Info();
  EXPECT_GE(stats.update_requests, summary.updates - config_.learner.prefetch - 2);
  EXPECT_LE(stats.update_requests, summary.updates + 2);
  // The bad items now have priority 0: the prioritized table never hands them out again.
  SampleClient client(SampleOptions());
  SampledBatch batch;
  for (int draw = 0; draw < 20; ++draw) {
    ASSERT_TRUE(client.SamplePrioritized(8, 5000, &batch));
    for (size_t i = 0; i < batch.size(); ++i) {
      EXPECT_NO_THROW(DecodeTransition(batch.item(i).data, batch.item(i).size));
    }
  }
}

// learner.batches_per_sample 4: the prefetch thread draws four batches per sample request and
// trains each as its own batch, its importance weights divided by its own maximum.
TEST_F(LearnerTest, SeveralBatchesPerSampleRequestAreTrainedOneByOne) {
  UsePrioritizedMemory();
  config_.learner.batches_per_sample = 4;
  StartShard(true);
  std::vector<std::string> items;
  std::vector<double> priorities;
  for (int i = 0; i < 64; ++i) {
    items.push_back(GoodTransition(i));
    priorities.push_back(1.0 + i);  // unequal draws: unequal importance weights
  }
  Insert(items, priorities);

  const LearnerSummary summary = RunToActorBudget(dir_ / "run", [&] {
    WaitFor(
        [&] {
          std::lock_guard<std::mutex> lock(testing::FakeLog().mutex);
          return testing::FakeLog().batch_sizes.size() >= 40;
        },
        60);
  });
  EXPECT_TRUE(summary.completed);
  ASSERT_GE(summary.updates, 40);
  {
    std::lock_guard<std::mutex> lock(testing::FakeLog().mutex);
    size_t below_one = 0;
    for (size_t b = 0; b < testing::FakeLog().batch_sizes.size(); ++b) {
      EXPECT_EQ(testing::FakeLog().batch_sizes[b], 8u);
      const std::vector<double>& w = testing::FakeLog().importance_weights[b];
      ASSERT_EQ(w.size(), 8u);
      EXPECT_DOUBLE_EQ(*std::max_element(w.begin(), w.end()), 1.0) << "batch " << b;
      for (double x : w) below_one += x < 1.0 ? 1 : 0;
    }
    EXPECT_GT(below_one, 0u);
  }
  // One sample request per four updates. Beyond the batches trained, at most these were drawn:
  // those waiting in `ready` (prefetch), the reply being split (4), and the replies of the
  // requests the client keeps ahead (prefetch of them).
  const ShardStats stats = Info();
  const int64_t batches = summary.updates + config_.learner.prefetch + 4;
  EXPECT_LE(stats.sample_requests, (batches + 3) / 4 + config_.learner.prefetch);
  EXPECT_GE(stats.sample_requests * 4, summary.updates);
}

}  // namespace
}  // namespace rlfleet
