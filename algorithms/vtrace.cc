#include "algorithms/vtrace.h"

#include <ATen/ops/empty.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace rlfleet {
namespace {

at::Tensor CpuFloat(const at::Tensor& t) {
  return t.detach().to(at::kCPU, at::kFloat).contiguous();
}

}  // namespace

void VTraceOptions::Validate() const {
  auto positive = [](double v, const char* field) {
    if (!(v > 0.0)) {
      throw std::invalid_argument(std::string("VTraceOptions.") + field +
                                  " must be positive, got " + std::to_string(v));
    }
  };
  positive(rho_bar, "rho_bar");
  positive(c_bar, "c_bar");
  positive(pg_rho_bar, "pg_rho_bar");
  if (!(lambda >= 0.0 && lambda <= 1.0)) {
    throw std::invalid_argument("VTraceOptions.lambda must be in [0, 1], got " +
                                std::to_string(lambda));
  }
}

VTraceReturns ComputeVTrace(const VTraceInputs& inputs, const VTraceOptions& options) {
  options.Validate();
  const std::pair<const char*, const at::Tensor*> fields[] = {
      {"log_rhos", &inputs.log_rhos},
      {"discounts", &inputs.discounts},
      {"trace_continues", &inputs.trace_continues},
      {"rewards", &inputs.rewards},
      {"values", &inputs.values},
      {"next_values", &inputs.next_values}};
  if (!inputs.log_rhos.defined() || inputs.log_rhos.dim() != 2) {
    throw std::invalid_argument("ComputeVTrace: log_rhos must be a [T, B] tensor");
  }
  const int64_t T = inputs.log_rhos.size(0), B = inputs.log_rhos.size(1);
  if (T <= 0 || B <= 0) throw std::invalid_argument("ComputeVTrace: empty inputs");
  for (const auto& field : fields) {
    const at::Tensor& t = *field.second;
    if (!t.defined() || t.dim() != 2 || t.size(0) != T || t.size(1) != B) {
      throw std::invalid_argument(std::string("ComputeVTrace: ") + field.first +
                                  " must have the shape [T, B] = [" + std::to_string(T) + ", " +
                                  std::to_string(B) + "] of log_rhos");
    }
  }
  const at::Tensor log_rhos_t = CpuFloat(inputs.log_rhos);
  const at::Tensor discounts_t = CpuFloat(inputs.discounts);
  const at::Tensor continues_t = CpuFloat(inputs.trace_continues);
  const at::Tensor rewards_t = CpuFloat(inputs.rewards);
  const at::Tensor values_t = CpuFloat(inputs.values);
  const at::Tensor next_values_t = CpuFloat(inputs.next_values);
  const float* log_rhos = log_rhos_t.data_ptr<float>();
  const float* discounts = discounts_t.data_ptr<float>();
  const float* continues = continues_t.data_ptr<float>();
  const float* rewards = rewards_t.data_ptr<float>();
  const float* values = values_t.data_ptr<float>();
  const float* next_values = next_values_t.data_ptr<float>();

  at::Tensor vs_t = at::empty({T, B}, at::TensorOptions().dtype(at::kFloat));
  at::Tensor pg_t = at::empty({T, B}, at::TensorOptions().dtype(at::kFloat));
  float* vs = vs_t.data_ptr<float>();
  float* pg = pg_t.data_ptr<float>();

  // Backward over time, every column at once; accumulators in double.
  std::vector<double> acc(B, 0.0);
  std::vector<double> vs_next(B, 0.0);  // vs_{t+1}
  for (int64_t t = T - 1; t >= 0; --t) {
    for (int64_t b = 0; b < B; ++b) {
      const int64_t i = t * B + b;
      const double ratio = std::exp(static_cast<double>(log_rhos[i]));
      const double rho = std::min(options.rho_bar, ratio);
      const double c = options.lambda * std::min(options.c_bar, ratio);
      const double disc = discounts[i];
      const double cont = continues[i];
      const double delta = rho * (rewards[i] + disc * next_values[i] - values[i]);
      // Where cont = 0 the (stale) acc_{t+1} is dropped entirely, even if it is not finite.
      acc[b] = delta + (cont != 0.0 ? disc * cont * c * acc[b] : 0.0);
      const double next_vs = (t < T - 1 && cont != 0.0) ? vs_next[b] : next_values[i];
      vs_next[b] = values[i] + acc[b];
      vs[i] = static_cast<float>(vs_next[b]);
      const double pg_rho = std::min(options.pg_rho_bar, ratio);
      pg[i] = static_cast<float>(pg_rho * (rewards[i] + disc * next_vs - values[i]));
    }
  }
  const at::Device device = inputs.log_rhos.device();
  if (!device.is_cpu()) {
    vs_t = vs_t.to(device);
    pg_t = pg_t.to(device);
  }
  return {vs_t, pg_t};
}

}  // namespace rlfleet
