#include "replay/selectors/lifo.h"

#include <stdexcept>

namespace rlfleet {

void LifoSelector::Insert(Key key, double priority) {
  CheckPriority(priority);
  list_.Append(key);
}

void LifoSelector::Update(Key key, double priority) {
  CheckPriority(priority);
  list_.Check(key);
}

void LifoSelector::Delete(Key key) { list_.Remove(key); }

Selection LifoSelector::Sample(Rng& /*rng*/) {
  if (list_.size() == 0) throw std::logic_error("LifoSelector::Sample on an empty selector");
  return {list_.back(), 1.0};
}

}  // namespace rlfleet
