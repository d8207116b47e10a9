#ifndef RLFLEET_TRANSPORT_WEIGHTS_ENCODER_H_
#define RLFLEET_TRANSPORT_WEIGHTS_ENCODER_H_

// The learner's weights message (transport/schema/rlfleet.capnp, `Weights`) built once and
// refilled in place for every publish: the caller copies the parameters straight into the
// message's data (data()), and Encode serialises the message into the ZeroMQ message that is
// sent. The values are copied twice per publish (parameters → message, message → ZeroMQ
// buffer) and nothing else is allocated but that buffer. DecodeWeights (transport/codec.h)
// reads what it writes. Not thread-safe; this header does not include Cap'n Proto.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include <zmq.hpp>

namespace rlfleet {

class WeightsEncoder {
 public:
  // The parameters' names and shapes, in the order of the data. Throws std::invalid_argument
  // when their counts differ or a dimension is negative.
  WeightsEncoder(const std::vector<std::string>& names,
                 const std::vector<std::vector<int64_t>>& shapes);
  ~WeightsEncoder();
  WeightsEncoder(const WeightsEncoder&) = delete;
  WeightsEncoder& operator=(const WeightsEncoder&) = delete;

  // The message's float32 values (values() of them, the parameters one after the other in the
  // order of the names, each row-major), 4-byte aligned; valid for the encoder's lifetime. What
  // is written here stays until it is overwritten.
  float* data();
  size_t values() const;

  // The message with these fields and the current data, serialised into a new buffer.
  zmq::message_t Encode(int64_t version, int64_t learner_step, uint64_t incarnation, int64_t round,
                        int32_t turn);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rlfleet

#endif  // RLFLEET_TRANSPORT_WEIGHTS_ENCODER_H_
