#ifndef RLFLEET_REPLAY_SUM_TREE_H_
#define RLFLEET_REPLAY_SUM_TREE_H_

#include <cstddef>
#include <vector>

namespace rlfleet {

// A binary sum tree over non-negative double values indexed 0 .. capacity()-1 (unused indices
// hold 0): the prioritized selector's O(log n) sampling structure.
//
// Layout: a complete binary tree in one array, root at 1, leaves at [capacity, 2·capacity);
// capacity is a power of two and doubles when Set() addresses an index beyond it (O(n) then,
// amortised O(1) per index).
//
// Numerical drift: Set() recomputes every ancestor of the leaf as the sum of its two children
// (never by adding a delta), so each internal node always equals the floating-point sum of its
// children. Rounding error therefore does not accumulate over operations: it stays bounded by
// the O(log n · ε) error of one bottom-up summation, whatever the history. Two consequences the
// selector relies on: a node is exactly 0 iff all its leaves are 0, and Find() never returns an
// index whose value is 0. Rebuild() recomputes all internal nodes in O(n) (used after bulk
// loads with SetLeafNoUpdate()).
//
// Complexity: Set, Find O(log n); Get, Total O(1). Not thread-safe.
class SumTree {
 public:
  explicit SumTree(size_t initial_capacity = 16);

  size_t capacity() const { return capacity_; }

  // Sets the value at index (>= 0, finite; else std::invalid_argument), growing if needed.
  void Set(size_t index, double value);
  // The value at index (0 beyond capacity).
  double Get(size_t index) const { return index < capacity_ ? nodes_[capacity_ + index] : 0.0; }
  // The sum of all values.
  double Total() const { return nodes_[1]; }

  // The index i with prefix(i) <= prefix_sum < prefix(i) + Get(i), where prefix(i) is the sum
  // of the values before i, and Get(i) > 0. A prefix_sum below 0 gives the first index with a
  // positive value, one at or above Total() the last. Requires Total() > 0
  // (std::logic_error otherwise).
  size_t Find(double prefix_sum) const;

  // Sets a leaf without updating its ancestors; call Rebuild() before the next Total() / Find().
  void SetLeafNoUpdate(size_t index, double value);
  // Recomputes every internal node from the leaves, O(capacity).
  void Rebuild();
  // Sets every value to 0 (keeps the capacity).
  void Clear();

 private:
  void Grow(size_t min_capacity);

  size_t capacity_ = 0;
  std::vector<double> nodes_;  // 2 * capacity_; nodes_[0] unused
};

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_SUM_TREE_H_
