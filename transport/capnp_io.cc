#include "transport/capnp_io.h"

#include <cstdint>
#include <cstring>
#include <limits>

namespace rlfleet {

capnp::ReaderOptions ReaderOptionsForSize(size_t size) {
  // Each word is normally visited once; allow a few revisits plus a fixed allowance for the
  // per-object minimum charges of empty structs and lists.
  capnp::ReaderOptions options;
  const uint64_t words = size / sizeof(capnp::word);
  const uint64_t limit = 4 * words + 1024;
  options.traversalLimitInWords = limit;
  options.nestingLimit = 32;
  return options;
}

DecodeError CapnpReader::KjDecodeError(const kj::Exception& e) {
  return DecodeError(std::string("malformed message: ") + e.getDescription().cStr());
}

CapnpReader::CapnpReader(const void* data, size_t size) {
  if (data == nullptr || size == 0) {
    throw DecodeError("not a Cap'n Proto message: empty input");
  }
  if (size % sizeof(capnp::word) != 0) {
    throw DecodeError("not a Cap'n Proto message: " + std::to_string(size) +
                      " bytes is not a multiple of 8");
  }
  const size_t words = size / sizeof(capnp::word);
  const capnp::word* begin = static_cast<const capnp::word*>(data);
  if (reinterpret_cast<uintptr_t>(data) % alignof(capnp::word) != 0) {
    copy_ = kj::heapArray<capnp::word>(words);
    std::memcpy(copy_.begin(), data, size);
    begin = copy_.begin();
  }
  try {
    reader_ = std::make_unique<capnp::FlatArrayMessageReader>(
        kj::ArrayPtr<const capnp::word>(begin, words), ReaderOptionsForSize(size));
  } catch (const kj::Exception& e) {
    throw DecodeError(std::string("not a Cap'n Proto message: ") + e.getDescription().cStr());
  }
  const size_t used = static_cast<size_t>(reader_->getEnd() - begin);
  if (used != words) {
    throw DecodeError("not a Cap'n Proto message: " + std::to_string((words - used) * 8) +
                      " trailing bytes after the message");
  }
}

std::string SerializeToString(capnp::MessageBuilder& builder) {
  const size_t words = capnp::computeSerializedSizeInWords(builder);
  std::string out(words * sizeof(capnp::word), '\0');
  kj::ArrayOutputStream stream(kj::arrayPtr(reinterpret_cast<kj::byte*>(&out[0]), out.size()));
  capnp::writeMessage(stream, builder);
  return out;
}

unsigned int FirstSegmentWordsFor(size_t payload_bytes) {
  // Data fields are padded to whole words; allow a generous margin for pointers and headers.
  const size_t words = payload_bytes / sizeof(capnp::word) + 256;
  // A single segment may hold at most 2^29 - 1 words; beyond that capnp adds segments.
  const size_t kMax = (size_t{1} << 29) - 1;
  return static_cast<unsigned int>(words < kMax ? words : kMax);
}

}  // namespace rlfleet
