#include "transport/codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/unroll.h"
#include "transport/capnp_io.h"
#include "transport/schema/rlfleet.capnp.h"

namespace rlfleet {
namespace {

Unroll MakeUnroll() {
  Unroll u;
  u.Resize(/*t=*/5, /*d=*/3, /*a=*/2, /*discrete=*/false);
  u.policy_version = 77;
  u.actor_index = 4;
  u.env_index = 9;
  for (size_t i = 0; i < u.observations.size(); ++i) u.observations[i] = 0.5f * i - 1.0f;
  for (size_t i = 0; i < u.actions.size(); ++i) u.actions[i] = -0.25f * i;
  for (size_t i = 0; i < u.rewards.size(); ++i) u.rewards[i] = 1.0f + i;
  u.terminated[2] = 1;
  u.truncated[4] = 1;
  for (size_t i = 0; i < u.behaviour_log_probs.size(); ++i) {
    u.behaviour_log_probs[i] = -0.1f * (i + 1);
  }
  u.truncation_observations = {7.0f, 8.0f, 9.0f};
  u.Validate();
  return u;
}

void ExpectSameUnroll(const Unroll& a, const Unroll& b) {
  EXPECT_EQ(a.length, b.length);
  EXPECT_EQ(a.observation_size, b.observation_size);
  EXPECT_EQ(a.action_size, b.action_size);
  EXPECT_EQ(a.discrete_actions, b.discrete_actions);
  EXPECT_EQ(a.policy_version, b.policy_version);
  EXPECT_EQ(a.actor_index, b.actor_index);
  EXPECT_EQ(a.env_index, b.env_index);
  EXPECT_EQ(a.observations, b.observations);
  EXPECT_EQ(a.actions, b.actions);
  EXPECT_EQ(a.rewards, b.rewards);
  EXPECT_EQ(a.terminated, b.terminated);
  EXPECT_EQ(a.truncated, b.truncated);
  EXPECT_EQ(a.behaviour_log_probs, b.behaviour_log_probs);
  EXPECT_EQ(a.truncation_observations, b.truncation_observations);
}

// Expects DecodeUnroll to throw a DecodeError whose message contains `needle`.
void ExpectUnrollError(const std::string& bytes, const std::string& needle) {
  try {
    DecodeUnroll(bytes);
    ADD_FAILURE() << "no DecodeError, expected one mentioning '" << needle << "'";
  } catch (const DecodeError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(CodecTest, UnrollRoundTripsEveryField) {
  const Unroll u = MakeUnroll();
  const std::string bytes = EncodeUnroll(u);
  EXPECT_EQ(bytes.size() % 8, 0u);
  ExpectSameUnroll(u, DecodeUnroll(bytes));
}

TEST(CodecTest, DiscreteUnrollRoundTrips) {
  Unroll u;
  u.Resize(3, 4, 1, true);
  u.actions = {0.0f, 2.0f, 1.0f};
  u.Validate();
  ExpectSameUnroll(u, DecodeUnroll(EncodeUnroll(u)));
}

TEST(CodecTest, UnrollDecodesFromUnalignedBuffer) {
  const Unroll u = MakeUnroll();
  const std::string bytes = EncodeUnroll(u);
  for (size_t offset = 1; offset < 8; ++offset) {
    std::vector<char> buffer(bytes.size() + 8);
    std::memcpy(buffer.data() + offset, bytes.data(), bytes.size());
    ExpectSameUnroll(u, DecodeUnroll(buffer.data() + offset, bytes.size()));
  }
}

TEST(CodecTest, CapnpReaderCopiesOnlyUnalignedInput) {
  const std::string bytes = EncodeUnroll(MakeUnroll());
  std::vector<uint64_t> aligned(bytes.size() / 8 + 1);
  std::memcpy(aligned.data(), bytes.data(), bytes.size());
  EXPECT_FALSE(CapnpReader(aligned.data(), bytes.size()).copied());
  auto* unaligned = reinterpret_cast<char*>(aligned.data()) + 1;
  std::memmove(unaligned, aligned.data(), bytes.size());
  EXPECT_TRUE(CapnpReader(unaligned, bytes.size()).copied());
}

TEST(CodecTest, TruncatedUnrollIsDecodeError) {
  const std::string bytes = EncodeUnroll(MakeUnroll());
  ExpectUnrollError("", "empty");
  ExpectUnrollError(bytes.substr(0, bytes.size() - 3), "multiple of 8");
  for (size_t size = 8; size < bytes.size(); size += 8) {
    EXPECT_THROW(DecodeUnroll(bytes.data(), size), DecodeError) << size;
  }
}

TEST(CodecTest, TrailingBytesAreDecodeError) {
  ExpectUnrollError(EncodeUnroll(MakeUnroll()) + std::string(8, '\0'), "trailing");
}

TEST(CodecTest, RandomGarbageNeverCrashes) {
  std::mt19937_64 rng(1234);
  const std::string valid = EncodeUnroll(MakeUnroll());
  int decoded = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bytes;
    if (trial % 2 == 0) {
      bytes.resize(8 * (rng() % 64));
      for (char& c : bytes) c = static_cast<char>(rng());
    } else {
      // Flip a few bytes of a valid message: exercises deeper decoding paths.
      bytes = valid;
      for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) {
        bytes[rng() % bytes.size()] = static_cast<char>(rng());
      }
    }
    try {
      DecodeUnroll(bytes);
      DecodeWeights(bytes.data(), bytes.size());
      ++decoded;
    } catch (const DecodeError&) {
    }
    try {
      DecodeActorStats(bytes.data(), bytes.size());
    } catch (const DecodeError&) {
    }
  }
  SUCCEED() << decoded << " inputs happened to decode";
}

TEST(CodecTest, WrongProtocolVersionIsNamed) {
  capnp::MallocMessageBuilder builder;
  auto m = builder.initRoot<wire::Unroll>();
  m.setProtocolVersion(7);
  m.setLength(1);
  ExpectUnrollError(SerializeToString(builder), "wrong protocol version 7");
}

TEST(CodecTest, FieldSizeMismatchIsNamed) {
  Unroll u = MakeUnroll();
  u.rewards.pop_back();
  ExpectUnrollError(EncodeUnroll(u), "rewards");

  capnp::MallocMessageBuilder builder;
  auto m = builder.initRoot<wire::Unroll>();
  m.setProtocolVersion(kProtocolVersion);
  m.initObservations(6);  // not a whole number of floats
  ExpectUnrollError(SerializeToString(builder), "'observations' has 6 bytes");
}

TEST(CodecTest, WeightsRoundTrip) {
  WeightsMessage w;
  w.version = 12;
  w.learner_step = 3400;
  w.incarnation = 0x8000000000000001ULL;
  w.round = 77;
  w.turn = 3;
  w.names = {"torso.0.weight", "torso.0.bias", "scalar"};
  w.shapes = {{2, 3}, {3}, {}};
  w.flat = {1, 2, 3, 4, 5, 6, -1, -2, -3, 42};
  const std::string bytes = EncodeWeights(w);
  const std::string shifted = "x" + bytes;
  for (const char* data : {bytes.data(), shifted.data() + 1}) {
    const WeightsMessage d = DecodeWeights(data, bytes.size());
    EXPECT_EQ(d.version, 12);
    EXPECT_EQ(d.learner_step, 3400);
    EXPECT_EQ(d.incarnation, w.incarnation);
    EXPECT_EQ(d.round, 77);
    EXPECT_EQ(d.turn, 3);
    EXPECT_EQ(d.names, w.names);
    EXPECT_EQ(d.shapes, w.shapes);
    EXPECT_EQ(d.flat, w.flat);
  }
  EXPECT_LE(static_cast<int64_t>(bytes.size()), MaxWeightsMessageBytes(w.names, w.shapes));
  // Long names, many dimensions, many parameters: still within the bound.
  WeightsMessage wide;
  for (int i = 0; i < 50; ++i) {
    wide.names.push_back(std::string(100 + i, 'n'));
    wide.shapes.push_back({1, 1, 1, 1, 1, 1, 3});
    for (int j = 0; j < 3; ++j) wide.flat.push_back(static_cast<float>(i + j));
  }
  EXPECT_LE(static_cast<int64_t>(EncodeWeights(wide).size()),
            MaxWeightsMessageBytes(wide.names, wide.shapes));
}

TEST(CodecTest, WeightsMismatchIsRejected) {
  WeightsMessage w;
  w.names = {"a"};
  w.shapes = {{2, 2}};
  w.flat = {1, 2, 3};
  EXPECT_THROW(EncodeWeights(w), std::invalid_argument);

  capnp::MallocMessageBuilder builder;
  auto m = builder.initRoot<wire::Weights>();
  m.setProtocolVersion(kProtocolVersion);
  m.initNames(1).set(0, "a");
  auto dims = m.initShapes(1).init(0, 2);
  dims.set(0, int64_t{1} << 40);
  dims.set(1, int64_t{1} << 40);  // the product overflows 64 bits
  m.initData(16);
  const std::string bytes = SerializeToString(builder);
  try {
    DecodeWeights(bytes.data(), bytes.size());
    ADD_FAILURE() << "expected DecodeError";
  } catch (const DecodeError& e) {
    EXPECT_NE(std::string(e.what()).find("field size mismatch"), std::string::npos) << e.what();
  }
}

TEST(CodecTest, ActorStatsRoundTrip) {
  ActorStatsMessage s;
  s.actor_index = 3;
  s.env_steps = 4096;
  s.episode_returns = {1.5, -2.25};
  s.episode_lengths = {200, 17};
  s.policy_version = 8;
  s.env_dropped_episodes = 5;
  s.env_errors = 3;
  s.env_nonfinite = 2;
  s.env_worker_restarts = 1;
  s.env_worker_timeouts = 1;
  s.insert_retries = 41;
  s.insert_failures = 6;
  const std::string bytes = EncodeActorStats(s);
  const ActorStatsMessage d = DecodeActorStats(bytes.data(), bytes.size());
  EXPECT_EQ(d.actor_index, 3u);
  EXPECT_EQ(d.env_steps, 4096);
  EXPECT_EQ(d.episode_returns, s.episode_returns);
  EXPECT_EQ(d.episode_lengths, s.episode_lengths);
  EXPECT_EQ(d.policy_version, 8);
  EXPECT_EQ(d.round, -1);  // not in deterministic mode
  EXPECT_EQ(d.env_dropped_episodes, 5);
  EXPECT_EQ(d.env_errors, 3);
  EXPECT_EQ(d.env_nonfinite, 2);
  EXPECT_EQ(d.env_worker_restarts, 1);
  EXPECT_EQ(d.env_worker_timeouts, 1);
  EXPECT_EQ(d.insert_retries, 41);
  EXPECT_EQ(d.insert_failures, 6);
  s.round = 5;
  EXPECT_EQ(DecodeActorStats(EncodeActorStats(s).data(), EncodeActorStats(s).size()).round, 5);

  s.episode_lengths.pop_back();
  EXPECT_THROW(EncodeActorStats(s), std::invalid_argument);
}

TEST(CodecTest, MessagesOfAnotherTypeFailVersionOrValidation) {
  // A Weights message read as an Unroll must not be accepted silently.
  WeightsMessage w;
  w.names = {"a"};
  w.shapes = {{1}};
  w.flat = {1.0f};
  EXPECT_THROW(DecodeUnroll(EncodeWeights(w)), DecodeError);
}

Transition MakeTransition() {
  Transition t;
  t.observation = {0.5f, -1.0f, 2.0f};
  t.action = {0.25f, -0.75f};
  t.reward = 3.5f;
  t.discount = 0.81f;
  t.truncated = true;
  t.next_observation = {4.0f, 5.0f, -6.0f};
  t.steps = 2;
  t.policy_version = 1234567890123;
  t.Validate();
  return t;
}

TEST(CodecTest, TransitionRoundTripsEveryField) {
  const Transition t = MakeTransition();
  const std::string bytes = EncodeTransition(t);
  // Unaligned input decodes too (CapnpReader copies it once).
  std::string shifted = "x" + bytes;
  for (const Transition& back : {DecodeTransition(bytes.data(), bytes.size()),
                                 DecodeTransition(shifted.data() + 1, bytes.size())}) {
    EXPECT_EQ(back.observation, t.observation);
    EXPECT_EQ(back.action, t.action);
    EXPECT_EQ(back.reward, t.reward);
    EXPECT_EQ(back.discount, t.discount);
    EXPECT_EQ(back.terminated, t.terminated);
    EXPECT_EQ(back.truncated, t.truncated);
    EXPECT_EQ(back.next_observation, t.next_observation);
    EXPECT_EQ(back.steps, t.steps);
    EXPECT_EQ(back.policy_version, t.policy_version);
  }
}

// Segment table 8 bytes + root pointer 8 + the struct's 4 data words (protocolVersion, reward,
// discount, the two flags, steps, policyVersion) and 3 pointers 56 + observation 16 + action
// 4 padded to 8 + next observation 16 = 112 bytes.
TEST(CodecTest, CartPoleTransitionSize) {
  Transition t;
  t.observation.assign(4, 1.0f);
  t.next_observation.assign(4, 1.0f);
  t.action = {1.0f};
  t.steps = 3;
  t.discount = 0.97f;
  EXPECT_EQ(EncodeTransition(t).size(), 112u);
}

TEST(CodecTest, InvalidTransitionsAreNamedDecodeErrors) {
  auto expect_error = [](const std::string& bytes, const std::string& needle) {
    try {
      DecodeTransition(bytes.data(), bytes.size());
      ADD_FAILURE() << "expected a DecodeError naming " << needle;
    } catch (const DecodeError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  Transition t = MakeTransition();
  t.next_observation.pop_back();
  expect_error(EncodeTransition(t), "observation sizes");
  t = MakeTransition();
  t.steps = 0;
  expect_error(EncodeTransition(t), "steps");
  t = MakeTransition();
  t.discount = std::numeric_limits<float>::infinity();
  expect_error(EncodeTransition(t), "discount");
  capnp::MallocMessageBuilder builder;
  auto m = builder.initRoot<wire::Transition>();
  m.setProtocolVersion(kProtocolVersion + 1);
  expect_error(SerializeToString(builder), "wrong protocol version");
  const std::string bytes = EncodeTransition(MakeTransition());
  for (size_t size = 0; size < bytes.size(); size += 8) {
    EXPECT_THROW(DecodeTransition(bytes.data(), size), DecodeError) << size;
  }
  // An Unroll is not a Transition.
  EXPECT_THROW(
      DecodeTransition(EncodeUnroll(MakeUnroll()).data(), EncodeUnroll(MakeUnroll()).size()),
      DecodeError);
  std::mt19937_64 rng(99);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string garbage = bytes;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) {
      garbage[rng() % garbage.size()] = static_cast<char>(rng());
    }
    try {
      DecodeTransition(garbage.data(), garbage.size());
    } catch (const DecodeError&) {
    }
  }
}

}  // namespace
}  // namespace rlfleet
