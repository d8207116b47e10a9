#include "algorithms/actor_critic.h"
#include "algorithms/torch_helpers.h"

#include <torch/nn/init.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace rlfleet {
namespace {

constexpr double kHalfLog2Pi = 0.91893853320467274178;  // 0.5 · log(2π)

void Require(bool ok, const std::string& field, const std::string& why) {
  if (!ok) {
    throw std::invalid_argument("ActorCriticOptions." + field + " " + why);
  }
}

// Contiguous CPU float32 copy (or view) of a tensor, detached from autograd.
torch::Tensor CpuFloat(const torch::Tensor& t) {
  return t.detach().to(torch::kCPU, torch::kFloat).contiguous();
}

}  // namespace

void ActorCriticOptions::Validate() const {
  Require(observation_size > 0, "observation_size", "must be positive");
  if (discrete_actions) {
    Require(num_actions > 0, "num_actions", "must be positive for discrete actions");
  } else {
    Require(action_size > 0, "action_size", "must be positive for continuous actions");
  }
  for (int64_t h : hidden_sizes) {
    Require(h > 0, "hidden_sizes", "must all be positive");
  }
  Require(activation == "tanh" || activation == "relu", "activation",
          "must be \"tanh\" or \"relu\", got \"" + activation + "\"");
  Require(std::isfinite(initial_log_std), "initial_log_std", "must be finite");
  Require(observation_clip >= 0.0 && std::isfinite(observation_clip), "observation_clip",
          "must be finite and non-negative");
}

ActorCriticImpl::ActorCriticImpl(const ActorCriticOptions& options) : options_(options) {
  options_.Validate();
  const double hidden_gain = std::sqrt(2.0);
  auto build_torso = [&](const std::string& prefix, std::vector<torch::nn::Linear>* layers) {
    int64_t in = options_.observation_size;
    for (size_t i = 0; i < options_.hidden_sizes.size(); ++i) {
      const int64_t out = options_.hidden_sizes[i];
      layers->push_back(
          register_module(prefix + std::to_string(i), OrthogonalLinear(in, out, hidden_gain)));
      in = out;
    }
  };
  if (options_.observation_clip > 0.0) {
    normalizer_ = register_module(
        "obs_norm", ObservationNormalizer(options_.observation_size, options_.observation_clip));
  }
  if (options_.shared_torso) {
    build_torso("shared_fc", &policy_torso_);
  } else {
    build_torso("policy_fc", &policy_torso_);
    build_torso("value_fc", &value_torso_);
  }
  const int64_t features =
      options_.hidden_sizes.empty() ? options_.observation_size : options_.hidden_sizes.back();
  const int64_t policy_outputs =
      options_.discrete_actions ? options_.num_actions : options_.action_size;
  policy_head_ = register_module("policy_head", OrthogonalLinear(features, policy_outputs, 0.01));
  value_head_ = register_module("value_head", OrthogonalLinear(features, 1, 1.0));
  if (!options_.discrete_actions && options_.state_dependent_log_std) {
    log_std_head_ =
        register_module("log_std_head", OrthogonalLinear(features, options_.action_size, 0.01));
    torch::NoGradGuard no_grad;
    log_std_head_->bias.fill_(options_.initial_log_std);
  } else if (!options_.discrete_actions) {
    log_std_ = register_parameter("log_std",
                                  torch::full({options_.action_size}, options_.initial_log_std));
  }
}

torch::Tensor ActorCriticImpl::Torso(const std::vector<torch::nn::Linear>& layers,
                                     torch::Tensor x) {
  const bool tanh = options_.activation == "tanh";
  for (torch::nn::Linear layer : layers) {  // a holder copy: forward() is non-const
    x = layer->forward(x);
    x = tanh ? x.tanh() : x.relu();
  }
  return x;
}

PolicyOutput ActorCriticImpl::forward(const torch::Tensor& observations) {
  CheckObservationBatch(observations, options_.observation_size, "ActorCritic");
  PolicyOutput out;
  const torch::Tensor x = normalizer_ ? normalizer_->forward(observations) : observations;
  const torch::Tensor policy_features = Torso(policy_torso_, x);
  const torch::Tensor value_features =
      options_.shared_torso ? policy_features : Torso(value_torso_, x);
  torch::Tensor head = policy_head_->forward(policy_features);
  if (options_.discrete_actions) {
    out.logits = head;
  } else {
    out.mean = head;
    out.log_std = log_std_head_
                      ? log_std_head_->forward(policy_features).clamp(kMinLogStd, kMaxLogStd)
                      : log_std_;
  }
  out.value = value_head_->forward(value_features).squeeze(-1);
  return out;
}

torch::Tensor ActorCriticImpl::LogProb(const PolicyOutput& out,
                                       const torch::Tensor& actions) const {
  if (options_.discrete_actions) {
    const torch::Tensor index = actions.reshape({-1, 1}).to(torch::kLong);
    return out.logits.log_softmax(-1).gather(1, index).squeeze(1);
  }
  const torch::Tensor z = (actions - out.mean) * (-out.log_std).exp();
  return (-0.5 * z * z - out.log_std - kHalfLog2Pi).sum(-1);
}

torch::Tensor ActorCriticImpl::Entropy(const PolicyOutput& out) const {
  if (options_.discrete_actions) {
    const torch::Tensor log_p = out.logits.log_softmax(-1);
    return -(log_p.exp() * log_p).sum(-1);
  }
  if (out.log_std.dim() == 2) return (out.log_std + (0.5 + kHalfLog2Pi)).sum(-1);
  const torch::Tensor per_row = (out.log_std + (0.5 + kHalfLog2Pi)).sum();
  return per_row.expand({out.mean.size(0)});
}

void SampleActions(const PolicyOutput& out, Rng& rng, float* actions, float* log_probs) {
  if (out.logits.defined()) {
    const torch::Tensor logits = CpuFloat(out.logits);
    const int64_t n = logits.size(0), k = logits.size(1);
    const float* data = logits.data_ptr<float>();
    std::vector<double> weights(k);
    for (int64_t i = 0; i < n; ++i) {
      const float* row = data + i * k;
      const double max = *std::max_element(row, row + k);
      double total = 0.0;
      for (int64_t j = 0; j < k; ++j) {
        weights[j] = std::exp(row[j] - max);
        total += weights[j];
      }
      const double u = rng.Uniform01() * total;
      int64_t chosen = -1;
      double cumulative = 0.0;
      for (int64_t j = 0; j < k; ++j) {
        cumulative += weights[j];
        if (weights[j] > 0.0) {
          chosen = j;  // the last action with non-zero probability absorbs round-off
          if (u < cumulative) break;
        }
      }
      if (chosen < 0) {
        throw std::invalid_argument("SampleActions: logits row " + std::to_string(i) +
                                    " is not finite");
      }
      actions[i] = static_cast<float>(chosen);
      if (log_probs != nullptr) {
        log_probs[i] = static_cast<float>(row[chosen] - max - std::log(total));
      }
    }
    return;
  }
  const torch::Tensor mean = CpuFloat(out.mean);
  const torch::Tensor log_std = CpuFloat(out.log_std);
  const int64_t n = mean.size(0), a = mean.size(1);
  const float* mean_data = mean.data_ptr<float>();
  const float* log_std_data = log_std.data_ptr<float>();
  const int64_t log_std_row = log_std.dim() == 2 ? a : 0;  // state-dependent: one row each
  for (int64_t i = 0; i < n; ++i) {
    const float* row_log_std = log_std_data + i * log_std_row;
    double log_prob = 0.0;  // Σ_j −(noise²/2 + log σ_j + ½ log 2π)
    for (int64_t j = 0; j < a; ++j) {
      const double noise = rng.Normal();
      actions[i * a + j] =
          static_cast<float>(mean_data[i * a + j] + std::exp(row_log_std[j]) * noise);
      log_prob -= 0.5 * noise * noise + row_log_std[j] + kHalfLog2Pi;
    }
    if (log_probs != nullptr) log_probs[i] = static_cast<float>(log_prob);
  }
}

void GreedyActions(const PolicyOutput& out, float* actions) {
  if (out.logits.defined()) {
    const torch::Tensor logits = CpuFloat(out.logits);
    const int64_t n = logits.size(0), k = logits.size(1);
    const float* data = logits.data_ptr<float>();
    for (int64_t i = 0; i < n; ++i) {
      const float* row = data + i * k;
      actions[i] = static_cast<float>(std::max_element(row, row + k) - row);
    }
    return;
  }
  const torch::Tensor mean = CpuFloat(out.mean);
  std::copy(mean.data_ptr<float>(), mean.data_ptr<float>() + mean.numel(), actions);
}

}  // namespace rlfleet
