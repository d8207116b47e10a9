#include "learner/evaluate.h"

#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "algorithms/registry.h"
#include "config/config_io.h"
#include "core/random.h"
#include "learner/learner.h"
#include "pyenv/env_factory.h"

namespace rlfleet {

void EvaluateOptions::Validate() const {
  if (run_dir.empty()) throw std::invalid_argument("evaluate: run_dir is empty");
  if (episodes <= 0) throw std::invalid_argument("evaluate: episodes must be > 0");
}

EvaluateResult EvaluateCheckpoint(const EvaluateOptions& options) {
  options.Validate();
  const std::filesystem::path run_dir = options.run_dir;
  const RunConfig config = LoadRunConfig((run_dir / "config.yaml").string());
  EvaluateResult result;
  result.checkpoint = LatestCheckpoint(options.run_dir);
  if (result.checkpoint.empty()) {
    throw std::runtime_error("no checkpoint in " + (run_dir / "checkpoints").string());
  }
  std::unique_ptr<Env> env = MakeEnv(config.env);
  const EnvSpec& spec = env->spec();
  // The algorithm's own evaluation policy on the CPU: greedy is the argmax / the mean action,
  // stochastic the algorithm's sampled (or ε = 0.01 greedy) policy.
  const AlgorithmSpec& algo = CheckRunFitsAlgorithm(config, spec);
  std::unique_ptr<LearnerAlgorithm> algorithm = algo.make_learner(config, spec, "cpu");
  algorithm->LoadCheckpoint(result.checkpoint);

  Rng rng(DeriveSeed(options.seed, "eval_actions", 0));
  std::vector<float> observation(spec.observation_size), action(spec.action_size);
  for (int32_t episode = 0; episode < options.episodes; ++episode) {
    env->Seed(options.seed + static_cast<uint64_t>(episode));
    env->Reset(observation.data());
    double episode_return = 0.0;
    while (true) {
      algorithm->EvalActions(observation.data(), 1, options.greedy, rng, action.data());
      const StepResult step = env->Step(action.data(), observation.data());
      episode_return += step.reward;
      if (step.terminated || step.truncated) break;
    }
    result.returns.push_back(episode_return);
  }
  double sum = 0.0;
  for (double r : result.returns) sum += r;
  result.mean = sum / static_cast<double>(result.returns.size());
  double squares = 0.0;
  for (double r : result.returns) squares += (r - result.mean) * (r - result.mean);
  result.stddev = std::sqrt(squares / static_cast<double>(result.returns.size()));
  return result;
}

}  // namespace rlfleet
