#include "replay/queue_table.h"

#include <stdexcept>
#include <utility>

namespace rlfleet {

void QueueTableOptions::Validate() const {
  if (name.empty()) throw std::invalid_argument("QueueTableOptions: name must not be empty");
  if (max_size <= 0) {
    throw std::invalid_argument("QueueTableOptions: max_size must be positive, got " +
                                std::to_string(max_size));
  }
}

QueueTable::QueueTable(const QueueTableOptions& options) : options_(options) {
  options_.Validate();
}

bool QueueTable::TryInsert(std::string&& item) {
  if (full()) return false;
  items_.push_back(std::move(item));
  ++inserted_;
  return true;
}

bool QueueTable::TryPop(int64_t n, std::vector<std::string>* out) {
  if (n < 0) throw std::invalid_argument("QueueTable::TryPop: negative count");
  if (n > size()) return false;
  out->reserve(out->size() + static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    out->push_back(std::move(items_.front()));
    items_.pop_front();
  }
  popped_ += n;
  return true;
}

void QueueTable::ReturnToFront(std::vector<std::string>&& items) {
  for (auto it = items.rbegin(); it != items.rend(); ++it) items_.push_front(std::move(*it));
  popped_ -= static_cast<int64_t>(items.size());
  items.clear();
}

}  // namespace rlfleet
