#include "learner/evaluate.h"

#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "algorithms/dqn.h"
#include "algorithms/impala.h"
#include "algorithms/model_factory.h"
#include "core/random.h"
#include "envs/registry.h"
#include "config/config_io.h"
#include "learner/learner.h"

namespace rlfleet {

void EvaluateOptions::Validate() const {
  if (run_dir.empty()) throw std::invalid_argument("evaluate: run_dir is empty");
  if (episodes <= 0) throw std::invalid_argument("evaluate: episodes must be > 0");
}

namespace {

void SetMeanAndStddev(EvaluateResult* result) {
  double sum = 0.0;
  for (double r : result->returns) sum += r;
  result->mean = sum / static_cast<double>(result->returns.size());
  double squares = 0.0;
  for (double r : result->returns) squares += (r - result->mean) * (r - result->mean);
  result->stddev = std::sqrt(squares / static_cast<double>(result->returns.size()));
}

// An Ape-X DQN checkpoint (dqn.pt): greedy = argmax Q; "stochastic" = ε-greedy with ε 0.01.
EvaluateResult EvaluateDqn(const RunConfig& config, const EvaluateOptions& options,
                           EvaluateResult result) {
  std::unique_ptr<Env> env = MakeEnv(config.env.id);
  const EnvSpec& spec = env->spec();
  const ModelSpaces spaces{spec.observation_size, spec.discrete_actions, spec.num_actions,
                           spec.action_size};
  QNetwork online = MakeQNetwork(config.model, config.apex.dueling, spaces, config.seed);
  QNetwork target = MakeQNetwork(config.model, config.apex.dueling, spaces, config.seed);
  Dqn dqn(online, target, DqnOptions{});
  dqn.LoadCheckpoint((std::filesystem::path(result.checkpoint) / "dqn.pt").string());
  online->eval();
  Rng rng(DeriveSeed(options.seed, "eval_actions", 0));
  const double epsilon = options.greedy ? 0.0 : 0.01;
  std::vector<float> observation(spec.observation_size);
  float action = 0.0f;
  torch::InferenceMode guard;
  for (int32_t episode = 0; episode < options.episodes; ++episode) {
    env->Seed(options.seed + static_cast<uint64_t>(episode));
    env->Reset(observation.data());
    double episode_return = 0.0;
    while (true) {
      const torch::Tensor q = online->forward(
          torch::from_blob(observation.data(), {1, spec.observation_size}, torch::kFloat32));
      EpsilonGreedyActions(q, &epsilon, rng, &action);
      const StepResult step = env->Step(&action, observation.data());
      episode_return += step.reward;
      if (step.terminated || step.truncated) break;
    }
    result.returns.push_back(episode_return);
  }
  SetMeanAndStddev(&result);
  return result;
}

}  // namespace

EvaluateResult EvaluateCheckpoint(const EvaluateOptions& options) {
  options.Validate();
  const std::filesystem::path run_dir = options.run_dir;
  const RunConfig config = LoadRunConfig((run_dir / "config.yaml").string());
  EvaluateResult result;
  result.checkpoint = LatestCheckpoint(options.run_dir);
  if (result.checkpoint.empty()) {
    throw std::runtime_error("no checkpoint in " + (run_dir / "checkpoints").string());
  }
  std::unique_ptr<Env> env = MakeEnv(config.env.id);
  const EnvSpec& spec = env->spec();
  if (config.learner.algo == "apex_dqn") return EvaluateDqn(config, options, std::move(result));
  ActorCritic model = MakeActorCritic(
      config.model,
      ModelSpaces{spec.observation_size, spec.discrete_actions, spec.num_actions,
                  spec.action_size},
      config.seed);
  Impala impala(model, ImpalaOptions{});
  impala.LoadCheckpoint((std::filesystem::path(result.checkpoint) / "impala.pt").string());
  model->eval();

  Rng rng(DeriveSeed(options.seed, "eval_actions", 0));
  std::vector<float> observation(spec.observation_size), action(spec.action_size);
  float log_prob = 0.0f;
  torch::InferenceMode guard;
  for (int32_t episode = 0; episode < options.episodes; ++episode) {
    env->Seed(options.seed + static_cast<uint64_t>(episode));
    env->Reset(observation.data());
    double episode_return = 0.0;
    while (true) {
      const torch::Tensor input =
          torch::from_blob(observation.data(), {1, spec.observation_size}, torch::kFloat32);
      const PolicyOutput out = model->forward(input);
      if (options.greedy) {
        GreedyActions(out, action.data());
      } else {
        SampleActions(out, rng, action.data(), &log_prob);
      }
      const StepResult step = env->Step(action.data(), observation.data());
      episode_return += step.reward;
      if (step.terminated || step.truncated) break;
    }
    result.returns.push_back(episode_return);
  }
  SetMeanAndStddev(&result);
  return result;
}

}  // namespace rlfleet
