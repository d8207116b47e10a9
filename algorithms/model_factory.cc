#include "algorithms/model_factory.h"

#include <torch/utils.h>

#include <mutex>

#include "algorithms/observation_normalizer.h"
#include "core/random.h"

namespace rlfleet {
namespace {

// LibTorch's initialisers draw from the global generator: one lock for every model built here.
std::mutex& SeedMutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

std::unique_lock<std::mutex> SeedModelInitialisation(uint64_t run_seed) {
  std::unique_lock<std::mutex> lock(SeedMutex());
  // LibTorch's initialisers draw from the global generator; 63 bits keep the seed positive.
  torch::manual_seed(DeriveSeed(run_seed, "model", 0) >> 1);
  return lock;
}

ModelSpaces SpacesOf(const EnvSpec& spec) {
  return ModelSpaces{spec.observation_size, spec.discrete_actions, spec.num_actions,
                     spec.action_size};
}

ActorCritic MakeActorCritic(const ModelConfig& config, const ModelSpaces& spaces,
                            uint64_t run_seed) {
  ActorCriticOptions options;
  options.observation_size = spaces.observation_size;
  options.discrete_actions = spaces.discrete_actions;
  options.num_actions = spaces.num_actions;
  options.action_size = spaces.action_size;
  options.hidden_sizes = config.hidden_sizes;
  options.activation = config.activation;
  options.shared_torso = config.shared_torso;
  options.initial_log_std = config.initial_log_std;
  options.state_dependent_log_std = config.state_dependent_log_std;
  options.observation_clip = ObservationClip(config);
  options.Validate();
  const auto lock = SeedModelInitialisation(run_seed);
  return ActorCritic(options);
}

QNetwork MakeQNetwork(const ModelConfig& config, bool dueling, const ModelSpaces& spaces,
                      uint64_t run_seed) {
  QNetworkOptions options;
  options.observation_size = spaces.observation_size;
  options.num_actions = spaces.num_actions;
  options.hidden_sizes = config.hidden_sizes;
  options.activation = config.activation;
  options.dueling = dueling;
  options.Validate();
  const auto lock = SeedModelInitialisation(run_seed);
  return QNetwork(options);
}

DqnOptions DqnOptionsFromConfig(const RunConfig& config) {
  DqnOptions options;
  options.learning_rate = config.learner.learning_rate;
  options.adam_eps = config.learner.adam_eps;
  options.max_grad_norm = config.learner.max_grad_norm;
  options.target_update_period = config.apex.target_update_period;
  options.double_dqn = config.apex.double_dqn;
  return options;
}

}  // namespace rlfleet
