#ifndef RLFLEET_REPLAY_SELECTORS_UNIFORM_H_
#define RLFLEET_REPLAY_SELECTORS_UNIFORM_H_

#include <vector>

#include "replay/flat_key_map.h"
#include "replay/selectors/item_selector.h"

namespace rlfleet {

// Selects every present key with probability 1/size() (priorities are ignored but validated).
// Keys live in a dense array (a deleted key's place is taken by the last one) with a FlatKeyMap
// from key to position: Insert / Update / Delete / Sample are O(1) (expected). Not thread-safe.
class UniformSelector : public ItemSelector {
 public:
  void Insert(Key key, double priority) override;
  void Update(Key key, double priority) override;
  void Delete(Key key) override;
  Selection Sample(Rng& rng) override;
  size_t size() const override { return keys_.size(); }
  double total_weight() const override { return static_cast<double>(size()); }
  void Clear() override;

 private:
  std::vector<Key> keys_;
  FlatKeyMap index_;  // key → position in keys_
};

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_SELECTORS_UNIFORM_H_
