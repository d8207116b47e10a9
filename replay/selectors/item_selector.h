#ifndef RLFLEET_REPLAY_SELECTORS_ITEM_SELECTOR_H_
#define RLFLEET_REPLAY_SELECTORS_ITEM_SELECTOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/random.h"

namespace rlfleet {

// Items of a replay table are named by a 64-bit key (the table hands them out in insertion
// order: 0, 1, 2, ...).
using Key = uint64_t;

// One draw of a selector: the key and the probability with which it was drawn.
struct Selection {
  Key key = 0;
  double probability = 0.0;
};

// Chooses which item of a table to sample (the table's "sampler") or to evict when the table
// is full (its "remover"). A selector knows keys and priorities only, never the items.
//
// Contract, for every implementation:
//  - Insert of a key already present, and Update / Delete of a key not present, throw
//    std::invalid_argument; so does a priority that is negative or not finite (selectors that
//    ignore priorities still reject invalid ones, so that a table behaves the same with any).
//  - Sample requires size() > 0 (std::logic_error otherwise) and does not remove the key.
//  - Not thread-safe: owned by one table, used by its one thread.
// Each implementation states its complexity; none allocates per item once its arrays have grown.
class ItemSelector {
 public:
  virtual ~ItemSelector() = default;

  virtual void Insert(Key key, double priority) = 0;
  virtual void Update(Key key, double priority) = 0;
  virtual void Delete(Key key) = 0;
  virtual Selection Sample(Rng& rng) = 0;
  virtual size_t size() const = 0;
  // The mass that sampling across shards splits a batch by: Σ_i w_i over the keys present,
  // where this selector draws key i with probability w_i / Σ_j w_j (p^α for "prioritized",
  // 1 per key, i.e. size(), for the others). A shard that holds mass M of a total M_all gets
  // M / M_all of a global batch, so every new selector must say what its weights are.
  virtual double total_weight() const = 0;
  // Removes every key.
  virtual void Clear() = 0;
};

// The selector names a table accepts: "uniform", "fifo", "lifo", "prioritized".
bool IsSelectorName(const std::string& name);

// A new selector by name; priority_exponent (α, >= 0) is used by "prioritized" only.
// Throws std::invalid_argument on an unknown name or a bad exponent.
std::unique_ptr<ItemSelector> MakeItemSelector(const std::string& name, double priority_exponent);

// Throws std::invalid_argument when priority is negative or not finite (NaN, ±inf).
void CheckPriority(double priority);

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_SELECTORS_ITEM_SELECTOR_H_
