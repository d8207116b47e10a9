#include "replay/protocol.h"

#include <gtest/gtest.h>

#include <capnp/message.h>
#include <capnp/schema.h>
#include <capnp/serialize.h>

#include <set>
#include <string>

#include <vector>

namespace rlfleet {
namespace {

using replay_internal::BuildZmqMessage;
using replay_internal::DataListWords;
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

// A sample reply with items of these sizes (item i filled with the byte 'a' + i).
void FillSample(const std::vector<size_t>& sizes, capnp::MessageBuilder& builder) {
  auto response = builder.initRoot<wire::Response>();
  response.setProtocolVersion(7);
  response.setRequestId(42);
  auto reply = response.initSample();
  auto items = reply.initItems(static_cast<unsigned int>(sizes.size()));
  auto keys = reply.initKeys(static_cast<unsigned int>(sizes.size()));
  for (unsigned int i = 0; i < sizes.size(); ++i) {
    const std::string item(sizes[i], static_cast<char>('a' + i));
    items.set(i, capnp::Data::Reader(reinterpret_cast<const kj::byte*>(item.data()), item.size()));
    keys.set(i, 1000 + i);
  }
  reply.setTableSize(99);
}

std::string Bytes(const zmq::message_t& message) {
  return std::string(static_cast<const char*>(message.data()), message.size());
}

// Built in place or, when the bound is too small, the ToZmqMessage way: either way the bytes are
// those of Cap'n Proto's own flat serialization (messageToFlatArray) of the same message.
TEST(ProtocolTest, BuildZmqMessageSendsCapnpsOwnFlatSerialization) {
  const std::vector<size_t> sizes = {0, 1, 7, 8, 9, 1000};
  // The reference: one large segment, serialized by capnp.
  capnp::MallocMessageBuilder reference(4096);
  FillSample(sizes, reference);
  const kj::Array<capnp::word> flat = capnp::messageToFlatArray(reference);
  const std::string expected(reinterpret_cast<const char*>(flat.begin()),
                             flat.size() * sizeof(capnp::word));
  // Data list words: (1 + 0) + (1 + 1) + (1 + 1) + (1 + 1) + (1 + 2) + (1 + 125) = 136.
  EXPECT_EQ(DataListWords(sizes), 136u);
  int calls = 0;
  const auto fill = [&](capnp::MessageBuilder& b) {
    ++calls;
    FillSample(sizes, b);
  };
  const zmq::message_t in_place = BuildZmqMessage(DataListWords(sizes) + 64, fill);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(Bytes(in_place), expected);

  calls = 0;
  const zmq::message_t outgrown = BuildZmqMessage(20, fill);  // too small: built a second time
  EXPECT_EQ(calls, 2);
  // Another segment layout is possible, so compare what it reads as.
  kj::ArrayPtr<const capnp::word> words(static_cast<const capnp::word*>(outgrown.data()),
                                        outgrown.size() / sizeof(capnp::word));
  capnp::FlatArrayMessageReader reader(words);
  const auto sample = reader.getRoot<wire::Response>().getSample();
  ASSERT_EQ(sample.getItems().size(), sizes.size());
  for (unsigned int i = 0; i < sizes.size(); ++i) {
    EXPECT_EQ(sample.getItems()[i].size(), sizes[i]);
    if (sizes[i] > 0) {
      EXPECT_EQ(sample.getItems()[i][sizes[i] - 1], 'a' + i);
    }
    EXPECT_EQ(sample.getKeys()[i], 1000u + i);
  }
  EXPECT_EQ(reader.getRoot<wire::Response>().getRequestId(), 42u);
  EXPECT_EQ(sample.getTableSize(), 99);

  // Anything else `fill` throws reaches the caller.
  EXPECT_THROW(BuildZmqMessage(100, [](capnp::MessageBuilder&) { throw std::runtime_error("x"); }),
               std::runtime_error);
}

}  // namespace
}  // namespace rlfleet
