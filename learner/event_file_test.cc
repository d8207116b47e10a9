#include "learner/event_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "core/file_util.h"
#include "learner/schema/event.pb.h"

namespace rlfleet {
namespace {

// The CRC-32C check value of "123456789" (RFC 3720, appendix B.4) and of 32 zero bytes
// (RFC 3720, B.4: 0x8A9136AA).
TEST(EventFileTest, Crc32cMatchesPublishedCheckValues) {
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);
  const std::string zeros(32, '\0');
  EXPECT_EQ(Crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  // Continuing a CRC equals computing it in one go.
  EXPECT_EQ(Crc32c("6789", 4, Crc32c("12345", 5)), 0xE3069283u);
  // The mask of TensorFlow's record format, by hand: rotate right by 15, add 0xa282ead8.
  const uint32_t c = 0xE3069283u;
  EXPECT_EQ(MaskedCrc32c("123456789", 9), ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

TEST(EventFileTest, EveryRecordChecksAndDecodes) {
  TempDir dir("rlfleet-event-file-test");
  std::string path;
  {
    EventFileWriter writer(dir.path());
    path = writer.path();
    EXPECT_NE(path.find("/events.out.tfevents."), std::string::npos) << path;
    writer.WriteScalars(1000, 1764690000.5,
                        {{"charts/episodic_return", 187.25}, {"charts/SPS", 9000}});
    writer.WriteScalars(2000, 1764690001.5, {{"losses/value_loss", 0.125}});
  }
  const std::vector<std::string> records = ReadEventRecords(path);
  ASSERT_EQ(records.size(), 3u);
  tensorboard::Event first;
  ASSERT_TRUE(first.ParseFromString(records[0]));
  EXPECT_EQ(first.file_version(), "brain.Event:2");
  tensorboard::Event second;
  ASSERT_TRUE(second.ParseFromString(records[1]));
  EXPECT_EQ(second.step(), 1000);
  EXPECT_EQ(second.wall_time(), 1764690000.5);
  ASSERT_EQ(second.summary().value_size(), 2);
  EXPECT_EQ(second.summary().value(0).tag(), "charts/episodic_return");
  EXPECT_EQ(second.summary().value(0).simple_value(), 187.25f);
  EXPECT_EQ(second.summary().value(1).tag(), "charts/SPS");
  tensorboard::Event third;
  ASSERT_TRUE(third.ParseFromString(records[2]));
  EXPECT_EQ(third.summary().value(0).simple_value(), 0.125f);

  // A flipped byte in a record's data, or a cut-off record, is named.
  std::string bytes = ReadFile(path);
  auto error_of = [&](const std::string& contents) {
    WriteFileAtomic(path, contents);
    try {
      ReadEventRecords(path);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  std::string flipped = bytes;
  flipped[bytes.size() - 6] ^= 0x20;  // inside the last record's data
  EXPECT_NE(error_of(flipped).find("data CRC mismatch"), std::string::npos);
  EXPECT_NE(error_of(bytes.substr(0, bytes.size() - 3)).find("truncated"), std::string::npos);
  std::string length = bytes;
  length[0] ^= 0x01;
  EXPECT_NE(error_of(length).find("length CRC mismatch"), std::string::npos);
}

}  // namespace
}  // namespace rlfleet
