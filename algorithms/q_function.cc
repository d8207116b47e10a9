#include "algorithms/q_function.h"

#include <torch/torch.h>

#include <stdexcept>

#include "algorithms/torch_helpers.h"

namespace rlfleet {

QFunctionImpl::QFunctionImpl(int64_t observation_size, int64_t action_size,
                             const std::vector<int64_t>& hidden_sizes)
    : observation_size_(observation_size), action_size_(action_size), hidden_sizes_(hidden_sizes) {
  if (observation_size <= 0 || action_size <= 0) {
    throw std::invalid_argument("QFunction: sizes must be positive");
  }
  const int64_t width = BuildMlpTorso(*this, observation_size + action_size, hidden_sizes, &torso_);
  q_head_ = register_module("q_head", torch::nn::Linear(width, 1));
}

torch::Tensor QFunctionImpl::forward(const torch::Tensor& observations,
                                     const torch::Tensor& actions) {
  return q_head_->forward(RunMlpTorso(torso_, torch::cat({observations, actions}, 1))).squeeze(1);
}

std::shared_ptr<QFunctionImpl> QFunctionImpl::Copy() {
  auto copy = std::make_shared<QFunctionImpl>(observation_size_, action_size_, hidden_sizes_);
  copy->to(DeviceOf(*this));
  PolyakUpdate(*this, *copy, 1.0);
  return copy;
}

}  // namespace rlfleet
