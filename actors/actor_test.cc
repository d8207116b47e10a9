// The generic actor loop with a transparent fake algorithm (algorithms/fake_algorithm_testing.h)
// against a real replay shard, weights publisher and stats receiver over ipc: every transition it
// inserts is compared with an independent replay of the same envs and actions.
#include "actors/actor.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "algorithms/fake_algorithm_testing.h"
#include "core/random.h"
#include "envs/vector_env.h"
#include "learner/learner_channels.h"
#include "replay/run_fixture_testing.h"
#include "transport/codec.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

constexpr int32_t kEnvs = 3;
constexpr int32_t kActor = 1;
constexpr int64_t kMinSteps = 120;  // per env
constexpr int64_t kMaxSteps = 300;  // per env; the queue table holds 1000 items

class ActorTest : public testing::RunFixture {
 protected:
  void SetUp() override {
    RunFixture::SetUp();
    config_.env.num_envs = kEnvs;
    config_.cluster.num_actors = 2;
    config_.replay.table = "queue";
    config_.replay.max_size = 1000;
    config_.learner.batch_size = 1;
    config_.actor.stats_interval_seconds = 0.05;
    StartShard(/*replay_memory=*/false);
  }
};

TEST_F(ActorTest, InsertsEveryStepAsTheAlgorithmBuiltItAndTakesWeights) {
  const AlgorithmSpec fake = testing::FakeAlgorithmSpec(ItemKind::kTransition, ReplayKind::kQueue,
                                                        StepBudget::kActorFrames);
  ActorStatsReceiver stats(config_.cluster.stats_endpoint, config_.cluster.num_actors,
                           (dir_ / "episodes.csv").string());
  testing::FakeModule published;
  {
    torch::NoGradGuard no_grad;
    published->w.fill_(7.0f);
  }
  WeightsPublisher publisher(*published, config_.cluster.weights_endpoint);

  Actor actor(config_, kActor, fake);
  std::atomic<bool> stop{false};
  std::atomic<bool> done{false};
  // Weights version 5 (w = 7) is published until the actor has run; the actor polls every step.
  std::thread publish([&] {
    while (!done.load()) {
      publisher.Publish(*published, 5);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  auto weights_arrived = [] {
    std::lock_guard<std::mutex> lock(testing::FakeLog().mutex);
    return !testing::FakeLog().weight_values.empty();
  };
  // One step per env per call, each call continuing the same episodes, until kMinSteps per env
  // were taken and the subscription (which connects asynchronously) has delivered the weights,
  // or the queue table is nearly full.
  int64_t steps = 0;
  while (steps < kMinSteps * kEnvs || (!weights_arrived() && steps < kMaxSteps * kEnvs)) {
    steps += actor.Run(stop, kEnvs);
    if (!weights_arrived()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  done = true;
  publish.join();
  ASSERT_EQ(steps % kEnvs, 0);
  const int64_t steps_per_env = steps / kEnvs;

  // Reference: the same envs (seeded as the actor seeds them) under the fake's actions.
  NativeVectorEnv reference(VectorEnvOptions{
      config_.env.id, kEnvs, DeriveSeed(config_.seed, "actor_envs", kActor), 1, {}});
  const int32_t d = reference.spec().observation_size;
  std::vector<float> obs(kEnvs * d), next(kEnvs * d), final_obs(kEnvs * d), rewards(kEnvs),
      actions(kEnvs);
  std::vector<uint8_t> terminated(kEnvs), truncated(kEnvs);
  reference.Reset(obs.data());

  // The queue hands the items back in insertion order: step by step, env by env.
  SampleClient client(SampleOptions());
  SampledBatch batch;
  ASSERT_TRUE(client.Sample(static_cast<int32_t>(steps), 5000, &batch));
  int64_t episodes = 0;
  int64_t last_version = 0;
  for (int64_t t = 0; t < steps_per_env; ++t) {
    for (int32_t e = 0; e < kEnvs; ++e) actions[e] = static_cast<float>((t + e + kActor) % 2);
    std::vector<float> before = obs;
    reference.Step(actions.data(), next.data(), rewards.data(), terminated.data(), truncated.data(),
                   final_obs.data());
    for (int32_t e = 0; e < kEnvs; ++e) {
      SCOPED_TRACE("step " + std::to_string(t) + " env " + std::to_string(e));
      const auto item = batch.item(static_cast<size_t>(t * kEnvs + e));
      const Transition got = DecodeTransition(item.data, item.size);
      const bool ended = terminated[e] || truncated[e];
      const float* x1 = (ended ? final_obs.data() : next.data()) + e * d;
      EXPECT_EQ(got.observation,
                std::vector<float>(before.begin() + e * d, before.begin() + (e + 1) * d));
      EXPECT_EQ(got.next_observation, std::vector<float>(x1, x1 + d));
      EXPECT_EQ(got.action, std::vector<float>{actions[e]});
      EXPECT_EQ(got.reward, rewards[e]);
      EXPECT_EQ(got.terminated, terminated[e] != 0);
      EXPECT_GE(got.policy_version, last_version);  // weights only move forward
      last_version = got.policy_version;
      episodes += ended ? 1 : 0;
    }
    obs.swap(next);
  }
  EXPECT_EQ(last_version, 5) << "the published weights never reached the policy";
  {
    std::lock_guard<std::mutex> lock(testing::FakeLog().mutex);
    ASSERT_FALSE(testing::FakeLog().weight_values.empty());
    EXPECT_EQ(testing::FakeLog().weight_values.back(), 7.0f);  // copied into the module
  }
  EXPECT_GT(episodes, 0);

  // The stats channel carried every step and every finished episode.
  for (int i = 0; i < 100 && stats.actor_env_steps < steps; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stats.Drain(0.0);
  }
  EXPECT_EQ(stats.actor_env_steps, steps);
  EXPECT_EQ(stats.episodes, episodes);
}

TEST_F(ActorTest, RefusesAnEnvTheAlgorithmCannotActIn) {
  config_.env.id = "Pendulum-v1";
  const AlgorithmSpec fake = testing::FakeAlgorithmSpec(ItemKind::kTransition, ReplayKind::kQueue,
                                                        StepBudget::kActorFrames);
  try {
    Actor actor(config_, 0, fake);
    ADD_FAILURE() << "a discrete-only algorithm accepted Pendulum-v1";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("learner.algo fake needs discrete actions"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace rlfleet
