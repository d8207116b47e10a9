#ifndef RLFLEET_REPLAY_FLAT_KEY_MAP_H_
#define RLFLEET_REPLAY_FLAT_KEY_MAP_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace rlfleet {

// A hash map from uint64_t keys to uint64_t values (slot numbers) with open addressing and
// linear probing, stored in one flat array: no allocation per entry, only when the table grows
// (it doubles, keeping the load factor at or below 1/2). Deletion shifts the following entries
// back (no tombstones), so lookups stay short however many keys come and go.
//
// Expected O(1) Insert / Find / Erase; growth is O(n), amortised O(1) per insert.
// The value ~0 (kNoValue) is reserved. Not thread-safe.
class FlatKeyMap {
 public:
  static constexpr uint64_t kNoValue = std::numeric_limits<uint64_t>::max();

  FlatKeyMap() { Rehash(16); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Inserts key → value (value != kNoValue) and returns true, or returns false (changing
  // nothing) when the key is present.
  bool Insert(uint64_t key, uint64_t value) {
    if ((size_ + 1) * 2 > entries_.size()) Rehash(entries_.size() * 2);
    size_t i = Home(key);
    while (entries_[i].value != kNoValue) {
      if (entries_[i].key == key) return false;
      i = (i + 1) & mask_;
    }
    entries_[i] = {key, value};
    ++size_;
    return true;
  }

  // The value of key, or nullptr. The pointer is valid until the next Insert or Erase.
  uint64_t* Find(uint64_t key) {
    size_t i = Home(key);
    while (entries_[i].value != kNoValue) {
      if (entries_[i].key == key) return &entries_[i].value;
      i = (i + 1) & mask_;
    }
    return nullptr;
  }
  const uint64_t* Find(uint64_t key) const { return const_cast<FlatKeyMap*>(this)->Find(key); }

  // Removes key; false when it was absent.
  bool Erase(uint64_t key) {
    size_t i = Home(key);
    while (true) {
      if (entries_[i].value == kNoValue) return false;
      if (entries_[i].key == key) break;
      i = (i + 1) & mask_;
    }
    // Backward-shift deletion: move later entries of the probe run into the hole when their
    // home position does not lie cyclically in (hole, j].
    size_t hole = i;
    size_t j = i;
    while (true) {
      j = (j + 1) & mask_;
      if (entries_[j].value == kNoValue) break;
      const size_t home = Home(entries_[j].key);
      const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (!stays) {
        entries_[hole] = entries_[j];
        hole = j;
      }
    }
    entries_[hole].value = kNoValue;
    --size_;
    return true;
  }

  void Clear() {
    for (Entry& e : entries_) e.value = kNoValue;
    size_ = 0;
  }

  // Makes room for n keys without further growth.
  void Reserve(size_t n) {
    size_t capacity = entries_.size();
    while (capacity < 2 * n) capacity *= 2;
    if (capacity != entries_.size()) Rehash(capacity);
  }

 private:
  struct Entry {
    uint64_t key = 0;
    uint64_t value = kNoValue;
  };

  size_t Home(uint64_t key) const {
    // MurmurHash3's 64-bit finaliser: sequential keys spread over the whole table.
    key ^= key >> 33;
    key *= 0xFF51AFD7ED558CCDULL;
    key ^= key >> 33;
    key *= 0xC4CEB9FE1A85EC53ULL;
    key ^= key >> 33;
    return static_cast<size_t>(key) & mask_;
  }

  void Rehash(size_t capacity) {
    std::vector<Entry> old;
    old.swap(entries_);
    entries_.assign(capacity, Entry{});
    mask_ = capacity - 1;
    size_ = 0;
    for (const Entry& e : old) {
      if (e.value != kNoValue) Insert(e.key, e.value);
    }
  }

  std::vector<Entry> entries_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_FLAT_KEY_MAP_H_
