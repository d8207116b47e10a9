#ifndef RLFLEET_RENDER_GL_CONTEXT_H_
#define RLFLEET_RENDER_GL_CONTEXT_H_

#include <memory>
#include <string>

namespace rlfleet {

// Which OpenGL implementation draws offscreen frames.
enum class GlBackend {
  kAuto,    // $RLFLEET_GL when set ("egl" or "osmesa"), else EGL, then OSMesa
  kEgl,     // EGL on Mesa's surfaceless platform (EGL_MESA_platform_surfaceless): no display
  kOsmesa,  // Mesa's off-screen rendering library (software)
};

// One OpenGL context with no window, for MuJoCo's renderer (which draws into its own
// framebuffer object). The libraries are opened at run time, not linked: MuJoCo's GL loader
// takes the function pointers from whichever of libEGL / libOSMesa is loaded in the process,
// so only the one in use is loaded (when EGL fails, OSMesa is tried after libEGL is closed);
// once a context has been made, its library stays loaded until the process ends.
// A context is current on one thread at a time; MakeCurrent before drawing on another thread.
// Not thread-safe.
class GlContext {
 public:
  // Throws std::runtime_error naming what is missing and the Debian packages that provide it
  // (libegl1 + libegl-mesa0, or libosmesa6) when no context can be made.
  static std::unique_ptr<GlContext> Create(GlBackend backend = GlBackend::kAuto);

  virtual ~GlContext() = default;
  virtual void MakeCurrent() = 0;
  // "egl" or "osmesa".
  virtual const char* name() const = 0;
};

}  // namespace rlfleet

#endif  // RLFLEET_RENDER_GL_CONTEXT_H_
