#ifndef RLFLEET_CORE_NSTEP_H_
#define RLFLEET_CORE_NSTEP_H_

#include <cstdint>
#include <vector>

#include "core/transition.h"

namespace rlfleet {

// Builds n-step transitions from the steps of ONE environment, in the actor (an actor keeps
// one builder per env). Holds at most n − 1 steps between calls; its memory is allocated in
// the constructor, never in Push (except for the transitions appended to *out).
// Not thread-safe.
//
// Termination ends the bootstrap (discount 0); truncation (a time limit) bootstraps from the
// final observation with γ^k. A step that is both terminated and truncated counts as
// terminated.
class NStepBuilder {
 public:
  // n ≥ 1, γ in [0, 1], observation_size ≥ 1, action_size ≥ 1. Throws
  // std::invalid_argument otherwise.
  NStepBuilder(int32_t n, double gamma, int32_t observation_size, int32_t action_size = 1);

  // Adds one step: observation x_t (observation_size floats), action a_t (action_size
  // floats), the version of the weights that chose it, reward r_t, whether
  // the step ended the episode (terminated / truncated), and x_{t+1} (for an ended episode its
  // final observation, not the reset one). Appends to *out every transition that became
  // complete, oldest first: normally the one that started n steps back (k = n, discount γ^n);
  // at an episode end every pending one (k = n, n − 1, ..., 1), after which the builder is
  // empty and the next Push starts a new episode. O(n · observation_size) per call.
  void Push(const float* observation, const float* action, int64_t policy_version, float reward,
            bool terminated, bool truncated, const float* next_observation,
            std::vector<Transition>* out);

  // Drops the pending steps (e.g. when the env is reset outside the episode flow).
  void Clear();

  // Steps waiting for their n-step return (< n).
  int32_t pending() const { return size_; }
  int32_t n() const { return n_; }
  double gamma() const { return gamma_; }
  int32_t observation_size() const { return observation_size_; }
  int32_t action_size() const { return action_size_; }

 private:
  // Appends the transition starting at the pending step of ring offset `first` (0 = oldest)
  // and ending at the newest step: discount 0 when `terminated`, else γ^k with a bootstrap from
  // next_observation; `truncated` marks an episode cut by a time limit at that step.
  void Emit(int32_t first, bool terminated, bool truncated, const float* next_observation,
            std::vector<Transition>* out) const;

  int32_t n_;
  double gamma_;
  int32_t observation_size_;
  int32_t action_size_;
  std::vector<double> gamma_powers_;  // γ^0 ... γ^n
  // Ring buffer of the pending steps: slot (head_ + j) mod n holds the j-th oldest.
  std::vector<float> observations_;  // n × D
  std::vector<float> actions_;       // n × A
  std::vector<int64_t> versions_;    // n
  std::vector<float> rewards_;       // n
  int32_t head_ = 0;
  int32_t size_ = 0;
};

// The n-step transitions of all M envs of an actor: one NStepBuilder per env, fed one step of
// every env at a time, and the complete transitions waiting to be sent, oldest first. Not
// thread-safe.
class VectorNStepBuilder {
 public:
  // Throws std::invalid_argument as NStepBuilder does, or for num_envs < 1.
  VectorNStepBuilder(int32_t num_envs, int32_t n, double gamma, int32_t observation_size,
                     int32_t action_size);

  // One step of every env, row-major: observations [M, D] (x_t), actions [M, A], rewards,
  // terminated and truncated [M], next_observations [M, D] (after an auto-reset: the new
  // episode's first observation) and final_observations [M, D] (valid where an episode ended:
  // its last observation, which the transitions bootstrap from). `policy_version`: the weights
  // that chose the actions. `dropped` [M] (may be null): where 1, the env's episode was
  // abandoned at this step (a fault, VectorEnv): its pending steps are cleared, no transition
  // comes from them or from this step, and its next step starts a new window.
  void Push(const float* observations, const float* actions, int64_t policy_version,
            const float* rewards, const uint8_t* terminated, const uint8_t* truncated,
            const float* next_observations, const float* final_observations,
            const uint8_t* dropped = nullptr);

  // Complete transitions not yet taken.
  size_t ready() const { return ready_.size(); }
  // Moves the oldest min(count, ready()) complete transitions to the end of *out.
  void Take(size_t count, std::vector<Transition>* out);

 private:
  int32_t num_envs_, observation_size_, action_size_;
  std::vector<NStepBuilder> builders_;
  std::vector<Transition> ready_;
};

}  // namespace rlfleet

#endif  // RLFLEET_CORE_NSTEP_H_
