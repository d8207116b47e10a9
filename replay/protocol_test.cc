#include "replay/protocol.h"

#include <gtest/gtest.h>

#include <capnp/message.h>
#include <capnp/schema.h>

#include <set>
#include <string>

#include <vector>

namespace rlfleet {
namespace {

using replay_internal::ErrorCodeName;
using replay_internal::FillInfo;
using replay_internal::StatsFromInfo;

// The integer counters of ShardStats, in one order.
std::vector<int64_t*> Counters(ShardStats* s) {
  return {&s->max_size,          &s->size,
          &s->inserts,           &s->samples,
          &s->insert_requests,   &s->sample_requests,
          &s->malformed,         &s->wrong_version,
          &s->too_large,         &s->errors,
          &s->timeouts,          &s->dropped_replies,
          &s->pending_inserts,   &s->pending_samples,
          &s->update_requests,   &s->unknown_key_updates,
          &s->checkpoints,       &s->checkpoint_failures,
          &s->restored_items,    &s->overloaded,
          &s->oversized_replies, &s->internal_errors,
          &s->refused_peers};
}

// Every field of an info reply survives encoding and decoding: each counter gets its own value,
// so a field that is not copied, or copied into another, shows.
// Every error code of the schema (read from the schema itself, so a new code is covered) has
// its own name.
TEST(ProtocolTest, EveryErrorCodeHasAName) {
  std::set<std::string> names;
  const auto enumerants = capnp::Schema::from<wire::ErrorCode>().getEnumerants();
  for (const auto enumerant : enumerants) {
    const std::string name = ErrorCodeName(static_cast<wire::ErrorCode>(enumerant.getOrdinal()));
    EXPECT_NE(name, "unknown_error_code") << enumerant.getProto().getName().cStr();
    names.insert(name);
  }
  EXPECT_EQ(names.size(), enumerants.size());
  EXPECT_EQ(std::string(ErrorCodeName(wire::ErrorCode::OVERLOADED)), "overloaded");
}

TEST(ProtocolTest, InfoReplyCarriesEveryShardCounter) {
  ShardStats s;
  s.table = "memory";
  s.last_checkpoint_path = "/runs/x/replay/shard-0";
  const std::vector<int64_t*> counters = Counters(&s);
  int64_t value = 101;
  for (int64_t* counter : counters) *counter = value++;
  s.insert_blocked_seconds = 1.25;
  s.sample_blocked_seconds = 2.5;
  TableStats t;
  t.name = "memory";
  t.sampler = "prioritized";
  t.remover = "fifo";
  t.max_size = 7;
  t.max_times_sampled = 3;
  t.size = 5;
  t.inserts = 11;
  t.samples = 13;
  t.evictions = 17;
  t.exhausted = 19;
  t.unknown_key_updates = 23;
  t.priority_mass = 4.75;
  t.rate_limiter.inserts = 29;
  t.rate_limiter.samples = 31;
  t.rate_limiter.deletes = 37;
  t.rate_limiter.insert_blocked_seconds = 0.5;
  t.rate_limiter.sample_blocked_seconds = 0.75;
  t.can_insert = true;
  t.can_sample = false;
  t.global_rate_limit = true;
  t.pending_inserts = 41;
  t.pending_samples = 43;
  t.timeouts = 47;
  s.tables.push_back(t);

  capnp::MallocMessageBuilder builder;
  FillInfo(s, builder.initRoot<wire::InfoReply>());
  const ShardStats r = StatsFromInfo(builder.getRoot<wire::InfoReply>().asReader());

  ShardStats decoded = r;
  const std::vector<int64_t*> decoded_counters = Counters(&decoded);
  for (size_t i = 0; i < counters.size(); ++i) {
    EXPECT_EQ(*decoded_counters[i], *counters[i]) << "counter #" << i;
  }
  EXPECT_EQ(r.table, "memory");
  EXPECT_EQ(r.last_checkpoint_path, s.last_checkpoint_path);
  EXPECT_EQ(r.insert_blocked_seconds, 1.25);
  EXPECT_EQ(r.sample_blocked_seconds, 2.5);
  ASSERT_EQ(r.tables.size(), 1u);
  const TableStats& d = r.tables[0];
  EXPECT_EQ(d.name, t.name);
  EXPECT_EQ(d.sampler, t.sampler);
  EXPECT_EQ(d.remover, t.remover);
  EXPECT_EQ(d.max_size, t.max_size);
  EXPECT_EQ(d.max_times_sampled, t.max_times_sampled);
  EXPECT_EQ(d.size, t.size);
  EXPECT_EQ(d.inserts, t.inserts);
  EXPECT_EQ(d.samples, t.samples);
  EXPECT_EQ(d.evictions, t.evictions);
  EXPECT_EQ(d.exhausted, t.exhausted);
  EXPECT_EQ(d.unknown_key_updates, t.unknown_key_updates);
  EXPECT_EQ(d.priority_mass, t.priority_mass);
  EXPECT_EQ(d.rate_limiter.inserts, t.rate_limiter.inserts);
  EXPECT_EQ(d.rate_limiter.samples, t.rate_limiter.samples);
  EXPECT_EQ(d.rate_limiter.deletes, t.rate_limiter.deletes);
  EXPECT_EQ(d.rate_limiter.insert_blocked_seconds, t.rate_limiter.insert_blocked_seconds);
  EXPECT_EQ(d.rate_limiter.sample_blocked_seconds, t.rate_limiter.sample_blocked_seconds);
  EXPECT_EQ(d.can_insert, t.can_insert);
  EXPECT_EQ(d.can_sample, t.can_sample);
  EXPECT_EQ(d.global_rate_limit, t.global_rate_limit);
  EXPECT_EQ(d.pending_inserts, t.pending_inserts);
  EXPECT_EQ(d.pending_samples, t.pending_samples);
  EXPECT_EQ(d.timeouts, t.timeouts);
}

}  // namespace
}  // namespace rlfleet
