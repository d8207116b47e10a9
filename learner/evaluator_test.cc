#include "learner/evaluator.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "algorithms/registry.h"
#include "core/random.h"
#include "core/run_config.h"
#include "learner/play_episode.h"
#include "pyenv/env_factory.h"

namespace rlfleet {
namespace {

constexpr uint64_t kSeed = 17;
constexpr int32_t kEpisodes = 3;

struct Case {
  std::string algo;
  std::string env_id;
  double tolerance;  // on a mean return: 0 for discrete actions (equal), else relative
};

// An algorithm with random parameters (seeded), on the CPU.
std::unique_ptr<LearnerAlgorithm> RandomAlgorithm(const Case& c, RunConfig* config) {
  config->env.id = c.env_id;
  config->learner.algo = c.algo;
  config->model.hidden_sizes = {8};
  if (c.algo != "impala") {
    config->replay.sampler = "uniform";
    config->replay.min_size_to_sample = 1;
  }
  auto algorithm = FindAlgorithm(c.algo).make_learner(*config, MakeEnv(config->env)->spec(), "cpu");
  torch::manual_seed(3);
  torch::NoGradGuard no_grad;
  for (auto& p : algorithm->published_module().parameters()) p.normal_(0.0, 0.5);
  return algorithm;
}

// What the evaluation with `index` must give: its episodes played on the calling thread with
// the algorithm's own EvalActions, on the env seeds the evaluator documents.
double ReferenceMeanReturn(LearnerAlgorithm& algorithm, const EnvConfig& env_config,
                           int64_t index) {
  auto env = MakeEnv(env_config);
  Rng rng(1);
  double sum = 0.0;
  for (int32_t e = 0; e < kEpisodes; ++e) {
    env->Seed(DeriveSeed(kSeed, "eval_envs", 0) + static_cast<uint64_t>(index * kEpisodes + e));
    sum += PlayEpisode(algorithm, *env, /*greedy=*/true, rng).episode_return;
  }
  return sum / kEpisodes;
}

EvaluatorOptions Options(const EnvConfig& env) {
  EvaluatorOptions options;
  options.env = env;
  options.seed = kSeed;
  options.eval_episodes = kEpisodes;
  return options;
}

// The evaluator plays the weights as they were when the evaluation was submitted, with the
// greedy actions of the algorithm's EvalActions: changing the parameters right after
// SubmitEvaluation does not change its result, which equals the reference computed before.
TEST(EvaluatorTest, EvaluatesASnapshotOfTheWeightsWithTheGreedyPolicy) {
  for (const Case& c : {Case{"impala", "CartPole-v1", 0.0}, Case{"sac", "Pendulum-v1", 1e-4}}) {
    RunConfig config;
    std::unique_ptr<LearnerAlgorithm> algorithm = RandomAlgorithm(c, &config);
    const double before = ReferenceMeanReturn(*algorithm, config.env, /*index=*/2);
    Evaluator evaluator(Options(config.env));
    evaluator.SubmitEvaluation(*algorithm, /*index=*/2, /*updates=*/40, /*env_steps=*/1234);
    {
      torch::NoGradGuard no_grad;
      for (auto& p : algorithm->published_module().parameters()) p.mul_(-3.0).add_(0.1);
    }
    const double after = ReferenceMeanReturn(*algorithm, config.env, /*index=*/2);
    evaluator.WaitIdle();
    const std::vector<EvaluationResult> results = evaluator.TakeResults();
    ASSERT_EQ(results.size(), 1u) << c.algo;
    const EvaluationResult& r = results[0];
    EXPECT_EQ(r.index, 2);
    EXPECT_EQ(r.updates, 40);
    EXPECT_EQ(r.env_steps, 1234);
    EXPECT_EQ(r.episodes, kEpisodes);
    EXPECT_GE(r.steps, kEpisodes);
    if (c.tolerance == 0.0) {
      EXPECT_DOUBLE_EQ(r.mean_return, before) << c.algo;
    } else {
      EXPECT_NEAR(r.mean_return, before, c.tolerance * std::abs(before)) << c.algo;
    }
    // The changed weights act differently, or the check above could not tell them apart.
    EXPECT_GT(std::abs(after - before), 1e-3) << c.algo << ": " << before << " " << after;
    EXPECT_TRUE(evaluator.TakeResults().empty());
  }
}

// Evaluations submitted faster than they finish: one waits at most, the newest replaces it, and
// every submission is either evaluated or counted as skipped; the newest is always evaluated.
TEST(EvaluatorTest, ANewerEvaluationReplacesOneThatWaits) {
  RunConfig config;
  std::unique_ptr<LearnerAlgorithm> algorithm =
      RandomAlgorithm(Case{"impala", "CartPole-v1", 0.0}, &config);
  Evaluator evaluator(Options(config.env));
  for (int64_t i = 0; i < 6; ++i) evaluator.SubmitEvaluation(*algorithm, i, 10 * i, 100 * i);
  evaluator.WaitIdle();
  const std::vector<EvaluationResult> results = evaluator.TakeResults();
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(static_cast<int64_t>(results.size()) + evaluator.skipped_evaluations(), 6);
  EXPECT_EQ(results.back().index, 5);
  EXPECT_EQ(results.back().updates, 50);
  for (size_t i = 1; i < results.size(); ++i) EXPECT_GT(results[i].index, results[i - 1].index);
  EXPECT_DOUBLE_EQ(results.back().mean_return, ReferenceMeanReturn(*algorithm, config.env, 5));
}

// An env that cannot be made gives an evaluation without episodes (mean NaN), and the evaluator
// goes on to the next one.
TEST(EvaluatorTest, AnEnvThatCannotBeMadeGivesAnEmptyResult) {
  RunConfig config;
  std::unique_ptr<LearnerAlgorithm> algorithm =
      RandomAlgorithm(Case{"impala", "CartPole-v1", 0.0}, &config);
  EnvConfig missing = config.env;
  missing.plugin = "/nonexistent/libno_such_env.so";
  Evaluator evaluator(Options(missing));
  evaluator.SubmitEvaluation(*algorithm, 0, 1, 1);
  evaluator.WaitIdle();
  evaluator.SubmitEvaluation(*algorithm, 1, 2, 2);
  evaluator.WaitIdle();
  const std::vector<EvaluationResult> results = evaluator.TakeResults();
  ASSERT_EQ(results.size(), 2u);
  for (const EvaluationResult& r : results) {
    EXPECT_EQ(r.episodes, 0);
    EXPECT_TRUE(std::isnan(r.mean_return));
  }
}

// Destroying the evaluator in the middle of a long evaluation ends it after the episode in
// progress (this test would hang otherwise).
TEST(EvaluatorTest, DestructionEndsALongEvaluation) {
  RunConfig config;
  std::unique_ptr<LearnerAlgorithm> algorithm =
      RandomAlgorithm(Case{"impala", "CartPole-v1", 0.0}, &config);
  EvaluatorOptions options = Options(config.env);
  options.eval_episodes = 100000000;
  auto evaluator = std::make_unique<Evaluator>(options);
  evaluator->SubmitEvaluation(*algorithm, 0, 1, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(evaluator->TakeResults().empty());
  evaluator.reset();
}

TEST(EvaluatorTest, OptionsAreValidated) {
  EvaluatorOptions options;
  options.eval_episodes = 0;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
