#ifndef RLFLEET_RENDER_VIDEO_RECORDER_H_
#define RLFLEET_RENDER_VIDEO_RECORDER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "envs/env.h"
#include "render/renderer.h"
#include "render/video_writer.h"

namespace rlfleet {

// Films an env into an MP4: each Capture draws the env's current state as one frame (at the
// env's own fps). The caller decides when: rlfleet captures once after every Reset and once
// after every Step, so an episode of n steps is n + 1 frames. `env` must outlive the recorder.
// Not thread-safe: the env's thread.
class VideoRecorder : public FrameCapture {
 public:
  // Throws std::runtime_error when the env cannot be drawn (a plugin or Python env), when no
  // OpenGL context can be made or the encoder cannot start (each naming what to install).
  VideoRecorder(Env& env, const std::string& path, const RenderOptions& options);

  void Capture() override;
  // Ends the video; throws std::runtime_error when the encoder failed.
  void Finish() { writer_->Finish(); }
  int64_t frames() const { return writer_->frames(); }
  const Renderer& renderer() const { return *renderer_; }

 private:
  std::unique_ptr<Renderer> renderer_;
  std::unique_ptr<VideoWriter> writer_;
  std::vector<uint8_t> frame_;
};

}  // namespace rlfleet

#endif  // RLFLEET_RENDER_VIDEO_RECORDER_H_
