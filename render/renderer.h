#ifndef RLFLEET_RENDER_RENDERER_H_
#define RLFLEET_RENDER_RENDERER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "envs/env.h"

namespace rlfleet {

struct RenderOptions {
  // Frame size in pixels; 0 takes the task's default (Gymnasium's: 480×480 for MuJoCo, the
  // classic-control screens' own, e.g. CartPole 600×400). Both even when non-zero (H.264 in
  // yuv420p needs even sizes) and at most 4096.
  int32_t width = 0;
  int32_t height = 0;
  // MuJoCo only; both off by default (with llvmpipe they cost ~40× per frame at 84×84).
  bool shadows = false;
  int32_t multisamples = 0;  // MSAA samples of MuJoCo's offscreen buffer: 0, 2, 4 or 8
  void Validate() const;
};

// Draws the current state of one environment as RGB frames. It reads the env it was made for
// at every Render (the env must outlive it) and never changes its state. Not thread-safe: one
// thread at a time, the env's thread.
class Renderer {
 public:
  virtual ~Renderer() = default;
  virtual int32_t width() const = 0;
  virtual int32_t height() const = 0;
  // Frames per second of real time, Gymnasium's render_fps (1 / the env's step duration).
  virtual double fps() const = 0;
  // Writes width()·height()·3 bytes, RGB, rows top to bottom.
  virtual void Render(uint8_t* rgb) = 0;
};

// Takes frames of an env's current state, one per Capture (VideoRecorder films them,
// StripRecorder keeps a few for a picture). PlayEpisode calls Capture once after the reset and
// once after every step. Not thread-safe: the env's thread.
class FrameCapture {
 public:
  virtual ~FrameCapture() = default;
  virtual void Capture() = 0;
};

// The size in pixels of `env`'s frames with RenderOptions' 0 × 0 (MuJoCo 480×480, the classic
// control screens' own), {0, 0} for an env that cannot be drawn. Makes no GL context.
struct FrameSize {
  int32_t width = 0;
  int32_t height = 0;
};
FrameSize DefaultFrameSize(Env& env);

// A renderer for `env` (a TimeLimit is looked through): MuJoCo tasks draw with MuJoCo's own
// renderer in an offscreen OpenGL context, classic-control tasks with cairo. Returns nullptr
// for an env that cannot be drawn (a plugin, a Python env). Throws std::runtime_error when
// there is no OpenGL context (naming the packages to install), std::invalid_argument for bad
// options.
std::unique_ptr<Renderer> MakeRenderer(Env& env, const RenderOptions& options);

}  // namespace rlfleet

#endif  // RLFLEET_RENDER_RENDERER_H_
