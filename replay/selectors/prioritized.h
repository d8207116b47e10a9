#ifndef RLFLEET_REPLAY_SELECTORS_PRIORITIZED_H_
#define RLFLEET_REPLAY_SELECTORS_PRIORITIZED_H_

#include <vector>

#include "replay/flat_key_map.h"
#include "replay/selectors/item_selector.h"
#include "replay/sum_tree.h"

namespace rlfleet {

// Selects key i with probability p_i^α / Σ_j p_j^α (prioritized experience replay), α =
// priority_exponent >= 0. A priority of 0 has weight 0 (also when α = 0): such a key is never
// selected while any key has a positive priority; when every priority is 0 the selection is
// uniform over all keys (probability 1/size()).
//
// Keys occupy dense slots (a deleted key's slot is taken by the last one) whose weights p^α
// are the leaves of a SumTree; a FlatKeyMap maps key → slot. Insert / Update / Delete / Sample
// are O(log n) (plus expected O(1) hashing); the tree's drift handling is described in
// sum_tree.h. Not thread-safe.
class PrioritizedSelector : public ItemSelector {
 public:
  // Throws std::invalid_argument unless priority_exponent is finite and >= 0.
  explicit PrioritizedSelector(double priority_exponent);

  void Insert(Key key, double priority) override;
  void Update(Key key, double priority) override;
  void Delete(Key key) override;
  Selection Sample(Rng& rng) override;
  size_t size() const override { return keys_.size(); }
  void Clear() override;

  double priority_exponent() const { return exponent_; }
  // p^α as used for key selection (0 for p = 0).
  double Weight(double priority) const;
  // Σ p^α over the keys present (the sum tree's total; O(1)).
  double total_weight() const override { return tree_.Total(); }

 private:
  void SetWeight(size_t slot, double weight);

  double exponent_;
  SumTree tree_;           // slot → weight
  std::vector<Key> keys_;  // slot → key
  FlatKeyMap index_;       // key → slot
  size_t positive_ = 0;    // slots whose weight is > 0 (exact, unlike the tree's total)
};

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_SELECTORS_PRIORITIZED_H_
