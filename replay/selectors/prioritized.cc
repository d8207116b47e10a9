#include "replay/selectors/prioritized.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace rlfleet {

PrioritizedSelector::PrioritizedSelector(double priority_exponent) : exponent_(priority_exponent) {
  if (!(priority_exponent >= 0.0) || !std::isfinite(priority_exponent)) {
    throw std::invalid_argument("PrioritizedSelector: priority_exponent must be finite and >= 0");
  }
}

double PrioritizedSelector::Weight(double priority) const {
  if (priority == 0.0) return 0.0;
  if (exponent_ == 1.0) return priority;
  if (exponent_ == 0.5) return std::sqrt(priority);
  if (exponent_ == 0.0) return 1.0;
  return std::pow(priority, exponent_);
}

void PrioritizedSelector::SetWeight(size_t slot, double weight) {
  const bool was_positive = tree_.Get(slot) > 0.0;
  const bool is_positive = weight > 0.0;
  tree_.Set(slot, weight);
  positive_ += static_cast<size_t>(is_positive) - static_cast<size_t>(was_positive);
}

void PrioritizedSelector::Insert(Key key, double priority) {
  CheckPriority(priority);
  const double weight = Weight(priority);
  if (!std::isfinite(weight)) {
    throw std::invalid_argument("PrioritizedSelector: priority^exponent overflows for priority " +
                                std::to_string(priority));
  }
  const size_t slot = keys_.size();
  if (!index_.Insert(key, slot)) {
    throw std::invalid_argument("PrioritizedSelector: key " + std::to_string(key) +
                                " already present");
  }
  keys_.push_back(key);
  SetWeight(slot, weight);
}

void PrioritizedSelector::Update(Key key, double priority) {
  CheckPriority(priority);
  const uint64_t* found = index_.Find(key);
  if (found == nullptr) {
    throw std::invalid_argument("PrioritizedSelector: unknown key " + std::to_string(key));
  }
  const double weight = Weight(priority);
  if (!std::isfinite(weight)) {
    throw std::invalid_argument("PrioritizedSelector: priority^exponent overflows for priority " +
                                std::to_string(priority));
  }
  SetWeight(*found, weight);
}

void PrioritizedSelector::Delete(Key key) {
  const uint64_t* found = index_.Find(key);
  if (found == nullptr) {
    throw std::invalid_argument("PrioritizedSelector: unknown key " + std::to_string(key));
  }
  const size_t slot = *found;
  const size_t last = keys_.size() - 1;
  if (slot != last) {
    // Move the last slot into the hole.
    const Key moved = keys_[last];
    keys_[slot] = moved;
    *index_.Find(moved) = slot;
    SetWeight(slot, tree_.Get(last));
  }
  SetWeight(last, 0.0);
  keys_.pop_back();
  index_.Erase(key);
}

Selection PrioritizedSelector::Sample(Rng& rng) {
  const size_t n = keys_.size();
  if (n == 0) throw std::logic_error("PrioritizedSelector::Sample on an empty selector");
  if (positive_ == 0) return {keys_[rng.UniformInt(n)], 1.0 / static_cast<double>(n)};
  const double total = tree_.Total();
  const size_t slot = tree_.Find(rng.Uniform01() * total);
  return {keys_[slot], tree_.Get(slot) / total};
}

void PrioritizedSelector::Clear() {
  tree_.Clear();
  keys_.clear();
  index_.Clear();
  positive_ = 0;
}

}  // namespace rlfleet
