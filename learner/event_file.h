#ifndef RLFLEET_LEARNER_EVENT_FILE_H_
#define RLFLEET_LEARNER_EVENT_FILE_H_

// TensorBoard event files (tfevents), written without TensorFlow: a sequence of records, each
//   uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes |
//   `length` bytes: one serialized Event (learner/schema/event.proto) | uint32 masked CRC-32C
//   of those bytes,
// where masked(c) = ((c >> 15) | (c << 17)) + 0xa282ead8 (mod 2^32). The first event of a file
// holds file_version "brain.Event:2"; each later one a Summary of scalars at a step.

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace rlfleet {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), continuing from `crc` (0 to start).
uint32_t Crc32c(const void* data, size_t size, uint32_t crc = 0);
uint32_t MaskedCrc32c(const void* data, size_t size);

// Appends events to <dir>/events.out.tfevents.<unix seconds>.<host>. Not thread-safe. Throws
// std::runtime_error naming the path when the file cannot be created or written.
class EventFileWriter {
 public:
  explicit EventFileWriter(const std::string& dir);
  ~EventFileWriter();
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  // One event holding these scalars (as float32, TensorBoard's simple_value) at `step`, stamped
  // `wall_time` (Unix seconds). Flushed to the OS at once, so a reader sees whole records.
  void WriteScalars(int64_t step, double wall_time,
                    const std::vector<std::pair<std::string, double>>& scalars);
  const std::string& path() const { return path_; }

 private:
  void WriteRecord(const std::string& data);

  std::string path_;
  std::FILE* file_ = nullptr;
};

// The events of a file, as serialized Event messages, after checking every record's framing and
// both CRCs. Throws std::runtime_error naming the path, the record's offset and what is wrong
// (a truncated record, a length or data CRC mismatch).
std::vector<std::string> ReadEventRecords(const std::string& path);

}  // namespace rlfleet

#endif  // RLFLEET_LEARNER_EVENT_FILE_H_
