#include "transport/weights_encoder.h"

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <stdexcept>

#include "transport/capnp_io.h"
#include "transport/codec.h"
#include "transport/schema/rlfleet.capnp.h"

namespace rlfleet {

struct WeightsEncoder::Impl {
  explicit Impl(size_t first_segment_words) : builder(first_segment_words) {}
  capnp::MallocMessageBuilder builder;
  wire::Weights::Builder root = nullptr;
  float* data = nullptr;
  size_t values = 0;
};

WeightsEncoder::WeightsEncoder(const std::vector<std::string>& names,
                               const std::vector<std::vector<int64_t>>& shapes) {
  if (names.size() != shapes.size()) {
    throw std::invalid_argument("weights have " + std::to_string(names.size()) + " names but " +
                                std::to_string(shapes.size()) + " shapes");
  }
  size_t total = 0;
  for (size_t i = 0; i < shapes.size(); ++i) {
    size_t count = 1;
    for (int64_t dim : shapes[i]) {
      if (dim < 0) {
        throw std::invalid_argument("weights parameter '" + names[i] +
                                    "' has a negative dimension");
      }
      count *= static_cast<size_t>(dim);
    }
    total += count;
  }
  // One segment holds the whole message, so that Encode writes it with one copy.
  impl_ = std::make_unique<Impl>(
      FirstSegmentWordsFor(static_cast<size_t>(MaxWeightsMessageBytes(names, shapes))));
  impl_->root = impl_->builder.initRoot<wire::Weights>();
  auto m = impl_->root;
  m.setProtocolVersion(kProtocolVersion);
  auto name_list = m.initNames(static_cast<unsigned int>(names.size()));
  for (size_t i = 0; i < names.size(); ++i) name_list.set(i, names[i]);
  auto shape_list = m.initShapes(static_cast<unsigned int>(shapes.size()));
  for (size_t i = 0; i < shapes.size(); ++i) {
    auto dims = shape_list.init(i, static_cast<unsigned int>(shapes[i].size()));
    for (size_t j = 0; j < shapes[i].size(); ++j) dims.set(j, shapes[i][j]);
  }
  // Data is word-aligned in a Cap'n Proto segment.
  impl_->data = reinterpret_cast<float*>(m.initData(total * sizeof(float)).begin());
  impl_->values = total;
}

WeightsEncoder::~WeightsEncoder() = default;

float* WeightsEncoder::data() { return impl_->data; }

size_t WeightsEncoder::values() const { return impl_->values; }

zmq::message_t WeightsEncoder::Encode(int64_t version, int64_t learner_step, uint64_t incarnation,
                                      int64_t round, int32_t turn) {
  auto m = impl_->root;
  m.setVersion(version);
  m.setLearnerStep(learner_step);
  m.setIncarnation(incarnation);
  m.setRound(round);
  m.setTurn(turn);
  const size_t words = capnp::computeSerializedSizeInWords(impl_->builder);
  zmq::message_t out(words * sizeof(capnp::word));
  kj::ArrayOutputStream stream(kj::arrayPtr(out.data<kj::byte>(), out.size()));
  capnp::writeMessage(stream, impl_->builder);
  return out;
}

}  // namespace rlfleet
