#include "render/renderer.h"

#include <stdexcept>
#include <string>

#include "envs/mujoco/mujoco_env.h"
#include "envs/time_limit.h"
#include "render/classic_control_renderer.h"
#include "render/mujoco_renderer.h"

namespace rlfleet {

void RenderOptions::Validate() const {
  const auto check = [](int32_t size, const char* name) {
    if (size < 0 || size > 4096 || size % 2 != 0) {
      throw std::invalid_argument(std::string("render: ") + name +
                                  " must be 0 (the task's) or even in [2, 4096], not " +
                                  std::to_string(size));
    }
  };
  check(width, "width");
  check(height, "height");
  if (multisamples != 0 && multisamples != 2 && multisamples != 4 && multisamples != 8) {
    throw std::invalid_argument("render: multisamples must be 0, 2, 4 or 8");
  }
}

FrameSize DefaultFrameSize(Env& env) {
  Env* inner = &env;
  while (auto* limit = dynamic_cast<TimeLimit*>(inner)) inner = &limit->inner();
  if (dynamic_cast<const MujocoEnv*>(inner) != nullptr) {
    return {kMujocoDefaultFrameSize, kMujocoDefaultFrameSize};
  }
  // A cairo image surface of the screen's size: no GL, no drawing.
  const std::unique_ptr<Renderer> classic = MakeClassicControlRenderer(*inner, RenderOptions{});
  if (classic == nullptr) return {};
  return {classic->width(), classic->height()};
}

std::unique_ptr<Renderer> MakeRenderer(Env& env, const RenderOptions& options) {
  options.Validate();
  Env* inner = &env;
  while (auto* limit = dynamic_cast<TimeLimit*>(inner)) inner = &limit->inner();
  if (const auto* mujoco = dynamic_cast<const MujocoEnv*>(inner)) {
    return std::make_unique<MujocoRenderer>(*mujoco, MujocoCameraFor(mujoco->spec().id), options);
  }
  return MakeClassicControlRenderer(*inner, options);
}

}  // namespace rlfleet
