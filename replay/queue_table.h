#ifndef RLFLEET_REPLAY_QUEUE_TABLE_H_
#define RLFLEET_REPLAY_QUEUE_TABLE_H_

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace rlfleet {

struct QueueTableOptions {
  std::string name = "queue";
  int64_t max_size = 1024;  // items

  // Throws std::invalid_argument on an empty name or a non-positive max_size.
  void Validate() const;
};

// A bounded FIFO of opaque items (the bytes of encoded unrolls): the IMPALA "queue" table.
// Every item is handed out exactly once, in insertion order. A full table refuses inserts,
// which is the back-pressure the shard passes on to actors.
//
// Not thread-safe: owned and used by the single thread of a ShardServer. All operations are
// O(1) per item.
class QueueTable {
 public:
  explicit QueueTable(const QueueTableOptions& options);

  // Appends *item and returns true, or returns false (leaving *item untouched) when the table
  // holds max_size items.
  bool TryInsert(std::string&& item);

  // When at least n items are present, moves the oldest n to the back of *out (oldest first)
  // and returns true; otherwise changes nothing and returns false. n must be >= 0.
  bool TryPop(int64_t n, std::vector<std::string>* out);

  // Puts items that were just popped back at the front, in their order (used when the reply
  // that carried them could not be delivered). May exceed max_size if inserts happened in
  // between. Does not count as inserts; undoes the `popped` count.
  void ReturnToFront(std::vector<std::string>&& items);

  const std::string& name() const { return options_.name; }
  int64_t max_size() const { return options_.max_size; }
  int64_t size() const { return static_cast<int64_t>(items_.size()); }
  int64_t free_space() const { return size() >= max_size() ? 0 : max_size() - size(); }
  bool full() const { return free_space() == 0; }
  int64_t inserted() const { return inserted_; }  // items inserted since construction
  int64_t popped() const { return popped_; }      // items popped since construction

 private:
  QueueTableOptions options_;
  std::deque<std::string> items_;
  int64_t inserted_ = 0;
  int64_t popped_ = 0;
};

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_QUEUE_TABLE_H_
