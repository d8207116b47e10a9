#ifndef RLFLEET_RENDER_CLASSIC_CONTROL_RENDERER_H_
#define RLFLEET_RENDER_CLASSIC_CONTROL_RENDERER_H_

#include <cstdint>
#include <memory>

#include "envs/env.h"
#include "render/renderer.h"

namespace rlfleet {

// Draws a classic-control task (CartPole, Acrobot, MountainCar, MountainCarContinuous,
// Pendulum) with cairo as Gymnasium's pygame code draws it: the same shapes, colours and
// scale on its own screen size (CartPole and the mountain cars 600×400, Acrobot and Pendulum
// 500×500; another frame size stretches that screen to fit), y up with the origin at the
// bottom left. Pendulum's torque arrow (an image file in Gymnasium) is not drawn.
// Returns nullptr when `env` (a TimeLimit is looked through by MakeRenderer) is none of these.
std::unique_ptr<Renderer> MakeClassicControlRenderer(const Env& env, const RenderOptions& options);

}  // namespace rlfleet

#endif  // RLFLEET_RENDER_CLASSIC_CONTROL_RENDERER_H_
