#include "envs/time_limit.h"

#include <stdexcept>
#include <string>
#include <utility>

namespace rlfleet {

TimeLimit::TimeLimit(std::unique_ptr<Env> env, int32_t max_episode_steps) : env_(std::move(env)) {
  if (env_ == nullptr) throw std::invalid_argument("TimeLimit: env is null");
  spec_ = env_->spec();
  if (max_episode_steps <= 0) {
    throw std::invalid_argument("TimeLimit for " + spec_.id +
                                ": max_episode_steps must be > 0, got " +
                                std::to_string(max_episode_steps));
  }
  spec_.max_episode_steps = max_episode_steps;
}

void TimeLimit::Reset(float* observation) {
  elapsed_steps_ = 0;
  env_->Reset(observation);
}

StepResult TimeLimit::Step(const float* action, float* observation) {
  StepResult result = env_->Step(action, observation);
  ++elapsed_steps_;
  if (elapsed_steps_ >= spec_.max_episode_steps) result.truncated = true;
  return result;
}

}  // namespace rlfleet
