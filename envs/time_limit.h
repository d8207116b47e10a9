#ifndef RLFLEET_ENVS_TIME_LIMIT_H_
#define RLFLEET_ENVS_TIME_LIMIT_H_

#include <cstdint>
#include <memory>

#include "envs/env.h"

namespace rlfleet {

// Decorator cutting episodes after max_episode_steps steps, like Gymnasium's TimeLimit:
// truncated = (steps since the last Reset) >= max_episode_steps; `terminated` passes through
// unchanged (both may be set on the same step). Reset restarts the count. Not thread-safe.
class TimeLimit : public Env {
 public:
  // max_episode_steps > 0, else std::invalid_argument. spec().max_episode_steps reports it.
  TimeLimit(std::unique_ptr<Env> env, int32_t max_episode_steps);

  const EnvSpec& spec() const override { return spec_; }
  void Seed(uint64_t seed) override { env_->Seed(seed); }
  void Reset(float* observation) override;
  StepResult Step(const float* action, float* observation) override;

  int32_t elapsed_steps() const { return elapsed_steps_; }
  Env& inner() { return *env_; }

 private:
  std::unique_ptr<Env> env_;
  EnvSpec spec_;
  int32_t elapsed_steps_ = 0;
};

}  // namespace rlfleet

#endif  // RLFLEET_ENVS_TIME_LIMIT_H_
