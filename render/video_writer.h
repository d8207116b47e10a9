#ifndef RLFLEET_RENDER_VIDEO_WRITER_H_
#define RLFLEET_RENDER_VIDEO_WRITER_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "pyenv/child_process.h"

namespace rlfleet {

struct VideoWriterOptions {
  std::string path;               // the .mp4 to write (replaced if it exists)
  int32_t width = 0;              // even, > 0 (yuv420p)
  int32_t height = 0;             // even, > 0
  double fps = 30.0;              // frames per second of the video, > 0
  std::string ffmpeg = "ffmpeg";  // the encoder program; without a '/', looked up on PATH
  void Validate() const;
};

// Encodes RGB frames into an H.264 MP4 (yuv420p) with an `ffmpeg` child process that reads
// raw rgb24 frames on its stdin (a socket, so that a dead encoder is an error, not SIGPIPE).
// Write blocks while the encoder is behind. Finish ends the stream and waits for the encoder;
// destroying an unfinished writer kills and reaps the encoder and removes the partial file.
// Not thread-safe.
class VideoWriter {
 public:
  // Starts the encoder. Throws std::runtime_error saying how to install it when `ffmpeg`
  // cannot be started.
  explicit VideoWriter(const VideoWriterOptions& options);
  ~VideoWriter();
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  // One frame of width·height·3 bytes, RGB, rows top to bottom. Throws std::runtime_error
  // with the encoder's messages when it has exited.
  void Write(const uint8_t* rgb);
  // Closes the stream and waits for the encoder; throws std::runtime_error with its messages
  // (and, for a missing libx264, the package that has it) when it did not exit 0.
  void Finish();
  int64_t frames() const { return frames_; }
  const std::string& path() const { return options_.path; }

 private:
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  [[noreturn]] void Fail(const std::string& what);
  std::string EncoderMessages() const;
  void CloseInput();

  VideoWriterOptions options_;
  std::unique_ptr<std::FILE, FileCloser> messages_;  // the encoder's stderr (a temporary file)
  int input_ = -1;                                   // our end of the encoder's stdin
  SpawnedProcess encoder_;
  int64_t frames_ = 0;
  bool finished_ = false;
};

}  // namespace rlfleet

#endif  // RLFLEET_RENDER_VIDEO_WRITER_H_
