#include "algorithms/q_network.h"
#include "algorithms/torch_helpers.h"

#include <torch/nn/init.h>

#include <cmath>
#include <stdexcept>

namespace rlfleet {
namespace {

void Require(bool ok, const std::string& field, const std::string& why) {
  if (!ok) throw std::invalid_argument("QNetworkOptions." + field + " " + why);
}

}  // namespace

void QNetworkOptions::Validate() const {
  Require(observation_size > 0, "observation_size", "must be positive");
  Require(num_actions > 0, "num_actions", "must be positive");
  for (int64_t h : hidden_sizes) Require(h > 0, "hidden_sizes", "must all be positive");
  Require(activation == "tanh" || activation == "relu", "activation",
          "must be \"tanh\" or \"relu\", got \"" + activation + "\"");
}

QNetworkImpl::QNetworkImpl(const QNetworkOptions& options) : options_(options) {
  options_.Validate();
  int64_t in = options_.observation_size;
  for (size_t i = 0; i < options_.hidden_sizes.size(); ++i) {
    const int64_t out = options_.hidden_sizes[i];
    torso_.push_back(
        register_module("fc" + std::to_string(i), OrthogonalLinear(in, out, std::sqrt(2.0))));
    in = out;
  }
  if (options_.dueling) {
    value_head_ = register_module("value_head", OrthogonalLinear(in, 1, 1.0));
    advantage_head_ = register_module("advantage_head", OrthogonalLinear(in, options_.num_actions, 1.0));
  } else {
    q_head_ = register_module("q_head", OrthogonalLinear(in, options_.num_actions, 1.0));
  }
}

torch::Tensor QNetworkImpl::forward(const torch::Tensor& observations) {
  CheckObservationBatch(observations, options_.observation_size, "QNetwork");
  const bool tanh = options_.activation == "tanh";
  torch::Tensor x = observations;
  for (torch::nn::Linear layer : torso_) {  // a holder copy: forward() is non-const
    x = layer->forward(x);
    x = tanh ? x.tanh() : x.relu();
  }
  if (!options_.dueling) return q_head_->forward(x);
  const torch::Tensor value = value_head_->forward(x);          // [N, 1]
  const torch::Tensor advantage = advantage_head_->forward(x);  // [N, A]
  return value + advantage - advantage.mean(/*dim=*/1, /*keepdim=*/true);
}

void EpsilonGreedyActions(const torch::Tensor& q, const double* epsilons, Rng& rng,
                          float* actions) {
  if (q.dim() != 2 || q.size(1) < 1) {
    throw std::invalid_argument("EpsilonGreedyActions: q must be [N, A] with A >= 1");
  }
  const torch::Tensor values = q.detach().to(torch::kCPU, torch::kFloat).contiguous();
  const int64_t n = values.size(0), a = values.size(1);
  const float* row = values.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i, row += a) {
    if (rng.Uniform01() < epsilons[i]) {
      actions[i] = static_cast<float>(rng.UniformInt(static_cast<uint64_t>(a)));
      continue;
    }
    int64_t best = 0;
    for (int64_t j = 1; j < a; ++j) {
      if (row[j] > row[best]) best = j;
    }
    actions[i] = static_cast<float>(best);
  }
}

}  // namespace rlfleet
