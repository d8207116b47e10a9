#ifndef RLFLEET_RENDER_MUJOCO_RENDERER_H_
#define RLFLEET_RENDER_MUJOCO_RENDERER_H_

#include <mujoco/mujoco.h>

#include <cstdint>
#include <memory>
#include <string>

#include "envs/mujoco/mujoco_env.h"
#include "render/gl_context.h"
#include "render/renderer.h"

namespace rlfleet {

// A task's view, after Gymnasium's DEFAULT_CAMERA_CONFIG of its v4 env: a free camera with
// MuJoCo's default azimuth (90°: looking along +y) whose look-at point follows, in x and y,
// the subtree centre of mass of `track_body` (none: the point stays put), at `distance` (m,
// ≤ 0: the model's extent) and `elevation` (degrees). `lookat_z` (m) fixes the point's height;
// NaN follows the body's height (tracked) or the median geom height at the model's reference
// pose (not tracked), as does Gymnasium's initial look-at point.
struct MujocoCamera {
  const char* track_body = nullptr;
  double distance = 0.0;
  double elevation = -45.0;
  double lookat_z = 0.0;
};

// The frame size (pixels, square) with RenderOptions' 0 × 0: Gymnasium's default.
inline constexpr int32_t kMujocoDefaultFrameSize = 480;

// The camera of a registered MuJoCo task (e.g. "HalfCheetah-v4"); throws std::invalid_argument
// for another id.
MujocoCamera MujocoCameraFor(const std::string& env_id);

// Draws a MujocoEnv with mjv_updateScene / mjr_render into MuJoCo's offscreen buffer and
// reads it back. Owns its GL context, scene and render context (and a copy of the model whose
// offscreen size fits the frame). Not thread-safe.
class MujocoRenderer : public Renderer {
 public:
  MujocoRenderer(const MujocoEnv& env, const MujocoCamera& camera, const RenderOptions& options);
  ~MujocoRenderer() override;
  MujocoRenderer(const MujocoRenderer&) = delete;
  MujocoRenderer& operator=(const MujocoRenderer&) = delete;

  int32_t width() const override { return width_; }
  int32_t height() const override { return height_; }
  double fps() const override { return 1.0 / env_.dt(); }
  void Render(uint8_t* rgb) override;
  const char* gl_backend() const { return gl_->name(); }

 private:
  struct ModelDeleter {
    void operator()(mjModel* m) const { mj_deleteModel(m); }
  };

  const MujocoEnv& env_;
  int32_t width_, height_;
  int track_body_ = -1;
  double lookat_z_;
  std::unique_ptr<GlContext> gl_;
  std::unique_ptr<mjModel, ModelDeleter> model_;
  mjvScene scene_;
  mjvOption option_;
  mjvCamera camera_;
  mjrContext context_;
  std::unique_ptr<uint8_t[]> flipped_;
};

}  // namespace rlfleet

#endif  // RLFLEET_RENDER_MUJOCO_RENDERER_H_
