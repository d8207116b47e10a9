#ifndef RLFLEET_ALGORITHMS_TRANSITION_POLICY_H_
#define RLFLEET_ALGORITHMS_TRANSITION_POLICY_H_

#include <cstdint>
#include <vector>

#include "algorithms/algorithm.h"
#include "core/env_spec.h"
#include "core/nstep.h"
#include "core/random.h"
#include "core/run_config.h"
#include "core/transition.h"

namespace rlfleet {

// The actor side shared by the algorithms whose items are transitions (apex_dqn, sac, td3);
// a subclass supplies the module, the policy's actions and, optionally, initial priorities.
//  - the first ⌈actor.warmup_env_steps / cluster.num_actors⌉ frames of this actor act
//    uniformly at random (continuous: uniform in the env's bounds; discrete: a uniform index),
//    from the actor's own stream (seed, "actor_actions", actor index);
//  - every step goes into one n-step builder per env (actor.n_step, γ = learner.discount);
//    complete transitions leave actor.insert_batch at a time (Flush sends the rest);
//  - new weights every actor.weights_interval_frames frames; each transition carries the
//    version of the weights that chose its first action.
// A frame is one step of one env. Not thread-safe (one actor thread, like ActorPolicy).
class TransitionPolicy : public ActorPolicy {
 public:
  TransitionPolicy(const RunConfig& config, const EnvSpec& spec, int32_t actor_index);

  bool WantsWeights() override;
  void OnWeights(int64_t version) override { policy_version_ = version; }
  void Act(const float* observations, float* actions) final;
  void Record(const EnvStepView& step, ActorOutput* out) final;
  void Flush(ActorOutput* out) final;

  // Frames acted so far, and how many of the first are uniformly random.
  int64_t frames() const { return frames_; }
  int64_t warmup_frames() const { return warmup_frames_; }

 protected:
  // The policy's M·A actions for the M observations [M, D] once the warm-up is over.
  virtual void PolicyActions(const float* observations, float* actions) = 0;
  // Initial priorities of transitions about to be inserted (one per transition, appended to
  // *priorities); the default gives each priority 1, which the learner's |TD| later replaces.
  virtual void InitialPriorities(const std::vector<Transition>& transitions,
                                 std::vector<double>* priorities);

  const RunConfig& config() const { return config_; }
  const EnvSpec& spec() const { return spec_; }
  Rng& rng() { return rng_; }
  int32_t num_envs() const { return num_envs_; }

 private:
  void Emit(size_t count, ActorOutput* out);

  RunConfig config_;
  EnvSpec spec_;
  Rng rng_;
  int32_t num_envs_;
  int64_t warmup_frames_;
  int64_t frames_ = 0;
  int64_t frames_since_weights_ = 0;
  int64_t policy_version_ = 0;
  VectorNStepBuilder transitions_;
  std::vector<Transition> chunk_;
};

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_TRANSITION_POLICY_H_
