// The shard server hosting Tables (replay/table.h), through the real sockets: samplers and
// their statistics on one shard and across shards, importance weights, priority updates, the
// rate limiter in both directions with timeouts, eviction, max_times_sampled, checkpoints (in
// process and across a SIGKILL of a shard process), and bad requests.

#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/file_util.h"
#include "replay/insert_client.h"
#include "replay/protocol_testing.h"
#include "replay/sample_client.h"
#include "replay/shard_server.h"
#include "replay/stats_testing.h"
#include "replay/table_snapshot.h"
#include "replay/testing.h"

namespace rlfleet {
namespace {

using testing::ChiSquareCritical001;
using testing::ChiSquareStatistic;
using testing::ExpectError;
using testing::Items;
using testing::RawClient;
using testing::Root;
using testing::RunningShard;
using testing::UniqueIpcEndpoint;
using testing::WaitForStats;

constexpr int64_t kLongMs = 20000;  // hang guards only

TableOptions Prioritized(const std::string& name, int64_t max_size, double alpha = 0.7,
                         double beta = 0.4) {
  TableOptions t;
  t.name = name;
  t.sampler = "prioritized";
  t.priority_exponent = alpha;
  t.importance_exponent = beta;
  t.max_size = max_size;
  return t;
}

TableOptions Fifo(const std::string& name, int64_t max_size, int32_t max_times_sampled) {
  TableOptions t;
  t.name = name;
  t.sampler = "fifo";
  t.max_size = max_size;
  t.max_times_sampled = max_times_sampled;
  return t;
}

ShardServerOptions WithTables(std::vector<TableOptions> tables) {
  ShardServerOptions options;
  options.endpoint = UniqueIpcEndpoint();
  options.tables = std::move(tables);
  return options;
}

InsertClientOptions InsertTo(const std::string& endpoint, const std::string& table) {
  InsertClientOptions options;
  options.endpoint = endpoint;
  options.table = table;
  options.timeout_ms = kLongMs;
  return options;
}

SampleClientOptions SampleFrom(std::vector<std::string> endpoints, const std::string& table) {
  SampleClientOptions options;
  options.endpoints = std::move(endpoints);
  options.table = table;
  options.prefetch = 1;
  return options;
}

const TableStats& TableNamed(const ShardStats& stats, const std::string& name) {
  for (const TableStats& t : stats.tables) {
    if (t.name == name) return t;
  }
  static const TableStats none;
  ADD_FAILURE() << "no table " << name;
  return none;
}

// Raw requests beyond RawClient's insert / sample.
void SendInsert(RawClient* client, uint64_t id, const std::string& table,
                const std::vector<std::string>& items, const std::vector<double>& priorities,
                uint32_t timeout_ms) {
  capnp::MallocMessageBuilder builder;
  auto request = builder.initRoot<wire::Request>();
  request.setProtocolVersion(kProtocolVersion);
  request.setRequestId(id);
  auto insert = request.initInsert();
  insert.setTable(table);
  auto list = insert.initItems(static_cast<unsigned int>(items.size()));
  for (size_t i = 0; i < items.size(); ++i) {
    list.set(
        static_cast<unsigned int>(i),
        capnp::Data::Reader(reinterpret_cast<const kj::byte*>(items[i].data()), items[i].size()));
  }
  auto p = insert.initPriorities(static_cast<unsigned int>(priorities.size()));
  for (size_t i = 0; i < priorities.size(); ++i) p.set(static_cast<unsigned int>(i), priorities[i]);
  insert.setTimeoutMs(timeout_ms);
  client->SendRequest(builder);
}

void SendUpdate(RawClient* client, uint64_t id, const std::string& table,
                const std::vector<uint64_t>& keys, const std::vector<double>& priorities) {
  capnp::MallocMessageBuilder builder;
  auto request = builder.initRoot<wire::Request>();
  request.setProtocolVersion(kProtocolVersion);
  request.setRequestId(id);
  auto update = request.initUpdatePriorities();
  update.setTable(table);
  auto k = update.initKeys(static_cast<unsigned int>(keys.size()));
  for (size_t i = 0; i < keys.size(); ++i) k.set(static_cast<unsigned int>(i), keys[i]);
  auto p = update.initPriorities(static_cast<unsigned int>(priorities.size()));
  for (size_t i = 0; i < priorities.size(); ++i) p.set(static_cast<unsigned int>(i), priorities[i]);
  client->SendRequest(builder);
}

void ExpectAck(replay_internal::ReceivedMessage* m, uint64_t id) {
  ASSERT_NE(m, nullptr);
  auto response = Root(*m);
  ASSERT_EQ(response.which(), wire::Response::INSERT_ACK)
      << (response.which() == wire::Response::ERROR ? response.getError().getMessage().cStr() : "");
  EXPECT_EQ(response.getRequestId(), id);
}

std::vector<std::string> Strings(const SampledBatch& batch) {
  std::vector<std::string> out;
  for (size_t i = 0; i < batch.size(); ++i) out.push_back(batch.ItemString(i));
  return out;
}

// ---------------------------------------------------------------------------------------------

TEST(TableServerTest, QueueTableRepliesCarryItemMetadata) {
  RunningShard shard(testing::ShardOptions(16, /*ipc=*/true));
  InsertClient inserter(InsertTo(shard.endpoint(), "queue"));
  inserter.Insert({"a", "b", "c"});
  inserter.Flush();
  SampleClient sampler(SampleFrom({shard.endpoint()}, "queue"));
  SampledBatch batch;
  ASSERT_TRUE(sampler.Sample(3, kLongMs, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"a", "b", "c"}));
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(batch.key(i), GlobalKey(0, i));
    EXPECT_EQ(batch.info(i).probability, 1.0);
    EXPECT_EQ(batch.info(i).times_sampled, 1);
    EXPECT_EQ(batch.importance_weight(i), 1.0);
  }
  const ShardStats stats = shard.server().stats();
  ASSERT_EQ(stats.tables.size(), 1u);
  EXPECT_EQ(stats.tables[0].sampler, "fifo");
  EXPECT_EQ(stats.tables[0].max_times_sampled, 1);
  EXPECT_EQ(stats.tables[0].exhausted, 3);
  EXPECT_EQ(stats.size, 0);
}

TEST(TableServerTest, PrioritizedSamplingOnOneShardFollowsPriorityToTheAlpha) {
  const double alpha = 0.7;
  const double beta = 0.4;
  ShardServerOptions options = WithTables({Prioritized("prio", 64, alpha, beta)});
  options.seed = 7;
  RunningShard shard(options);
  const int n = 20;
  std::vector<std::string> items;
  std::vector<double> priorities;
  std::vector<double> expected(n);
  double total = 0.0;
  for (int i = 0; i < n; ++i) {
    items.push_back("item-" + std::to_string(i));
    priorities.push_back(i + 1.0);
    total += expected[i] = std::pow(i + 1.0, alpha);
  }
  for (double& p : expected) p /= total;
  InsertClient inserter(InsertTo(shard.endpoint(), "prio"));
  inserter.Insert(items, priorities);
  inserter.Flush();

  SampleClient sampler(SampleFrom({shard.endpoint()}, "prio"));
  std::vector<long> counts(n, 0);
  long draws = 0;
  SampledBatch batch;
  for (int b = 0; b < 100; ++b) {
    ASSERT_TRUE(sampler.Sample(100, kLongMs, &batch));
    // Importance weights: (N·P)^-β over the maximum of this batch (one shard reply).
    double max_weight = 0.0;
    for (size_t i = 0; i < batch.size(); ++i) {
      const int index = std::stoi(batch.ItemString(i).substr(5));
      max_weight = std::max(max_weight, std::pow(n * expected[index], -beta));
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      const int index = std::stoi(batch.ItemString(i).substr(5));
      ++counts[index];
      ++draws;
      EXPECT_EQ(LocalKey(batch.key(i)), static_cast<uint64_t>(index));
      EXPECT_NEAR(batch.info(i).probability, expected[index], 1e-12);
      EXPECT_EQ(batch.info(i).table_size, n);
      EXPECT_NEAR(batch.importance_weight(i), std::pow(n * expected[index], -beta) / max_weight,
                  1e-9);
    }
  }
  const double chi2 = ChiSquareStatistic(counts, expected, draws);
  EXPECT_LT(chi2, ChiSquareCritical001(n - 1)) << "draws " << draws;
}

TEST(TableServerTest, PrioritizedSamplingAcrossFourShardsFollowsTheGlobalDistribution) {
  const double alpha = 0.7;
  const double beta = 0.5;
  const int shards = 4;
  const int per_shard = 5;
  std::vector<std::unique_ptr<RunningShard>> servers;
  std::vector<std::string> endpoints;
  std::vector<double> expected(shards * per_shard);
  double total = 0.0;
  for (int s = 0; s < shards; ++s) {
    ShardServerOptions options = WithTables({Prioritized("prio", 64, alpha, beta)});
    options.seed = 100 + s;
    servers.push_back(std::make_unique<RunningShard>(options));
    endpoints.push_back(servers.back()->endpoint());
    std::vector<std::string> items;
    std::vector<double> priorities;
    for (int i = 0; i < per_shard; ++i) {
      // Shard masses differ a lot: shard 3 holds the largest priorities.
      const double p = (s * per_shard + i + 1) * (s + 1);
      items.push_back(std::to_string(s * per_shard + i));
      priorities.push_back(p);
      total += expected[s * per_shard + i] = std::pow(p, alpha);
    }
    InsertClient inserter(InsertTo(endpoints.back(), "prio"));
    inserter.Insert(items, priorities);
    inserter.Flush();
  }
  for (double& p : expected) p /= total;
  const int n = shards * per_shard;

  SampleClientOptions options = SampleFrom(endpoints, "prio");
  options.seed = 11;
  SampleClient sampler(options);
  std::vector<long> counts(n, 0);
  long draws = 0;
  SampledBatch batch;
  for (int b = 0; b < 250; ++b) {
    ASSERT_TRUE(sampler.SamplePrioritized(64, kLongMs, &batch));
    ASSERT_EQ(batch.size(), 64u);
    double max_weight = 0.0;
    for (size_t i = 0; i < batch.size(); ++i) {
      const int index = std::stoi(batch.ItemString(i));
      max_weight = std::max(max_weight, std::pow(n * expected[index], -beta));
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      const int index = std::stoi(batch.ItemString(i));
      ++counts[index];
      ++draws;
      EXPECT_EQ(ShardOfKey(batch.key(i)), static_cast<size_t>(index / per_shard));
      EXPECT_EQ(LocalKey(batch.key(i)), static_cast<uint64_t>(index % per_shard));
      EXPECT_NEAR(batch.info(i).probability, expected[index], 1e-12);
      EXPECT_EQ(batch.info(i).table_size, n);
      EXPECT_NEAR(batch.importance_weight(i), std::pow(n * expected[index], -beta) / max_weight,
                  1e-9);
    }
  }
  const double chi2 = ChiSquareStatistic(counts, expected, draws);
  EXPECT_LT(chi2, ChiSquareCritical001(n - 1)) << "draws " << draws;
}

TEST(TableServerTest, PriorityUpdatesRouteToTheirShardAndCountUnknownKeys) {
  RunningShard a(WithTables({Prioritized("prio", 3)}));
  RunningShard b(WithTables({Prioritized("prio", 3)}));
  for (RunningShard* shard : {&a, &b}) {
    InsertClient inserter(InsertTo(shard->endpoint(), "prio"));
    inserter.Insert({"x0", "x1", "x2", "x3"}, {1, 1, 1, 1});  // key 0 is evicted (FIFO)
    inserter.Flush();
  }
  SampleClient sampler(SampleFrom({a.endpoint(), b.endpoint()}, "prio"));
  // Only key 3 of shard 0 and key 1 of shard 1 keep a positive priority; key 0 is gone.
  const std::vector<uint64_t> keys = {GlobalKey(0, 0), GlobalKey(0, 1), GlobalKey(0, 2),
                                      GlobalKey(1, 2), GlobalKey(1, 3), GlobalKey(1, 0)};
  EXPECT_EQ(sampler.UpdatePriorities(keys, {5, 0, 0, 0, 0, 5}, kLongMs), 2);
  SampledBatch batch;
  for (int round = 0; round < 5; ++round) {
    ASSERT_TRUE(sampler.SamplePrioritized(32, kLongMs, &batch));
    for (size_t i = 0; i < batch.size(); ++i) {
      const std::string item = batch.ItemString(i);
      EXPECT_TRUE((batch.info(i).shard == 0 && item == "x3") ||
                  (batch.info(i).shard == 1 && item == "x1"))
          << batch.info(i).shard << " " << item;
    }
  }
  EXPECT_EQ(TableNamed(a.server().stats(), "prio").unknown_key_updates, 1);
  EXPECT_EQ(b.server().stats().unknown_key_updates, 1);
  EXPECT_EQ(a.server().stats().update_requests, 1);
  EXPECT_EQ(TableNamed(a.server().stats(), "prio").evictions, 1);
  // Bad input: a length mismatch fails locally; a negative priority is refused by the shard
  // (bad_request), counted, and the item keeps its priority.
  EXPECT_THROW(sampler.UpdatePriorities({GlobalKey(0, 1)}, {}, kLongMs), std::invalid_argument);
  EXPECT_THROW(sampler.UpdatePriorities({GlobalKey(7, 1)}, {1}, kLongMs), std::invalid_argument);
  const double mass = TableNamed(a.server().stats(), "prio").priority_mass;
  EXPECT_EQ(sampler.UpdatePriorities({GlobalKey(0, 3)}, {-1}, kLongMs), 0);
  EXPECT_EQ(sampler.error_replies(), 1);
  EXPECT_DOUBLE_EQ(TableNamed(a.server().stats(), "prio").priority_mass, mass);
  ASSERT_TRUE(sampler.SamplePrioritized(8, kLongMs, &batch));
}

// SendPriorityUpdates returns before the acks; a sample requested after it already sees the new
// priorities (a shard answers one client in order); CollectPriorityAcks counts the unknown keys
// and error replies (the refused update changes nothing).
TEST(TableServerTest, AsynchronousPriorityUpdatesPrecedeLaterSamples) {
  RunningShard a(WithTables({Prioritized("prio", 3)}));
  InsertClient inserter(InsertTo(a.endpoint(), "prio"));
  inserter.Insert({"x0", "x1", "x2", "x3"}, {1, 1, 1, 1});  // key 0 is evicted (FIFO)
  inserter.Flush();
  SampleClient sampler(SampleFrom({a.endpoint()}, "prio"));
  SampledBatch batch;
  ASSERT_TRUE(sampler.SamplePrioritized(4, kLongMs, &batch));  // the client learns the mass
  for (int round = 0; round < 20; ++round) {
    // Alternate which single item keeps a positive priority, without waiting for any ack.
    const uint64_t keep = 1 + round % 3;
    std::vector<uint64_t> keys;
    std::vector<double> priorities;
    for (uint64_t k = 0; k < 4; ++k) {
      keys.push_back(GlobalKey(0, k));
      priorities.push_back(k == keep ? 1.0 : 0.0);
    }
    sampler.SendPriorityUpdates(keys, priorities, kLongMs);
    ASSERT_TRUE(sampler.SamplePrioritized(8, kLongMs, &batch));
    for (size_t i = 0; i < batch.size(); ++i) {
      EXPECT_EQ(batch.ItemString(i), "x" + std::to_string(keep)) << "round " << round;
    }
  }
  // Every ack is taken; each of the 20 updates named the evicted key 0 once.
  EXPECT_EQ(sampler.pending_priority_acks(), 20u);  // sampling never waited for them
  EXPECT_EQ(sampler.CollectPriorityAcks(0, kLongMs), 20);
  EXPECT_EQ(sampler.pending_priority_acks(), 0u);
  EXPECT_EQ(a.server().stats().update_requests, 20);
  EXPECT_EQ(a.server().stats().unknown_key_updates, 20);
  sampler.SendPriorityUpdates({GlobalKey(0, 1)}, {-1}, kLongMs);
  EXPECT_EQ(sampler.CollectPriorityAcks(0, kLongMs), 0);
  EXPECT_EQ(sampler.error_replies(), 1);
  EXPECT_EQ(sampler.pending_priority_acks(), 0u);
  ASSERT_TRUE(sampler.SamplePrioritized(8, kLongMs, &batch));
  for (size_t i = 0; i < batch.size(); ++i) EXPECT_EQ(batch.ItemString(i), "x2");  // round 19's
}

TEST(TableServerTest, PrioritizedSamplingWaitsForItemsAndThenFindsThem) {
  RunningShard a(WithTables({Prioritized("prio", 8)}));
  RunningShard b(WithTables({Prioritized("prio", 8)}));
  SampleClient sampler(SampleFrom({a.endpoint(), b.endpoint()}, "prio"));
  SampledBatch batch;
  EXPECT_FALSE(sampler.SamplePrioritized(4, 50, &batch));  // both empty: a timeout, no error
  EXPECT_TRUE(batch.empty());
  InsertClient inserter(InsertTo(b.endpoint(), "prio"));
  inserter.Insert({"only"}, {2.0});
  inserter.Flush();
  ASSERT_TRUE(sampler.SamplePrioritized(4, kLongMs, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>(4, "only")));
  EXPECT_EQ(batch.info(0).shard, 1u);
  EXPECT_DOUBLE_EQ(batch.info(0).probability, 1.0);
}

// Rate limiter: samples_per_insert 1, min_size 1, diff = inserts − samples kept in [0, 2].
TableOptions Limited(const std::string& name) {
  TableOptions t;
  t.name = name;
  t.sampler = "uniform";
  t.max_size = 100;
  t.rate_limiter = RateLimiterOptions::SampleToInsertRatio(1.0, 1, 0.0, 2.0);
  return t;
}

TEST(TableServerTest, RateLimiterHoldsInsertsUntilSamplesCatchUp) {
  RunningShard shard(WithTables({Limited("rl")}));
  RawClient client(shard.endpoint());
  SendInsert(&client, 1, "rl", {"a", "b"}, {}, 0);
  ExpectAck(client.Receive().get(), 1);
  SendInsert(&client, 2, "rl", {"c"}, {}, 0);  // diff would be 3 > 2: held back
  ASSERT_TRUE(WaitForStats(shard.server(), [](const ShardStats& s) {
    return s.pending_inserts == 1 && s.insert_requests == 2;
  }));
  EXPECT_FALSE(client.HasReply());
  EXPECT_FALSE(shard.server().stats().tables[0].can_insert);
  client.Sample(3, 1, kLongMs, "rl");  // lets the insert through
  auto first = client.Receive();
  auto second = client.Receive();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(Root(*first).which(), wire::Response::SAMPLE);
  EXPECT_EQ(Root(*first).getRequestId(), 3u);
  ExpectAck(second.get(), 2);
  const ShardStats stats = shard.server().stats();
  EXPECT_EQ(stats.tables[0].inserts, 3);
  EXPECT_EQ(stats.tables[0].samples, 1);
  EXPECT_GT(stats.tables[0].rate_limiter.insert_blocked_seconds, 0.0);

  // An insert held back past its deadline gets a timeout error; the items let in stay in.
  SendInsert(&client, 4, "rl", {"d", "e", "f"}, {}, 30);  // diff 2: none fits
  client.Sample(5, 2, kLongMs, "rl");                     // diff 0 now: d, e fit, f does not
  auto sampled = client.Receive();
  ASSERT_NE(sampled, nullptr);
  EXPECT_EQ(Root(*sampled).getRequestId(), 5u);
  ExpectError(client.Receive().get(), wire::ErrorCode::TIMEOUT, "let 2 of 3 items in");
  EXPECT_EQ(shard.server().stats().tables[0].inserts, 5);
  EXPECT_EQ(shard.server().stats().tables[0].timeouts, 1);
}

TEST(TableServerTest, RateLimiterHoldsSamplesUntilInsertsAndTimesThemOut) {
  RunningShard shard(WithTables({Limited("rl")}));
  RawClient client(shard.endpoint());
  SendInsert(&client, 1, "rl", {"a", "b"}, {}, 0);
  ExpectAck(client.Receive().get(), 1);
  client.Sample(2, 2, kLongMs, "rl");
  EXPECT_EQ(Items(Root(*client.Receive())).size(), 2u);
  client.Sample(3, 1, kLongMs, "rl");  // diff 0: held back although the table holds 2 items
  ASSERT_TRUE(WaitForStats(shard.server(), [](const ShardStats& s) {
    return s.pending_samples == 1 && s.sample_requests == 2;
  }));
  EXPECT_FALSE(client.HasReply());
  EXPECT_FALSE(shard.server().stats().tables[0].can_sample);
  SendInsert(&client, 4, "rl", {"c"}, {}, 0);
  ExpectAck(client.Receive().get(), 4);
  auto sampled = client.Receive();
  ASSERT_NE(sampled, nullptr);
  EXPECT_EQ(Root(*sampled).getRequestId(), 3u);
  EXPECT_EQ(Items(Root(*sampled)).size(), 1u);

  // Held back past its deadline: a timeout error naming the rate limiter.
  client.Sample(5, 1, 30, "rl");
  EXPECT_EQ(ExpectError(client.Receive().get(), wire::ErrorCode::TIMEOUT, "rate limiter"), 5u);
  const ShardStats stats = shard.server().stats();
  EXPECT_EQ(stats.tables[0].timeouts, 1);
  EXPECT_EQ(stats.tables[0].samples, 3);
  EXPECT_GT(stats.tables[0].rate_limiter.sample_blocked_seconds, 0.0);
  EXPECT_GT(stats.sample_blocked_seconds, 0.0);
}

// The shard's timeout of a held-back insert is not fatal: the client sends it again, with
// backoff, for as long as the rate limiter holds it back.
TEST(TableServerTest, InsertClientRetriesAfterTheShardTimeout) {
  RunningShard shard(WithTables({Limited("rl")}));
  InsertClientOptions options = InsertTo(shard.endpoint(), "rl");
  options.shard_timeout_ms = 20;
  options.retry_initial_ms = 1;
  options.retry_max_ms = 4;
  InsertClient inserter(options);
  inserter.Insert({"a", "b"});
  inserter.Flush();
  inserter.Insert({"c"});
  for (int i = 0; i < 2000 && inserter.retried_requests() < 2; ++i) inserter.Poll(5);
  EXPECT_GE(inserter.retried_requests(), 2);
  EXPECT_EQ(inserter.inflight(), 1);
  EXPECT_EQ(inserter.failed_requests(), 0);
  EXPECT_EQ(inserter.acked_items(), 2);
  EXPECT_GE(shard.server().stats().tables[0].timeouts, 2);
}

TEST(TableServerTest, CrossShardCountsLetAShardSampleBeyondItsOwnInserts) {
  RunningShard shard(WithTables({Limited("rl")}));
  RawClient client(shard.endpoint());
  SendInsert(&client, 1, "rl", {"a", "b"}, {}, 0);
  ExpectAck(client.Receive().get(), 1);
  // Locally diff = 2: at most 2 samples, and the limiter keeps it >= 0 ... but globally the
  // table had 2 + 10 inserts: the batch of 5 goes through with the global counts.
  auto sample = [&](uint64_t id, bool global) {
    capnp::MallocMessageBuilder builder;
    auto request = builder.initRoot<wire::Request>();
    request.setProtocolVersion(kProtocolVersion);
    request.setRequestId(id);
    auto s = request.initSample();
    s.setTable("rl");
    s.setBatchSize(5);
    s.setTimeoutMs(0);
    if (global) {
      s.setHasGlobalCounts(true);
      s.setGlobalInserts(12);
      s.setGlobalSamples(0);
      s.setOwnInsertsIncluded(2);
      s.setOwnSamplesIncluded(0);
    }
    client.SendRequest(builder);
  };
  sample(2, false);
  ExpectError(client.Receive().get(), wire::ErrorCode::TIMEOUT, "rate limiter");
  sample(3, true);
  auto reply = client.Receive();
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(Items(Root(*reply)).size(), 5u);
  EXPECT_TRUE(shard.server().stats().tables[0].global_rate_limit);
}

TEST(TableServerTest, SampleClientForwardsGlobalCountsToEveryShard) {
  RunningShard a(WithTables({Limited("rl")}));
  RunningShard b(WithTables({Limited("rl")}));
  for (RunningShard* shard : {&a, &b}) {
    InsertClient inserter(InsertTo(shard->endpoint(), "rl"));
    inserter.Insert({"x", "y"});
    inserter.Flush();
  }
  SampleClientOptions options = SampleFrom({a.endpoint(), b.endpoint()}, "rl");
  options.global_rate_limit = true;
  SampleClient sampler(options);
  SampledBatch batch;
  ASSERT_TRUE(sampler.SamplePrioritized(2, kLongMs, &batch));
  ASSERT_TRUE(sampler.SamplePrioritized(2, kLongMs, &batch));
  // Both shards were asked at least once with the global sums (4 inserts).
  bool a_global = false;
  bool b_global = false;
  for (int i = 0; i < 20 && !(a_global && b_global); ++i) {
    sampler.SamplePrioritized(1, 100, &batch);
    a_global = a.server().stats().tables[0].global_rate_limit;
    b_global = b.server().stats().tables[0].global_rate_limit;
  }
  EXPECT_TRUE(a_global || b_global);
  const int64_t samples =
      a.server().stats().tables[0].samples + b.server().stats().tables[0].samples;
  EXPECT_LE(samples, 4);  // the global ratio: never more samples than inserts
}

TEST(TableServerTest, FullTableEvictsInFifoOrder) {
  RunningShard shard(WithTables({Fifo("evict", 3, 1)}));
  InsertClient inserter(InsertTo(shard.endpoint(), "evict"));
  inserter.Insert({"a", "b", "c", "d", "e"});
  inserter.Flush();
  SampleClient sampler(SampleFrom({shard.endpoint()}, "evict"));
  SampledBatch batch;
  ASSERT_TRUE(sampler.Sample(3, kLongMs, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"c", "d", "e"}));
  EXPECT_EQ(TableNamed(shard.server().stats(), "evict").evictions, 2);
}

TEST(TableServerTest, ItemsLeaveAfterMaxTimesSampled) {
  RunningShard shard(WithTables({Fifo("twice", 8, 2)}));
  InsertClient inserter(InsertTo(shard.endpoint(), "twice"));
  inserter.Insert({"a", "b"});
  inserter.Flush();
  SampleClient sampler(SampleFrom({shard.endpoint()}, "twice"));
  std::vector<std::string> seen;
  std::vector<int32_t> times;
  SampledBatch batch;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(sampler.Sample(1, kLongMs, &batch));
    seen.push_back(batch.ItemString(0));
    times.push_back(batch.info(0).times_sampled);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "a", "b", "b"}));
  EXPECT_EQ(times, (std::vector<int32_t>{1, 2, 1, 2}));
  const TableStats t = TableNamed(shard.server().stats(), "twice");
  EXPECT_EQ(t.size, 0);
  EXPECT_EQ(t.exhausted, 2);
  EXPECT_EQ(t.samples, 4);
}

TEST(TableServerTest, BadRequestsGetErrorRepliesAndTheShardKeepsServing) {
  RunningShard shard(WithTables({Prioritized("prio", 8), Fifo("fifo", 8, 1)}));
  RawClient client(shard.endpoint());
  SendInsert(&client, 1, "prio", {"a", "b"}, {1.0}, 0);
  ExpectError(client.Receive().get(), wire::ErrorCode::BAD_REQUEST, "2 items but 1 priorities");
  SendInsert(&client, 2, "prio", {"a"}, {-1.0}, 0);
  ExpectError(client.Receive().get(), wire::ErrorCode::BAD_REQUEST, "priority");
  SendUpdate(&client, 3, "prio", {0, 1}, {1.0});
  ExpectError(client.Receive().get(), wire::ErrorCode::BAD_REQUEST, "2 keys but 1 priorities");
  SendUpdate(&client, 4, "nope", {0}, {1.0});
  ExpectError(client.Receive().get(), wire::ErrorCode::UNKNOWN_TABLE, "'prio', 'fifo'");
  client.Sample(5, 9, kLongMs, "fifo");  // 9 distinct items can never be in a table of 8
  ExpectError(client.Receive().get(), wire::ErrorCode::BAD_REQUEST, "max_size");
  {
    capnp::MallocMessageBuilder builder;
    auto request = builder.initRoot<wire::Request>();
    request.setProtocolVersion(kProtocolVersion);
    request.setRequestId(6);
    request.initCheckpoint();
    client.SendRequest(builder);
  }
  ExpectError(client.Receive().get(), wire::ErrorCode::BAD_REQUEST, "checkpoint_dir");
  client.SendBytes(std::string(40, '\x07'));
  ExpectError(client.Receive().get(), wire::ErrorCode::MALFORMED);
  // Still serving.
  SendInsert(&client, 7, "fifo", {"x"}, {}, 0);
  ExpectAck(client.Receive().get(), 7);
  client.Sample(8, 1, kLongMs, "fifo");
  EXPECT_EQ(Items(Root(*client.Receive())), (std::vector<std::string>{"x"}));
  const ShardStats stats = shard.server().stats();
  EXPECT_EQ(stats.errors, 7);
  EXPECT_EQ(stats.malformed, 1);
  EXPECT_EQ(TableNamed(stats, "prio").size, 0);
}

TEST(TableServerTest, InfoDescribesEveryTable) {
  RunningShard shard(WithTables({Fifo("fifo", 8, 1), Prioritized("prio", 8, 1.0)}));
  InsertClient inserter(InsertTo(shard.endpoint(), "prio"));
  inserter.Insert({"a", "b"}, {2.0, 3.0});
  inserter.Flush();
  SampleClient sampler(SampleFrom({shard.endpoint()}, "prio"));
  const ShardStats stats = sampler.Info(0, kLongMs);
  EXPECT_EQ(stats.table, "fifo");  // the first table when the request names none
  ASSERT_EQ(stats.tables.size(), 2u);
  const TableStats& prio = TableNamed(stats, "prio");
  EXPECT_EQ(prio.sampler, "prioritized");
  EXPECT_EQ(prio.size, 2);
  EXPECT_EQ(prio.inserts, 2);
  EXPECT_DOUBLE_EQ(prio.priority_mass, 5.0);
  EXPECT_EQ(prio.rate_limiter.inserts, 2);
  EXPECT_TRUE(prio.can_sample);
  EXPECT_TRUE(prio.can_insert);
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

TEST(TableServerTest, CheckpointRoundTripKeepsItemsPrioritiesAndCounters) {
  TempDir dir;
  ShardServerOptions options =
      WithTables({QueueTableOptions("queue", 16), Prioritized("prio", 16, 1.0)});
  options.checkpoint_dir = dir.path() + "/shard-0";
  ShardStats before;
  {
    RunningShard shard(options);
    InsertClient queue(InsertTo(shard.endpoint(), "queue"));
    queue.Insert({"a", "b", "c"});
    queue.Flush();
    InsertClient prio(InsertTo(shard.endpoint(), "prio"));
    prio.Insert({"p0", "p1", "p2", "p3"}, {1, 2, 3, 4});
    prio.Flush();
    SampleClient sampler(SampleFrom({shard.endpoint()}, "prio"));
    SampledBatch batch;
    ASSERT_TRUE(sampler.SamplePrioritized(5, kLongMs, &batch));
    EXPECT_EQ(sampler.UpdatePriorities({GlobalKey(0, 1), GlobalKey(0, 99)}, {10, 1}, kLongMs), 1);
    EXPECT_EQ(sampler.Checkpoint(0, kLongMs), options.checkpoint_dir);
    before = shard.server().stats();
    EXPECT_EQ(before.checkpoints, 1);
  }
  EXPECT_TRUE(std::filesystem::exists(options.checkpoint_dir + "/prio.rlftable"));
  RunningShard shard(options);
  const ShardStats after = shard.server().stats();
  EXPECT_EQ(after.restored_items, 7);
  for (const std::string name : {"queue", "prio"}) {
    const TableStats& b = TableNamed(before, name);
    const TableStats& a = TableNamed(after, name);
    EXPECT_EQ(a.size, b.size) << name;
    EXPECT_EQ(a.inserts, b.inserts) << name;
    EXPECT_EQ(a.samples, b.samples) << name;
    EXPECT_EQ(a.unknown_key_updates, b.unknown_key_updates) << name;
    EXPECT_EQ(a.rate_limiter.inserts, b.rate_limiter.inserts) << name;
    EXPECT_EQ(a.rate_limiter.samples, b.rate_limiter.samples) << name;
    EXPECT_EQ(a.rate_limiter.deletes, b.rate_limiter.deletes) << name;
    EXPECT_DOUBLE_EQ(a.priority_mass, b.priority_mass) << name;
  }
  EXPECT_DOUBLE_EQ(TableNamed(after, "prio").priority_mass, 1 + 10 + 3 + 4);
  EXPECT_EQ(TableNamed(after, "prio").samples, 5);
  SampleClient sampler(SampleFrom({shard.endpoint()}, "queue"));
  SampledBatch batch;
  ASSERT_TRUE(sampler.Sample(3, kLongMs, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"a", "b", "c"}));
}

// The keys of the items a prioritized table hands out, by item, until every item named in
// `wanted` was drawn once.
std::map<std::string, uint64_t> KeysOf(const std::string& endpoint,
                                       const std::vector<std::string>& wanted) {
  SampleClient sampler(SampleFrom({endpoint}, "prio"));
  std::map<std::string, uint64_t> keys;
  SampledBatch batch;
  for (int round = 0; round < 200 && keys.size() < wanted.size(); ++round) {
    if (!sampler.SamplePrioritized(64, kLongMs, &batch)) break;
    for (size_t i = 0; i < batch.size(); ++i) {
      const std::string item = batch.ItemString(i);
      if (std::find(wanted.begin(), wanted.end(), item) != wanted.end()) {
        keys[item] = LocalKey(batch.key(i));
      }
    }
  }
  return keys;
}

std::vector<std::string> Named(const std::string& prefix, int count) {
  std::vector<std::string> items;
  for (int i = 0; i < count; ++i) items.push_back(prefix + std::to_string(i));
  return items;
}

// A shard crashes after handing out keys it never checkpointed (b*), twice in a row: every
// restart restores the checkpointed items (a*) with their keys and hands out keys no earlier
// incarnation handed out, so a priority computed before a crash can never land on another item.
TEST(TableServerTest, ARestoredShardNeverHandsOutAKeyItHandedOutBefore) {
  TempDir dir;
  ShardServerOptions options = WithTables({Prioritized("prio", 64)});
  options.checkpoint_dir = dir.path() + "/shard-0";
  std::set<uint64_t> handed_out;
  std::map<std::string, uint64_t> checkpointed;
  auto insert = [](const std::string& endpoint, const std::vector<std::string>& items) {
    InsertClient inserter(InsertTo(endpoint, "prio"));
    inserter.Insert(items, std::vector<double>(items.size(), 1.0));
    inserter.Flush();
  };
  {
    RunningShard shard(options);
    insert(shard.endpoint(), Named("a", 8));
    SampleClient sampler(SampleFrom({shard.endpoint()}, "prio"));
    ASSERT_EQ(sampler.Checkpoint(0, kLongMs), options.checkpoint_dir);
    insert(shard.endpoint(), Named("b", 8));  // after the checkpoint: lost in the crash
    checkpointed = KeysOf(shard.endpoint(), Named("a", 8));
    ASSERT_EQ(checkpointed.size(), 8u);
    for (const auto& [item, key] : checkpointed) handed_out.insert(key);
    const auto lost = KeysOf(shard.endpoint(), Named("b", 8));
    ASSERT_EQ(lost.size(), 8u);
    for (const auto& [item, key] : lost) handed_out.insert(key);
  }
  for (const char* prefix : {"c", "d"}) {  // two incarnations restored from one checkpoint
    RunningShard shard(options);
    EXPECT_EQ(KeysOf(shard.endpoint(), Named("a", 8)), checkpointed) << prefix;
    insert(shard.endpoint(), Named(prefix, 8));
    const auto fresh = KeysOf(shard.endpoint(), Named(prefix, 8));
    ASSERT_EQ(fresh.size(), 8u);
    for (const auto& [item, key] : fresh) {
      EXPECT_EQ(handed_out.count(key), 0u) << item << " got key " << key << ", handed out before";
      EXPECT_GT(key, checkpointed.at("a7")) << item;  // key order stays insertion order
      handed_out.insert(key);
    }
  }
  EXPECT_EQ(ReadFile(options.checkpoint_dir + "/incarnation"), "2\n");
  WriteFileAtomic(options.checkpoint_dir + "/incarnation", "two\n");
  try {
    ShardServer server(options);
    ADD_FAILURE() << "a damaged incarnation file was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/incarnation"), std::string::npos) << e.what();
  }
}

TEST(TableServerTest, PeriodicCheckpointsAreWritten) {
  TempDir dir;
  ShardServerOptions options = WithTables({Prioritized("prio", 16)});
  options.checkpoint_dir = dir.path();
  options.checkpoint_interval_seconds = 0.01;
  RunningShard shard(options);
  InsertClient inserter(InsertTo(shard.endpoint(), "prio"));
  inserter.Insert({"a"}, {1});
  inserter.Flush();
  ASSERT_TRUE(WaitForStats(shard.server(), [](const ShardStats& s) { return s.checkpoints >= 2; }));
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/prio.rlftable"));
  EXPECT_EQ(shard.server().stats().checkpoint_failures, 0);
}

// With one item record copied per loop iteration, the second checkpoint request arrives while
// the first job is being copied or written (the shard refuses it: overloaded, and the client
// asks again), or after it: either way its file holds every item acked before it, and each
// request gets a checkpoint of its own.
TEST(TableServerTest, CheckpointCopiedInPiecesHoldsEveryItemAckedBeforeItsRequest) {
  TempDir dir;
  ShardServerOptions options = WithTables({Prioritized("prio", 10000)});
  options.checkpoint_dir = dir.path();
  options.snapshot_chunk_items = 1;
  RunningShard shard(options);
  InsertClient inserter(InsertTo(shard.endpoint(), "prio"));
  inserter.Insert(std::vector<std::string>(4000, "early"), std::vector<double>(4000, 1.0));
  inserter.Flush();
  std::thread first([&] {
    SampleClient sampler(SampleFrom({shard.endpoint()}, "prio"));
    EXPECT_EQ(sampler.Checkpoint(0, kLongMs), dir.path());
  });
  for (int i = 0; i < 20; ++i) {
    inserter.Insert({"late"}, {2.0});
    inserter.Flush();
  }
  SampleClient sampler(SampleFrom({shard.endpoint()}, "prio"));
  EXPECT_EQ(sampler.Checkpoint(0, kLongMs), dir.path());
  first.join();
  EXPECT_EQ(shard.server().stats().checkpoints, 2);
  const Table restored = LoadSnapshot(dir.path() + "/prio.rlftable", options.tables[0]);
  EXPECT_EQ(restored.size(), 4020);
  EXPECT_DOUBLE_EQ(restored.priority_mass(), 4000 * 1.0 + 20 * std::pow(2.0, 0.7));
}

void SendCheckpoint(RawClient* client, uint64_t id) {
  capnp::MallocMessageBuilder builder;
  auto request = builder.initRoot<wire::Request>();
  request.setProtocolVersion(kProtocolVersion);
  request.setRequestId(id);
  request.initCheckpoint();
  client->SendRequest(builder);
}

void ExpectCheckpoint(replay_internal::ReceivedMessage* m, uint64_t id) {
  ASSERT_NE(m, nullptr);
  auto response = Root(*m);
  ASSERT_EQ(response.which(), wire::Response::CHECKPOINT)
      << (response.which() == wire::Response::ERROR ? response.getError().getMessage().cStr() : "");
  EXPECT_EQ(response.getRequestId(), id);
}

// A queue of 20000 (max_size) holding 10000 items, checkpointed one record per loop iteration:
// a job takes 10000 iterations, far longer than requests sent back to back take to arrive.
ShardServerOptions SlowCheckpointShard(const std::string& dir) {
  ShardServerOptions options = WithTables({QueueTableOptions("queue", 20000)});
  options.checkpoint_dir = dir;
  options.snapshot_chunk_items = 1;
  return options;
}

void FillQueue(RawClient* client, uint64_t id) {
  SendInsert(client, id, "queue", std::vector<std::string>(10000, "i"), {}, 0);
  ExpectAck(client->Receive().get(), id);
}

// Each checkpoint job holds every item until its files are written: a request while one runs is
// refused at once, and the next one after it gets a job of its own.
TEST(TableServerTest, ACheckpointRequestWhileOneRunsIsOverloaded) {
  TempDir dir;
  RunningShard shard(SlowCheckpointShard(dir.path()));
  RawClient client(shard.endpoint());
  FillQueue(&client, 1);
  SendCheckpoint(&client, 2);
  SendCheckpoint(&client, 3);
  EXPECT_EQ(
      ExpectError(client.Receive().get(), wire::ErrorCode::OVERLOADED, "a checkpoint is being"),
      3u);
  ExpectCheckpoint(client.Receive().get(), 2);
  SendCheckpoint(&client, 4);
  ExpectCheckpoint(client.Receive().get(), 4);
  const ShardStats stats = shard.server().stats();
  EXPECT_EQ(stats.checkpoints, 2);
  EXPECT_EQ(stats.overloaded, 1);
  EXPECT_EQ(stats.pending_samples + stats.pending_inserts, 0);
}

// A checkpoint request that waits for its job counts against max_pending_requests (here 1) like a
// waiting sample: a sample that would wait behind it is refused, and so is a checkpoint request
// behind a waiting sample.
TEST(TableServerTest, CheckpointRequestsCountAgainstMaxPendingRequests) {
  TempDir dir;
  ShardServerOptions options = SlowCheckpointShard(dir.path());
  options.max_pending_requests = 1;
  RunningShard shard(options);
  RawClient client(shard.endpoint());
  FillQueue(&client, 1);
  SendCheckpoint(&client, 2);
  client.Sample(3, 15000, kLongMs);  // more than the queue holds: would wait
  EXPECT_EQ(ExpectError(client.Receive().get(), wire::ErrorCode::OVERLOADED,
                        "1 requests with 0 item bytes already wait"),
            3u);
  ExpectCheckpoint(client.Receive().get(), 2);
  client.Sample(4, 15000, kLongMs);  // waits now
  SendCheckpoint(&client, 5);
  EXPECT_EQ(
      ExpectError(client.Receive().get(), wire::ErrorCode::OVERLOADED, "max_pending_requests 1"),
      5u);
  const ShardStats stats = shard.server().stats();
  EXPECT_EQ(stats.pending_samples, 1);
  EXPECT_EQ(stats.checkpoints, 1);
  EXPECT_EQ(stats.overloaded, 2);
}

TEST(TableServerTest, CheckpointOfOtherTableOptionsIsRefused) {
  TempDir dir;
  ShardServerOptions options = WithTables({Prioritized("prio", 16)});
  options.checkpoint_dir = dir.path();
  {
    RunningShard shard(options);
    SampleClient sampler(SampleFrom({shard.endpoint()}, "prio"));
    sampler.Checkpoint(0, kLongMs);
  }
  options.tables[0].max_size = 32;
  EXPECT_THROW(ShardServer server(options), std::runtime_error);
}

// A shard process (replay/test_shard_main.cc). Kill() sends SIGKILL; the destructor stops it
// with SIGTERM (so that it removes its ipc socket file), falling back to SIGKILL.
class ShardProcess {
 public:
  ShardProcess(const std::string& endpoint, const std::string& dir, const std::string& interval) {
    pid_ = fork();
    if (pid_ == 0) {
      execl(RLFLEET_TEST_SHARD_BINARY, RLFLEET_TEST_SHARD_BINARY, endpoint.c_str(), dir.c_str(),
            interval.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~ShardProcess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 2000; ++i) {  // up to 20 s (a hang guard, not a timing assertion)
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      usleep(10000);
    }
    Kill();
  }
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

TEST(TableServerTest, ShardKilledWithSigkillComesBackFromItsCheckpoint) {
  TempDir dir;
  const std::string endpoint = UniqueIpcEndpoint();
  std::vector<double> priorities = {1, 2, 3, 4, 5, 6, 7, 8};
  double mass = 0.0;
  for (double p : priorities) mass += std::pow(p, 0.7);
  {
    ShardProcess process(endpoint, dir.path(), "0");
    ASSERT_TRUE(process.started());
    SampleClient sampler(SampleFrom({endpoint}, "prio"));
    sampler.Info(0, kLongMs);  // up
    InsertClient prio(InsertTo(endpoint, "prio"));
    prio.Insert({"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"}, priorities);
    prio.Flush();
    InsertClient queue(InsertTo(endpoint, "queue"));
    queue.Insert({"x", "y"});
    queue.Flush();
    EXPECT_EQ(sampler.Checkpoint(0, kLongMs), dir.path());
    queue.Insert({"z"});  // after the checkpoint: lost with the process
    queue.Flush();
    process.Kill();  // SIGKILL mid-run
  }
  ShardProcess process(endpoint, dir.path(), "0");
  ASSERT_TRUE(process.started());
  SampleClient sampler(SampleFrom({endpoint}, "queue"));
  const ShardStats stats = sampler.Info(0, kLongMs);
  EXPECT_EQ(stats.restored_items, 10);
  const TableStats& prio = TableNamed(stats, "prio");
  EXPECT_EQ(prio.size, 8);
  EXPECT_EQ(prio.inserts, 8);
  EXPECT_NEAR(prio.priority_mass, mass, 1e-9);
  EXPECT_EQ(TableNamed(stats, "queue").size, 2);
  SampledBatch batch;
  ASSERT_TRUE(sampler.Sample(2, kLongMs, &batch));
  EXPECT_EQ(Strings(batch), (std::vector<std::string>{"x", "y"}));
}

// Throughput of one shard through the real sockets (ipc), 100-byte transitions inserted and
// sampled in batches of 256. Prints rates, asserts nothing about time. Run with
//   replay_test --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'
TEST(TableServerTest, DISABLED_ThroughputOfOneShard) {
  for (const std::string sampler : {"uniform", "prioritized", "queue"}) {
    const int64_t total = 1 << 20;
    const int batch = 256;
    ShardServerOptions options;
    options.endpoint = UniqueIpcEndpoint();
    if (sampler == "queue") {
      options.tables.push_back(QueueTableOptions("t", total));
    } else {
      TableOptions t;
      t.name = "t";
      t.sampler = sampler;
      t.max_size = total;
      options.tables.push_back(t);
    }
    RunningShard shard(options);
    InsertClientOptions insert_options = InsertTo(shard.endpoint(), "t");
    insert_options.max_inflight = 8;
    InsertClient inserter(insert_options);
    std::vector<std::string> items(batch, std::string(100, 'x'));
    std::vector<double> priorities(batch, 1.0);
    Stopwatch insert_watch;
    for (int64_t n = 0; n < total; n += batch) {
      if (sampler == "queue") {
        inserter.Insert(items);  // the legacy IMPALA call
      } else {
        inserter.Insert(items, priorities);
      }
    }
    inserter.Flush();
    const double insert_seconds = insert_watch.Microseconds() * 1e-6;
    SampleClientOptions sample_options = SampleFrom({shard.endpoint()}, "t");
    sample_options.prefetch = 4;
    SampleClient sampler_client(sample_options);
    SampledBatch out;
    Stopwatch sample_watch;
    for (int64_t n = 0; n < total; n += batch)
      ASSERT_TRUE(sampler_client.Sample(batch, kLongMs, &out));
    const double sample_seconds = sample_watch.Microseconds() * 1e-6;
    std::printf("%-12s insert %.2f M items/s, sample %.2f M items/s\n", sampler.c_str(),
                total / insert_seconds * 1e-6, total / sample_seconds * 1e-6);
  }
}

}  // namespace
}  // namespace rlfleet
