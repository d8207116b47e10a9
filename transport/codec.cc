#include "transport/codec.h"

#include <capnp/message.h>

#include <cstring>
#include <limits>
#include <string>

#include "transport/capnp_io.h"
#include "transport/schema/rlfleet.capnp.h"
#include "transport/weights_encoder.h"

namespace rlfleet {
namespace {

// Arrays travel as raw little-endian bytes and are copied with memcpy.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "rlfleet's wire format assumes a little-endian host");
static_assert(wire::PROTOCOL_VERSION == kProtocolVersion,
              "kProtocolVersion must match transport/schema/rlfleet.capnp");

template <typename T>
void CopyOut(const std::vector<T>& values, capnp::Data::Builder out) {
  if (!values.empty()) std::memcpy(out.begin(), values.data(), values.size() * sizeof(T));
}

template <typename T>
std::vector<T> CopyIn(capnp::Data::Reader bytes, const char* what, const char* field) {
  if (bytes.size() % sizeof(T) != 0) {
    throw DecodeError(std::string(what) + " field '" + field + "' has " +
                      std::to_string(bytes.size()) + " bytes, not a multiple of " +
                      std::to_string(sizeof(T)));
  }
  std::vector<T> values(bytes.size() / sizeof(T));
  if (!values.empty()) std::memcpy(values.data(), bytes.begin(), bytes.size());
  return values;
}

void CheckVersion(uint32_t version, const char* what) {
  if (version != kProtocolVersion) {
    throw DecodeError(std::string(what) + ": wrong protocol version " + std::to_string(version) +
                      " (expected " + std::to_string(kProtocolVersion) + ")");
  }
}

template <typename T>
size_t Bytes(const std::vector<T>& v) {
  return v.size() * sizeof(T);
}

}  // namespace

std::string EncodeUnroll(const Unroll& u) {
  const size_t payload = Bytes(u.observations) + Bytes(u.actions) + Bytes(u.rewards) +
                         Bytes(u.terminated) + Bytes(u.truncated) + Bytes(u.behaviour_log_probs) +
                         Bytes(u.truncation_observations);
  capnp::MallocMessageBuilder builder(FirstSegmentWordsFor(payload));
  auto m = builder.initRoot<wire::Unroll>();
  m.setProtocolVersion(kProtocolVersion);
  m.setLength(u.length);
  m.setObservationSize(u.observation_size);
  m.setActionSize(u.action_size);
  m.setDiscreteActions(u.discrete_actions);
  m.setPolicyVersion(u.policy_version);
  m.setActorIndex(u.actor_index);
  m.setEnvIndex(u.env_index);
  CopyOut(u.observations, m.initObservations(Bytes(u.observations)));
  CopyOut(u.actions, m.initActions(Bytes(u.actions)));
  CopyOut(u.rewards, m.initRewards(Bytes(u.rewards)));
  CopyOut(u.terminated, m.initTerminated(Bytes(u.terminated)));
  CopyOut(u.truncated, m.initTruncated(Bytes(u.truncated)));
  CopyOut(u.behaviour_log_probs, m.initBehaviourLogProbs(Bytes(u.behaviour_log_probs)));
  CopyOut(u.truncation_observations,
          m.initTruncationObservations(Bytes(u.truncation_observations)));
  return SerializeToString(builder);
}

Unroll DecodeUnroll(const void* data, size_t size) {
  CapnpReader reader(data, size);
  Unroll u;
  try {
    auto m = reader.Root<wire::Unroll>();
    CheckVersion(m.getProtocolVersion(), "unroll");
    u.length = m.getLength();
    u.observation_size = m.getObservationSize();
    u.action_size = m.getActionSize();
    u.discrete_actions = m.getDiscreteActions();
    u.policy_version = m.getPolicyVersion();
    u.actor_index = m.getActorIndex();
    u.env_index = m.getEnvIndex();
    u.observations = CopyIn<float>(m.getObservations(), "unroll", "observations");
    u.actions = CopyIn<float>(m.getActions(), "unroll", "actions");
    u.rewards = CopyIn<float>(m.getRewards(), "unroll", "rewards");
    u.terminated = CopyIn<uint8_t>(m.getTerminated(), "unroll", "terminated");
    u.truncated = CopyIn<uint8_t>(m.getTruncated(), "unroll", "truncated");
    u.behaviour_log_probs =
        CopyIn<float>(m.getBehaviourLogProbs(), "unroll", "behaviour_log_probs");
    u.truncation_observations =
        CopyIn<float>(m.getTruncationObservations(), "unroll", "truncation_observations");
  } catch (const kj::Exception& e) {
    throw CapnpReader::KjDecodeError(e);
  }
  try {
    u.Validate();
  } catch (const std::invalid_argument& e) {
    throw DecodeError(std::string("invalid unroll: ") + e.what());
  }
  return u;
}

std::string EncodeTransition(const Transition& t) {
  const size_t payload = Bytes(t.observation) + Bytes(t.action) + Bytes(t.next_observation);
  capnp::MallocMessageBuilder builder(FirstSegmentWordsFor(payload));
  auto m = builder.initRoot<wire::Transition>();
  m.setProtocolVersion(kProtocolVersion);
  CopyOut(t.observation, m.initObservation(Bytes(t.observation)));
  CopyOut(t.action, m.initAction(Bytes(t.action)));
  m.setReward(t.reward);
  m.setDiscount(t.discount);
  m.setTerminated(t.terminated);
  m.setTruncated(t.truncated);
  CopyOut(t.next_observation, m.initNextObservation(Bytes(t.next_observation)));
  m.setSteps(t.steps);
  m.setPolicyVersion(t.policy_version);
  return SerializeToString(builder);
}

Transition DecodeTransition(const void* data, size_t size) {
  CapnpReader reader(data, size);
  Transition t;
  try {
    auto m = reader.Root<wire::Transition>();
    CheckVersion(m.getProtocolVersion(), "transition");
    t.observation = CopyIn<float>(m.getObservation(), "transition", "observation");
    t.action = CopyIn<float>(m.getAction(), "transition", "action");
    t.reward = m.getReward();
    t.discount = m.getDiscount();
    t.terminated = m.getTerminated();
    t.truncated = m.getTruncated();
    t.next_observation = CopyIn<float>(m.getNextObservation(), "transition", "next_observation");
    t.steps = m.getSteps();
    t.policy_version = m.getPolicyVersion();
  } catch (const kj::Exception& e) {
    throw CapnpReader::KjDecodeError(e);
  }
  try {
    t.Validate();
  } catch (const std::invalid_argument& e) {
    throw DecodeError(std::string("invalid ") + e.what());
  }
  return t;
}

int64_t MaxWeightsMessageBytes(const std::vector<std::string>& names,
                               const std::vector<std::vector<int64_t>>& shapes) {
  int64_t bytes = 4096;  // message and segment headers, the root struct, the list pointers
  for (size_t i = 0; i < shapes.size(); ++i) {
    int64_t count = 1;
    for (int64_t dim : shapes[i]) count *= dim;
    const size_t name = i < names.size() ? names[i].size() : 0;
    bytes += 4 * count + static_cast<int64_t>(name + 8 * shapes[i].size()) + 64;
  }
  return bytes;
}

std::string EncodeWeights(const WeightsMessage& w) {
  WeightsEncoder encoder(w.names, w.shapes);
  if (encoder.values() != w.flat.size()) {
    throw std::invalid_argument("weights shapes hold " + std::to_string(encoder.values()) +
                                " floats but flat has " + std::to_string(w.flat.size()));
  }
  if (!w.flat.empty()) std::memcpy(encoder.data(), w.flat.data(), Bytes(w.flat));
  const zmq::message_t message =
      encoder.Encode(w.version, w.learner_step, w.incarnation, w.round, w.turn);
  return std::string(message.data<char>(), message.size());
}

WeightsMessage DecodeWeights(const void* data, size_t size) {
  CapnpReader reader(data, size);
  WeightsMessage w;
  try {
    auto m = reader.Root<wire::Weights>();
    CheckVersion(m.getProtocolVersion(), "weights");
    w.version = m.getVersion();
    w.learner_step = m.getLearnerStep();
    w.incarnation = m.getIncarnation();
    w.round = m.getRound();
    w.turn = m.getTurn();
    auto names = m.getNames();
    auto shapes = m.getShapes();
    if (names.size() != shapes.size()) {
      throw DecodeError("weights: " + std::to_string(names.size()) + " names but " +
                        std::to_string(shapes.size()) + " shapes");
    }
    w.flat = CopyIn<float>(m.getData(), "weights", "data");
    // Every count is checked against the floats actually present, so no product overflows.
    const uint64_t available = w.flat.size();
    uint64_t total = 0;
    w.names.reserve(names.size());
    w.shapes.reserve(shapes.size());
    for (unsigned int i = 0; i < names.size(); ++i) {
      w.names.emplace_back(names[i].cStr(), names[i].size());
      auto dims = shapes[i];
      std::vector<int64_t> shape;
      shape.reserve(dims.size());
      for (int64_t dim : dims) shape.push_back(dim);
      uint64_t count = 1;
      for (int64_t dim : shape) {
        if (dim < 0) {
          throw DecodeError("weights: parameter '" + w.names.back() + "' has dimension " +
                            std::to_string(dim));
        }
        if (dim != 0 && count > available / static_cast<uint64_t>(dim)) {
          count = available + 1;  // larger than what is present; reported below
        } else {
          count *= static_cast<uint64_t>(dim);
        }
      }
      total += count;
      if (total > available) break;
      w.shapes.push_back(std::move(shape));
    }
    if (total != available) {
      throw DecodeError("weights: shapes hold " +
                        (total > available ? std::string("more than ") : std::string()) +
                        std::to_string(total > available ? available : total) +
                        " floats but data holds " + std::to_string(available) +
                        " (field size mismatch)");
    }
  } catch (const kj::Exception& e) {
    throw CapnpReader::KjDecodeError(e);
  }
  return w;
}

std::string EncodeActorStats(const ActorStatsMessage& s) {
  if (s.episode_returns.size() != s.episode_lengths.size()) {
    throw std::invalid_argument("actor stats have " + std::to_string(s.episode_returns.size()) +
                                " episode returns but " + std::to_string(s.episode_lengths.size()) +
                                " lengths");
  }
  capnp::MallocMessageBuilder builder(FirstSegmentWordsFor(16 * s.episode_returns.size()));
  auto m = builder.initRoot<wire::ActorStats>();
  m.setProtocolVersion(kProtocolVersion);
  m.setActorIndex(s.actor_index);
  m.setEnvSteps(s.env_steps);
  m.setPolicyVersion(s.policy_version);
  m.setRejectedWeights(s.rejected_weights);
  m.setEnvDroppedEpisodes(s.env_dropped_episodes);
  m.setEnvErrors(s.env_errors);
  m.setEnvNonfinite(s.env_nonfinite);
  m.setEnvWorkerRestarts(s.env_worker_restarts);
  m.setEnvWorkerTimeouts(s.env_worker_timeouts);
  m.setInsertRetries(s.insert_retries);
  m.setInsertFailures(s.insert_failures);
  m.setRound(s.round);
  auto returns = m.initEpisodeReturns(static_cast<unsigned int>(s.episode_returns.size()));
  for (size_t i = 0; i < s.episode_returns.size(); ++i) returns.set(i, s.episode_returns[i]);
  auto lengths = m.initEpisodeLengths(static_cast<unsigned int>(s.episode_lengths.size()));
  for (size_t i = 0; i < s.episode_lengths.size(); ++i) lengths.set(i, s.episode_lengths[i]);
  return SerializeToString(builder);
}

ActorStatsMessage DecodeActorStats(const void* data, size_t size) {
  CapnpReader reader(data, size);
  ActorStatsMessage s;
  try {
    auto m = reader.Root<wire::ActorStats>();
    CheckVersion(m.getProtocolVersion(), "actor stats");
    s.actor_index = m.getActorIndex();
    s.env_steps = m.getEnvSteps();
    s.policy_version = m.getPolicyVersion();
    s.rejected_weights = m.getRejectedWeights();
    s.env_dropped_episodes = m.getEnvDroppedEpisodes();
    s.env_errors = m.getEnvErrors();
    s.env_nonfinite = m.getEnvNonfinite();
    s.env_worker_restarts = m.getEnvWorkerRestarts();
    s.env_worker_timeouts = m.getEnvWorkerTimeouts();
    s.insert_retries = m.getInsertRetries();
    s.insert_failures = m.getInsertFailures();
    s.round = m.getRound();
    auto returns = m.getEpisodeReturns();
    auto lengths = m.getEpisodeLengths();
    if (returns.size() != lengths.size()) {
      throw DecodeError("actor stats: " + std::to_string(returns.size()) + " episode returns but " +
                        std::to_string(lengths.size()) + " lengths (field size mismatch)");
    }
    s.episode_returns.reserve(returns.size());
    for (double r : returns) s.episode_returns.push_back(r);
    s.episode_lengths.reserve(lengths.size());
    for (int64_t l : lengths) s.episode_lengths.push_back(l);
  } catch (const kj::Exception& e) {
    throw CapnpReader::KjDecodeError(e);
  }
  return s;
}

}  // namespace rlfleet
