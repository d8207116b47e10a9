#ifndef RLFLEET_ALGORITHMS_Q_NETWORK_H_
#define RLFLEET_ALGORITHMS_Q_NETWORK_H_

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/random.h"

namespace rlfleet {

// Architecture of a QNetwork.
struct QNetworkOptions {
  int64_t observation_size = 0;                  // D
  int64_t num_actions = 0;                       // A
  std::vector<int64_t> hidden_sizes = {64, 64};  // may be empty (a linear Q function)
  std::string activation = "relu";               // "relu" or "tanh"
  // Dueling head (Wang et al. 2016): Q = V + A − mean_a(A). Otherwise one linear Q head.
  bool dueling = true;

  // Throws std::invalid_argument naming the first invalid field.
  void Validate() const;
};

// Q-value MLP for discrete actions: a torso of Linear + activation layers, then either a
// dueling head (a scalar value stream V and an advantage stream A over the actions, combined
// as Q(x, a) = V(x) + A(x, a) − mean_b A(x, b)) or a plain linear Q head. Weights are
// orthogonally initialised (gain √2 for hidden layers, 1 for the heads), biases 0; the torch
// global generator drives the init.
//
// Parameter names in named_parameters() order:
//   fc<i>.{weight,bias}..., then dueling: value_head.{weight,bias},
//   advantage_head.{weight,bias}; plain: q_head.{weight,bias}.
class QNetworkImpl : public torch::nn::Module {
 public:
  explicit QNetworkImpl(const QNetworkOptions& options);

  // observations: [N, D] float → Q values [N, A]. Throws std::invalid_argument on another
  // shape.
  torch::Tensor forward(const torch::Tensor& observations);

  const QNetworkOptions& options() const { return options_; }

 private:
  QNetworkOptions options_;
  std::vector<torch::nn::Linear> torso_;
  torch::nn::Linear value_head_{nullptr};      // dueling
  torch::nn::Linear advantage_head_{nullptr};  // dueling
  torch::nn::Linear q_head_{nullptr};          // plain
};
TORCH_MODULE(QNetwork);

// ε-greedy acting from Q values q [N, A] (any device, gradients allowed; copied to CPU
// float), one ε per row (epsilons has N values). Each row draws u = rng.Uniform01(); when
// u < ε_i the action is rng.UniformInt(A) (a second draw), else the first argmax of the row.
// Stores N action indices as floats. Deterministic for a given rng state (no torch RNG).
void EpsilonGreedyActions(const torch::Tensor& q, const double* epsilons, Rng& rng, float* actions);

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_Q_NETWORK_H_
