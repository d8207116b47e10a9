#include "algorithms/registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace rlfleet {
namespace {

EnvSpec Spec(const std::string& id, bool discrete) {
  EnvSpec spec;
  spec.id = id;
  spec.observation_size = discrete ? 4 : 3;
  spec.discrete_actions = discrete;
  spec.num_actions = discrete ? 2 : 0;
  spec.action_size = 1;
  return spec;
}

std::string ErrorOf(const RunConfig& config, const EnvSpec& spec) {
  try {
    CheckRunFitsAlgorithm(config, spec);
    return "";
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
}

TEST(RegistryTest, KnowsEachAlgorithmByItsName) {
  EXPECT_EQ(AlgorithmNames(), (std::vector<std::string>{"impala", "apex_dqn", "sac", "td3"}));
  for (const std::string& name : AlgorithmNames()) {
    const AlgorithmSpec& spec = FindAlgorithm(name);
    EXPECT_EQ(spec.name, name);
    EXPECT_NE(spec.make_policy, nullptr);
    EXPECT_NE(spec.make_learner, nullptr);
    EXPECT_FALSE(spec.bench_config.empty());
  }
  const AlgorithmSpec& impala = FindAlgorithm("impala");
  EXPECT_EQ(impala.items, ItemKind::kUnroll);
  EXPECT_EQ(impala.replay, ReplayKind::kQueue);
  EXPECT_EQ(impala.budget, StepBudget::kConsumedFrames);
  const AlgorithmSpec& apex = FindAlgorithm("apex_dqn");
  EXPECT_EQ(apex.items, ItemKind::kTransition);
  EXPECT_EQ(apex.replay, ReplayKind::kReplayMemory);
  EXPECT_EQ(apex.actions, ActionSupport::kDiscrete);
  EXPECT_EQ(apex.budget, StepBudget::kActorFrames);
  try {
    FindAlgorithm("dqn");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "learner.algo 'dqn' is not an algorithm (known: impala, apex_dqn, sac, td3)");
  }
}

TEST(RegistryTest, ReachablePriorityKeepsEveryItemDrawable) {
  EXPECT_EQ(ReachablePriority(0.5), 0.5);
  EXPECT_EQ(ReachablePriority(0.0), 1e-6);
  EXPECT_EQ(ReachablePriority(-3.0), 1e-6);
  EXPECT_EQ(ReachablePriority(std::nan("")), 1.0);
  EXPECT_EQ(ReachablePriority(HUGE_VAL), 1.0);
}

TEST(RegistryTest, ChecksActionsAndTheSamplerTheAlgorithmNeeds) {
  RunConfig config;  // impala with its fifo queue
  EXPECT_EQ(ErrorOf(config, Spec("CartPole-v1", true)), "");
  EXPECT_EQ(ErrorOf(config, Spec("Pendulum-v1", false)), "");
  config.replay.sampler = "prioritized";
  EXPECT_EQ(ErrorOf(config, Spec("CartPole-v1", true)),
            "replay.sampler must be fifo with learner.algo impala (got 'prioritized')");
  config.replay.sampler = "fifo";
  config.learner.batches_per_sample = 2;
  EXPECT_EQ(ErrorOf(config, Spec("CartPole-v1", true)),
            "learner.batches_per_sample must be 1 with learner.algo impala: a queue's batches are "
            "the newest unrolls, one request each (got 2)");
  config.replay.sampler = "prioritized";

  config.learner.algo = "apex_dqn";
  config.replay.max_size = 1000;
  EXPECT_EQ(ErrorOf(config, Spec("CartPole-v1", true)), "");
  EXPECT_EQ(ErrorOf(config, Spec("Pendulum-v1", false)),
            "learner.algo apex_dqn needs discrete actions; Pendulum-v1 has 1 continuous action "
            "dimension");
  config.replay.sampler = "fifo";
  EXPECT_EQ(ErrorOf(config, Spec("CartPole-v1", true)),
            "replay.sampler must be prioritized or uniform with learner.algo apex_dqn (got "
            "'fifo')");
  config.replay.sampler = "uniform";
  config.replay.min_size_to_sample = 2000;
  EXPECT_EQ(ErrorOf(config, Spec("CartPole-v1", true)),
            "replay.min_size_to_sample must be <= replay.max_size (got 2000 > 1000)");
  config.replay.min_size_to_sample = 1000;
  config.model.normalize_observations = true;
  EXPECT_EQ(ErrorOf(config, Spec("CartPole-v1", true)),
            "model.normalize_observations is not supported by learner.algo apex_dqn");
  config.learner.algo = "td3";
  EXPECT_EQ(ErrorOf(config, Spec("Pendulum-v1", false)), "");
  config.learner.algo = "sac";
  EXPECT_EQ(ErrorOf(config, Spec("Pendulum-v1", false)), "");
  config.model.normalize_observations = false;
  config.learner.algo = "sac2";
  EXPECT_NE(ErrorOf(config, Spec("CartPole-v1", true)).find("'sac2' is not an algorithm"),
            std::string::npos);
}

}  // namespace
}  // namespace rlfleet
