#ifndef RLFLEET_REPLAY_SELECTORS_INSERTION_LIST_H_
#define RLFLEET_REPLAY_SELECTORS_INSERTION_LIST_H_

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "replay/flat_key_map.h"
#include "replay/selectors/item_selector.h"

namespace rlfleet {
namespace internal {

// Keys in insertion order with O(1) append, removal anywhere, and access to both ends: a
// doubly linked list whose nodes live in one vector (freed nodes are reused), plus a
// FlatKeyMap from key to node. The order behind InsertionOrderSelector. Not thread-safe.
class InsertionList {
 public:
  size_t size() const { return index_.size(); }

  void Append(Key key) {
    uint32_t node;
    if (!free_.empty()) {
      node = free_.back();
      free_.pop_back();
    } else {
      node = static_cast<uint32_t>(nodes_.size());
      nodes_.push_back({});
    }
    if (!index_.Insert(key, node)) {
      free_.push_back(node);
      throw std::invalid_argument("selector: key " + std::to_string(key) + " already present");
    }
    nodes_[node] = {key, tail_, kNil};
    if (tail_ != kNil)
      nodes_[tail_].next = node;
    else
      head_ = node;
    tail_ = node;
  }

  void Check(Key key) const {
    if (index_.Find(key) == nullptr) {
      throw std::invalid_argument("selector: unknown key " + std::to_string(key));
    }
  }

  void Remove(Key key) {
    const uint64_t* found = index_.Find(key);
    if (found == nullptr) {
      throw std::invalid_argument("selector: unknown key " + std::to_string(key));
    }
    const uint32_t node = static_cast<uint32_t>(*found);
    index_.Erase(key);
    const Node& n = nodes_[node];
    if (n.prev != kNil)
      nodes_[n.prev].next = n.next;
    else
      head_ = n.next;
    if (n.next != kNil)
      nodes_[n.next].prev = n.prev;
    else
      tail_ = n.prev;
    free_.push_back(node);
  }

  Key front() const { return nodes_[head_].key; }
  Key back() const { return nodes_[tail_].key; }

  void Clear() {
    nodes_.clear();
    free_.clear();
    index_.Clear();
    head_ = tail_ = kNil;
  }

 private:
  static constexpr uint32_t kNil = 0xFFFFFFFFu;
  struct Node {
    Key key = 0;
    uint32_t prev = kNil;
    uint32_t next = kNil;
  };

  std::vector<Node> nodes_;
  std::vector<uint32_t> free_;
  FlatKeyMap index_;
  uint32_t head_ = kNil;  // oldest
  uint32_t tail_ = kNil;  // newest
};

}  // namespace internal
}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_SELECTORS_INSERTION_LIST_H_
