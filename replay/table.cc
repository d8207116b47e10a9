#include "replay/table.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace rlfleet {

void TableOptions::Validate() const {
  if (name.empty()) throw std::invalid_argument("table name must not be empty");
  const std::string prefix = "table '" + name + "': ";
  if (!IsSelectorName(sampler)) {
    throw std::invalid_argument(prefix + "unknown sampler '" + sampler +
                                "' (expected uniform, prioritized, fifo or lifo)");
  }
  if (!IsSelectorName(remover)) {
    throw std::invalid_argument(prefix + "unknown remover '" + remover +
                                "' (expected uniform, prioritized, fifo or lifo)");
  }
  if (!(priority_exponent >= 0.0) || !std::isfinite(priority_exponent)) {
    throw std::invalid_argument(prefix + "priority_exponent must be finite and >= 0");
  }
  if (!(importance_exponent >= 0.0) || !std::isfinite(importance_exponent)) {
    throw std::invalid_argument(prefix + "importance_exponent must be finite and >= 0");
  }
  if (max_size <= 0 || max_size >= (int64_t{1} << 32)) {
    throw std::invalid_argument(prefix + "max_size must be in [1, 2^32), got " +
                                std::to_string(max_size));
  }
  if (max_times_sampled < 0) {
    throw std::invalid_argument(prefix + "max_times_sampled must be >= 0 (0: unlimited)");
  }
  try {
    rate_limiter.Validate();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(prefix + e.what());
  }
}

Table::Table(const TableOptions& options)
    : options_((options.Validate(), options)),
      sampler_(MakeItemSelector(options.sampler, options.priority_exponent)),
      // A remover of the sampler's kind would hold exactly the sampler's keys and priorities:
      // it shares the sampler (selection never changes a selector), halving the upkeep.
      remover_(options.remover == options.sampler
                   ? nullptr
                   : MakeItemSelector(options.remover, options.priority_exponent)),
      limiter_(options.rate_limiter),
      remover_rng_(options.remover_seed) {}

double Table::priority_mass() const { return sampler_->total_weight(); }

Key Table::Insert(std::string bytes, double priority) {
  return Insert(std::make_shared<const std::string>(std::move(bytes)), priority);
}

Key Table::Insert(std::shared_ptr<const std::string> bytes, double priority) {
  CheckPriority(priority);
  if (bytes == nullptr) throw std::invalid_argument("Table::Insert: null bytes");
  if (size() >= options_.max_size) {
    Remove(remover().Sample(remover_rng_).key);
    ++counters_.evictions;
  }
  const Key key = next_key_++;
  Add(TableItem{key, std::move(bytes), priority, 0});
  limiter_.OnInsert(1);
  ++counters_.inserts;
  return key;
}

void Table::Add(TableItem item) {
  const Key key = item.key;
  const double priority = item.priority;
  if (!index_.Insert(key, items_.size())) {
    throw std::invalid_argument("table '" + name() + "': duplicate key " + std::to_string(key));
  }
  item.snapshot_epoch = 0;  // not saved by any snapshot of this table yet
  items_.push_back(std::move(item));
  sampler_->Insert(key, priority);
  if (remover_ != nullptr) remover_->Insert(key, priority);
}

void Table::Remove(Key key) {
  const size_t slot = *index_.Find(key);
  sampler_->Delete(key);
  if (remover_ != nullptr) remover_->Delete(key);
  limiter_.OnDelete(1);
  const size_t last = items_.size() - 1;
  if (building_ != nullptr) {
    SaveForSnapshot(slot);
    if (slot < snapshot_cursor_) SaveForSnapshot(last);  // it moves below the cursor
  }
  if (slot != last) {
    items_[slot] = std::move(items_[last]);
    *index_.Find(items_[slot].key) = slot;
  }
  items_.pop_back();
  index_.Erase(key);
}

int64_t Table::Sample(int64_t n, Rng& rng, std::vector<SampledItem>* out) {
  if (n < 0) throw std::invalid_argument("Table::Sample: n must be >= 0");
  const size_t first = out->size();
  int64_t drawn = 0;
  for (; drawn < n && !items_.empty(); ++drawn) {
    const Selection selection = sampler_->Sample(rng);
    const size_t slot = *index_.Find(selection.key);
    if (building_ != nullptr) SaveForSnapshot(slot);
    TableItem& item = items_[slot];
    ++item.times_sampled;
    SampledItem sampled;
    sampled.key = item.key;
    sampled.bytes = item.bytes;
    sampled.priority = item.priority;
    sampled.probability = selection.probability;
    sampled.times_sampled = item.times_sampled;
    sampled.table_size = size();
    out->push_back(std::move(sampled));
    ++counters_.samples;
    limiter_.OnSample(1);
    if (options_.max_times_sampled > 0 && item.times_sampled >= options_.max_times_sampled) {
      Remove(selection.key);
      ++counters_.exhausted;
    }
  }
  // Importance weights, normalised by the batch maximum.
  const double beta = options_.importance_exponent;
  if (beta == 0.0) return drawn;
  double max_weight = 0.0;
  for (size_t i = first; i < out->size(); ++i) {
    SampledItem& s = (*out)[i];
    s.importance_weight = std::pow(static_cast<double>(s.table_size) * s.probability, -beta);
    max_weight = std::max(max_weight, s.importance_weight);
  }
  if (max_weight > 0.0 && std::isfinite(max_weight)) {
    for (size_t i = first; i < out->size(); ++i) (*out)[i].importance_weight /= max_weight;
  }
  return drawn;
}

int64_t Table::UpdatePriorities(const Key* keys, const double* priorities, size_t n) {
  for (size_t i = 0; i < n; ++i) CheckPriority(priorities[i]);
  int64_t unknown = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t* slot = index_.Find(keys[i]);
    if (slot == nullptr) {
      ++unknown;
      continue;
    }
    if (building_ != nullptr) SaveForSnapshot(*slot);
    items_[*slot].priority = priorities[i];
    sampler_->Update(keys[i], priorities[i]);
    if (remover_ != nullptr) remover_->Update(keys[i], priorities[i]);
  }
  counters_.unknown_key_updates += unknown;
  return unknown;
}

int64_t Table::UpdatePriorities(const std::vector<Key>& keys,
                                const std::vector<double>& priorities) {
  if (keys.size() != priorities.size()) {
    throw std::invalid_argument("Table::UpdatePriorities: " + std::to_string(keys.size()) +
                                " keys but " + std::to_string(priorities.size()) + " priorities");
  }
  return UpdatePriorities(keys.data(), priorities.data(), keys.size());
}

bool Table::Delete(Key key) {
  if (index_.Find(key) == nullptr) return false;
  Remove(key);
  ++counters_.deletes;
  return true;
}

const TableItem* Table::Find(Key key) const {
  const uint64_t* slot = index_.Find(key);
  return slot == nullptr ? nullptr : &items_[*slot];
}

TableSnapshot Table::Snapshot() const {
  TableSnapshot snapshot;
  snapshot.options = options_;
  snapshot.next_key = next_key_;
  snapshot.counters = counters_;
  snapshot.rate_limiter = limiter_.state();
  snapshot.items = items_;  // shared_ptr copies: reference counts only
  return snapshot;
}

void Table::BeginSnapshot() {
  if (building_ != nullptr) {
    throw std::logic_error("table '" + name() + "': a snapshot is already in progress");
  }
  building_ = std::make_unique<TableSnapshot>();
  building_->options = options_;
  building_->next_key = next_key_;
  building_->counters = counters_;
  building_->rate_limiter = limiter_.state();
  building_->items.reserve(items_.size());  // pages are touched as the copy proceeds
  snapshot_cursor_ = 0;
  snapshot_end_ = items_.size();
  // Epoch 0 is what a fresh item carries. When the counter wraps, old marks could match again.
  if (++snapshot_epoch_ == 0) {
    for (TableItem& item : items_) item.snapshot_epoch = 0;
    snapshot_epoch_ = 1;
  }
}

void Table::SaveForSnapshot(size_t slot) {
  TableItem& item = items_[slot];
  if (item.key >= building_->next_key || item.snapshot_epoch == snapshot_epoch_) return;
  item.snapshot_epoch = snapshot_epoch_;
  building_->items.push_back(item);
}

bool Table::ContinueSnapshot(int64_t max_items) {
  if (building_ == nullptr) throw std::logic_error("table '" + name() + "': no snapshot begun");
  // Items only move downwards, so old items never lie at or beyond the size at the start.
  snapshot_end_ = std::min(snapshot_end_, items_.size());
  const size_t stop = snapshot_cursor_ + static_cast<size_t>(std::max<int64_t>(0, max_items));
  while (snapshot_cursor_ < snapshot_end_ && snapshot_cursor_ < stop) {
    SaveForSnapshot(snapshot_cursor_++);
  }
  return snapshot_cursor_ >= snapshot_end_;
}

TableSnapshot Table::TakeSnapshot() {
  if (building_ == nullptr || !ContinueSnapshot(0)) {
    throw std::logic_error("table '" + name() + "': the snapshot is not complete");
  }
  TableSnapshot snapshot = std::move(*building_);
  building_.reset();
  return snapshot;
}

Table Table::FromSnapshot(const TableSnapshot& snapshot, const TableOptions& options) {
  Table table(options);
  const std::string prefix = "table '" + options.name + "' snapshot: ";
  if (static_cast<int64_t>(snapshot.items.size()) > options.max_size) {
    throw std::invalid_argument(prefix + std::to_string(snapshot.items.size()) +
                                " items exceed max_size " + std::to_string(options.max_size));
  }
  // Re-insert in key (= insertion) order, so that fifo / lifo selectors see the original order.
  std::vector<const TableItem*> order;
  order.reserve(snapshot.items.size());
  for (const TableItem& item : snapshot.items) order.push_back(&item);
  std::sort(order.begin(), order.end(),
            [](const TableItem* a, const TableItem* b) { return a->key < b->key; });
  table.items_.reserve(order.size());
  table.index_.Reserve(order.size());
  for (const TableItem* item : order) {
    if (item->key >= snapshot.next_key) {
      throw std::invalid_argument(prefix + "key " + std::to_string(item->key) +
                                  " is not below next_key " + std::to_string(snapshot.next_key));
    }
    if (item->bytes == nullptr || item->times_sampled < 0) {
      throw std::invalid_argument(prefix + "bad item " + std::to_string(item->key));
    }
    CheckPriority(item->priority);
    table.Add(*item);  // throws on a duplicate key
  }
  table.next_key_ = snapshot.next_key;
  table.counters_ = snapshot.counters;
  table.limiter_.Restore(snapshot.rate_limiter);
  return table;
}

}  // namespace rlfleet
