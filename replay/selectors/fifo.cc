#include "replay/selectors/fifo.h"

#include <stdexcept>

namespace rlfleet {

void FifoSelector::Insert(Key key, double priority) {
  CheckPriority(priority);
  list_.Append(key);
}

void FifoSelector::Update(Key key, double priority) {
  CheckPriority(priority);
  list_.Check(key);
}

void FifoSelector::Delete(Key key) { list_.Remove(key); }

Selection FifoSelector::Sample(Rng& /*rng*/) {
  if (list_.size() == 0) throw std::logic_error("FifoSelector::Sample on an empty selector");
  return {list_.front(), 1.0};
}

}  // namespace rlfleet
