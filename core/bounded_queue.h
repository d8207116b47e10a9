#ifndef RLFLEET_CORE_BOUNDED_QUEUE_H_
#define RLFLEET_CORE_BOUNDED_QUEUE_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace rlfleet {

// A FIFO of at most `capacity` values shared by producer and consumer threads.
// Thread-safe. Push and Pop block up to their timeout; Close() wakes every waiter, after which
// Push fails and Pop drains what is left, then returns nothing.
template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

  // Moves `value` in and returns true; on timeout or when closed returns false and leaves
  // `value` untouched, so the caller may retry.
  bool Push(T&& value, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!not_full_.wait_for(lock, timeout,
                            [&] { return closed_ || values_.size() < capacity_; })) {
      return false;
    }
    if (closed_) return false;
    values_.push_back(std::move(value));
    not_empty_.notify_one();
    return true;
  }

  // Returns nothing on timeout, or when closed and empty.
  std::optional<T> Pop(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!not_empty_.wait_for(lock, timeout, [&] { return closed_ || !values_.empty(); })) {
      return std::nullopt;
    }
    if (values_.empty()) return std::nullopt;
    T value = std::move(values_.front());
    values_.pop_front();
    not_full_.notify_one();
    return value;
  }

  void Close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return values_.size();
  }

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<T> values_;
  bool closed_ = false;
};

}  // namespace rlfleet

#endif  // RLFLEET_CORE_BOUNDED_QUEUE_H_
