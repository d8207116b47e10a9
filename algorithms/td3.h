#ifndef RLFLEET_ALGORITHMS_TD3_H_
#define RLFLEET_ALGORITHMS_TD3_H_

// Twin delayed deep deterministic policy gradient (Fujimoto et al. 2018, "Addressing Function
// Approximation Error in Actor-Critic Methods"): twin critics, target policy smoothing with
// clipped noise, delayed actor and target updates.

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/optim/adam.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "algorithms/algorithm.h"
#include "algorithms/checkpoint_archive.h"
#include "algorithms/observation_normalizer.h"
#include "algorithms/q_function.h"
#include "algorithms/transition_batch.h"

namespace rlfleet {

// The deterministic policy μ(x) = tanh(head(torso(x̂))) · scale + bias (x̂: x, or x normalised):
// an MLP torso (ReLU) and a linear head, squashed into the env's bounds (scale = (high − low)/2,
// bias = (high + low)/2, buffers that are not published). LibTorch's default Linear initialisation.
// Parameter names: obs_norm.{mean,inv_std} (with a normaliser), fc<i>.{weight,bias}...,
// action_head.{weight,bias}.
class DeterministicActorImpl : public torch::nn::Module {
 public:
  // Throws std::invalid_argument for non-positive sizes or bounds that are not A finite
  // intervals. observation_clip > 0: the network normalises its input first (an
  // ObservationNormalizer registered as "obs_norm" before the torso); 0: it does not.
  DeterministicActorImpl(int64_t observation_size, const std::vector<int64_t>& hidden_sizes,
                         const std::vector<float>& action_low,
                         const std::vector<float>& action_high, double observation_clip = 0.0);
  // observations [N, D] (raw) → actions [N, A] inside the bounds.
  torch::Tensor forward(const torch::Tensor& observations);
  // What the network's layers see of raw observations: normalised, or unchanged without a
  // normaliser (the critics take the same input).
  torch::Tensor Normalize(const torch::Tensor& observations);
  ObservationNormalizer normalizer() const { return normalizer_; }  // null without one
  // A network of the same architecture holding a copy of these parameters (on their device).
  std::shared_ptr<DeterministicActorImpl> Copy();

  int64_t observation_size() const { return observation_size_; }
  int64_t action_size() const { return static_cast<int64_t>(action_low_.size()); }
  const torch::Tensor& scale() const { return scale_; }  // [A]
  const torch::Tensor& bias() const { return bias_; }    // [A]
  const torch::Tensor& low() const { return low_; }      // [A]
  const torch::Tensor& high() const { return high_; }    // [A]

 private:
  int64_t observation_size_;
  std::vector<int64_t> hidden_sizes_;
  std::vector<float> action_low_, action_high_;
  double observation_clip_;
  ObservationNormalizer normalizer_{nullptr};
  std::vector<torch::nn::Linear> torso_;
  torch::nn::Linear action_head_{nullptr};
  torch::Tensor scale_, bias_, low_, high_;
};
TORCH_MODULE(DeterministicActor);

struct Td3Options {
  double learning_rate = 3e-4;  // Adam, for the actor and the critics
  double adam_eps = 1e-8;
  double max_grad_norm = 0.0;  // > 0: clip each network's gradient norm; <= 0: no clipping
  double tau = 0.005;  // targets ← τ · online + (1 − τ) · targets at each actor update
  double policy_noise = 0.2;  // σ of the target smoothing noise, in units of scale
  double noise_clip = 0.5;    // the smoothing noise is clipped to ±noise_clip (units of scale)
  int32_t policy_delay = 2;   // actor and target updates every this many critic updates

  // Throws std::invalid_argument naming the first invalid field.
  void Validate() const;
};

// Measured on the batch before the optimiser steps.
struct Td3Stats {
  double critic_loss = 0.0;  // Σ_i mean_b(w_b (Q_i(x_b, a_b) − y_b)²)
  // −mean_b Q_1(x_b, μ(x_b)) of the last actor update (NaN before the first one).
  double actor_loss = 0.0;
  bool actor_updated = false;  // whether this update stepped the actor and the targets
  double mean_q = 0.0;         // mean_b min_i Q_i(x_b, a_b)
  double mean_abs_td = 0.0;    // mean_b of the new priorities
  // Optimizer steps skipped because a loss or gradient norm was not finite (GuardedStep).
  int32_t skipped_steps = 0;
};

// The TD3 losses of one batch for given smoothing noise, without stepping:
//   ε = clip(policy_noise · next_noise, −noise_clip, noise_clip)
//   a' = clip(μ̄(x') + ε · scale, low, high)
//   y = r + discount · min_i Q̄_i(x', a')           (discount = γ^k, 0 after a termination)
//   critic = Σ_i mean(w (Q_i(x, a) − y)²)
//   actor = −mean(Q_1(x, μ(x)))
// td = (|Q_1(x, a) − y| + |Q_2(x, a) − y|) / 2 per transition (the new priorities).
struct Td3Losses {
  torch::Tensor critic, actor;  // scalars with gradients
  torch::Tensor td;             // [B], no gradient
  torch::Tensor mean_q;         // scalar, no gradient
};

// Not thread-safe. Never changes the torch thread count.
class Td3 {
 public:
  // Copies the actor and the critics into fresh target networks.
  Td3(DeterministicActor actor, QFunction q1, QFunction q2, const Td3Options& options);

  // The losses at the current parameters for the given standard normal noise [B, A].
  Td3Losses Losses(const TransitionBatch& batch, const torch::Tensor& next_noise);
  // One update with fresh standard normal smoothing noise (torch's generator): the critic loss
  // and its step; on every policy_delay-th update also the actor loss on the updated critics,
  // its step and the Polyak update of all three targets. new_priorities (may be null) receives
  // td per transition (measured before the steps).
  Td3Stats Update(const TransitionBatch& batch, std::vector<float>* new_priorities);

  // μ(x) for observations [N, D] on the actor's device, without gradients.
  torch::Tensor Act(const torch::Tensor& observations);

  DeterministicActor actor() const { return actor_; }
  DeterministicActor target_actor() const { return target_actor_; }
  QFunction q1() const { return q1_; }
  QFunction q2() const { return q2_; }
  QFunction target_q1() const { return target_q1_; }
  QFunction target_q2() const { return target_q2_; }
  int64_t num_updates() const { return num_updates_; }

  // Every network, both optimisers' state and the update count in one archive. Both throw
  // std::runtime_error naming the path; a checkpoint whose shapes do not match changes nothing.
  void SaveCheckpoint(const std::string& path) const;
  void LoadCheckpoint(const std::string& path);

 private:
  void CriticTerms(const TransitionBatch& batch, const torch::Tensor& next_noise,
                   Td3Losses* losses);
  torch::Tensor ActorLoss(const TransitionBatch& batch);
  ArchiveContents Contents(torch::Tensor* num_updates);

  DeterministicActor actor_{nullptr}, target_actor_{nullptr};
  QFunction q1_{nullptr}, q2_{nullptr}, target_q1_{nullptr}, target_q2_{nullptr};
  std::vector<torch::Tensor> critic_parameters_;  // q1's then q2's
  Td3Options options_;
  std::unique_ptr<torch::optim::Adam> actor_optimizer_, critic_optimizer_;
  int64_t num_updates_ = 0;
  double last_actor_loss_;  // NaN until the first actor update
};

// learner.algo td3 for the generic actor and learner loops:
//  - items: actor.n_step transitions (γ = learner.discount) in a replay memory (uniform or
//    prioritized; new items get priority 1 until the learner's |TD| replaces it);
//    learner.total_env_steps counts the frames the actors reported;
//  - actor side (TransitionPolicy): the actor's share of actor.warmup_env_steps with uniform
//    random actions, then clip(μ(x) + σ_i · N(0, 1) · scale, low, high) where env e of actor j
//    explores with σ_i = GeometricLadder(j · num_envs + e, num_actors · num_envs,
//    td3.exploration_noise_high, td3.exploration_noise_low); new weights every
//    actor.weights_interval_frames frames;
//  - learner side: Td3 with learner.learning_rate and td3.*; checkpoint file td3.pt; evaluation
//    takes μ(x) (greedy) or adds exploration_noise_high (stochastic).
// Continuous actions only.
AlgorithmSpec Td3AlgorithmSpec();

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_TD3_H_
