#include "algorithms/greedy_policy.h"

#include <torch/script.h>

#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace rlfleet {
namespace {

void Require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("GreedyPolicy: " + what);
}

// A CPU float32 copy that shares nothing with the algorithm's parameters.
torch::Tensor Owned(const torch::Tensor& t) {
  return t.detach().to(torch::kCPU, torch::kFloat).contiguous().clone();
}

void RequireVector(const torch::Tensor& t, int64_t size, const std::string& name) {
  Require(t.defined() && t.dim() == 1 && t.size(0) == size,
          name + " must be a vector of " + std::to_string(size) + " values");
}

// Checks a layer taking `in` features; returns its output size.
int64_t RequireLayer(const LinearLayer& layer, int64_t in, const std::string& name) {
  Require(layer.weight.defined() && layer.weight.dim() == 2 && layer.weight.size(1) == in,
          name + ".weight must be [out, " + std::to_string(in) + "]");
  const int64_t out = layer.weight.size(0);
  RequireVector(layer.bias, out, name + ".bias");
  return out;
}

std::string Literal(double x) {
  char text[40];
  std::snprintf(text, sizeof(text), "%.17g", x);
  return text;
}

}  // namespace

int64_t GreedyPolicy::action_outputs() const {
  return output.weight.defined() && output.weight.dim() == 2 ? output.weight.size(0) : 0;
}

void GreedyPolicy::Validate() const {
  Require(observation_size > 0, "observation_size must be positive");
  Require(activation == "relu" || activation == "tanh",
          "activation must be relu or tanh, got '" + activation + "'");
  if (observation_clip != 0.0) {
    Require(observation_clip > 0.0, "observation_clip must be positive (0: no normaliser)");
    RequireVector(observation_mean, observation_size, "observation_mean");
    RequireVector(observation_inv_std, observation_size, "observation_inv_std");
  }
  int64_t features = observation_size;
  for (size_t i = 0; i < torso.size(); ++i) {
    features = RequireLayer(torso[i], features, "torso[" + std::to_string(i) + "]");
  }
  const int64_t outputs = RequireLayer(output, features, "output");
  Require(outputs > 0, "output must have at least one row");
  switch (head) {
    case Head::kArgmax:
      break;
    case Head::kDuelingArgmax:
      Require(RequireLayer(value, features, "value") == 1, "value must have one output");
      break;
    case Head::kClip:
      RequireVector(low, outputs, "low");
      RequireVector(high, outputs, "high");
      break;
    case Head::kTanhScale:
      RequireVector(scale, outputs, "scale");
      RequireVector(bias, outputs, "bias");
      break;
  }
}

std::vector<LinearLayer> LinearLayersNamed(const torch::nn::Module& module,
                                           const std::string& prefix) {
  const auto parameters = module.named_parameters(/*recurse=*/true);
  std::vector<LinearLayer> layers;
  for (size_t i = 0;; ++i) {
    const std::string name = prefix + std::to_string(i);
    const torch::Tensor* weight = parameters.find(name + ".weight");
    const torch::Tensor* bias = parameters.find(name + ".bias");
    if (weight == nullptr || bias == nullptr) return layers;
    layers.push_back({*weight, *bias});
  }
}

LinearLayer LinearLayerNamed(const torch::nn::Module& module, const std::string& name) {
  const auto parameters = module.named_parameters(/*recurse=*/true);
  const torch::Tensor* weight = parameters.find(name + ".weight");
  const torch::Tensor* bias = parameters.find(name + ".bias");
  if (weight == nullptr || bias == nullptr) {
    throw std::invalid_argument("GreedyPolicy: the network has no layer '" + name + "'");
  }
  return {*weight, *bias};
}

void DescribeTanhScaledActor(const torch::nn::Module& actor, int64_t observation_size, double clip,
                             const std::string& head, const torch::Tensor& scale,
                             const torch::Tensor& bias, GreedyPolicy* policy) {
  policy->observation_size = observation_size;
  DescribeNormalizer(actor, clip, policy);
  policy->torso = LinearLayersNamed(actor, "fc");
  policy->activation = "relu";  // RunMlpTorso
  policy->head = GreedyPolicy::Head::kTanhScale;
  policy->output = LinearLayerNamed(actor, head);
  policy->scale = scale;
  policy->bias = bias;
}

GreedyPolicy CopyGreedyPolicy(const GreedyPolicy& policy) {
  auto copy = [](const torch::Tensor& t) { return t.defined() ? Owned(t) : t; };
  auto copy_layer = [&copy](const LinearLayer& l) {
    return LinearLayer{copy(l.weight), copy(l.bias)};
  };
  GreedyPolicy out = policy;
  out.observation_mean = copy(policy.observation_mean);
  out.observation_inv_std = copy(policy.observation_inv_std);
  for (LinearLayer& layer : out.torso) layer = copy_layer(layer);
  out.output = copy_layer(policy.output);
  out.value = copy_layer(policy.value);
  out.low = copy(policy.low);
  out.high = copy(policy.high);
  out.scale = copy(policy.scale);
  out.bias = copy(policy.bias);
  return out;
}

void DescribeNormalizer(const torch::nn::Module& module, double clip, GreedyPolicy* policy) {
  const auto parameters = module.named_parameters(/*recurse=*/true);
  const torch::Tensor* mean = parameters.find("obs_norm.mean");
  const torch::Tensor* inv_std = parameters.find("obs_norm.inv_std");
  if (mean == nullptr || inv_std == nullptr) {
    policy->observation_clip = 0.0;
    policy->observation_mean = torch::Tensor();
    policy->observation_inv_std = torch::Tensor();
    return;
  }
  policy->observation_clip = clip;
  policy->observation_mean = *mean;
  policy->observation_inv_std = *inv_std;
}

torch::jit::Module ScriptGreedyPolicy(const GreedyPolicy& policy) {
  policy.Validate();
  torch::jit::Module module("__torch__.rlfleet.GreedyPolicy");
  const int64_t d = policy.observation_size;
  std::ostringstream code;
  code << "def forward(self, observation: Tensor) -> Tensor:\n"
       << "    assert observation.dim() == 2 and observation.size(1) == " << d
       << ", \"observation must be float32 [B, " << d << "]\"\n"
       // ScalarType 6 is float32 (torch.float32 is not a name the C++ compiler resolves).
       << "    x = observation.to(dtype=6)\n";
  if (policy.observation_clip > 0.0) {
    module.register_buffer("observation_mean", Owned(policy.observation_mean));
    module.register_buffer("observation_inv_std", Owned(policy.observation_inv_std));
    const std::string clip = Literal(policy.observation_clip);
    code << "    x = torch.clamp((x - self.observation_mean) * self.observation_inv_std, -" << clip
         << ", " << clip << ")\n";
  }
  for (size_t i = 0; i < policy.torso.size(); ++i) {
    const std::string name = "torso" + std::to_string(i);
    module.register_parameter(name + "_weight", Owned(policy.torso[i].weight), false);
    module.register_parameter(name + "_bias", Owned(policy.torso[i].bias), false);
    code << "    x = torch." << policy.activation << "(torch.linear(x, self." << name
         << "_weight, self." << name << "_bias))\n";
  }
  module.register_parameter("output_weight", Owned(policy.output.weight), false);
  module.register_parameter("output_bias", Owned(policy.output.bias), false);
  code << "    y = torch.linear(x, self.output_weight, self.output_bias)\n";
  switch (policy.head) {
    case GreedyPolicy::Head::kArgmax:
      code << "    return torch.argmax(y, dim=1)\n";
      break;
    case GreedyPolicy::Head::kDuelingArgmax:
      module.register_parameter("value_weight", Owned(policy.value.weight), false);
      module.register_parameter("value_bias", Owned(policy.value.bias), false);
      code << "    v = torch.linear(x, self.value_weight, self.value_bias)\n"
           << "    q = v + y - y.mean(dim=1, keepdim=True)\n"
           << "    return torch.argmax(q, dim=1)\n";
      break;
    case GreedyPolicy::Head::kClip:
      module.register_buffer("action_low", Owned(policy.low));
      module.register_buffer("action_high", Owned(policy.high));
      code << "    return torch.min(torch.max(y, self.action_low), self.action_high)\n";
      break;
    case GreedyPolicy::Head::kTanhScale:
      module.register_buffer("action_scale", Owned(policy.scale));
      module.register_buffer("action_bias", Owned(policy.bias));
      code << "    return torch.tanh(y) * self.action_scale + self.action_bias\n";
      break;
  }
  module.define(code.str());
  module.eval();
  return module;
}

}  // namespace rlfleet
