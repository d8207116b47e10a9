#ifndef RLFLEET_RENDER_FRAME_STRIP_H_
#define RLFLEET_RENDER_FRAME_STRIP_H_

#include <cstdint>
#include <string>
#include <vector>

namespace rlfleet {

struct FrameStripOptions {
  int32_t frames = 6;  // tiles in the strip, in [2, 64]: the first and the last frame at least
  // Each tile's size in pixels, even in [2, 4096] (as RenderOptions'); 0 takes a default where
  // the strip's user has one (StripRecorder: 160 high, the task's aspect ratio).
  int32_t width = 0;
  int32_t height = 0;
  int32_t separator = 2;  // pixels of dark grey between two tiles, in [0, 16]
  void Validate() const;  // throws std::invalid_argument naming the field
};

// `count` frame indices spread evenly over an episode of `episode_frames` frames (n steps: n + 1
// frames, the reset's first): index i is round(i · (episode_frames − 1) / (count − 1)), rounded
// half up, so the first is 0 and the last episode_frames − 1. An episode with fewer frames than
// `count` repeats some. Throws std::invalid_argument when episode_frames < 1 or count < 2.
std::vector<int64_t> PickStripFrames(int64_t episode_frames, int32_t count);

// A picture of an episode: options.frames RGB frames side by side, left to right in the order
// they are added, each options.width × options.height, with a separator between two. It keeps
// only its tiles (frames · width · height · 3 bytes). Not thread-safe.
class FrameStrip {
 public:
  // Throws std::invalid_argument for bad options, or when width or height is 0.
  explicit FrameStrip(const FrameStripOptions& options);

  // Copies the next tile: width · height · 3 bytes, RGB, rows top to bottom. Throws
  // std::logic_error when the strip is full.
  void Add(const uint8_t* rgb);
  int32_t added() const { return static_cast<int32_t>(tiles_.size()); }
  bool full() const { return added() == options_.frames; }

  // The strip's size in pixels: frames · width + (frames − 1) · separator by height.
  int32_t strip_width() const;
  int32_t strip_height() const { return options_.height; }

  // Writes the strip as a PNG (cairo, 24-bit RGB). Throws std::logic_error when it is not full,
  // std::runtime_error naming the path when cairo cannot write it.
  void WritePng(const std::string& path) const;

 private:
  FrameStripOptions options_;
  std::vector<std::vector<uint8_t>> tiles_;
};

}  // namespace rlfleet

#endif  // RLFLEET_RENDER_FRAME_STRIP_H_
