#include "algorithms/transition_batch.h"

#include <torch/torch.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "algorithms/device.h"
#include "algorithms/observation_normalizer.h"

namespace rlfleet {

TransitionBatch BatchFromTransitions(const std::vector<Transition>& transitions,
                                     const std::vector<double>& weights) {
  if (transitions.empty()) throw std::invalid_argument("BatchFromTransitions: no transitions");
  if (!weights.empty() && weights.size() != transitions.size()) {
    throw std::invalid_argument("BatchFromTransitions: " + std::to_string(weights.size()) +
                                " weights for " + std::to_string(transitions.size()) +
                                " transitions");
  }
  const int64_t B = static_cast<int64_t>(transitions.size());
  const size_t D = transitions.front().observation.size();
  const size_t A = transitions.front().action.size();
  if (D == 0) throw std::invalid_argument("BatchFromTransitions: empty observation");
  if (A == 0) throw std::invalid_argument("BatchFromTransitions: empty action");
  TransitionBatch batch;
  batch.observations = torch::empty({B, static_cast<int64_t>(D)}, torch::kFloat);
  batch.next_observations = torch::empty({B, static_cast<int64_t>(D)}, torch::kFloat);
  batch.actions = torch::empty({B, static_cast<int64_t>(A)}, torch::kFloat);
  batch.rewards = torch::empty({B}, torch::kFloat);
  batch.discounts = torch::empty({B}, torch::kFloat);
  batch.weights = torch::empty({B}, torch::kFloat);
  float* obs = batch.observations.data_ptr<float>();
  float* next = batch.next_observations.data_ptr<float>();
  float* actions = batch.actions.data_ptr<float>();
  float* rewards = batch.rewards.data_ptr<float>();
  float* discounts = batch.discounts.data_ptr<float>();
  float* w = batch.weights.data_ptr<float>();
  for (int64_t b = 0; b < B; ++b) {
    const Transition& t = transitions[b];
    if (t.observation.size() != D || t.next_observation.size() != D || t.action.size() != A) {
      throw std::invalid_argument(
          "BatchFromTransitions: transition " + std::to_string(b) + " has sizes (observation " +
          std::to_string(t.observation.size()) + ", next " +
          std::to_string(t.next_observation.size()) + ", action " +
          std::to_string(t.action.size()) + "), transition 0 has (" + std::to_string(D) + ", " +
          std::to_string(D) + ", " + std::to_string(A) + ")");
    }
    std::memcpy(obs + b * D, t.observation.data(), D * sizeof(float));
    std::memcpy(next + b * D, t.next_observation.data(), D * sizeof(float));
    std::memcpy(actions + b * A, t.action.data(), A * sizeof(float));
    rewards[b] = t.reward;
    discounts[b] = t.discount;
    w[b] = weights.empty() ? 1.0f : static_cast<float>(weights[b]);
  }
  return batch;
}

TransitionBatch TransitionBatchToDevice(TransitionBatch b, const torch::Device& device) {
  TensorsToDevice(
      {&b.observations, &b.actions, &b.rewards, &b.discounts, &b.next_observations, &b.weights},
      device);
  return b;
}

std::unique_ptr<PreparedBatch> PrepareTransitions(const SampledItems& items,
                                                  const torch::Device& device,
                                                  bool observation_moments) {
  auto prepared = std::make_unique<PreparedTransitions>();
  TransitionBatch batch = BatchFromTransitions(items.transitions, items.importance_weights);
  if (observation_moments) prepared->observation_moments = ObservationMoments(batch.observations);
  prepared->batch = TransitionBatchToDevice(std::move(batch), device);
  return prepared;
}

}  // namespace rlfleet
