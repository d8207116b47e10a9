#ifndef RLFLEET_REPLAY_SELECTORS_INSERTION_ORDER_H_
#define RLFLEET_REPLAY_SELECTORS_INSERTION_ORDER_H_

#include "replay/selectors/insertion_list.h"
#include "replay/selectors/item_selector.h"

namespace rlfleet {

// Always selects one end of the insertion order, with probability 1: the oldest key still
// present ("fifo") or the newest ("lifo"). Priorities are ignored but validated. Insert /
// Update / Delete / Sample are O(1) (expected, hash map). Not thread-safe.
class InsertionOrderSelector : public ItemSelector {
 public:
  enum class End { kOldest, kNewest };

  explicit InsertionOrderSelector(End end) : end_(end) {}

  void Insert(Key key, double priority) override;
  void Update(Key key, double priority) override;
  void Delete(Key key) override;
  Selection Sample(Rng& rng) override;
  size_t size() const override { return list_.size(); }
  double total_weight() const override { return static_cast<double>(size()); }
  void Clear() override { list_.Clear(); }

 private:
  End end_;
  internal::InsertionList list_;
};

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_SELECTORS_INSERTION_ORDER_H_
