#include "algorithms/transition_policy.h"

#include <utility>

#include "core/uniform_actions.h"

namespace rlfleet {

TransitionPolicy::TransitionPolicy(const RunConfig& config, const EnvSpec& spec,
                                   int32_t actor_index)
    : config_(config),
      spec_(spec),
      rng_(DeriveSeed(config.seed, "actor_actions", actor_index)),
      num_envs_(config.env.num_envs),
      warmup_frames_((config.actor.warmup_env_steps + config.cluster.num_actors - 1) /
                     config.cluster.num_actors),
      transitions_(config.env.num_envs, config.actor.n_step, config.learner.discount,
                   spec.observation_size, spec.action_size) {}

bool TransitionPolicy::WantsWeights() {
  if (frames_since_weights_ < config_.actor.weights_interval_frames) return false;
  frames_since_weights_ = 0;
  return true;
}

void TransitionPolicy::Act(const float* observations, float* actions) {
  if (frames_ >= warmup_frames_) {
    PolicyActions(observations, actions);
    return;
  }
  UniformActions(spec_, num_envs_, rng_, actions);
}

void TransitionPolicy::Record(const EnvStepView& step, ActorOutput* out) {
  transitions_.Push(step.observations, step.actions, policy_version_, step.rewards, step.terminated,
                    step.truncated, step.next_observations, step.final_observations, step.dropped);
  frames_ += num_envs_;
  frames_since_weights_ += num_envs_;
  const size_t batch = static_cast<size_t>(config_.actor.insert_batch);
  while (transitions_.ready() >= batch) Emit(batch, out);
}

void TransitionPolicy::Flush(ActorOutput* out) {
  if (transitions_.ready() > 0) Emit(transitions_.ready(), out);
}

void TransitionPolicy::InitialPriorities(const std::vector<Transition>& transitions,
                                         std::vector<double>* priorities) {
  priorities->insert(priorities->end(), transitions.size(), 1.0);
}

void TransitionPolicy::Emit(size_t count, ActorOutput* out) {
  chunk_.clear();
  transitions_.Take(count, &chunk_);
  InitialPriorities(chunk_, &out->priorities);
  for (Transition& t : chunk_) out->transitions.push_back(std::move(t));
}

}  // namespace rlfleet
