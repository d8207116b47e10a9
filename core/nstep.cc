#include "core/nstep.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <stdexcept>

namespace rlfleet {
NStepBuilder::NStepBuilder(int32_t n, double gamma, int32_t observation_size, int32_t action_size)
    : n_(n), gamma_(gamma), observation_size_(observation_size), action_size_(action_size) {
  if (n < 1)
    throw std::invalid_argument("NStepBuilder: n must be >= 1 (got " + std::to_string(n) + ")");
  if (!(gamma >= 0.0 && gamma <= 1.0)) {
    throw std::invalid_argument("NStepBuilder: gamma must be in [0, 1] (got " +
                                std::to_string(gamma) + ")");
  }
  if (observation_size < 1) {
    throw std::invalid_argument("NStepBuilder: observation_size must be >= 1 (got " +
                                std::to_string(observation_size) + ")");
  }
  if (action_size < 1) {
    throw std::invalid_argument("NStepBuilder: action_size must be >= 1 (got " +
                                std::to_string(action_size) + ")");
  }
  gamma_powers_.resize(n + 1);
  gamma_powers_[0] = 1.0;
  for (int32_t k = 1; k <= n; ++k) gamma_powers_[k] = gamma_powers_[k - 1] * gamma;
  observations_.assign(static_cast<size_t>(n) * observation_size, 0.0f);
  actions_.assign(static_cast<size_t>(n) * action_size, 0.0f);
  versions_.assign(n, 0);
  rewards_.assign(n, 0.0f);
}

void NStepBuilder::Push(const float* observation, const float* action, int64_t policy_version,
                        float reward, bool terminated, bool truncated,
                        const float* next_observation, std::vector<Transition>* out) {
  // Store the step in the next free slot (size_ < n_ on entry).
  const int32_t slot = (head_ + size_) % n_;
  std::memcpy(observations_.data() + static_cast<size_t>(slot) * observation_size_, observation,
              sizeof(float) * observation_size_);
  std::memcpy(actions_.data() + static_cast<size_t>(slot) * action_size_, action,
              sizeof(float) * action_size_);
  versions_[slot] = policy_version;
  rewards_[slot] = reward;
  ++size_;

  // Episode end: flush every pending step with what is left of its return.
  if (terminated || truncated) {
    for (int32_t first = 0; first < size_; ++first) {
      Emit(first, terminated, truncated && !terminated, next_observation, out);
    }
    Clear();
    return;
  }
  // The oldest step has its n rewards: emit it and drop it.
  if (size_ == n_) {
    Emit(0, /*terminated=*/false, /*truncated=*/false, next_observation, out);
    head_ = (head_ + 1) % n_;
    --size_;
  }
}

void NStepBuilder::Clear() {
  head_ = 0;
  size_ = 0;
}

void NStepBuilder::Emit(int32_t first, bool terminated, bool truncated,
                        const float* next_observation, std::vector<Transition>* out) const {
  const int32_t k = size_ - first;
  const int32_t start = (head_ + first) % n_;
  double reward = 0.0;
  for (int32_t j = 0; j < k; ++j) reward += gamma_powers_[j] * rewards_[(start + j) % n_];
  Transition t;
  const float* x = observations_.data() + static_cast<size_t>(start) * observation_size_;
  t.observation.assign(x, x + observation_size_);
  const float* a = actions_.data() + static_cast<size_t>(start) * action_size_;
  t.action.assign(a, a + action_size_);
  t.policy_version = versions_[start];
  t.reward = static_cast<float>(reward);
  t.discount = terminated ? 0.0f : static_cast<float>(gamma_powers_[k]);
  t.terminated = terminated;
  t.truncated = truncated;
  t.next_observation.assign(next_observation, next_observation + observation_size_);
  t.steps = k;
  out->push_back(std::move(t));
}

VectorNStepBuilder::VectorNStepBuilder(int32_t num_envs, int32_t n, double gamma,
                                       int32_t observation_size, int32_t action_size)
    : num_envs_(num_envs), observation_size_(observation_size), action_size_(action_size) {
  if (num_envs < 1) {
    throw std::invalid_argument("VectorNStepBuilder: num_envs must be >= 1 (got " +
                                std::to_string(num_envs) + ")");
  }
  for (int32_t e = 0; e < num_envs; ++e) {
    builders_.emplace_back(n, gamma, observation_size, action_size);
  }
}

void VectorNStepBuilder::Push(const float* observations, const float* actions,
                              int64_t policy_version, const float* rewards,
                              const uint8_t* terminated, const uint8_t* truncated,
                              const float* next_observations, const float* final_observations,
                              const uint8_t* dropped) {
  const size_t d = static_cast<size_t>(observation_size_);
  const size_t a = static_cast<size_t>(action_size_);
  for (int32_t e = 0; e < num_envs_; ++e) {
    if (dropped != nullptr && dropped[e]) {
      builders_[e].Clear();
      continue;
    }
    const bool ended = terminated[e] || truncated[e];
    const float* next = (ended ? final_observations : next_observations) + e * d;
    builders_[e].Push(observations + e * d, actions + e * a, policy_version, rewards[e],
                      terminated[e] != 0, truncated[e] != 0, next, &ready_);
  }
}

void VectorNStepBuilder::Take(size_t count, std::vector<Transition>* out) {
  count = std::min(count, ready_.size());
  out->insert(out->end(), std::make_move_iterator(ready_.begin()),
              std::make_move_iterator(ready_.begin() + static_cast<std::ptrdiff_t>(count)));
  ready_.erase(ready_.begin(), ready_.begin() + static_cast<std::ptrdiff_t>(count));
}

}  // namespace rlfleet
