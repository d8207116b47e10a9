#include "algorithms/torch_helpers.h"

#include <c10/util/Exception.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

namespace rlfleet {

torch::nn::Linear OrthogonalLinear(int64_t in, int64_t out, double gain) {
  torch::nn::Linear layer(torch::nn::LinearOptions(in, out));
  torch::NoGradGuard no_grad;
  torch::nn::init::orthogonal_(layer->weight, gain);
  layer->bias.zero_();
  return layer;
}

std::string TorchErrorText(const std::exception& e) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) {
    return c10_error->what_without_backtrace();
  }
  return e.what();
}

void ReadArchiveParameters(torch::nn::Module& module, torch::serialize::InputArchive& archive,
                           const std::string& prefix,
                           std::vector<std::pair<std::string, torch::Tensor>>* out) {
  for (const auto& item : module.named_parameters(/*recurse=*/false)) {
    torch::Tensor value;
    archive.read(item.key(), value);
    out->emplace_back(prefix + item.key(), value);
  }
  for (const auto& child : module.named_children()) {
    torch::serialize::InputArchive child_archive;
    archive.read(child.key(), child_archive);
    ReadArchiveParameters(*child.value(), child_archive, prefix + child.key() + ".", out);
  }
}

void CheckArchiveShapes(torch::nn::Module& module, const NamedTensors& loaded, const char* what) {
  auto own = module.named_parameters();
  for (const auto& item : loaded) {
    const torch::Tensor* parameter = own.find(item.first);
    if (parameter == nullptr || parameter->sizes() != item.second.sizes()) {
      throw std::invalid_argument(std::string(what) + " '" + item.first + "' has another shape");
    }
  }
}

void CopyArchiveParameters(torch::nn::Module& module, const NamedTensors& loaded) {
  torch::NoGradGuard no_grad;
  auto own = module.named_parameters();
  for (const auto& item : loaded) own[item.first].copy_(item.second);
}

torch::Tensor RowsView(const float* data, int64_t rows, int64_t cols) {
  return torch::from_blob(const_cast<float*>(data), {rows, cols}, torch::kFloat32);
}

void CheckObservationBatch(const torch::Tensor& observations, int64_t observation_size,
                           const char* network) {
  if (observations.dim() == 2 && observations.size(1) == observation_size) return;
  std::string shape;
  for (int64_t i = 0; i < observations.dim(); ++i) {
    shape += (i ? ", " : "") + std::to_string(observations.size(i));
  }
  throw std::invalid_argument(std::string(network) + " expects observations [N, " +
                              std::to_string(observation_size) + "], got [" + shape + "]");
}

int64_t BuildMlpTorso(torch::nn::Module& module, int64_t in, const std::vector<int64_t>& hidden,
                      std::vector<torch::nn::Linear>* torso) {
  for (size_t i = 0; i < hidden.size(); ++i) {
    if (hidden[i] <= 0) throw std::invalid_argument("MLP: hidden sizes must be > 0");
    torso->push_back(
        module.register_module("fc" + std::to_string(i), torch::nn::Linear(in, hidden[i])));
    in = hidden[i];
  }
  return in;
}

torch::Tensor RunMlpTorso(std::vector<torch::nn::Linear>& torso, torch::Tensor x) {
  for (torch::nn::Linear& layer : torso) x = layer->forward(x).relu();
  return x;
}

void PolyakUpdate(torch::nn::Module& online, torch::nn::Module& target, double tau) {
  torch::NoGradGuard no_grad;
  const auto source = online.parameters();
  auto destination = target.parameters();
  for (size_t i = 0; i < source.size(); ++i) destination[i].lerp_(source[i], tau);
}

double GuardedStep(torch::optim::Optimizer& optimizer, const torch::Tensor& loss,
                   const std::vector<torch::Tensor>& parameters, double max_norm) {
  optimizer.zero_grad();
  loss.backward();
  const double limit = max_norm > 0.0 ? max_norm : std::numeric_limits<double>::infinity();
  // The norm of non-finite gradients is not finite; clip_grad_norm_ leaves them unscaled then.
  const double norm = torch::nn::utils::clip_grad_norm_(parameters, limit);
  if (!std::isfinite(norm) || !std::isfinite(loss.item<double>())) {
    optimizer.zero_grad();
    return std::numeric_limits<double>::quiet_NaN();
  }
  optimizer.step();
  return norm;
}

FrozenParameters::FrozenParameters(std::vector<torch::Tensor> parameters)
    : parameters_(std::move(parameters)) {
  for (const auto& p : parameters_) {
    if (!p.requires_grad()) {
      throw std::invalid_argument("FrozenParameters: a parameter does not require gradients");
    }
  }
  for (auto& p : parameters_) p.set_requires_grad(false);
}

FrozenParameters::~FrozenParameters() {
  for (auto& p : parameters_) p.set_requires_grad(true);
}

torch::Device DeviceOf(torch::nn::Module& module) { return module.parameters().front().device(); }

}  // namespace rlfleet
