#include "render/video_writer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace rlfleet {
namespace {

namespace fs = std::filesystem;

// The standard output of a shell command.
std::string Output(const std::string& command) {
  std::string text;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return text;
  char buffer[512];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) text.append(buffer, n);
  pclose(pipe);
  return text;
}

class VideoWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rlfleet-video-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  VideoWriterOptions Options() const {
    VideoWriterOptions options;
    options.path = (dir_ / "out.mp4").string();
    options.width = 64;
    options.height = 48;
    options.fps = 20;
    return options;
  }
  // A frame whose left `column` columns are white, the rest black.
  static std::vector<uint8_t> Frame(int column) {
    std::vector<uint8_t> rgb(64 * 48 * 3, 0);
    for (int y = 0; y < 48; ++y) {
      for (int x = 0; x < column; ++x) {
        for (int c = 0; c < 3; ++c) rgb[(y * 64 + x) * 3 + c] = 255;
      }
    }
    return rgb;
  }
  // A script standing in for ffmpeg.
  std::string FakeEncoder(const std::string& body) const {
    const fs::path path = dir_ / "ffmpeg";
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(path, fs::perms::owner_all);
    return path.string();
  }

  fs::path dir_;
};

TEST_F(VideoWriterTest, WritesAnH264Mp4WithEveryFrame) {
  VideoWriterOptions options = Options();
  {
    VideoWriter writer(options);
    for (int i = 0; i < 25; ++i) writer.Write(Frame(2 * i + 2).data());
    writer.Finish();
    EXPECT_EQ(writer.frames(), 25);
  }
  const std::string probe = Output(
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
      "stream=codec_name,width,height,nb_read_frames,pix_fmt,r_frame_rate -of "
      "default=noprint_wrappers=1 '" +
      options.path + "'");
  EXPECT_NE(probe.find("codec_name=h264"), std::string::npos) << probe;
  EXPECT_NE(probe.find("width=64"), std::string::npos) << probe;
  EXPECT_NE(probe.find("height=48"), std::string::npos) << probe;
  EXPECT_NE(probe.find("pix_fmt=yuv420p"), std::string::npos) << probe;
  EXPECT_NE(probe.find("r_frame_rate=20/1"), std::string::npos) << probe;
  EXPECT_NE(probe.find("nb_read_frames=25"), std::string::npos) << probe;
}

TEST_F(VideoWriterTest, AnUnfinishedVideoIsRemoved) {
  VideoWriterOptions options = Options();
  {
    VideoWriter writer(options);
    writer.Write(Frame(10).data());
  }
  EXPECT_FALSE(fs::exists(options.path));
}

TEST_F(VideoWriterTest, NoFfmpegOnPathSaysWhatToInstall) {
  const char* old_path = std::getenv("PATH");
  const std::string saved = old_path == nullptr ? "" : old_path;
  setenv("PATH", dir_.c_str(), 1);  // a directory without ffmpeg
  try {
    VideoWriter writer(Options());
    ADD_FAILURE() << "started without ffmpeg";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("ffmpeg was not found on PATH"), std::string::npos) << message;
    EXPECT_NE(message.find("apt-get install ffmpeg"), std::string::npos) << message;
  }
  setenv("PATH", saved.c_str(), 1);
}

TEST_F(VideoWriterTest, AnEncoderWithoutLibx264SaysWhichPackageHasIt) {
  VideoWriterOptions options = Options();
  options.ffmpeg = FakeEncoder("cat >/dev/null; echo \"Unknown encoder 'libx264'\" >&2; exit 1");
  VideoWriter writer(options);
  writer.Write(Frame(4).data());
  try {
    writer.Finish();
    ADD_FAILURE() << "Finish succeeded";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("exited with status 1"), std::string::npos) << message;
    EXPECT_NE(message.find("no libx264 encoder"), std::string::npos) << message;
    EXPECT_NE(message.find("ffmpeg package"), std::string::npos) << message;
  }
}

TEST_F(VideoWriterTest, AnEncoderThatDiesIsAnErrorNotASignal) {
  VideoWriterOptions options = Options();
  options.ffmpeg = FakeEncoder("echo broken >&2; exit 3");
  VideoWriter writer(options);
  try {
    // Far more than a socket buffer: the writes fail once the encoder has gone.
    for (int i = 0; i < 2000; ++i) writer.Write(Frame(4).data());
    writer.Finish();
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("broken"), std::string::npos) << e.what();
  }
}

TEST(VideoWriterOptionsTest, RejectsOddSizes) {
  VideoWriterOptions options;
  options.path = "x.mp4";
  options.width = 63;
  options.height = 48;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options.width = 64;
  options.fps = 0;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
