// Throughput of the table on one thread (disabled: run with
//   replay_table_test --gtest_also_run_disabled_tests --gtest_filter='*Throughput*').
// Prints ops/s; asserts nothing about time.

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/clock.h"
#include "replay/table.h"

namespace rlfleet {
namespace {

void Measure(const std::string& sampler) {
  constexpr int64_t kItems = 1000000;
  constexpr int64_t kBatch = 256;
  TableOptions options;
  options.name = sampler;
  options.sampler = sampler;
  options.max_size = kItems;
  Table table(options);
  Rng rng(1);
  const std::string payload(64, 'x');

  Stopwatch watch;
  for (int64_t i = 0; i < kItems; ++i) table.Insert(payload, 1.0 + (i % 100));
  const double insert_fill = kItems / watch.Seconds();

  watch.Reset();
  for (int64_t i = 0; i < kItems; ++i) table.Insert(payload, 1.0 + (i % 100));  // evicting
  const double insert_evict = kItems / watch.Seconds();

  std::vector<SampledItem> out;
  out.reserve(kBatch);
  watch.Reset();
  for (int64_t i = 0; i < kItems / kBatch; ++i) {
    out.clear();
    table.Sample(kBatch, rng, &out);
  }
  const double sample = (kItems / kBatch) * kBatch / watch.Seconds();

  std::vector<Key> keys(kBatch);
  std::vector<double> priorities(kBatch);
  const Key first = table.next_key() - kItems;
  watch.Reset();
  for (int64_t i = 0; i < kItems / kBatch; ++i) {
    for (int64_t j = 0; j < kBatch; ++j) {
      keys[j] = first + rng.UniformInt(kItems);
      priorities[j] = rng.Uniform01() * 10;
    }
    table.UpdatePriorities(keys, priorities);
  }
  const double update = (kItems / kBatch) * kBatch / watch.Seconds();

  std::printf(
      "%-12s 1M items: insert %.2fM/s (filling), %.2fM/s (evicting); sample %.2fM/s "
      "(batches of %ld); update_priorities %.2fM/s\n",
      sampler.c_str(), insert_fill / 1e6, insert_evict / 1e6, sample / 1e6,
      static_cast<long>(kBatch), update / 1e6);
}

TEST(TableBench, DISABLED_Throughput) {
  for (const char* sampler : {"uniform", "fifo", "prioritized"}) Measure(sampler);
}

}  // namespace
}  // namespace rlfleet
