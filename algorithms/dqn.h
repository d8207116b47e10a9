#ifndef RLFLEET_ALGORITHMS_DQN_H_
#define RLFLEET_ALGORITHMS_DQN_H_

#include <torch/optim/adam.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "algorithms/algorithm.h"
#include "algorithms/q_network.h"
#include "algorithms/transition_batch.h"
#include "core/transition.h"

namespace rlfleet {

// The DQN learner's batch: transitions whose action is one index (actions [B, 1]).
using DqnBatch = TransitionBatch;

struct DqnOptions {
  double learning_rate = 1e-4;  // Adam
  double adam_eps = 1.5e-4;
  double max_grad_norm = 40.0;  // <= 0: no clipping (the norm is still reported)
  // The target network is copied from the online one every this many updates.
  int64_t target_update_period = 2500;
  // Double DQN: the online network picks the bootstrap action, the target network values it.
  // Otherwise the target network does both (max_a Q_target(x', a)).
  bool double_dqn = true;
  double huber_delta = 1.0;  // Huber loss: quadratic within ±delta, linear outside

  // Throws std::invalid_argument naming the first invalid field.
  void Validate() const;
};

// Measured on the batch before the optimiser step.
struct DqnStats {
  double loss = 0.0;           // mean_b(w_b · Huber(td_b))
  double mean_q = 0.0;         // mean_b Q_online(x_b, a_b)
  double mean_abs_td = 0.0;    // mean_b |td_b|
  double grad_norm = 0.0;      // total gradient norm before clipping
  double learning_rate = 0.0;  // Adam's rate for this step
  // Optimizer steps skipped because a loss or gradient norm was not finite (GuardedStep).
  int32_t skipped_steps = 0;
};

// The bootstrapped targets y = r + discount · Q_target(x', a*), [B], without gradients, where
// a* = argmax_a Q_online(x', a) (double DQN) or argmax_a Q_target(x', a). The batch may be on
// the CPU; the result is on the networks' device.
torch::Tensor DqnTargets(QNetwork& online, QNetwork& target, const DqnBatch& batch,
                         bool double_dqn);

// Elementwise Huber loss of x with threshold delta: 0.5·x² for |x| ≤ delta, else
// delta·(|x| − 0.5·delta).
torch::Tensor HuberLoss(const torch::Tensor& x, double delta);

// |TD| = |y − Q(x, a)| per transition with the actor's own network as both online and target
// network (the actor's initial priorities in Ape-X). With one network double DQN and plain
// DQN give the same target (max_a Q(x', a)); `double_dqn` is kept for symmetry. Runs without
// gradients; returns B floats.
std::vector<float> InitialPriorities(QNetwork& network, const DqnBatch& batch, bool double_dqn);

// The Ape-X learner: double DQN on n-step transitions with prioritized-replay importance
// weights and one Adam step per batch.
//   td = y − Q_online(x, a),  loss = mean(w · Huber(td))
// Never changes the torch thread count (the caller decides). Not thread-safe.
class Dqn {
 public:
  // Copies the online parameters into `target` (which must have the same architecture and
  // device). Throws std::invalid_argument on invalid options, empty networks or mismatching
  // parameter shapes.
  Dqn(QNetwork online, QNetwork target, const DqnOptions& options);

  // One update: targets, loss, backward, gradient-norm clipping and an Adam step; then, when
  // num_updates() reaches a multiple of target_update_period, online → target.
  // new_priorities (may be null) receives |td| per transition, measured before the step.
  DqnStats Update(const DqnBatch& batch, std::vector<float>* new_priorities);

  // Adam's learning rate from the next Update on (options().learning_rate until set). Throws
  // std::invalid_argument unless 0 <= rate < inf. Checkpoints do not store it: the caller
  // derives it from its own progress (e.g. a linear decay over the env-step budget).
  void SetLearningRate(double rate);
  double learning_rate() const { return learning_rate_; }

  QNetwork online() const { return online_; }
  QNetwork target() const { return target_; }
  torch::optim::Adam& optimizer() { return *optimizer_; }
  int64_t num_updates() const { return num_updates_; }
  const DqnOptions& options() const { return options_; }

  // Online and target parameters, optimiser state and update count in one torch::serialize
  // archive. Both throw std::runtime_error naming the path on failure; a checkpoint whose
  // shapes do not match changes nothing.
  void SaveCheckpoint(const std::string& path) const;
  void LoadCheckpoint(const std::string& path);

 private:
  void CopyOnlineToTarget();

  QNetwork online_;
  QNetwork target_;
  DqnOptions options_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
  int64_t num_updates_ = 0;
  double learning_rate_ = 0.0;
};

// learner.algo apex_dqn (Ape-X DQN, Horgan et al. 2018) for the generic actor and learner loops:
//  - items: n-step transitions (actor.n_step, γ = learner.discount) in a replay memory
//    (prioritized or uniform, replay/run_tables.h); learner.total_env_steps counts the frames
//    the actors reported;
//  - actor side (TransitionPolicy): a QNetwork (MakeQNetwork, same initial weights as the
//    learner) acts ε-greedily after the actor's share of actor.warmup_env_steps; env e of
//    actor j explores with ε = ApexEpsilon(j · num_envs + e, num_actors · num_envs,
//    apex.epsilon_base, apex.epsilon_alpha); every actor.insert_batch transitions go out with
//    the actor's own |TD| as initial priorities (InitialPriorities, at least 1e-6; 1 where not
//    finite); new weights every actor.weights_interval_frames frames;
//  - learner side: double DQN (Dqn; target copy every apex.target_update_period updates) with
//    the importance weights; new priorities |TD| (at least 1e-6); with
//    learner.anneal_learning_rate Adam's rate decays linearly to 0 over the budget; checkpoint
//    file dqn.pt (online and target networks); evaluation: argmax Q (greedy) or ε = 0.01.
// Discrete actions only.
AlgorithmSpec ApexDqnAlgorithmSpec();

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_DQN_H_
