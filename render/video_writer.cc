#include "render/video_writer.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace rlfleet {
namespace {

constexpr const char* kInstallHint =
    "install Debian's ffmpeg package (apt-get install ffmpeg; its libavcodec includes libx264)";

std::string Number(double x) {
  std::ostringstream out;
  out.precision(10);
  out << x;
  return out.str();
}

}  // namespace

void VideoWriterOptions::Validate() const {
  if (path.empty()) throw std::invalid_argument("video: the output path is empty");
  if (width <= 0 || height <= 0 || width % 2 != 0 || height % 2 != 0) {
    throw std::invalid_argument(
        "video: width and height must be even and > 0 (H.264 yuv420p), not " +
        std::to_string(width) + "x" + std::to_string(height));
  }
  if (!(fps > 0.0)) throw std::invalid_argument("video: fps must be > 0");
  if (ffmpeg.empty()) throw std::invalid_argument("video: the encoder program is empty");
}

VideoWriter::VideoWriter(const VideoWriterOptions& options) : options_(options) {
  options_.Validate();
  messages_.reset(std::tmpfile());
  if (messages_ == nullptr) throw std::runtime_error(std::string("tmpfile: ") + strerror(errno));
  fcntl(fileno(messages_.get()), F_SETFD, FD_CLOEXEC);
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    throw std::runtime_error(std::string("socketpair: ") + strerror(errno));
  }
  input_ = ends[0];
  const std::string size = std::to_string(options_.width) + "x" + std::to_string(options_.height);
  const std::vector<std::string> argv = {options_.ffmpeg,
                                         "-nostdin",
                                         "-hide_banner",
                                         "-loglevel",
                                         "error",
                                         "-y",
                                         "-f",
                                         "rawvideo",
                                         "-pix_fmt",
                                         "rgb24",
                                         "-video_size",
                                         size,
                                         "-framerate",
                                         Number(options_.fps),
                                         "-i",
                                         "pipe:0",
                                         "-c:v",
                                         "libx264",
                                         "-pix_fmt",
                                         "yuv420p",
                                         "-movflags",
                                         "+faststart",
                                         options_.path};
  try {
    SpawnedProcess::Stdio stdio;
    stdio.in = ends[1];
    stdio.err = fileno(messages_.get());
    encoder_ = SpawnedProcess::Spawn(argv, stdio);
  } catch (const std::exception& e) {
    close(ends[1]);
    CloseInput();
    throw std::runtime_error(std::string("cannot start the video encoder: ") + e.what() + "; " +
                             kInstallHint);
  }
  close(ends[1]);
}

VideoWriter::~VideoWriter() {
  CloseInput();
  if (!finished_) {
    encoder_.Kill();
    std::error_code ignored;
    std::filesystem::remove(options_.path, ignored);
  }
}

void VideoWriter::CloseInput() {
  if (input_ >= 0) close(input_);
  input_ = -1;
}

std::string VideoWriter::EncoderMessages() const {
  std::FILE* f = messages_.get();
  std::fflush(f);
  std::string text;
  char buffer[4096];
  std::rewind(f);
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), f)) > 0) text.append(buffer, n);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.size() > 2000) text = "..." + text.substr(text.size() - 2000);
  return text;
}

void VideoWriter::Fail(const std::string& what) {
  encoder_.WaitForExit(5.0);
  encoder_.Kill();
  finished_ = true;  // the encoder is gone; the destructor still removes the file
  std::error_code ignored;
  std::filesystem::remove(options_.path, ignored);
  const std::string messages = EncoderMessages();
  std::string hint;
  if (messages.find("libx264") != std::string::npos ||
      messages.find("Unknown encoder") != std::string::npos) {
    hint = "; this ffmpeg has no libx264 encoder: " + std::string(kInstallHint);
  }
  throw std::runtime_error("video encoder (" + options_.ffmpeg + ") " + what +
                           (messages.empty() ? "" : ": " + messages) + hint);
}

void VideoWriter::Write(const uint8_t* rgb) {
  if (finished_ || input_ < 0) throw std::logic_error("VideoWriter::Write after Finish");
  const size_t size = static_cast<size_t>(options_.width) * options_.height * 3;
  size_t sent = 0;
  while (sent < size) {
    const ssize_t n = send(input_, rgb + sent, size - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      CloseInput();
      Fail("stopped reading frames (" + std::string(strerror(errno)) + ")");
    }
    sent += static_cast<size_t>(n);
  }
  ++frames_;
}

void VideoWriter::Finish() {
  if (finished_) return;
  CloseInput();
  // Encoding the frames still buffered takes well under a second per thousand small frames.
  if (!encoder_.WaitForExit(300.0)) Fail("did not finish within 300 s");
  if (encoder_.exit_status() != 0) Fail(encoder_.ExitDescription());
  finished_ = true;
}

}  // namespace rlfleet
