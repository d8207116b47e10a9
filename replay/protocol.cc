#include "replay/protocol.h"

#include <capnp/serialize.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <utility>

#include "transport/codec.h"

namespace rlfleet {
namespace replay_internal {

zmq::message_t ToZmqMessage(capnp::MessageBuilder& builder) {
  auto* words = new kj::Array<capnp::word>(capnp::messageToFlatArray(builder));
  return zmq::message_t(
      words->begin(), words->size() * sizeof(capnp::word),
      [](void*, void* hint) { delete static_cast<kj::Array<capnp::word>*>(hint); }, words);
}

zmq::message_t BuildZmqMessage(size_t words,
                               const std::function<void(capnp::MessageBuilder&)>& fill) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
                "the segment table below is written in the host's byte order");
  words = std::max<size_t>(words, 1);
  auto* buffer = static_cast<capnp::word*>(std::calloc(words + 1, sizeof(capnp::word)));
  if (buffer == nullptr) throw std::bad_alloc();
  try {
    capnp::FlatMessageBuilder builder(kj::arrayPtr(buffer + 1, words));
    fill(builder);
    const auto segments = builder.getSegmentsForOutput();  // one: a flat builder never adds any
    const auto used = static_cast<uint32_t>(segments[0].size());
    const uint32_t table[2] = {0, used};  // segment count − 1, then the segment's size in words
    std::memcpy(buffer, table, sizeof(table));
    return zmq::message_t(
        buffer, (1 + size_t{used}) * sizeof(capnp::word),
        [](void* data, void*) { std::free(data); }, nullptr);
  } catch (const kj::Exception&) {
    // FlatMessageBuilder's buffer was too small (or `fill` failed: then it fails again below).
    std::free(buffer);
  } catch (...) {
    std::free(buffer);
    throw;
  }
  capnp::MallocMessageBuilder builder(
      static_cast<unsigned int>(std::min<size_t>(2 * words, (size_t{1} << 29) - 1)));
  fill(builder);
  return ToZmqMessage(builder);
}

size_t SerializedBytes(capnp::MessageBuilder& builder) {
  return capnp::computeSerializedSizeInWords(builder) * sizeof(capnp::word);
}

const char* ErrorCodeName(wire::ErrorCode code) {
  switch (code) {
    case wire::ErrorCode::MALFORMED:
      return "malformed";
    case wire::ErrorCode::WRONG_VERSION:
      return "wrong_version";
    case wire::ErrorCode::UNKNOWN_TABLE:
      return "unknown_table";
    case wire::ErrorCode::TOO_LARGE:
      return "too_large";
    case wire::ErrorCode::TIMEOUT:
      return "timeout";
    case wire::ErrorCode::BAD_REQUEST:
      return "bad_request";
    case wire::ErrorCode::OVERLOADED:
      return "overloaded";
  }
  return "unknown_error_code";
}

void FillInfo(const ShardStats& s, wire::InfoReply::Builder info) {
  info.setTable(s.table);
  info.setMaxSize(s.max_size);
  info.setSize(s.size);
  info.setInserts(s.inserts);
  info.setSamples(s.samples);
  info.setInsertRequests(s.insert_requests);
  info.setSampleRequests(s.sample_requests);
  info.setMalformed(s.malformed);
  info.setWrongVersion(s.wrong_version);
  info.setTooLarge(s.too_large);
  info.setErrors(s.errors);
  info.setTimeouts(s.timeouts);
  info.setDroppedReplies(s.dropped_replies);
  info.setPendingInserts(s.pending_inserts);
  info.setPendingSamples(s.pending_samples);
  info.setInsertBlockedSeconds(s.insert_blocked_seconds);
  info.setSampleBlockedSeconds(s.sample_blocked_seconds);
  info.setUpdateRequests(s.update_requests);
  info.setUnknownKeyUpdates(s.unknown_key_updates);
  info.setCheckpoints(s.checkpoints);
  info.setCheckpointFailures(s.checkpoint_failures);
  info.setLastCheckpointPath(s.last_checkpoint_path);
  info.setRestoredItems(s.restored_items);
  info.setOverloaded(s.overloaded);
  info.setOversizedReplies(s.oversized_replies);
  info.setInternalErrors(s.internal_errors);
  info.setRefusedPeers(s.refused_peers);
  auto tables = info.initTables(static_cast<unsigned int>(s.tables.size()));
  for (size_t i = 0; i < s.tables.size(); ++i) {
    const TableStats& t = s.tables[i];
    auto b = tables[static_cast<unsigned int>(i)];
    b.setName(t.name);
    b.setSampler(t.sampler);
    b.setRemover(t.remover);
    b.setMaxSize(t.max_size);
    b.setMaxTimesSampled(t.max_times_sampled);
    b.setSize(t.size);
    b.setInserts(t.inserts);
    b.setSamples(t.samples);
    b.setEvictions(t.evictions);
    b.setExhausted(t.exhausted);
    b.setUnknownKeyUpdates(t.unknown_key_updates);
    b.setPriorityMass(t.priority_mass);
    FillRateLimiter(t.rate_limiter, b.initRateLimiter());
    b.setCanInsert(t.can_insert);
    b.setCanSample(t.can_sample);
    b.setGlobalRateLimit(t.global_rate_limit);
    b.setInsertBlockedSeconds(t.rate_limiter.insert_blocked_seconds);
    b.setSampleBlockedSeconds(t.rate_limiter.sample_blocked_seconds);
    b.setPendingInserts(t.pending_inserts);
    b.setPendingSamples(t.pending_samples);
    b.setTimeouts(t.timeouts);
  }
}

void FillRateLimiter(const RateLimiterState& state, wire::RateLimiterInfo::Builder info) {
  info.setInserts(state.inserts);
  info.setSamples(state.samples);
  info.setDeletes(state.deletes);
}

RateLimiterState RateLimiterFromInfo(wire::RateLimiterInfo::Reader info) {
  RateLimiterState state;
  state.inserts = info.getInserts();
  state.samples = info.getSamples();
  state.deletes = info.getDeletes();
  return state;
}

ShardStats StatsFromInfo(wire::InfoReply::Reader info) {
  ShardStats s;
  s.table = info.getTable().cStr();
  s.max_size = info.getMaxSize();
  s.size = info.getSize();
  s.inserts = info.getInserts();
  s.samples = info.getSamples();
  s.insert_requests = info.getInsertRequests();
  s.sample_requests = info.getSampleRequests();
  s.malformed = info.getMalformed();
  s.wrong_version = info.getWrongVersion();
  s.too_large = info.getTooLarge();
  s.errors = info.getErrors();
  s.timeouts = info.getTimeouts();
  s.dropped_replies = info.getDroppedReplies();
  s.pending_inserts = info.getPendingInserts();
  s.pending_samples = info.getPendingSamples();
  s.insert_blocked_seconds = info.getInsertBlockedSeconds();
  s.sample_blocked_seconds = info.getSampleBlockedSeconds();
  s.update_requests = info.getUpdateRequests();
  s.unknown_key_updates = info.getUnknownKeyUpdates();
  s.checkpoints = info.getCheckpoints();
  s.checkpoint_failures = info.getCheckpointFailures();
  s.last_checkpoint_path = info.getLastCheckpointPath().cStr();
  s.restored_items = info.getRestoredItems();
  s.overloaded = info.getOverloaded();
  s.oversized_replies = info.getOversizedReplies();
  s.internal_errors = info.getInternalErrors();
  s.refused_peers = info.getRefusedPeers();
  for (auto b : info.getTables()) {
    TableStats t;
    t.name = b.getName().cStr();
    t.sampler = b.getSampler().cStr();
    t.remover = b.getRemover().cStr();
    t.max_size = b.getMaxSize();
    t.max_times_sampled = b.getMaxTimesSampled();
    t.size = b.getSize();
    t.inserts = b.getInserts();
    t.samples = b.getSamples();
    t.evictions = b.getEvictions();
    t.exhausted = b.getExhausted();
    t.unknown_key_updates = b.getUnknownKeyUpdates();
    t.priority_mass = b.getPriorityMass();
    t.rate_limiter = RateLimiterFromInfo(b.getRateLimiter());
    t.rate_limiter.insert_blocked_seconds = b.getInsertBlockedSeconds();
    t.rate_limiter.sample_blocked_seconds = b.getSampleBlockedSeconds();
    t.can_insert = b.getCanInsert();
    t.can_sample = b.getCanSample();
    t.global_rate_limit = b.getGlobalRateLimit();
    t.pending_inserts = b.getPendingInserts();
    t.pending_samples = b.getPendingSamples();
    t.timeouts = b.getTimeouts();
    s.tables.push_back(std::move(t));
  }
  return s;
}

namespace {

DecodedRequest DecodeRequestOrThrowKj(const void* data, size_t size) {
  DecodedRequest out;
  CapnpReader reader(data, size);
  auto request = reader.Root<wire::Request>();
  out.request_id = request.getRequestId();
  out.protocol_version = request.getProtocolVersion();
  if (out.protocol_version != kProtocolVersion) return out;
  out.which = request.which();
  switch (out.which) {
    case wire::Request::INSERT: {
      auto insert = request.getInsert();
      out.table = insert.getTable().cStr();
      auto items = insert.getItems();
      out.items.reserve(items.size());
      for (capnp::Data::Reader item : items) {
        out.items.push_back(std::make_shared<const std::string>(
            reinterpret_cast<const char*>(item.begin()), item.size()));
      }
      auto priorities = insert.getPriorities();
      out.priorities.reserve(priorities.size());
      for (double p : priorities) out.priorities.push_back(p);
      out.timeout_ms = insert.getTimeoutMs();
      break;
    }
    case wire::Request::SAMPLE: {
      auto sample = request.getSample();
      out.table = sample.getTable().cStr();
      out.batch_size = sample.getBatchSize();
      out.timeout_ms = sample.getTimeoutMs();
      out.has_global_counts = sample.getHasGlobalCounts();
      out.global.inserts = sample.getGlobalInserts();
      out.global.samples = sample.getGlobalSamples();
      out.own_inserts_included = sample.getOwnInsertsIncluded();
      out.own_samples_included = sample.getOwnSamplesIncluded();
      break;
    }
    case wire::Request::INFO:
      out.table = request.getInfo().getTable().cStr();
      break;
    case wire::Request::UPDATE_PRIORITIES: {
      auto update = request.getUpdatePriorities();
      out.table = update.getTable().cStr();
      auto keys = update.getKeys();
      out.keys.reserve(keys.size());
      for (uint64_t k : keys) out.keys.push_back(k);
      auto priorities = update.getPriorities();
      out.priorities.reserve(priorities.size());
      for (double p : priorities) out.priorities.push_back(p);
      break;
    }
    case wire::Request::CHECKPOINT:
      break;
  }
  return out;
}

}  // namespace

DecodedRequest DecodeRequest(const void* data, size_t size) {
  try {
    return DecodeRequestOrThrowKj(data, size);
  } catch (const kj::Exception& e) {
    throw CapnpReader::KjDecodeError(e);
  }
}

ReceivedMessage::ReceivedMessage(zmq::message_t&& m) : message(std::move(m)) {
  // Created only once `message` is at its final address: small messages store their bytes
  // inside the zmq::message_t itself.
  reader = std::make_unique<CapnpReader>(message.data(), message.size());
}

}  // namespace replay_internal
}  // namespace rlfleet
