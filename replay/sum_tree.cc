#include "replay/sum_tree.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace rlfleet {
namespace {

void CheckValue(double value) {
  if (!(value >= 0.0) || !std::isfinite(value)) {
    throw std::invalid_argument("SumTree: value must be finite and >= 0, got " +
                                std::to_string(value));
  }
}

}  // namespace

SumTree::SumTree(size_t initial_capacity) {
  capacity_ = 1;
  while (capacity_ < initial_capacity) capacity_ *= 2;
  nodes_.assign(2 * capacity_, 0.0);
}

void SumTree::Set(size_t index, double value) {
  CheckValue(value);
  if (index >= capacity_) Grow(index + 1);
  size_t node = capacity_ + index;
  nodes_[node] = value;
  // Recompute each ancestor from its children (no deltas: no accumulated drift).
  for (node >>= 1; node >= 1; node >>= 1) nodes_[node] = nodes_[2 * node] + nodes_[2 * node + 1];
}

size_t SumTree::Find(double prefix_sum) const {
  if (!(nodes_[1] > 0.0)) throw std::logic_error("SumTree::Find on a tree whose total is 0");
  size_t node = 1;
  while (node < capacity_) {
    const double left = nodes_[2 * node];
    const double right = nodes_[2 * node + 1];
    // Go left when the prefix falls there, or when the right side is empty (a prefix at or
    // beyond the total after rounding); never into a subtree whose sum is 0.
    if (left > 0.0 && (prefix_sum < left || !(right > 0.0))) {
      node = 2 * node;
    } else {
      prefix_sum -= left;
      node = 2 * node + 1;
    }
  }
  return node - capacity_;
}

void SumTree::SetLeafNoUpdate(size_t index, double value) {
  CheckValue(value);
  if (index >= capacity_) Grow(index + 1);
  nodes_[capacity_ + index] = value;
}

void SumTree::Rebuild() {
  for (size_t node = capacity_ - 1; node >= 1; --node) {
    nodes_[node] = nodes_[2 * node] + nodes_[2 * node + 1];
  }
}

void SumTree::Clear() { std::fill(nodes_.begin(), nodes_.end(), 0.0); }

void SumTree::Grow(size_t min_capacity) {
  size_t capacity = capacity_;
  while (capacity < min_capacity) capacity *= 2;
  std::vector<double> nodes(2 * capacity, 0.0);
  std::copy(nodes_.begin() + capacity_, nodes_.end(), nodes.begin() + capacity);
  nodes_.swap(nodes);
  capacity_ = capacity;
  Rebuild();
}

}  // namespace rlfleet
