#ifndef RLFLEET_ALGORITHMS_SAC_H_
#define RLFLEET_ALGORITHMS_SAC_H_

// Soft actor-critic (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications"):
// twin Q networks with Polyak-averaged targets, a tanh-squashed Gaussian policy scaled to the
// env's action bounds, automatic entropy tuning.

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/optim/adam.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "algorithms/algorithm.h"
#include "algorithms/checkpoint_archive.h"
#include "algorithms/observation_normalizer.h"
#include "algorithms/q_function.h"
#include "algorithms/transition_batch.h"

namespace rlfleet {

// The policy network: an MLP torso (ReLU) and two linear heads, the mean and the log standard
// deviation of a diagonal Gaussian over the unsquashed action u, optionally behind an
// observation normaliser. log_std is clamped to [kLogStdMin, kLogStdMax]. LibTorch's default
// Linear initialisation. Parameter names: obs_norm.{mean,inv_std} (with a normaliser),
// fc<i>.{weight,bias}..., mean_head.{weight,bias}, log_std_head.{weight,bias}.
class SquashedGaussianActorImpl : public torch::nn::Module {
 public:
  static constexpr double kLogStdMin = -20.0;
  static constexpr double kLogStdMax = 2.0;

  // observation_clip > 0: the network normalises its input first (an ObservationNormalizer
  // registered as "obs_norm" before the torso, clipping at ±observation_clip); 0: it does not.
  SquashedGaussianActorImpl(int64_t observation_size, int64_t action_size,
                            const std::vector<int64_t>& hidden_sizes,
                            double observation_clip = 0.0);
  // observations [N, D] (raw) → {mean [N, A], log_std [N, A]}.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& observations);
  // What the network's layers see of raw observations: normalised, or unchanged without a
  // normaliser (the critics take the same input).
  torch::Tensor Normalize(const torch::Tensor& observations);
  ObservationNormalizer normalizer() const { return normalizer_; }  // null without one
  int64_t observation_size() const { return observation_size_; }
  int64_t action_size() const { return action_size_; }

 private:
  int64_t observation_size_, action_size_;
  ObservationNormalizer normalizer_{nullptr};
  std::vector<torch::nn::Linear> torso_;
  torch::nn::Linear mean_head_{nullptr};
  torch::nn::Linear log_std_head_{nullptr};
};
TORCH_MODULE(SquashedGaussianActor);

// An action drawn from the squashed Gaussian and its log density.
struct SquashedSample {
  torch::Tensor action;    // [N, A], in [bias − scale, bias + scale]
  torch::Tensor log_prob;  // [N], log π(action | x)
};

// u = mean + exp(log_std) · noise; action = tanh(u) · scale + bias, and by the change of
// variables
//   log π(a | x) = Σ_j [ log N(u_j; mean_j, σ_j) − log scale_j − log(1 − tanh²(u_j)) ],
// with log(1 − tanh² u) = 2 (log 2 − u − softplus(−2u)) (exact and stable for large |u|).
// scale and bias are [A]: (high − low) / 2 and (high + low) / 2 of the env's bounds.
SquashedSample SquashedGaussianSample(const torch::Tensor& mean, const torch::Tensor& log_std,
                                      const torch::Tensor& noise, const torch::Tensor& scale,
                                      const torch::Tensor& bias);

struct SacOptions {
  double learning_rate = 3e-4;  // Adam, for the actor, the critics and log α
  double adam_eps = 1e-8;
  double max_grad_norm = 0.0;  // > 0: clip each network's gradient norm; <= 0: no clipping
  double tau = 0.005;          // target ← τ · online + (1 − τ) · target after every update
  bool autotune_alpha = true;
  double initial_alpha = 1.0;
  double target_entropy = -1.0;  // usually −|A|

  // Throws std::invalid_argument naming the first invalid field.
  void Validate() const;
};

// Measured on the batch before the optimiser steps.
struct SacStats {
  double critic_loss = 0.0;  // 0.5 · Σ_i mean_b(w_b (Q_i(x_b, a_b) − y_b)²)
  double actor_loss = 0.0;   // mean_b(α log π(ã_b | x_b) − min_i Q_i(x_b, ã_b))
  double alpha_loss = 0.0;  // −mean_b(log α · (log π(ã_b | x_b) + target entropy)); 0 if fixed
  double alpha = 0.0;       // α used by this update
  double entropy = 0.0;     // −mean_b log π(ã_b | x_b)
  double mean_q = 0.0;      // mean_b min_i Q_i(x_b, a_b)
  double mean_abs_td = 0.0;  // mean_b of the new priorities
  // Optimizer steps skipped because a loss or gradient norm was not finite (GuardedStep).
  int32_t skipped_steps = 0;
};

// The SAC losses of one batch for given noise, without stepping (for Update and for tests).
//   y = r + discount · (min_i Q̄_i(x', a') − α log π(a' | x')),   a' ~ π(· | x') via next_noise
//   critic = 0.5 · Σ_i mean(w (Q_i(x, a) − y)²)
//   actor  = mean(α log π(ã | x) − min_i Q_i(x, ã)),              ã ~ π(· | x) via noise
//   alpha  = −mean(log α · (log π(ã | x) + target_entropy))   (log π detached)
// td = (|Q_1(x, a) − y| + |Q_2(x, a) − y|) / 2 per transition (the new priorities).
struct SacLosses {
  torch::Tensor critic, actor, alpha;  // scalars with gradients
  torch::Tensor td;                    // [B], no gradient
  torch::Tensor log_prob;              // [B] log π(ã | x), no gradient
  torch::Tensor mean_q;                // scalar, no gradient
};

// Not thread-safe. Never changes the torch thread count.
class Sac {
 public:
  // Copies q1/q2 into fresh target networks. action_low/high: the env's bounds (A values).
  Sac(SquashedGaussianActor actor, QFunction q1, QFunction q2, const std::vector<float>& action_low,
      const std::vector<float>& action_high, const SacOptions& options);

  // The losses at the current parameters for the given standard normal noise ([B, A] each).
  SacLosses Losses(const TransitionBatch& batch, const torch::Tensor& next_noise,
                   const torch::Tensor& noise);
  // One update with fresh standard normal noise (torch's generator): the critic loss and its
  // step, then the actor and α losses on the updated critics and their steps (α only when
  // autotuned), then the Polyak target update. new_priorities (may be null) receives td per
  // transition (measured before the steps).
  SacStats Update(const TransitionBatch& batch, std::vector<float>* new_priorities);

  // Actions for observations [N, D] on the actor's device: the mean squashed (greedy), or a
  // sample with the given standard normal noise [N, A].
  torch::Tensor Act(const torch::Tensor& observations, const torch::Tensor* noise);

  // Seconds spent in each phase of every Update so far: critic forward (targets and both
  // critics), critic backward + step, actor forward, actor backward + step, α step, target
  // update. Measured only on the CPU (where the calls are synchronous).
  std::vector<std::pair<std::string, double>> phase_seconds() const;

  double alpha() const;
  SquashedGaussianActor actor() const { return actor_; }
  QFunction q1() const { return q1_; }
  QFunction q2() const { return q2_; }
  QFunction target_q1() const { return target_q1_; }
  QFunction target_q2() const { return target_q2_; }
  int64_t num_updates() const { return num_updates_; }
  const torch::Tensor& scale() const { return scale_; }
  const torch::Tensor& bias() const { return bias_; }

  // Every network, log α, the three optimisers' state and the update count in one archive.
  // Both throw std::runtime_error naming the path; a checkpoint whose shapes do not match
  // changes nothing.
  void SaveCheckpoint(const std::string& path) const;
  void LoadCheckpoint(const std::string& path);

 private:
  void CriticTerms(const TransitionBatch& batch, const torch::Tensor& next_noise,
                   SacLosses* losses);
  void ActorTerms(const TransitionBatch& batch, const torch::Tensor& noise, SacLosses* losses);
  // Everything a checkpoint holds; num_updates is the counter's tensor.
  ArchiveContents Contents(torch::Tensor* num_updates);

  SquashedGaussianActor actor_{nullptr};
  QFunction q1_{nullptr}, q2_{nullptr}, target_q1_{nullptr}, target_q2_{nullptr};
  std::vector<torch::Tensor> critic_parameters_;  // q1's then q2's
  torch::Tensor log_alpha_;                       // [1], requires grad when autotuned
  torch::Tensor scale_, bias_;
  SacOptions options_;
  std::unique_ptr<torch::optim::Adam> actor_optimizer_, critic_optimizer_, alpha_optimizer_;
  int64_t num_updates_ = 0;
  double phase_[6] = {0, 0, 0, 0, 0, 0};
};

// learner.algo sac for the generic actor and learner loops:
//  - items: actor.n_step transitions (γ = learner.discount) in a replay memory (uniform or
//    prioritized; new items get priority 1 until the learner's |TD| replaces it);
//    learner.total_env_steps counts the frames the actors reported. One update of B = 256 per
//    env step: replay.samples_per_insert 256 (each update samples B items per inserted one).
//  - actor side (TransitionPolicy): the actor's share of actor.warmup_env_steps with uniform
//    random actions in the bounds, then samples of the squashed Gaussian (the actor's own
//    seeded stream); new weights every actor.weights_interval_frames frames;
//  - learner side: Sac with learner.learning_rate; checkpoint file sac.pt; evaluation takes the
//    squashed mean (greedy) or samples.
// Continuous actions only.
AlgorithmSpec SacAlgorithmSpec();

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_SAC_H_
