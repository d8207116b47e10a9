#ifndef RLFLEET_ALGORITHMS_ACTOR_CRITIC_H_
#define RLFLEET_ALGORITHMS_ACTOR_CRITIC_H_

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "algorithms/observation_normalizer.h"
#include "core/random.h"

namespace rlfleet {

// Architecture of an ActorCritic network.
struct ActorCriticOptions {
  int64_t observation_size = 0;  // D
  bool discrete_actions = true;
  int64_t num_actions = 0;  // discrete: number of actions
  int64_t action_size = 1;  // continuous: action dimensions A
  std::vector<int64_t> hidden_sizes = {64, 64};
  std::string activation = "tanh";  // "tanh" or "relu"
  // One torso feeding both heads instead of separate policy and value torsos.
  bool shared_torso = false;
  double initial_log_std = 0.0;  // continuous: initial value of every log_std entry
  // Continuous: log_std from a linear head on the policy features (its bias starts at
  // initial_log_std, its weights near 0), clamped to [kMinLogStd, kMaxLogStd], instead of a
  // state-independent parameter.
  bool state_dependent_log_std = false;
  // > 0: observations pass an ObservationNormalizer (clip ±observation_clip) first; 0: none.
  double observation_clip = 0.0;

  // Throws std::invalid_argument naming the first invalid field.
  void Validate() const;
};

// What the network outputs for N observations. Only the fields of the action kind are set.
struct PolicyOutput {
  torch::Tensor logits;  // discrete: [N, num_actions] unnormalised log probabilities
  torch::Tensor mean;    // continuous: [N, A] Gaussian mean
  // continuous: log standard deviation, [A] (state-independent) or [N, A] (state-dependent)
  torch::Tensor log_std;
  torch::Tensor value;  // [N] state value V(x)
};

// Actor-critic MLP in the style of CleanRL's PPO/IMPALA agents: policy and value torsos of
// Linear + activation layers (separate unless shared_torso), a policy head (logits, or the
// mean of a diagonal Gaussian with a state-independent log_std parameter) and a scalar value
// head. Weights are orthogonally initialised (gain √2 for hidden layers, 0.01 for the policy
// head, 1 for the value head), biases 0; the torch global generator drives the init.
//
// Parameter names in named_parameters() order (the module's own parameter first, then the
// submodules in registration order):
//   log_std (continuous, state-independent only),
//   obs_norm.{mean,inv_std} (with observation_clip > 0),
//   separate torsos: policy_fc<i>.{weight,bias}..., value_fc<i>.{weight,bias}...,
//   shared torso:    shared_fc<i>.{weight,bias}...,
//   policy_head.{weight,bias}, value_head.{weight,bias},
//   log_std_head.{weight,bias} (continuous, state-dependent only).
class ActorCriticImpl : public torch::nn::Module {
 public:
  static constexpr double kMinLogStd = -20.0;
  static constexpr double kMaxLogStd = 2.0;

  explicit ActorCriticImpl(const ActorCriticOptions& options);

  // observations: [N, D] float (raw: normalised inside when the network has a normaliser).
  // Throws std::invalid_argument on another shape.
  PolicyOutput forward(const torch::Tensor& observations);
  ObservationNormalizer normalizer() const { return normalizer_; }  // null without one

  // log π(a | x) of `actions` under `out`, [N]. Discrete: actions [N] (or [N, 1]) long or
  // float indices; continuous: [N, A].
  torch::Tensor LogProb(const PolicyOutput& out, const torch::Tensor& actions) const;
  // Entropy of the action distribution of each row, [N].
  torch::Tensor Entropy(const PolicyOutput& out) const;

  const ActorCriticOptions& options() const { return options_; }

 private:
  torch::Tensor Torso(const std::vector<torch::nn::Linear>& layers, torch::Tensor x);

  ActorCriticOptions options_;
  std::vector<torch::nn::Linear> policy_torso_;  // also the shared torso
  std::vector<torch::nn::Linear> value_torso_;   // empty when shared_torso
  ObservationNormalizer normalizer_{nullptr};
  torch::nn::Linear policy_head_{nullptr};
  torch::nn::Linear value_head_{nullptr};
  torch::nn::Linear log_std_head_{nullptr};  // continuous, state-dependent only
  torch::Tensor log_std_;                    // continuous, state-independent only
};
TORCH_MODULE(ActorCritic);

// Fast, deterministic CPU acting from a forward pass over N observations (no torch RNG).
// Discrete: each row's action is drawn by inverse CDF from softmax(logits) with one
// rng.Uniform01() and stored as its index in a float (actions has N floats). Continuous:
// actions[i·A + j] = mean + exp(log_std)·rng.Normal(), row by row (actions has N·A floats;
// log_std [A] or [N, A]).
// log_probs (N floats; may be null) receives log π of each (unclipped) sample.
// Tensors may live on any device and carry gradients; they are copied to CPU float.
void SampleActions(const PolicyOutput& out, Rng& rng, float* actions, float* log_probs);

// The most likely action of each row: the first argmax of the logits (as a float index),
// or the Gaussian mean. Fills N (discrete) or N·A (continuous) floats.
void GreedyActions(const PolicyOutput& out, float* actions);

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_ACTOR_CRITIC_H_
