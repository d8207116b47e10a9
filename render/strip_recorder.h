#ifndef RLFLEET_RENDER_STRIP_RECORDER_H_
#define RLFLEET_RENDER_STRIP_RECORDER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "envs/env.h"
#include "render/frame_strip.h"
#include "render/renderer.h"

namespace rlfleet {

// A FrameStrip of one episode of an env: told first how many frames the episode will have
// (Expect), it draws only the frames PickStripFrames picks as they are captured, so it holds
// no more than the strip's tiles, whatever the episode's length. The caller learns the length
// by playing the episode once without capturing, then plays it again the same way (same env
// seed, same action stream) capturing: `rlfleet eval --strip` does (learner/evaluate.h).
// Tiles are options.width × options.height; 0 takes a height of 160 and a width of the task's
// default aspect ratio at that height, rounded to even (MuJoCo 160×160, CartPole 240×160).
// `env` must outlive the recorder. Not thread-safe: the env's thread.
class StripRecorder : public FrameCapture {
 public:
  static constexpr int32_t kDefaultHeight = 160;

  // Throws std::runtime_error when the env cannot be drawn (a plugin or Python env) or no
  // OpenGL context can be made (naming what to install), std::invalid_argument for bad options.
  StripRecorder(Env& env, const FrameStripOptions& options);

  // The frames of the episode about to be captured: its steps + 1. Restarts the strip. The
  // strip's frames are spread over the first `span_frames` of them (0, or more than the
  // episode has: all of them).
  void Expect(int64_t episode_frames, int64_t span_frames = 0);
  void Capture() override;
  // Writes the PNG (FrameStrip::WritePng). Throws std::runtime_error when the episode had
  // another number of frames than expected (it did not repeat), or cairo cannot write.
  void WritePng(const std::string& path) const;

  int32_t tile_width() const { return renderer_->width(); }
  int32_t tile_height() const { return renderer_->height(); }
  const std::vector<int64_t>& picked() const { return picked_; }
  int64_t captured() const { return captured_; }
  int64_t rendered() const { return rendered_; }  // frames drawn: the distinct picked ones

 private:
  FrameStripOptions options_;
  std::unique_ptr<Renderer> renderer_;
  std::unique_ptr<FrameStrip> strip_;
  std::vector<int64_t> picked_;
  int64_t expected_ = -1;
  int64_t captured_ = 0;
  int64_t rendered_ = 0;
  size_t next_ = 0;  // the next of picked_ to fill
  std::vector<uint8_t> frame_;
};

}  // namespace rlfleet

#endif  // RLFLEET_RENDER_STRIP_RECORDER_H_
