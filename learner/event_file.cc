#include "learner/event_file.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/clock.h"
#include "core/file_util.h"
#include "learner/schema/event.pb.h"

namespace rlfleet {
namespace {

std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}

void PutLe(uint64_t value, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t GetLe(const std::string& data, size_t offset, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= static_cast<uint64_t>(static_cast<uint8_t>(data[offset + i])) << (8 * i);
  }
  return value;
}

}  // namespace

uint32_t Crc32c(const void* data, size_t size, uint32_t crc) {
  static const std::array<uint32_t, 256> table = MakeTable();
  const auto* bytes = static_cast<const uint8_t*>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

uint32_t MaskedCrc32c(const void* data, size_t size) {
  const uint32_t crc = Crc32c(data, size);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

EventFileWriter::EventFileWriter(const std::string& dir) {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) std::strcpy(host, "localhost");
  path_ = dir + "/events.out.tfevents." + std::to_string(static_cast<int64_t>(UnixSeconds())) +
          "." + host;
  file_ = std::fopen(path_.c_str(), "ab");
  if (file_ == nullptr) {
    throw std::runtime_error("cannot create " + path_ + ": " + std::strerror(errno));
  }
  tensorboard::Event event;
  event.set_wall_time(UnixSeconds());
  event.set_file_version("brain.Event:2");
  WriteRecord(event.SerializeAsString());
}

EventFileWriter::~EventFileWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void EventFileWriter::WriteScalars(int64_t step, double wall_time,
                                   const std::vector<std::pair<std::string, double>>& scalars) {
  tensorboard::Event event;
  event.set_wall_time(wall_time);
  event.set_step(step);
  tensorboard::Summary* summary = event.mutable_summary();
  for (const auto& [tag, value] : scalars) {
    tensorboard::SummaryValue* v = summary->add_value();
    v->set_tag(tag);
    v->set_simple_value(static_cast<float>(value));
  }
  WriteRecord(event.SerializeAsString());
}

void EventFileWriter::WriteRecord(const std::string& data) {
  std::string record;
  record.reserve(data.size() + 16);
  PutLe(data.size(), 8, &record);
  PutLe(MaskedCrc32c(record.data(), 8), 4, &record);
  record += data;
  PutLe(MaskedCrc32c(data.data(), data.size()), 4, &record);
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size() ||
      std::fflush(file_) != 0) {
    throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(errno));
  }
}

std::vector<std::string> ReadEventRecords(const std::string& path) {
  const std::string data = ReadFile(path);
  std::vector<std::string> records;
  size_t offset = 0;
  auto fail = [&](const std::string& what) {
    throw std::runtime_error(path + ": record at byte " + std::to_string(offset) + ": " + what);
  };
  while (offset < data.size()) {
    if (data.size() - offset < 12) fail("truncated header");
    const uint64_t length = GetLe(data, offset, 8);
    if (GetLe(data, offset + 8, 4) != MaskedCrc32c(data.data() + offset, 8)) {
      fail("length CRC mismatch");
    }
    if (length > data.size() - offset - 12 || data.size() - offset - 12 - length < 4) {
      fail("truncated data");
    }
    const std::string body = data.substr(offset + 12, length);
    if (GetLe(data, offset + 12 + length, 4) != MaskedCrc32c(body.data(), body.size())) {
      fail("data CRC mismatch");
    }
    records.push_back(body);
    offset += 12 + length + 4;
  }
  return records;
}

}  // namespace rlfleet
