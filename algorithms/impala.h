#ifndef RLFLEET_ALGORITHMS_IMPALA_H_
#define RLFLEET_ALGORITHMS_IMPALA_H_

#include <torch/optim/adam.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "algorithms/actor_critic.h"
#include "algorithms/algorithm.h"
#include "algorithms/vtrace.h"
#include "core/unroll.h"

namespace rlfleet {

// B unrolls of T steps, time-major, as the learner consumes them (CPU tensors).
struct ImpalaBatch {
  torch::Tensor observations;             // [T+1, B, D] float
  torch::Tensor actions;                  // [T, B] long (discrete) or [T, B, A] float (continuous)
  torch::Tensor rewards;                  // [T, B] float
  torch::Tensor terminated;               // [T, B] float, 1 where the step ended the episode
  torch::Tensor truncated;                // [T, B] float, 1 where a time limit cut the episode
  torch::Tensor behaviour_log_probs;      // [T, B] float, log μ(a_t|x_t)
  torch::Tensor truncation_observations;  // [K, D] float, final observation of each truncation
  torch::Tensor truncation_index;         // [K] long, flat index t·B + b of each truncation
};

// Stacks unrolls (unroll b becomes column b) with one copy per field per unroll. The
// truncation rows follow unroll order, then step order. Throws std::invalid_argument when
// `unrolls` is empty, an unroll is inconsistent (Unroll::Validate), or they do not all share
// T, D, A and the action kind.
ImpalaBatch BatchFromUnrolls(const std::vector<Unroll>& unrolls);

// The batch's tensors on `device` (TensorsToDevice; the CPU batch is returned as it is).
ImpalaBatch ImpalaBatchToDevice(ImpalaBatch batch, const torch::Device& device);

// The policy term of the IMPALA loss, with Â = the V-trace policy-gradient advantages
// (optionally normalised to mean 0, std 1 over the batch) and ρ = π(a|x) / μ(a|x):
enum class PolicyLoss {
  kVTrace,  // −mean(log π(a|x) · Â)  (Espeholt et al. 2018)
  kAppo,  // −mean(min(ρ·Â, clip(ρ, 1 − ε, 1 + ε)·Â))  (PPO's surrogate on V-trace advantages,
          // as Sample Factory's APPO)
};

struct ImpalaOptions {
  double discount = 0.99;  // γ
  VTraceOptions vtrace;
  double baseline_cost = 0.5;
  double entropy_cost = 0.01;
  double learning_rate = 6e-4;
  double adam_eps = 1e-5;
  double max_grad_norm = 40.0;  // <= 0: no clipping (the norm is still reported)
  // > 0: the learning rate decays linearly from learning_rate to 0 over this many updates
  // (update n, counted from 0, uses learning_rate·(1 − n / total_updates), floored at 0).
  int64_t total_updates = 0;
  PolicyLoss loss = PolicyLoss::kVTrace;
  double ppo_clip = 0.2;  // ε of kAppo
  // > 0: the value loss is 0.5·mean(max((vs − V)², (vs − V_clip)²)) with V_clip = V_old +
  // clip(V − V_old, ±value_clip), V_old the values before the update; 0: 0.5·mean((vs − V)²).
  double value_clip = 0.0;
  // Optimiser steps per batch: `epochs` passes over the batch, each in `minibatches` random
  // groups of whole unrolls (columns), on V-trace targets computed once before the first step.
  int32_t epochs = 1;
  int32_t minibatches = 1;
  bool normalize_advantages = false;
  double reward_scale = 1.0;  // rewards are multiplied by this before V-trace

  // Throws std::invalid_argument naming the first invalid field.
  void Validate() const;
};

// Measured on each minibatch before its optimiser step, averaged over the steps of an update
// (one step unless epochs or minibatches > 1).
struct ImpalaStats {
  double total_loss = 0.0;
  double policy_loss = 0.0;  // the PolicyLoss term
  double baseline_loss =
      0.0;  // 0.5·mean((vs_t − V(x_t))²) (or its clipped form), before baseline_cost
  double entropy = 0.0;        // mean entropy of π over the T·B steps
  double mean_rho = 0.0;       // mean importance ratio π/μ (unclipped) before the first step
  double clip_fraction = 0.0;  // kAppo: fraction of steps whose ratio left [1 − ε, 1 + ε]
  double grad_norm = 0.0;      // total gradient norm before clipping
  double learning_rate = 0.0;  // rate used by this step
  // Optimizer steps skipped because a loss or gradient norm was not finite (GuardedStep).
  int32_t skipped_steps = 0;
};

// The IMPALA / APPO learner: V-trace actor-critic with Adam steps on each batch.
//   loss = policy_loss + baseline_cost·0.5·mean((vs − V)²) − entropy_cost·mean(entropy)
// Never changes the torch thread count (the caller decides).
class Impala {
 public:
  Impala(ActorCritic model, const ImpalaOptions& options);

  // One update. With one epoch of one minibatch: a single forward pass over all (T+1)·B
  // observations and the K truncation observations (on the model's device), V-trace targets,
  // loss, backward, gradient-norm clipping and an Adam step. Otherwise the targets come from
  // a forward pass without gradients, then every minibatch of unrolls takes its own forward
  // pass and Adam step.
  ImpalaStats Update(const ImpalaBatch& batch);

  ActorCritic model() const { return model_; }
  torch::optim::Adam& optimizer() { return *optimizer_; }
  int64_t num_updates() const { return num_updates_; }
  const ImpalaOptions& options() const { return options_; }

  // Model parameters, optimiser state and update count in one torch::serialize archive.
  // Both throw std::runtime_error naming the path on failure.
  void SaveCheckpoint(const std::string& path) const;
  void LoadCheckpoint(const std::string& path);

 private:
  struct Terms;
  // The loss on T steps of some unrolls: log π, V [T, b] and the entropy with gradients; the
  // targets and behaviour log-probabilities of the same columns.
  Terms Loss(const torch::Tensor& log_pi, const torch::Tensor& values, const torch::Tensor& entropy,
             const torch::Tensor& vs, const torch::Tensor& advantages,
             const torch::Tensor& old_values, const torch::Tensor& behaviour_log_probs) const;
  // Zeroes, backpropagates, clips and steps; returns the gradient norm before clipping.
  double Step(const torch::Tensor& loss);

  ActorCritic model_;
  ImpalaOptions options_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
  int64_t num_updates_ = 0;
};

// learner.algo impala (Espeholt et al. 2018) for the generic actor and learner loops:
//  - items: unrolls of actor.unroll_length steps, through a queue table (each sampled once);
//    learner.total_env_steps counts the frames of the unrolls trained on;
//  - actor side: the ActorCritic (MakeActorCritic, so every process starts from the same
//    weights) samples actions with the actor's seeded stream DeriveSeed(seed, "actor_actions",
//    j); the unroll records x_t, a_t, log μ(a_t|x_t), r_t, terminated/truncated and the final
//    observation of each truncation; new weights are taken at the start of each unroll, whose
//    policy_version is the version that acted;
//  - learner side: one Impala update per batch of learner.batch_size unrolls; with
//    learner.anneal_learning_rate the rate decays linearly over ceil(total_env_steps /
//    (unroll_length · batch_size)) updates; checkpoint file impala.pt; evaluation acts with the
//    most likely action (greedy) or samples.
// Both action kinds (a categorical or a diagonal-Gaussian head).
AlgorithmSpec ImpalaAlgorithmSpec();

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_IMPALA_H_
