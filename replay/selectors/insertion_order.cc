#include "replay/selectors/insertion_order.h"

#include <stdexcept>

namespace rlfleet {

void InsertionOrderSelector::Insert(Key key, double priority) {
  CheckPriority(priority);
  list_.Append(key);
}

void InsertionOrderSelector::Update(Key key, double priority) {
  CheckPriority(priority);
  list_.Check(key);
}

void InsertionOrderSelector::Delete(Key key) { list_.Remove(key); }

Selection InsertionOrderSelector::Sample(Rng& /*rng*/) {
  if (list_.size() == 0) {
    throw std::logic_error("InsertionOrderSelector::Sample on an empty selector");
  }
  return {end_ == End::kOldest ? list_.front() : list_.back(), 1.0};
}

}  // namespace rlfleet
