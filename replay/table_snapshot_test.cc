#include "replay/table_snapshot.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

#include "core/file_util.h"

namespace rlfleet {
namespace {

std::string TempPath(const std::string& name) {
  return "/tmp/rlfleet-table-snapshot-" + std::to_string(getpid()) + "-" + name;
}

TableOptions Options() {
  TableOptions options;
  options.name = "apex";
  options.sampler = "prioritized";
  options.priority_exponent = 0.7;
  options.max_size = 50;
  options.max_times_sampled = 5;
  options.rate_limiter = RateLimiterOptions::SampleToInsertRatio(2.0, 4, 10.0);
  return options;
}

Table FilledTable() {
  Table table(Options());
  Rng rng(4);
  for (int i = 0; i < 80; ++i) {
    table.Insert(std::string(static_cast<size_t>(i % 7) * 10, static_cast<char>('a' + i % 26)),
                 0.1 * (i % 9));
  }
  std::vector<SampledItem> out;
  table.Sample(40, rng, &out);
  table.UpdatePriorities({70, 71, 3}, {2.5, 0.0, 1.0});
  table.rate_limiter().AddInsertBlockedSeconds(0.5);
  return table;
}

TEST(TableSnapshotTest, RoundTripRestoresEverything) {
  Table table = FilledTable();
  const std::string path = TempPath("roundtrip");
  const TableSnapshot snapshot = table.Snapshot();
  // The snapshot shares the bytes instead of copying them.
  ASSERT_FALSE(snapshot.items.empty());
  EXPECT_EQ(snapshot.items[0].bytes.get(), table.Find(snapshot.items[0].key)->bytes.get());
  WriteSnapshot(snapshot, path);
  EXPECT_FALSE(std::ifstream(path + ".tmp").good());  // renamed into place

  Table restored = LoadSnapshot(path, Options());
  EXPECT_EQ(restored.size(), table.size());
  EXPECT_EQ(restored.next_key(), table.next_key());
  for (const TableItem& item : snapshot.items) {
    const TableItem* r = restored.Find(item.key);
    ASSERT_NE(r, nullptr) << item.key;
    EXPECT_EQ(*r->bytes, *item.bytes);
    EXPECT_EQ(r->priority, item.priority);
    EXPECT_EQ(r->times_sampled, item.times_sampled);
  }
  const TableCounters& a = table.counters();
  const TableCounters& b = restored.counters();
  EXPECT_EQ(a.inserts, b.inserts);
  EXPECT_EQ(a.samples, b.samples);
  EXPECT_EQ(a.evictions, b.evictions);
  EXPECT_EQ(a.exhausted, b.exhausted);
  EXPECT_EQ(a.unknown_key_updates, b.unknown_key_updates);
  const RateLimiterState la = table.rate_limiter().state();
  const RateLimiterState lb = restored.rate_limiter().state();
  EXPECT_EQ(la.inserts, lb.inserts);
  EXPECT_EQ(la.samples, lb.samples);
  EXPECT_EQ(la.deletes, lb.deletes);
  EXPECT_EQ(la.insert_blocked_seconds, lb.insert_blocked_seconds);
  EXPECT_EQ(table.CanInsert(), restored.CanInsert());
  EXPECT_EQ(table.CanSample(3), restored.CanSample(3));
  // Both go on the same way: the same next key, and the same (oldest) item evicted.
  EXPECT_EQ(table.Insert("new", 1.0), restored.Insert("new", 1.0));
  for (const TableItem& item : table.Snapshot().items) EXPECT_NE(restored.Find(item.key), nullptr);
  // β may change across a restart; the contents-defining options may not.
  TableOptions beta = Options();
  beta.importance_exponent = 1.0;
  EXPECT_NO_THROW(LoadSnapshot(path, beta));
  TableOptions other = Options();
  other.max_size = 60;
  EXPECT_THROW(LoadSnapshot(path, other), std::runtime_error);
  std::remove(path.c_str());
}

// Items of a snapshot by key, for comparing two snapshots whose items come in another order.
std::map<Key, const TableItem*> ByKey(const TableSnapshot& snapshot) {
  std::map<Key, const TableItem*> items;
  for (const TableItem& item : snapshot.items) {
    EXPECT_TRUE(items.emplace(item.key, &item).second) << "duplicate key " << item.key;
  }
  return items;
}

void ExpectSameSnapshot(const TableSnapshot& expected, const TableSnapshot& actual) {
  EXPECT_EQ(actual.next_key, expected.next_key);
  EXPECT_EQ(actual.counters.inserts, expected.counters.inserts);
  EXPECT_EQ(actual.counters.samples, expected.counters.samples);
  EXPECT_EQ(actual.counters.evictions, expected.counters.evictions);
  EXPECT_EQ(actual.counters.exhausted, expected.counters.exhausted);
  EXPECT_EQ(actual.rate_limiter.inserts, expected.rate_limiter.inserts);
  EXPECT_EQ(actual.rate_limiter.samples, expected.rate_limiter.samples);
  EXPECT_EQ(actual.rate_limiter.deletes, expected.rate_limiter.deletes);
  const auto want = ByKey(expected);
  const auto got = ByKey(actual);
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [key, item] : want) {
    const auto it = got.find(key);
    ASSERT_NE(it, got.end()) << "missing key " << key;
    EXPECT_EQ(it->second->bytes.get(), item->bytes.get()) << key;  // shared, not copied
    EXPECT_EQ(it->second->priority, item->priority) << key;
    EXPECT_EQ(it->second->times_sampled, item->times_sampled) << key;
  }
}

// An incremental snapshot taken in small pieces while every kind of change goes on equals the
// one-go Snapshot() taken when it began (the reference), for each sampler / remover pairing.
TEST(TableSnapshotTest, IncrementalSnapshotEqualsTheTableWhenItBegan) {
  struct Case {
    const char* sampler;
    const char* remover;
    int32_t max_times_sampled;
  };
  for (const Case& c : {Case{"prioritized", "fifo", 3}, Case{"uniform", "uniform", 0},
                        Case{"fifo", "lifo", 2}, Case{"prioritized", "prioritized", 0}}) {
    SCOPED_TRACE(std::string(c.sampler) + "/" + c.remover);
    TableOptions options;
    options.name = "t";
    options.sampler = c.sampler;
    options.remover = c.remover;
    options.max_size = 300;
    options.max_times_sampled = c.max_times_sampled;
    Table table(options);
    Rng rng(17);
    std::vector<SampledItem> out;
    for (int round = 0; round < 20; ++round) {
      while (table.size() < 250) table.Insert(std::to_string(table.next_key()), rng.Uniform01());
      const TableSnapshot reference = table.Snapshot();
      table.BeginSnapshot();
      EXPECT_THROW(table.BeginSnapshot(), std::logic_error);
      EXPECT_THROW(table.TakeSnapshot(), std::logic_error);
      const int64_t chunk = 1 + round % 7;
      while (!table.ContinueSnapshot(chunk)) {
        // A few random changes between the pieces.
        for (int k = 0; k < 3; ++k) {
          const uint64_t op = rng.UniformInt(4);
          const Key key = table.next_key() - 1 - rng.UniformInt(400);
          if (op == 0) {
            table.Insert(std::to_string(table.next_key()), rng.Uniform01());
          } else if (op == 1) {
            out.clear();
            table.Sample(1 + static_cast<int64_t>(rng.UniformInt(4)), rng, &out);
          } else if (op == 2) {
            table.UpdatePriorities({key}, {rng.Uniform01() * 3});
          } else {
            table.Delete(key);
          }
        }
      }
      ASSERT_TRUE(table.snapshot_in_progress());
      ExpectSameSnapshot(reference, table.TakeSnapshot());
      EXPECT_FALSE(table.snapshot_in_progress());
    }
    // A table restored from a snapshot snapshots all of its items again.
    Table restored = Table::FromSnapshot(table.Snapshot(), options);
    restored.BeginSnapshot();
    while (!restored.ContinueSnapshot(10)) {
    }
    ExpectSameSnapshot(table.Snapshot(), restored.TakeSnapshot());
  }
}

TEST(TableSnapshotTest, CorruptAndTruncatedFilesAreRejected) {
  const std::string path = TempPath("corrupt");
  WriteSnapshot(FilledTable().Snapshot(), path);
  const std::string good = ReadFile(path);
  const auto expect_error = [&](const std::string& contents, const std::string& fragment) {
    WriteFileAtomic(path, contents);
    try {
      LoadSnapshot(path, Options());
      ADD_FAILURE() << "no error for " << fragment;
    } catch (const std::runtime_error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(path), std::string::npos) << message;
      EXPECT_NE(message.find(fragment), std::string::npos) << message;
    }
  };
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x01;
  expect_error(flipped, "checksum mismatch");
  expect_error(good.substr(0, good.size() - 9), "truncated");
  expect_error(good.substr(0, 20), "truncated");
  expect_error("not a snapshot at all", "bad magic");
  expect_error(good + "x", "after the checksum");
  std::string version = good;
  version[8] = 9;
  expect_error(version, "unsupported version 9");
  std::remove(path.c_str());
  EXPECT_THROW(ReadSnapshot(path), std::runtime_error);  // missing file
}

TEST(TableSnapshotTest, Crc32MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32("123456789", 9), 0xCBF43926u);
  EXPECT_EQ(Crc32("6789", 4, Crc32("12345", 5)), 0xCBF43926u);
}

}  // namespace
}  // namespace rlfleet
