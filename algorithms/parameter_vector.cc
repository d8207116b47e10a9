#include "algorithms/parameter_vector.h"

#include <cstring>
#include <stdexcept>

namespace rlfleet {

std::vector<std::string> ParameterNames(torch::nn::Module& module) {
  std::vector<std::string> names;
  for (const auto& item : module.named_parameters()) names.push_back(item.key());
  return names;
}

std::vector<std::vector<int64_t>> ParameterShapes(torch::nn::Module& module) {
  std::vector<std::vector<int64_t>> shapes;
  for (const auto& parameter : module.parameters()) shapes.push_back(parameter.sizes().vec());
  return shapes;
}

int64_t NumParameterValues(torch::nn::Module& module) {
  int64_t total = 0;
  for (const auto& parameter : module.parameters()) total += parameter.numel();
  return total;
}

void FlattenParameters(torch::nn::Module& module, std::vector<float>* out) {
  out->resize(static_cast<size_t>(NumParameterValues(module)));
  FlattenParameters(module, out->data(), out->size());
}

void FlattenParameters(torch::nn::Module& module, float* out, size_t size) {
  const size_t expected = static_cast<size_t>(NumParameterValues(module));
  if (size != expected) {
    throw std::invalid_argument("FlattenParameters: room for " + std::to_string(size) +
                                " values, the module has " + std::to_string(expected));
  }
  size_t offset = 0;
  for (const auto& parameter : module.parameters()) {
    const torch::Tensor values = parameter.detach().to(torch::kCPU, torch::kFloat).contiguous();
    const size_t n = static_cast<size_t>(values.numel());
    if (n > 0) std::memcpy(out + offset, values.data_ptr<float>(), n * sizeof(float));
    offset += n;
  }
}

void LoadFlatParameters(torch::nn::Module& module, const float* data, size_t size) {
  const size_t expected = static_cast<size_t>(NumParameterValues(module));
  if (size != expected) {
    throw std::invalid_argument("LoadFlatParameters: got " + std::to_string(size) +
                                " values, the module has " + std::to_string(expected));
  }
  torch::NoGradGuard no_grad;
  size_t offset = 0;
  for (auto& parameter : module.parameters()) {
    const int64_t n = parameter.numel();
    if (n == 0) continue;
    const torch::Tensor source =
        torch::from_blob(const_cast<float*>(data + offset), parameter.sizes(), torch::kFloat);
    parameter.copy_(source);
    offset += static_cast<size_t>(n);
  }
}

}  // namespace rlfleet
