#include "core/nstep.h"

#include <cmath>
#include <cstring>
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

}  // namespace rlfleet
