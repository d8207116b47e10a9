#ifndef RLFLEET_REPLAY_TABLE_H_
#define RLFLEET_REPLAY_TABLE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/random.h"
#include "replay/flat_key_map.h"
#include "replay/rate_limiter.h"
#include "replay/selectors/item_selector.h"
#include "replay/selectors/prioritized.h"

namespace rlfleet {

struct TableOptions {
  std::string name;
  std::string sampler = "uniform";   // uniform | prioritized | fifo | lifo
  double priority_exponent = 0.6;    // α of the prioritized sampler / remover
  double importance_exponent = 0.4;  // β of the importance weights
  std::string remover = "fifo";      // which item a full table evicts (same names)
  int64_t max_size = 0;              // items; required (> 0)
  int32_t max_times_sampled = 0;     // an item is removed after this many samples; 0: never
  uint64_t remover_seed = 0;         // random stream of a uniform / prioritized remover
  RateLimiterOptions rate_limiter;

  // Throws std::invalid_argument naming the first bad field.
  void Validate() const;
};

// One item of a table. The bytes are immutable and shared: a sampled item, a snapshot and the
// table all point to the same buffer.
struct TableItem {
  Key key = 0;  // also the item's insertion index: keys are 0, 1, 2, ... in insertion order
  std::shared_ptr<const std::string> bytes;
  double priority = 0.0;
  int32_t times_sampled = 0;
  // Table-internal: the incremental snapshot that has saved this item (see BeginSnapshot).
  uint32_t snapshot_epoch = 0;
};

// One item handed out by Table::Sample.
struct SampledItem {
  Key key = 0;
  std::shared_ptr<const std::string> bytes;
  double priority = 0.0;
  double probability = 0.0;        // P(i) of this draw
  int32_t times_sampled = 0;       // including this draw
  int64_t table_size = 0;          // N: items in the table when it was drawn
  double importance_weight = 1.0;  // see Table::Sample
};

struct TableCounters {
  int64_t inserts = 0;
  int64_t samples = 0;              // items handed out
  int64_t evictions = 0;            // items the remover took out of a full table
  int64_t exhausted = 0;            // items removed after max_times_sampled samples
  int64_t deletes = 0;              // items removed by Delete()
  int64_t unknown_key_updates = 0;  // priority updates of keys no longer (or never) present
};

// A point-in-time copy of a table for checkpoints: pointer copies, no byte copies (the item
// bytes are immutable and shared), so the owning thread can go on serving while another thread
// writes it (table_snapshot.h). Each copied pointer touches its item's reference count, which is
// a cache miss per item: 40-110 ms per million items on this machine, so a serving thread takes
// a large table's snapshot in pieces (Table::BeginSnapshot).
struct TableSnapshot {
  TableOptions options;
  Key next_key = 0;
  TableCounters counters;
  RateLimiterState rate_limiter;
  std::vector<TableItem> items;  // in no particular order
};

// A replay table (Reverb-like): items with priorities, a sampler and a remover (ItemSelector),
// a max size with eviction, max_times_sampled, and a RateLimiter it keeps informed.
//
// The table does not enforce its rate limiter: the owner asks CanInsert / CanSample first (the
// shard loop holds requests back in pending lists; in-process threads wrap the table in a
// BlockingRateLimiter over rate_limiter()). Insert, Sample and deletes update the limiter's
// counts.
//
// Thread-safety: none. A table is owned by one thread (the shard loop); Snapshot() is the way to
// hand its contents to another thread.
//
// Complexity (n = size()): Insert, Sample (per item), UpdatePriorities (per key), Delete are
// O(1) expected for uniform / fifo / lifo selectors and O(log n) for prioritized ones. Memory
// per item: the shared bytes (one allocation: make_shared of the string) plus a few dozen bytes
// in flat arrays; no other per-item allocation.
class Table {
 public:
  // Validates the options (std::invalid_argument).
  explicit Table(const TableOptions& options);
  Table(Table&&) = default;
  Table& operator=(Table&&) = default;
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  // The table's state as of `snapshot` (items, priorities, times sampled, counters, limiter
  // counts, next key), under `options` (those of the snapshot, or changed ones that keep its
  // contents valid). Throws std::invalid_argument when the snapshot is inconsistent (duplicate
  // keys, a key >= next_key, more items than max_size, a bad priority).
  static Table FromSnapshot(const TableSnapshot& snapshot, const TableOptions& options);

  bool CanInsert(int64_t n = 1) const { return limiter_.CanInsert(n); }
  bool CanSample(int64_t n = 1) const { return limiter_.CanSample(n); }

  // Adds an item and returns its key. When the table is full, first removes the item the
  // remover selects (fifo: the oldest) and counts an eviction. priority must be finite and >= 0
  // (std::invalid_argument; the table is then unchanged). Does not consult the rate limiter.
  Key Insert(std::shared_ptr<const std::string> bytes, double priority);
  Key Insert(std::string bytes, double priority);

  // Draws n items one after another with the sampler (with replacement, except that an item
  // reaching max_times_sampled is removed at once and cannot be drawn again) and appends them
  // to *out. Stops early when the table becomes empty; returns the number drawn. Does not
  // consult the rate limiter.
  //
  // Importance weights (prioritized replay, Schaul et al. 2016): w_i = (N · P(i))^−β with
  // β = importance_exponent and N the table size at that draw, normalised by the largest weight
  // among the items drawn by this call (as in the Ape-X / PER reference implementations), so
  // the weights of one batch lie in (0, 1] and the largest is 1. Uniform sampling gives 1.
  int64_t Sample(int64_t n, Rng& rng, std::vector<SampledItem>* out);

  // Sets the priority of each present key; returns how many keys were not present (evicted
  // since they were sampled), also added to counters().unknown_key_updates. An invalid
  // priority throws std::invalid_argument before anything changes.
  int64_t UpdatePriorities(const Key* keys, const double* priorities, size_t n);
  int64_t UpdatePriorities(const std::vector<Key>& keys, const std::vector<double>& priorities);

  // Removes one item; false when the key is not present.
  bool Delete(Key key);

  // The item with this key, or nullptr (valid until the next non-const call).
  const TableItem* Find(Key key) const;

  // O(n) pointer copies in one go; see TableSnapshot.
  TableSnapshot Snapshot() const;

  // Incremental snapshots: the same point-in-time copy as Snapshot(), taken in pieces between
  // other calls. BeginSnapshot() records the state as of now (counters, limiter counts, next
  // key: O(1)); each ContinueSnapshot(max_items) copies at most max_items item records and
  // returns true once the copy is complete; TakeSnapshot() then hands it over. Meanwhile the
  // table changes freely: a Sample, UpdatePriorities or removal that touches an item not yet
  // copied copies it first (copy-on-write), and items inserted after BeginSnapshot() are left
  // out, so the result equals what Snapshot() would have returned at BeginSnapshot(). The extra
  // cost while a snapshot is in progress is O(1) per touched item.
  //
  // BeginSnapshot() while one is in progress throws std::logic_error, as does TakeSnapshot()
  // before ContinueSnapshot() has returned true.
  void BeginSnapshot();
  bool ContinueSnapshot(int64_t max_items);
  TableSnapshot TakeSnapshot();
  bool snapshot_in_progress() const { return building_ != nullptr; }

  const TableOptions& options() const { return options_; }
  const std::string& name() const { return options_.name; }
  int64_t size() const { return static_cast<int64_t>(items_.size()); }
  int64_t max_size() const { return options_.max_size; }
  Key next_key() const { return next_key_; }
  // Keys from here on start at `first` at the earliest (a shard's incarnation; never lowers
  // next_key, so the key order stays the insertion order).
  void StartKeysAt(Key first) { next_key_ = std::max(next_key_, first); }
  const TableCounters& counters() const { return counters_; }
  // What a prioritized sampler draws in proportion to: Σ p^α over the items (O(1)); size() for
  // the other samplers. A sharded client splits a batch across shards by this mass.
  double priority_mass() const;
  const RateLimiter& rate_limiter() const { return limiter_; }
  RateLimiter& rate_limiter() { return limiter_; }

 private:
  void Add(TableItem item);
  void Remove(Key key);
  // While a snapshot is in progress: copies the item in `slot` into it unless it is newer than
  // the snapshot or already copied. Called before the item changes or moves.
  void SaveForSnapshot(size_t slot);

  TableOptions options_;
  std::unique_ptr<ItemSelector> sampler_;
  std::unique_ptr<ItemSelector> remover_;  // null when the remover shares sampler_
  ItemSelector& remover() { return remover_ != nullptr ? *remover_ : *sampler_; }
  RateLimiter limiter_;
  Rng remover_rng_;
  std::vector<TableItem> items_;  // dense: a removed item's slot is taken by the last one
  FlatKeyMap index_;              // key → slot in items_
  Key next_key_ = 0;
  TableCounters counters_;
  // The incremental snapshot in progress (null when none). Items older than its next_key that
  // have not been copied all lie in slots [snapshot_cursor_, snapshot_end_): removal moves only
  // the last item, downwards, and copies it first when it would land below the cursor.
  std::unique_ptr<TableSnapshot> building_;
  size_t snapshot_cursor_ = 0;
  size_t snapshot_end_ = 0;
  uint32_t snapshot_epoch_ = 0;
};

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_TABLE_H_
