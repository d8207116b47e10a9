#include "transport/weights_encoder.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "transport/codec.h"

namespace rlfleet {
namespace {

// What the encoder writes, read back by DecodeWeights: the fields of this Encode, the names and
// shapes given once, and the data as filled before this Encode (refilled in place between two).
TEST(WeightsEncoderTest, EncodesTheFieldsAndTheDataAsFilledBeforeEachEncode) {
  const std::vector<std::string> names = {"fc0.weight", "fc0.bias", "scalar"};
  const std::vector<std::vector<int64_t>> shapes = {{2, 3}, {2}, {}};
  WeightsEncoder encoder(names, shapes);
  ASSERT_EQ(encoder.values(), 6u + 2u + 1u);
  for (size_t i = 0; i < encoder.values(); ++i) encoder.data()[i] = 0.5f * static_cast<float>(i);
  const zmq::message_t first = encoder.Encode(7, 8, 0xabcdef0123456789ull, 3, 1);
  for (size_t i = 0; i < encoder.values(); ++i) encoder.data()[i] = -1.0f - static_cast<float>(i);
  const zmq::message_t second = encoder.Encode(9, 10, 42, -1, -1);

  const WeightsMessage a = DecodeWeights(first.data(), first.size());
  EXPECT_EQ(a.version, 7);
  EXPECT_EQ(a.learner_step, 8);
  EXPECT_EQ(a.incarnation, 0xabcdef0123456789ull);
  EXPECT_EQ(a.round, 3);
  EXPECT_EQ(a.turn, 1);
  EXPECT_EQ(a.names, names);
  EXPECT_EQ(a.shapes, shapes);
  ASSERT_EQ(a.flat.size(), 9u);
  for (size_t i = 0; i < a.flat.size(); ++i) EXPECT_EQ(a.flat[i], 0.5f * static_cast<float>(i));

  const WeightsMessage b = DecodeWeights(second.data(), second.size());
  EXPECT_EQ(b.version, 9);
  EXPECT_EQ(b.learner_step, 10);
  EXPECT_EQ(b.incarnation, 42u);
  EXPECT_EQ(b.round, -1);
  EXPECT_EQ(b.turn, -1);
  EXPECT_EQ(b.names, names);
  for (size_t i = 0; i < b.flat.size(); ++i) EXPECT_EQ(b.flat[i], -1.0f - static_cast<float>(i));
}

// EncodeWeights (the whole message from a WeightsMessage) and the encoder agree byte for byte.
TEST(WeightsEncoderTest, MatchesEncodeWeights) {
  WeightsMessage w;
  w.version = 5;
  w.learner_step = 6;
  w.incarnation = 11;
  w.names = {"w", "b"};
  w.shapes = {{3}, {1}};
  w.flat = {1.0f, 2.0f, 3.0f, 4.0f};
  WeightsEncoder encoder(w.names, w.shapes);
  std::copy(w.flat.begin(), w.flat.end(), encoder.data());
  const zmq::message_t message = encoder.Encode(5, 6, 11, -1, -1);
  EXPECT_EQ(std::string(message.data<char>(), message.size()), EncodeWeights(w));
}

TEST(WeightsEncoderTest, RejectsLayoutsThatDisagree) {
  EXPECT_THROW(WeightsEncoder({"a", "b"}, {{1}}), std::invalid_argument);
  EXPECT_THROW(WeightsEncoder({"a"}, {{2, -1}}), std::invalid_argument);
  WeightsMessage w;
  w.names = {"a"};
  w.shapes = {{2}};
  w.flat = {1.0f};
  EXPECT_THROW(EncodeWeights(w), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
