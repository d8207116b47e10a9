#ifndef RLFLEET_REPLAY_SELECTORS_LIFO_H_
#define RLFLEET_REPLAY_SELECTORS_LIFO_H_

#include "replay/selectors/insertion_list.h"
#include "replay/selectors/item_selector.h"

namespace rlfleet {

// Always selects the newest key still present (by insertion order; priorities are ignored
// but validated), with probability 1. Insert / Update / Delete / Sample are O(1) (expected,
// hash map). Not thread-safe.
class LifoSelector : public ItemSelector {
 public:
  void Insert(Key key, double priority) override;
  void Update(Key key, double priority) override;
  void Delete(Key key) override;
  Selection Sample(Rng& rng) override;
  size_t size() const override { return list_.size(); }
  void Clear() override { list_.Clear(); }

 private:
  internal::InsertionList list_;
};

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_SELECTORS_LIFO_H_
