#ifndef RLFLEET_TRANSPORT_CAPNP_IO_H_
#define RLFLEET_TRANSPORT_CAPNP_IO_H_

// Low-level helpers to read and write single flat Cap'n Proto messages (the framing of
// capnp::messageToFlatArray: segment table, then segments) safely. Used by transport/codec.cc
// and replay/. Includes Cap'n Proto headers: keep it out of widely included headers.

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>

#include <cstddef>
#include <memory>
#include <string>

#include "transport/codec.h"

namespace rlfleet {

// Reader options for a message of `size` bytes: the traversal limit is a small multiple of
// the message size, so that no message can make a reader do unbounded work.
capnp::ReaderOptions ReaderOptionsForSize(size_t size);

// One message read from caller-owned bytes. When `data` is 8-byte aligned the reader points
// into it (the bytes must outlive this object); otherwise they are copied once into an
// aligned buffer owned here. Readers obtained from Root() and every pointer into them are
// valid while this object (and, when not copied, the caller's bytes) live. Not thread-safe.
class CapnpReader {
 public:
  // Throws DecodeError when the bytes are not exactly one well-formed message frame
  // (empty, not a multiple of 8 bytes, bad segment table, trailing bytes).
  CapnpReader(const void* data, size_t size);
  CapnpReader(const CapnpReader&) = delete;
  CapnpReader& operator=(const CapnpReader&) = delete;

  // The root struct. Throws DecodeError if the root pointer is invalid. Field accessors of
  // the returned reader may still throw kj::Exception on deeper corruption: wrap their use in
  // a try block that catches kj::Exception (see KjDecodeError).
  template <typename T>
  typename T::Reader Root() {
    try {
      return reader_->getRoot<T>();
    } catch (const kj::Exception& e) {
      throw KjDecodeError(e);
    }
  }

  // True when the input was unaligned and had to be copied.
  bool copied() const { return copy_.size() > 0; }

  // A DecodeError whose message is "malformed message: <capnp description>".
  static DecodeError KjDecodeError(const kj::Exception& e);

 private:
  kj::Array<capnp::word> copy_;
  std::unique_ptr<capnp::FlatArrayMessageReader> reader_;
};

// The flat serialization of `builder` as a string (one copy).
std::string SerializeToString(capnp::MessageBuilder& builder);

// First-segment size in words for a MallocMessageBuilder that will hold about `payload_bytes`
// of Data plus small headers, so that typical messages fit in a single segment.
unsigned int FirstSegmentWordsFor(size_t payload_bytes);

}  // namespace rlfleet

#endif  // RLFLEET_TRANSPORT_CAPNP_IO_H_
