#include "replay/selectors/uniform.h"

#include <stdexcept>
#include <string>

namespace rlfleet {

void UniformSelector::Insert(Key key, double priority) {
  CheckPriority(priority);
  if (!index_.Insert(key, keys_.size())) {
    throw std::invalid_argument("UniformSelector: key " + std::to_string(key) + " already present");
  }
  keys_.push_back(key);
}

void UniformSelector::Update(Key key, double priority) {
  CheckPriority(priority);
  if (index_.Find(key) == nullptr) {
    throw std::invalid_argument("UniformSelector: unknown key " + std::to_string(key));
  }
}

void UniformSelector::Delete(Key key) {
  const uint64_t* found = index_.Find(key);
  if (found == nullptr) {
    throw std::invalid_argument("UniformSelector: unknown key " + std::to_string(key));
  }
  const size_t position = *found;
  const Key last = keys_.back();
  keys_[position] = last;
  *index_.Find(last) = position;
  keys_.pop_back();
  index_.Erase(key);
}

Selection UniformSelector::Sample(Rng& rng) {
  if (keys_.empty()) throw std::logic_error("UniformSelector::Sample on an empty selector");
  const size_t n = keys_.size();
  return {keys_[rng.UniformInt(n)], 1.0 / static_cast<double>(n)};
}

void UniformSelector::Clear() {
  keys_.clear();
  index_.Clear();
}

}  // namespace rlfleet
